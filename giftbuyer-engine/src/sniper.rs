//! The resale sniper: polls the resale listings of every watched gift type, decides with the
//! core's `plan_snipes` which listings to buy, and buys them through the resale journal.
//!
//! Each tick reads the watches and the users, then polls each watched gift type once, from one
//! account of the users watching it, taking turns so that polls spread over the accounts; an
//! account told to wait (`FLOOD_WAIT`) is skipped until its wait, plus a small jitter, is over,
//! and the next account polls instead. A listing is journaled as planned before its purchase
//! is sent, moved to sending by a compare-and-set, and to its outcome after; an unanswered
//! purchase is `unknown` and never sent again, and an item is journaled once per user unless
//! every earlier attempt failed, so no listing is ever paid twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use giftbuyer_core::ports::{
    Clock, Connector, EngineStore, ErrorClass, JournalStatus, ResalePage, ResalePurchaseRequest,
    ResaleStore, StoreError, TelegramAccount, TelegramError, UserConfig, UserId, UserWatch,
};
use giftbuyer_core::report::{ResaleLine, resale_report};
use giftbuyer_core::resale::{Recipient, ResaleListing, ResaleWatch, SnipeBuy, plan_snipes};
use giftbuyer_core::{Account, AccountId, GiftId, Stars};
use tokio::sync::broadcast;

use crate::EngineEvent;
use crate::side_workers::{flood_jitter, spawn_report};

/// How the sniper polls and buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SniperConfig {
    /// Listings of one gift type asked for per poll, cheapest first (Telegram allows 100).
    pub page_size: i32,
    /// A purchase without an answer after this long is `unknown` and not resent.
    pub purchase_timeout: Duration,
    /// Timeout of a poll, a balance or a profile.
    pub call_timeout: Duration,
    /// Balances and Premium older than this are fetched again before planning.
    pub balance_max_age: Duration,
    /// The most added to a flood wait, so accounts told to wait together do not all come back
    /// at the same instant.
    pub flood_jitter: Duration,
}

impl Default for SniperConfig {
    fn default() -> Self {
        Self {
            page_size: 50,
            purchase_timeout: Duration::from_secs(15),
            call_timeout: Duration::from_secs(10),
            balance_max_age: Duration::from_secs(60),
            flood_jitter: Duration::from_millis(500),
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SnipeTick {
    /// Gift types polled with an answer.
    pub polls: u32,
    /// Gift types that could not be polled (every account waiting, or errors).
    pub missed_polls: u32,
    pub listings_seen: usize,
    pub sent: u32,
    pub bought: u32,
    pub failed: u32,
    pub unknown: u32,
}

/// What the sniper remembers between ticks.
#[derive(Debug, Default)]
struct SniperState {
    /// Turns taken by pollers, per gift type.
    turns: HashMap<GiftId, usize>,
    /// Until when (engine time) an account must not poll.
    flood_until: HashMap<AccountId, Duration>,
    /// Each account's balance and Premium, and when they were read.
    accounts: HashMap<AccountId, (Account, Duration)>,
    /// Accounts a recipient refused (a channel they are not in or may not post in, a username
    /// nobody holds), until when (engine time): they are not planned for that recipient again
    /// until then, so one account without rights, or a gone username, does not fail every tick.
    refused: HashMap<(AccountId, Recipient), Duration>,
}

/// How long a recipient's refusal of an account is believed before the account is tried for it
/// again (its rights may have been granted, or the username taken, meanwhile).
const REFUSAL_MEMORY: Duration = Duration::from_secs(600);

/// The resale sniper over the ports.
pub struct ResaleSniper {
    resale: Arc<dyn ResaleStore>,
    store: Arc<dyn EngineStore>,
    connector: Arc<dyn Connector>,
    clock: Arc<dyn Clock>,
    config: SniperConfig,
    state: Mutex<SniperState>,
    events: Option<broadcast::Sender<EngineEvent>>,
}

impl std::fmt::Debug for ResaleSniper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResaleSniper")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// How one purchase ended.
enum BuyOutcome {
    /// Not sent: already journaled, or another instance moved it first.
    Skipped,
    Bought,
    Failed,
    Unknown,
}

impl ResaleSniper {
    pub fn new(
        resale: Arc<dyn ResaleStore>,
        store: Arc<dyn EngineStore>,
        connector: Arc<dyn Connector>,
        clock: Arc<dyn Clock>,
        config: SniperConfig,
    ) -> Self {
        Self {
            resale,
            store,
            connector,
            clock,
            config,
            state: Mutex::new(SniperState::default()),
            events: None,
        }
    }

    /// Publishes each purchase's end as [`EngineEvent::ResalePurchaseDone`] on `events` (the
    /// engine's [`crate::Engine::publisher`]), for live views.
    #[must_use]
    pub fn with_events(mut self, events: broadcast::Sender<EngineEvent>) -> Self {
        self.events = Some(events);
        self
    }

    fn state(&self) -> MutexGuard<'_, SniperState> {
        // The state is a cache of turns, waits and balances: losing a half-made update to a
        // panic costs at most one poll, so a poisoned lock is recovered.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After a crash: purchases left sending are `unknown` (never resent), planned ones failed.
    pub async fn recover(&self) -> Result<(u64, u64), StoreError> {
        self.resale.recover_resale(self.clock.unix_now()).await
    }

    /// Polls every watched gift type once and buys what the watches want.
    pub async fn tick(&self) -> Result<SnipeTick, StoreError> {
        let mut tick = SnipeTick::default();
        let configs: HashMap<UserId, UserConfig> = self
            .store
            .users()
            .await?
            .into_iter()
            .map(|user| (user.user_id, user))
            .collect();
        let accounts_of = |user: &UserId| {
            configs
                .get(user)
                .map_or(&[][..], |config| config.accounts.as_slice())
        };
        let mut by_gift: BTreeMap<GiftId, Vec<UserWatch>> = BTreeMap::new();
        for watch in self.resale.resale_watches().await? {
            if watch.watch.wanted() > 0 && !accounts_of(&watch.user_id).is_empty() {
                by_gift.entry(watch.watch.gift_id).or_default().push(watch);
            }
        }
        for (gift, watches) in by_gift {
            let owners: BTreeSet<UserId> = watches.iter().map(|watch| watch.user_id).collect();
            let pollers: BTreeSet<AccountId> =
                owners.iter().flat_map(&accounts_of).copied().collect();
            let Some(page) = self
                .poll(gift, &pollers.into_iter().collect::<Vec<_>>())
                .await
            else {
                tick.missed_polls += 1;
                continue;
            };
            tick.polls += 1;
            tick.listings_seen += page.listings.len();
            // Users are served in id order; an item one of them has just sent a purchase for
            // is not offered to the next, who would only be told it is gone.
            let mut listings = page.listings;
            for user in owners {
                let user_watches: Vec<ResaleWatch> = watches
                    .iter()
                    .filter(|watch| watch.user_id == user)
                    .map(|watch| watch.watch.clone())
                    .collect();
                let accounts = self.accounts(accounts_of(&user)).await;
                let buys = self.plan_for(&user_watches, &listings, accounts);
                let sent: BTreeSet<String> = buys.iter().map(|buy| buy.slug.clone()).collect();
                let lines = self.buy_all(user, buys, &mut tick).await?;
                listings.retain(|listing| !sent.contains(&listing.slug));
                if let Some(config) = configs.get(&user) {
                    self.report(config, &lines).await;
                }
            }
        }
        Ok(tick)
    }

    /// The purchases for one user's watches: planned per receiver, each with the accounts that
    /// receiver did not refuse lately, in the order of the receivers' oldest watch; what one receiver's
    /// plan spends and takes is gone for the next.
    fn plan_for(
        &self,
        watches: &[ResaleWatch],
        listings: &[ResaleListing],
        mut accounts: Vec<Account>,
    ) -> Vec<SnipeBuy> {
        let now = self.clock.elapsed();
        let refused: HashMap<(AccountId, Recipient), Duration> = {
            let mut state = self.state();
            state.refused.retain(|_, until| *until > now);
            state.refused.clone()
        };
        let mut recipients: Vec<Recipient> = Vec::new();
        for watch in watches {
            if !recipients.contains(&watch.recipient) {
                recipients.push(watch.recipient);
            }
        }
        let mut listings = listings.to_vec();
        let mut buys = Vec::new();
        for recipient in recipients {
            let group: Vec<ResaleWatch> = watches
                .iter()
                .filter(|watch| watch.recipient == recipient)
                .cloned()
                .collect();
            let usable: Vec<Account> = accounts
                .iter()
                .filter(|account| !refused.contains_key(&(account.id, recipient)))
                .copied()
                .collect();
            let plan = plan_snipes(&group, &listings, &usable);
            for buy in &plan.buys {
                if let Some(account) = accounts
                    .iter_mut()
                    .find(|account| account.id == buy.account_id)
                {
                    account.balance = account.balance.saturating_sub(buy.price);
                }
            }
            listings.retain(|listing| plan.buys.iter().all(|buy| buy.slug != listing.slug));
            buys.extend(plan.buys);
        }
        buys
    }

    /// One page of `gift`'s listings from the next account whose turn it is and that is not
    /// waiting out a flood; `None` when no account could answer.
    async fn poll(&self, gift: GiftId, pollers: &[AccountId]) -> Option<ResalePage> {
        if pollers.is_empty() {
            return None;
        }
        let start = {
            let mut state = self.state();
            let turn = state.turns.entry(gift).or_insert(0);
            let start = *turn % pollers.len();
            *turn = turn.wrapping_add(1);
            start
        };
        for offset in 0..pollers.len() {
            let account_id = pollers[(start + offset) % pollers.len()];
            let now = self.clock.elapsed();
            let waiting = self
                .state()
                .flood_until
                .get(&account_id)
                .is_some_and(|until| *until > now);
            if waiting {
                continue;
            }
            let Ok(account) = self.connector.account(account_id).await else {
                continue;
            };
            let answer = tokio::time::timeout(
                self.config.call_timeout,
                account.resale_listings(gift, "", self.config.page_size),
            )
            .await;
            match answer {
                Ok(Ok(page)) => return Some(page),
                Ok(Err(TelegramError::FloodWait { seconds })) => {
                    let until = now
                        + Duration::from_secs(u64::from(seconds))
                        + flood_jitter(self.config.flood_jitter, account_id, seconds);
                    self.state().flood_until.insert(account_id, until);
                    tracing::info!(account = %account_id, seconds, "resale polls wait out a flood limit");
                }
                Ok(Err(error)) => {
                    tracing::warn!(account = %account_id, gift = %gift, %error, "a resale poll failed");
                }
                Err(_) => {
                    tracing::warn!(account = %account_id, gift = %gift, "a resale poll timed out");
                }
            }
        }
        None
    }

    /// The accounts' balances and Premium, fetched again when older than the limit; an account
    /// that cannot be read is left out of this tick.
    async fn accounts(&self, ids: &[AccountId]) -> Vec<Account> {
        let mut accounts = Vec::with_capacity(ids.len());
        for &id in ids {
            let now = self.clock.elapsed();
            let cached = self
                .state()
                .accounts
                .get(&id)
                .filter(|(_, at)| now.saturating_sub(*at) < self.config.balance_max_age)
                .map(|(account, _)| *account);
            if let Some(account) = cached {
                accounts.push(account);
                continue;
            }
            if let Some(account) = self.read_account(id).await {
                self.state().accounts.insert(id, (account, now));
                accounts.push(account);
            }
        }
        accounts
    }

    async fn read_account(&self, id: AccountId) -> Option<Account> {
        let port = self.connector.account(id).await.ok()?;
        let timeout = self.config.call_timeout;
        let (balance, profile) = tokio::join!(
            tokio::time::timeout(timeout, port.stars_balance()),
            tokio::time::timeout(timeout, port.profile()),
        );
        Some(Account {
            id,
            balance: balance.ok()?.ok()?,
            premium: profile.ok()?.ok()?.premium,
        })
    }

    /// Sends every planned purchase at once: each is a different item, and the plan already
    /// kept each account within its balance.
    async fn buy_all(
        &self,
        user: UserId,
        buys: Vec<SnipeBuy>,
        tick: &mut SnipeTick,
    ) -> Result<Vec<ResaleLine>, StoreError> {
        let outcomes = futures_util::future::join_all(buys.into_iter().map(|buy| async move {
            let outcome = self.buy(user, buy.clone()).await;
            (buy, outcome)
        }))
        .await;
        let mut lines = Vec::new();
        for (buy, outcome) in outcomes {
            let (outcome, error) = outcome?;
            let status = match outcome {
                BuyOutcome::Skipped => None,
                BuyOutcome::Bought => Some(JournalStatus::Bought),
                BuyOutcome::Failed => Some(JournalStatus::Failed),
                BuyOutcome::Unknown => Some(JournalStatus::Unknown),
            };
            if let Some(status) = status {
                if let Some(events) = &self.events {
                    let outcome = match status {
                        JournalStatus::Bought => "bought".to_owned(),
                        JournalStatus::Unknown => "unknown".to_owned(),
                        _ => error.clone().unwrap_or_else(|| "failed".to_owned()),
                    };
                    // Nobody listening is not an error.
                    let _ = events.send(EngineEvent::ResalePurchaseDone {
                        user,
                        account: buy.account_id,
                        slug: buy.slug.clone(),
                        outcome,
                    });
                }
                lines.push(ResaleLine { buy, status, error });
            }
            match outcome {
                BuyOutcome::Skipped => {}
                BuyOutcome::Bought => {
                    tick.sent += 1;
                    tick.bought += 1;
                }
                BuyOutcome::Failed => {
                    tick.sent += 1;
                    tick.failed += 1;
                }
                BuyOutcome::Unknown => {
                    tick.sent += 1;
                    tick.unknown += 1;
                }
            }
        }
        Ok(lines)
    }

    /// Tells the user's notification chats what was bought, through the user's bot.
    async fn report(&self, user: &UserConfig, lines: &[ResaleLine]) {
        if let Some(text) = resale_report(lines, user.settings.report_lang) {
            spawn_report(
                &self.connector,
                user,
                text,
                self.config.call_timeout,
                "resale report",
            )
            .await;
        }
    }

    /// One purchase through the journal: planned, then sending (compare-and-set), then sent
    /// once, then its outcome.
    async fn buy(
        &self,
        user: UserId,
        buy: SnipeBuy,
    ) -> Result<(BuyOutcome, Option<String>), StoreError> {
        let Some(id) = self
            .resale
            .plan_resale(user, &buy, self.clock.unix_now())
            .await?
        else {
            return Ok((BuyOutcome::Skipped, None));
        };
        let account = match self.connector.account(buy.account_id).await {
            Ok(account) => account,
            Err(error) => {
                let name = error.name();
                self.resale
                    .transition_resale(
                        id,
                        JournalStatus::Planned,
                        JournalStatus::Failed,
                        Some(&name),
                        self.clock.unix_now(),
                    )
                    .await?;
                return Ok((BuyOutcome::Failed, Some(name.into_owned())));
            }
        };
        let moved = self
            .resale
            .transition_resale(
                id,
                JournalStatus::Planned,
                JournalStatus::Sending,
                None,
                self.clock.unix_now(),
            )
            .await?;
        if !moved {
            return Ok((BuyOutcome::Skipped, None));
        }
        let (status, error, outcome) = self.send(account.as_ref(), &buy).await;
        if status == JournalStatus::Bought || status == JournalStatus::Unknown {
            // What may have been paid leaves the cached balance, so the next plan of this tick
            // or the next does not count on it.
            if let Some((account, _)) = self.state().accounts.get_mut(&buy.account_id) {
                account.balance = account.balance.saturating_sub(buy.price);
            }
        }
        self.resale
            .transition_resale(
                id,
                JournalStatus::Sending,
                status,
                error.as_deref(),
                self.clock.unix_now(),
            )
            .await?;
        Ok((outcome, error))
    }

    async fn send(
        &self,
        account: &dyn TelegramAccount,
        buy: &SnipeBuy,
    ) -> (JournalStatus, Option<String>, BuyOutcome) {
        let request = ResalePurchaseRequest {
            slug: buy.slug.clone(),
            recipient: buy.recipient,
            price: buy.price,
        };
        match tokio::time::timeout(self.config.purchase_timeout, account.buy_resale(request)).await
        {
            Ok(Ok(_receipt)) => (JournalStatus::Bought, None, BuyOutcome::Bought),
            Ok(Err(error)) if error.class() == ErrorClass::Uncertain => (
                JournalStatus::Unknown,
                Some(error.name().into_owned()),
                BuyOutcome::Unknown,
            ),
            Ok(Err(error)) => {
                if error.class() == ErrorClass::AccountStopped
                    && let Some((account, _)) = self.state().accounts.get_mut(&buy.account_id)
                {
                    // Telegram says the stars are not there: plan with none until re-read.
                    account.balance = Stars::ZERO;
                }
                if error.class() == ErrorClass::Recipient {
                    let until = self.clock.elapsed() + REFUSAL_MEMORY;
                    self.state()
                        .refused
                        .insert((buy.account_id, buy.recipient), until);
                }
                (
                    JournalStatus::Failed,
                    Some(error.name().into_owned()),
                    BuyOutcome::Failed,
                )
            }
            Err(_) => (
                JournalStatus::Unknown,
                Some("timeout".to_owned()),
                BuyOutcome::Unknown,
            ),
        }
    }
}
