//! `giftbuyer simulate` on a drop file's resale market: the user's watches, the resale sniper
//! ticking beside the engine in the same virtual time, and what it caught.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use giftbuyer_core::ports::{Clock, Connector, JournalStatus, ResaleWatchStore as _, UserId};
use giftbuyer_engine::{MemoryStore, ResaleSniper, SniperConfig};
use giftbuyer_sim::Market;
use giftbuyer_sim::drop_file::DropFile;
use serde::Serialize;
use tokio::task::JoinHandle;

/// How often the simulated sniper polls each watched gift type, as `serve` does.
const POLL_EVERY: Duration = Duration::from_secs(2);

/// What the resale sniper did in a simulation.
#[derive(Debug, Serialize)]
pub(crate) struct ResaleResult {
    /// Listings the market put up during the run.
    listings: usize,
    /// Listings a watch would take (its gift type and attributes, at or under its maximum).
    wanted: usize,
    /// Listings our accounts bought.
    caught: usize,
    /// Wanted listings a competitor took first.
    taken_by_competitors: usize,
    failed: usize,
    unknown: usize,
    stars_spent: u64,
    /// From a caught listing's appearance to our purchase reaching the market, on the market's
    /// clock: the poll interval's share plus the round trips.
    catch_after_ms_p50: Option<u64>,
    catch_after_ms_max: Option<u64>,
}

impl ResaleResult {
    pub(crate) fn to_text(&self) -> String {
        let after = match (self.catch_after_ms_p50, self.catch_after_ms_max) {
            (Some(p50), Some(max)) => {
                format!(", caught {p50} ms after listing (p50), {max} ms at most")
            }
            _ => String::new(),
        };
        format!(
            "resale: {} listings, {} wanted by the watches, {} caught, {} taken first by competitors, {} failed, {} unknown, {} stars spent{after}\n",
            self.listings,
            self.wanted,
            self.caught,
            self.taken_by_competitors,
            self.failed,
            self.unknown,
            self.stars_spent
        )
    }
}

/// Creates the drop file's watches for the simulated user and starts the sniper's loop until
/// `scenario.duration`; `None` when the file has no watches.
pub(crate) async fn start(
    scenario: &DropFile,
    store: &Arc<MemoryStore>,
    connector: Arc<dyn Connector>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    if scenario.watches.is_empty() {
        return Ok(None);
    }
    let user = UserId::new(1).context("user id")?;
    for watch in &scenario.watches {
        store
            .create_watch(user, watch)
            .await
            .context("cannot create a watch")?;
    }
    let sniper = ResaleSniper::new(
        store.clone(),
        store.clone(),
        connector,
        clock.clone(),
        SniperConfig::default(),
    );
    let clock = clock.clone();
    let duration = scenario.duration;
    Ok(Some(tokio::spawn(async move {
        while clock.elapsed() < duration {
            if let Err(error) = sniper.tick().await {
                tracing::warn!(%error, "a resale tick failed");
            }
            clock.sleep(POLL_EVERY).await;
        }
    })))
}

/// Waits for the sniper's loop started by [`start`] to end with the run, and says what it
/// caught; `None` when there was no loop.
pub(crate) async fn finish(
    sniper: Option<JoinHandle<()>>,
    scenario: &DropFile,
    market: &Market,
    store: &MemoryStore,
) -> anyhow::Result<Option<ResaleResult>> {
    let Some(sniper) = sniper else {
        return Ok(None);
    };
    sniper.await.context("the resale sniper failed")?;
    Ok(Some(result(scenario, market, store)))
}

/// What the sniper caught, from the journal and the market.
fn result(scenario: &DropFile, market: &Market, store: &MemoryStore) -> ResaleResult {
    let listed: Vec<_> = scenario
        .config
        .resale
        .iter()
        .filter(|spec| spec.listed_at < scenario.duration)
        .collect();
    let wanted: Vec<_> = listed
        .iter()
        .filter(|spec| {
            scenario.watches.iter().any(|watch| {
                spec.listing.gift_id == watch.gift_id.get()
                    && watch.attributes.matches(&spec.listing.attributes)
                    && spec
                        .listing
                        .price
                        .and_then(|price| u64::try_from(price).ok())
                        .is_some_and(|price| price <= watch.max_price.get())
            })
        })
        .collect();
    let purchases = market.resale_purchases();
    let ours = |slug: &str| purchases.iter().any(|purchase| purchase.slug == slug);
    let taken_by_competitors = wanted
        .iter()
        .filter(|spec| {
            !ours(&spec.listing.slug)
                && spec.taken_at.is_some_and(|taken| taken < scenario.duration)
        })
        .count();
    let mut delays: Vec<u64> = purchases
        .iter()
        .filter_map(|purchase| {
            let spec = listed
                .iter()
                .find(|spec| spec.listing.slug == purchase.slug)?;
            u64::try_from(purchase.at.saturating_sub(spec.listed_at).as_millis()).ok()
        })
        .collect();
    delays.sort_unstable();
    let journal = store.resale_journal();
    let count = |status| {
        journal
            .iter()
            .filter(|entry| entry.status == status)
            .count()
    };
    ResaleResult {
        listings: listed.len(),
        wanted: wanted.len(),
        caught: purchases.len(),
        taken_by_competitors,
        failed: count(JournalStatus::Failed),
        unknown: count(JournalStatus::Unknown),
        stars_spent: journal
            .iter()
            .filter(|entry| entry.status == JournalStatus::Bought)
            .map(|entry| entry.buy.price.get())
            .sum(),
        catch_after_ms_p50: delays.get(delays.len().saturating_sub(1) / 2).copied(),
        catch_after_ms_max: delays.last().copied(),
    }
}
