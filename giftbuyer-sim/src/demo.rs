//! The built-in demo market of `giftbuyer serve --demo`: a standing catalog and a new limited
//! drop every few minutes, so a newcomer sees the real flows without Telegram credentials.

use std::time::Duration;

use giftbuyer_core::{GiftId, Stars};

use crate::{GiftSpec, LoginConfig, MarketConfig};

/// How the demo market behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Time between two drops; the first comes after `first_drop`.
    pub drop_every: Duration,
    pub first_drop: Duration,
    /// How many drops are scheduled; at three minutes apart, 400 last twenty hours.
    pub drops: u32,
    pub seed: u64,
    /// What an account created by a demo login starts with.
    pub starting_balance: Stars,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            drop_every: Duration::from_secs(180),
            first_drop: Duration::from_secs(60),
            drops: 400,
            seed: 2026,
            starting_balance: Stars::new(50_000),
        }
    }
}

/// The drops cycle through these: (title, price in stars, supply, premium only, per-user
/// limit). Prices and supplies follow real drops, from rare and dear to mass and cheap.
const DROPS: [(&str, u64, u64, bool, Option<u64>); 8] = [
    ("Plush Pepe", 30_000, 5_000, true, None),
    ("Jelly Bunny", 2_500, 5_000, false, Some(3)),
    ("Precious Peach", 10_000, 12_000, false, None),
    ("Snow Globe", 5_000, 15_000, false, Some(5)),
    ("Lol Pop", 1_000, 120_000, false, None),
    ("Signet Ring", 50_000, 2_000, true, Some(1)),
    ("Desk Calendar", 200, 600_000, false, None),
    ("Jack-in-the-Box", 500, 80_000, false, Some(10)),
];

/// The first drop's gift id; drops count up from it.
const FIRST_DROP_ID: i64 = 7_000_000_000_000_000_001;

/// The demo market's configuration.
pub fn demo_market_config(options: &DemoOptions) -> MarketConfig {
    let mut config = MarketConfig::with_seed(options.seed);
    let standing = [
        (5_170_145_012_310_081_615_i64, "Heart", 15),
        (5_168_103_777_563_050_263, "Teddy Bear", 15),
        (5_170_250_947_678_437_525, "Gift Box", 25),
        (5_170_564_780_938_756_245, "Rocket", 50),
    ];
    for (id, title, price) in standing {
        if let Ok(id) = GiftId::new(id) {
            config = config.gift(GiftSpec::unlimited(id, Stars::new(price)).title(title));
        }
    }
    for index in 0..options.drops {
        let (title, price, supply, premium, per_user) = DROPS[index as usize % DROPS.len()];
        let Ok(id) = GiftId::new(FIRST_DROP_ID + i64::from(index)) else {
            continue;
        };
        let mut gift = GiftSpec::limited(id, Stars::new(price), supply)
            .released_at(options.first_drop + options.drop_every * index)
            .title(title);
        if premium {
            gift = gift.premium_only();
        }
        if let Some(limit) = per_user {
            gift = gift.per_user_limit(limit);
        }
        config = config.gift(gift);
    }
    config.login = LoginConfig {
        starting_balance: options.starting_balance,
        // A newcomer adds their own channels, which the demo cannot know in advance.
        any_channel: true,
        ..LoginConfig::default()
    };
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_come_at_their_interval_and_the_config_is_valid() {
        let options = DemoOptions {
            drops: 10,
            ..DemoOptions::default()
        };
        let config = demo_market_config(&options);
        assert_eq!(config.validate(), Ok(()));
        let limited: Vec<&GiftSpec> = config
            .gifts
            .iter()
            .filter(|gift| gift.supply.is_some())
            .collect();
        assert_eq!(limited.len(), 10);
        assert_eq!(limited[0].release_at, Duration::from_secs(60));
        assert_eq!(limited[9].release_at, Duration::from_secs(60 + 9 * 180));
        assert_eq!(config.login.starting_balance, Stars::new(50_000));
        assert!(config.login.any_channel);
    }
}
