//! The engine's side of the panel: the recorded catalog the engine falls back on, and the
//! manual purchases and catalog refreshes the panel asks for.

use std::sync::Arc;

use async_trait::async_trait;
use giftbuyer_core::ports::{CatalogStore, StoreError, UserId};
use giftbuyer_core::{AccountId, CatalogGift, GiftId, Recipient};
use giftbuyer_engine::{Engine, KnownCatalog, ManualBuyError, ManualBuyResult, PollOutcome};
use giftbuyer_http::{BuyError, BuyOutcome, BuyResult, GiftActions, RefreshResult};
use giftbuyer_store::Store;

/// The store's recorded catalog, where the engine finds gifts its last poll did not carry.
pub(super) struct StoreCatalog(pub(super) Store);

#[async_trait]
impl KnownCatalog for StoreCatalog {
    async fn known_gift(&self, gift: GiftId) -> Result<Option<CatalogGift>, StoreError> {
        let known = <Store as CatalogStore>::known_gifts(&self.0)
            .await
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        Ok(known
            .into_iter()
            .find(|entry| entry.gift.id == gift.get())
            .map(|entry| entry.gift))
    }
}

/// The panel's gift actions, over the engine: manual purchases and catalog refreshes.
pub(super) struct EngineGiftActions(pub(super) Arc<Engine>);

#[async_trait]
impl GiftActions for EngineGiftActions {
    async fn buy(
        &self,
        user: UserId,
        account: AccountId,
        recipient: Recipient,
        gift: GiftId,
    ) -> Result<BuyResult, BuyError> {
        let outcome = self
            .0
            .buy_one(user, account, recipient, gift)
            .await
            .map_err(|error| match error {
                // An unknown user cannot own the account, so it answers as the account.
                ManualBuyError::UnknownUser | ManualBuyError::UnknownAccount => {
                    BuyError::NotFound { what: "account" }
                }
                ManualBuyError::UnknownTarget => BuyError::NotFound { what: "target" },
                ManualBuyError::UnknownGift => BuyError::NotFound { what: "gift" },
                ManualBuyError::NotBuyable(reason) => BuyError::NotBuyable {
                    reason: reason.code().to_owned(),
                },
                error @ (ManualBuyError::NotLeader
                | ManualBuyError::Interrupted
                | ManualBuyError::Store(_)) => BuyError::Unavailable(error.to_string()),
            })?;
        Ok(BuyResult {
            run_id: outcome.run_id,
            outcome: match outcome.result {
                ManualBuyResult::Bought => BuyOutcome::Bought,
                ManualBuyResult::Failed(name) => BuyOutcome::Failed(name),
                ManualBuyResult::Unknown => BuyOutcome::Unknown,
            },
        })
    }

    async fn refresh(&self) -> Result<RefreshResult, String> {
        let report = self
            .0
            .refresh_catalog()
            .await
            .map_err(|error| error.to_string())?;
        // Stable codes, not the engine's debug text, so the panel can match on them.
        let outcome = match report.outcome {
            PollOutcome::NoAccount => "no_account",
            PollOutcome::NotModified => "not_modified",
            PollOutcome::Seeded { .. } => "seeded",
            PollOutcome::Updated => "updated",
            PollOutcome::NewGifts { .. } => "new_gifts",
            PollOutcome::FloodWait { .. } => "flood_wait",
            PollOutcome::Failed { error } => return Err(error),
        };
        Ok(RefreshResult {
            outcome: outcome.to_owned(),
        })
    }
}
