//! The soak's world: users with several accounts and channels on a simulated market that drops
//! a limited gift at a steady pace, with faults injected at random on every kind of call.

use std::collections::BTreeMap;
use std::time::Duration;

use giftbuyer_core::ports::{
    ChannelAccess, ChatId, TelegramError, UserConfig, UserId, UserSettings,
};
use giftbuyer_core::{
    AccountId, Bounds, ChannelId, ExcludeList, GiftId, Recipient, Stars, Target, TargetFilter,
    TargetRowId,
};
use giftbuyer_sim::{
    AccountSpec, BotConfig, Fault, FaultAction, FaultWhen, GiftSpec, MarketConfig, Method,
};

/// The first drop comes after the engine has seeded its catalog.
pub(super) const FIRST_DROP: Duration = Duration::from_secs(60);

/// Time between drops, in virtual time.
pub(super) const DROP_EVERY: Duration = Duration::from_secs(30);

/// A drop leaves the catalog this many drops after its own release (long sold out by then).
pub(super) const RETIRE_AFTER: u32 = 4;

/// The first drop's gift id.
const FIRST_DROP_ID: i64 = 9_000_000;

/// The soak's users, accounts and channels, and the market they buy on.
#[derive(Debug)]
pub(super) struct World {
    pub(super) market: MarketConfig,
    pub(super) bot: BotConfig,
    pub(super) users: Vec<UserConfig>,
    pub(super) drops: Vec<(GiftId, Duration)>,
}

pub(super) fn world(seed: u64, users: u32, accounts: u32, drops: u32) -> anyhow::Result<World> {
    let mut market = MarketConfig::with_seed(seed);
    let mut configs = Vec::new();
    for user in 1..=users {
        let user_id = UserId::new(i64::from(user))?;
        let channel_ids = [channel(user, 1)?, channel(user, 2)?];
        let channels: Vec<Target> = (1..=2)
            .map(|n| {
                Ok(Target {
                    row_id: TargetRowId::new(i64::from(user * 10 + n))?,
                    recipient: Recipient::Channel(channel(user, n)?),
                    filter: TargetFilter {
                        price: Bounds::UNBOUNDED,
                        supply: Bounds::UNBOUNDED,
                    },
                    exclude: ExcludeList::EMPTY,
                    title: None,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let mut ids = Vec::new();
        for n in 1..=accounts {
            let id = account(user, n)?;
            let mut spec = AccountSpec::new(id, Stars::new(1_000_000_000)).premium();
            for channel in channel_ids {
                spec = spec.channel(channel, ChannelAccess::CanPost);
            }
            // Each user's first account may not post in the best channel, so its purchases
            // move to the next one, as a channel error does live.
            if n == 1 {
                spec = spec.channel(channel_ids[0], ChannelAccess::ReadOnly);
            }
            market = market.account(spec);
            ids.push(id);
        }
        // The last user also has new gifts announced, in the DM of their first account, so
        // that announcements and reports share a chat and meet the bot's rate limit.
        let notification_chats = if user == users {
            vec![ChatId::new(ids[0].get())?]
        } else {
            Vec::new()
        };
        configs.push(UserConfig {
            user_id,
            settings: UserSettings {
                autobuy: true,
                notification_chats,
                ..UserSettings::default()
            },
            accounts: ids,
            targets: channels,
        });
    }

    // Rare and dear to mass and cheap, each with a per-user limit so a drop is a few dozen
    // purchases rather than the whole supply.
    let kinds = [
        (2_500, 2_000, 1),
        (500, 5_000, 2),
        (100, 12_000, 3),
        (1_000, 8_000, 2),
    ];
    let mut released = Vec::new();
    for index in 0..drops {
        let (price, supply, limit) = kinds[index as usize % kinds.len()];
        let id = GiftId::new(FIRST_DROP_ID + i64::from(index))?;
        let at = FIRST_DROP + DROP_EVERY * index;
        market = market.gift(
            GiftSpec::limited(id, Stars::new(price), supply)
                .released_at(at)
                .per_user_limit(limit),
        );
        released.push((id, at));
    }
    for fault in faults() {
        market = market.fault(fault);
    }
    market.validate()?;

    // The bot allows one message per chat per second, as the Bot API does in private chats,
    // so reports and announcements meet `429 Too Many Requests`; one chat blocked the bot.
    let mut bot = BotConfig {
        max_per_second_per_chat: Some(1),
        ..BotConfig::default()
    };
    if let Some(last) = configs.first().and_then(|user| user.accounts.last()) {
        bot.blocked.insert(ChatId::new(last.get())?);
    }
    Ok(World {
        market,
        bot,
        users: configs,
        drops: released,
    })
}

fn account(user: u32, n: u32) -> anyhow::Result<AccountId> {
    Ok(AccountId::new(i64::from(user * 1_000 + n))?)
}

fn channel(user: u32, n: u32) -> anyhow::Result<ChannelId> {
    Ok(ChannelId::new(
        -1_001_000_000_000 - i64::from(user * 10 + n),
    )?)
}

/// Faults on every kind of call, each hitting a call with its probability: disconnects and
/// hangs with and without the request carried out, flood waits short (waited out) and long
/// (the account stops), and server errors.
fn faults() -> Vec<Fault> {
    let rpc = |name: &str| {
        FaultAction::Error(TelegramError::Rpc {
            code: 500,
            name: name.to_owned(),
        })
    };
    let hang = |secs, executed| FaultAction::Hang {
        duration: Duration::from_secs(secs),
        executed,
    };
    let flood = |seconds| FaultAction::Error(TelegramError::FloodWait { seconds });
    let table: [(Method, f64, FaultAction); 14] = [
        (
            Method::Buy,
            0.02,
            FaultAction::Disconnect { executed: true },
        ),
        (
            Method::Buy,
            0.02,
            FaultAction::Disconnect { executed: false },
        ),
        // Longer than the engine's purchase timeout (15 s): the answer never comes in time.
        (Method::Buy, 0.01, hang(20, true)),
        (Method::Buy, 0.01, hang(20, false)),
        (Method::Buy, 0.03, flood(2)),
        (Method::Buy, 0.005, flood(60)),
        (Method::Buy, 0.02, rpc("INTERNAL_SERVER_ERROR")),
        (
            Method::Catalog,
            0.03,
            FaultAction::Disconnect { executed: false },
        ),
        (Method::Catalog, 0.01, hang(12, false)),
        (Method::Catalog, 0.02, flood(5)),
        (Method::Catalog, 0.02, rpc("RPC_CALL_FAIL")),
        (
            Method::Balance,
            0.05,
            FaultAction::Disconnect { executed: false },
        ),
        (Method::Profile, 0.05, rpc("INTERNAL_SERVER_ERROR")),
        (
            Method::Sticker,
            0.1,
            FaultAction::Disconnect { executed: false },
        ),
    ];
    table
        .into_iter()
        .map(|(method, p, action)| Fault::new(method, FaultWhen::Probability(p), action))
        .collect()
}

/// The chats each user's reports go to: the DMs of their accounts.
pub(super) fn report_chats(users: &[UserConfig]) -> BTreeMap<UserId, Vec<ChatId>> {
    users
        .iter()
        .map(|user| {
            let chats = user
                .accounts
                .iter()
                .filter_map(|account| ChatId::new(account.get()).ok())
                .collect();
            (user.user_id, chats)
        })
        .collect()
}
