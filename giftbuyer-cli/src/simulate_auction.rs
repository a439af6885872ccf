//! `giftbuyer simulate` on a drop file's auctions: the user's bidding budget and plans, the
//! auction bidder ticking beside the engine in the same virtual time, and how its bids fared
//! against the simulated competitors.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use giftbuyer_core::ports::{AuctionPlanStore as _, Clock, Connector, JournalStatus, UserId};
use giftbuyer_engine::{AuctionBidder, BidderConfig, MemoryStore};
use giftbuyer_sim::drop_file::DropFile;
use giftbuyer_sim::{Bidder, Market};
use serde::Serialize;
use tokio::task::JoinHandle;

/// How often the simulated bidder reads each planned auction, as `serve` does.
const READ_EVERY: Duration = Duration::from_secs(1);

/// What the auction bidder did in a simulation.
#[derive(Debug, Serialize)]
pub(crate) struct AuctionResult {
    plans: usize,
    /// Gifts the plans wanted in all.
    wanted: u64,
    /// Bids sent, and how they ended (`placed` includes raises).
    bids_sent: usize,
    bids_placed: usize,
    raises: usize,
    bids_failed: usize,
    bids_unknown: usize,
    /// Bids the market accepted from our accounts: never more than `bids_placed` plus
    /// `bids_unknown`, so no bid was sent twice.
    market_bids: usize,
    /// Gifts our accounts won, the stars those wins spent, and what competitors won.
    won: usize,
    stars_spent: u64,
    won_by_competitors: usize,
    /// Our bids the auctions gave back (stars refunded).
    returned: usize,
    /// The highest total any of our bids reached, never above its plan's maximum.
    highest_bid: u64,
}

impl AuctionResult {
    pub(crate) fn to_text(&self) -> String {
        format!(
            "auctions: {} plans wanting {} gifts, {} bids sent ({} placed, {} of them raises, {} failed, {} unknown), {} won for {} stars, {} won by competitors, {} returned, highest bid {}\n",
            self.plans,
            self.wanted,
            self.bids_sent,
            self.bids_placed,
            self.raises,
            self.bids_failed,
            self.bids_unknown,
            self.won,
            self.stars_spent,
            self.won_by_competitors,
            self.returned,
            self.highest_bid
        )
    }
}

/// Sets the drop file's budget and plans for the simulated user and starts the bidder's loop
/// until `scenario.duration`; `None` when the file has no bidding.
pub(crate) async fn start(
    scenario: &DropFile,
    store: &Arc<MemoryStore>,
    connector: Arc<dyn Connector>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let Some(bidding) = &scenario.bidding else {
        return Ok(None);
    };
    let user = UserId::new(1).context("user id")?;
    store
        .set_bid_budget(user, bidding.budget)
        .await
        .context("cannot set the bidding budget")?;
    for plan in &bidding.plans {
        store
            .create_auction_plan(user, plan)
            .await
            .context("cannot create an auction plan")?;
    }
    let bidder = AuctionBidder::new(
        store.clone(),
        store.clone(),
        connector,
        clock.clone(),
        BidderConfig::default(),
    );
    let clock = clock.clone();
    let duration = scenario.duration;
    Ok(Some(tokio::spawn(async move {
        while clock.elapsed() < duration {
            if let Err(error) = bidder.tick().await {
                tracing::warn!(%error, "an auction tick failed");
            }
            clock.sleep(READ_EVERY).await;
        }
    })))
}

/// Waits for the bidder's loop started by [`start`] to end with the run, and says how it
/// fared; `None` when there was no loop.
pub(crate) async fn finish(
    bidder: Option<JoinHandle<()>>,
    scenario: &DropFile,
    market: &Market,
    store: &MemoryStore,
) -> anyhow::Result<Option<AuctionResult>> {
    let Some(bidder) = bidder else {
        return Ok(None);
    };
    bidder.await.context("the auction bidder failed")?;
    let plans = scenario
        .bidding
        .as_ref()
        .map_or(&[][..], |bidding| bidding.plans.as_slice());
    let journal = store.bid_journal();
    let count = |status: JournalStatus| {
        journal
            .iter()
            .filter(|entry| entry.status == status)
            .count()
    };
    let (mut won, mut stars_spent, mut won_by_competitors, mut returned) = (0, 0, 0, 0);
    for plan in plans {
        let Some(auction) = market.auction(plan.gift_id) else {
            continue;
        };
        for win in &auction.wins {
            match win.bidder {
                Bidder::Account(_) => {
                    won += 1;
                    stars_spent += win.amount.get();
                }
                Bidder::Competitor(_) => won_by_competitors += 1,
            }
        }
        returned += auction
            .returns
            .iter()
            .filter(|back| matches!(back.bidder, Bidder::Account(_)))
            .count();
    }
    Ok(Some(AuctionResult {
        plans: plans.len(),
        wanted: plans.iter().map(|plan| u64::from(plan.wanted)).sum(),
        bids_sent: journal
            .iter()
            .filter(|entry| entry.status != JournalStatus::Planned)
            .count(),
        bids_placed: count(JournalStatus::Bought),
        raises: journal
            .iter()
            .filter(|entry| entry.status == JournalStatus::Bought && entry.bid.raise())
            .count(),
        bids_failed: count(JournalStatus::Failed),
        bids_unknown: count(JournalStatus::Unknown),
        market_bids: market.bids().len(),
        won,
        stars_spent,
        won_by_competitors,
        returned,
        highest_bid: journal
            .iter()
            .map(|entry| entry.bid.total.get())
            .max()
            .unwrap_or(0),
    }))
}
