//! `giftbuyer serve --demo`: the built-in simulated market (a standing catalog and a drop every
//! few minutes), its accounts and bot, a login that shows its codes, and a bot verifier that
//! accepts any well-formed token.
//!
//! The market lives in memory, so a restarted demo rebuilds it to carry on where it was, as
//! Telegram would: the drop schedule counts from when the market first opened (kept in the data
//! directory), and the accounts earlier demo logins created come back from the store with
//! their sessions still valid.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{Clock, Secret};
use giftbuyer_http::{BotIdentity, BotVerifier, VerifyError};
use giftbuyer_sim::demo::{DemoOptions, KnownAccount, demo_market_config};
use giftbuyer_sim::{BotConfig, Market, SIM_SESSION_PREFIX, SimBot, SimConnector, SimLogin};
use giftbuyer_store::Store;

use super::Adapters;

/// The file in the data directory that remembers when the demo market opened.
const STATE_FILE: &str = "demo-market.json";

/// What a demo server keeps between runs, beside the store.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct DemoState {
    /// When the market first opened, in unix seconds.
    opened_at: i64,
    /// The interval between drops it was opened with. Another interval is another schedule,
    /// so a market opened with one is not resumed with the other.
    drop_every: u64,
}

/// How the demo's accounts reach the market, which decides which stored sessions are demo
/// accounts to bring back after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DemoSessions {
    /// `--demo`: sessions the simulated market handed out directly.
    Simulated,
    /// `--demo-mtproto`: real MTProto sessions, on the loopback Telegram's DCs only.
    Loopback,
}

impl DemoSessions {
    /// Whether a stored session is one of this demo's (a real Telegram session in the same
    /// data directory never is).
    fn owns(self, account: i64, blob: &[u8]) -> bool {
        match self {
            DemoSessions::Simulated => blob == format!("{SIM_SESSION_PREFIX}{account}").as_bytes(),
            DemoSessions::Loopback => {
                giftbuyer_telegram::session::decode(blob).is_ok_and(|(data, _)| {
                    !data.dc_options.is_empty()
                        && data
                            .dc_options
                            .values()
                            .all(|dc| dc.ipv4.ip().is_loopback())
                })
            }
        }
    }
}

/// The demo market with a drop every `drop_every_secs`, resumed from the data directory and
/// the store when an earlier demo ran on them.
pub(super) async fn market(
    drop_every_secs: u64,
    clock: &Arc<dyn Clock>,
    store: &Store,
    data_dir: &Path,
    sessions: DemoSessions,
) -> anyhow::Result<Market> {
    let now = clock.unix_now();
    let opened_at = opening(&data_dir.join(STATE_FILE), drop_every_secs, now)?;
    let known = known_accounts(store, sessions).await?;
    if opened_at != now || !known.is_empty() {
        tracing::info!(
            opened_at = opened_at.secs(),
            accounts = known.len(),
            "resuming the demo market"
        );
    }
    let drop_every = Duration::from_secs(drop_every_secs);
    let defaults = DemoOptions::default();
    let options = DemoOptions {
        drop_every,
        // A short interval (a demo or a test) also brings the first drop forward.
        first_drop: defaults.first_drop.min(drop_every),
        opened_at,
        now,
        ..defaults
    };
    Market::new(demo_market_config(&options, &known), clock.clone())
        .context("cannot build the demo market")
}

/// When the demo market opened: as the state file says if it was opened with the same
/// interval, or now (recorded in the file for the next start).
fn opening(path: &Path, drop_every: u64, now: UnixTime) -> anyhow::Result<UnixTime> {
    let saved = std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<DemoState>(&bytes).ok())
        .filter(|state| state.drop_every == drop_every && state.opened_at <= now.secs())
        .and_then(|state| UnixTime::from_secs(state.opened_at).ok());
    if let Some(opened_at) = saved {
        return Ok(opened_at);
    }
    let state = DemoState {
        opened_at: now.secs(),
        drop_every,
    };
    let text = serde_json::to_vec(&state).context("cannot encode the demo market's state")?;
    // Written beside the file and renamed over it, so a crash never leaves half a file.
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, path))
        .with_context(|| format!("cannot save the demo market's state to {}", path.display()))?;
    Ok(now)
}

/// The accounts that demo logins created and the store still holds a session for. Only
/// sessions the simulated market handed out count: a real Telegram session in the same data
/// directory is no demo account.
async fn known_accounts(
    store: &Store,
    sessions: DemoSessions,
) -> anyhow::Result<Vec<KnownAccount>> {
    let stored = super::stored::stored_accounts(store)
        .await
        .context("cannot read the demo's accounts from the store")?;
    Ok(stored
        .into_iter()
        .filter(|account| {
            account
                .session
                .as_ref()
                .is_some_and(|session| sessions.owns(account.id.get(), session.data.expose()))
        })
        .map(|account| KnownAccount {
            id: account.id,
            phone: account.record.phone.expose().clone(),
            first_name: account.record.first_name,
            username: account.record.username,
            premium: account.record.premium,
            balance: account.record.balance,
        })
        .collect())
}

pub(super) async fn adapters(
    drop_every_secs: u64,
    clock: &Arc<dyn Clock>,
    store: &Store,
    data_dir: &Path,
) -> anyhow::Result<Adapters> {
    let market = market(
        drop_every_secs,
        clock,
        store,
        data_dir,
        DemoSessions::Simulated,
    )
    .await?;
    let bot = SimBot::new(clock.clone(), BotConfig::default());
    let connector = Arc::new(SimConnector::new(market.clone(), Some(bot)));
    // The demo shows each code in the panel and in the log, as the issue asks; only the
    // masked phone is logged beside it.
    let login = SimLogin::new(market).on_code_sent(|masked_phone, code| {
        tracing::info!(phone = masked_phone, code, "demo login code sent");
    });
    Ok(Adapters {
        connector,
        login: Arc::new(login),
        bot_verifier: Arc::new(DemoBotVerifier),
        market: format!("demo market: a drop every {drop_every_secs} s"),
        tasks: Vec::new(),
        stop: None,
    })
}

/// The demo's bot: any well-formed token belongs to the same simulated bot.
pub(super) struct DemoBotVerifier;

#[async_trait]
impl BotVerifier for DemoBotVerifier {
    async fn verify(&self, _token: &Secret<String>) -> Result<BotIdentity, VerifyError> {
        Ok(BotIdentity {
            username: "giftbuyer_demo_bot".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).expect("valid time")
    }

    #[test]
    fn the_opening_is_kept_for_the_same_interval_and_renewed_for_another() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(STATE_FILE);
        assert_eq!(opening(&path, 180, at(1_000)).expect("opened"), at(1_000));
        assert_eq!(opening(&path, 180, at(5_000)).expect("resumed"), at(1_000));
        // Another interval is another schedule: the market opens anew.
        assert_eq!(opening(&path, 10, at(6_000)).expect("reopened"), at(6_000));
        assert_eq!(opening(&path, 10, at(7_000)).expect("resumed"), at(6_000));
        // A damaged file is replaced rather than fatal: the demo opens anew.
        std::fs::write(&path, "{not json").expect("write");
        assert_eq!(opening(&path, 10, at(8_000)).expect("reopened"), at(8_000));
        let saved: DemoState =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(
            saved,
            DemoState {
                opened_at: 8_000,
                drop_every: 10
            }
        );
    }
}
