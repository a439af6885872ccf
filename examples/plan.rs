//! Embedding GiftBuyer's core as a library: build a catalog, plan purchases, render the report.
//!
//! Run with `cargo run -p giftbuyer-core --example plan`.

use giftbuyer_core::report::{Execution, Lang, Outcome, Report, Run};
use giftbuyer_core::{
    Account, AccountId, Bounds, CatalogGift, ChannelId, ExcludeList, GiftKind, PlanInput,
    Recipient, Stars, Target, TargetFilter, TargetRowId, UnixTime, plan,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Two accounts: a premium one with more stars, and a regular one.
    let accounts = vec![
        Account {
            id: AccountId::new(1337)?,
            balance: Stars::new(500),
            premium: true,
        },
        Account {
            id: AccountId::new(4242)?,
            balance: Stars::new(120),
            premium: false,
        },
    ];

    // Rare gifts (supply up to 10 000) go to a channel, everything else to the buying account's
    // own profile, and the channel never takes birthday gifts. Bounds and exclude lists are
    // checked on construction, so an inverted range or a bad gift id cannot reach the planner.
    let targets = vec![
        Target {
            row_id: TargetRowId::new(1)?,
            recipient: Recipient::Channel(ChannelId::new(-1001234567890)?),
            filter: TargetFilter {
                price: Bounds::UNBOUNDED,
                supply: Bounds::new(None, Some(10_000), "supply")?,
            },
            exclude: ExcludeList::new([], [GiftKind::Birthday])?,
            title: Some("Rare".to_owned()),
        },
        Target {
            row_id: TargetRowId::new(2)?,
            recipient: Recipient::Buyer,
            filter: TargetFilter::default(),
            exclude: ExcludeList::EMPTY,
            title: Some("Everything else, on my own profile".to_owned()),
        },
    ];

    // Catalog entries as Telegram lists them; the planner validates them itself.
    let gifts = vec![
        CatalogGift {
            id: 5_170_233_102_089_322_756,
            price: 100,
            limited: true,
            supply: Some(5_000),
            remaining: Some(4_200),
            require_premium: true,
            title: Some("Premium rose".to_owned()),
            ..CatalogGift::default()
        },
        CatalogGift {
            id: 5_170_145_012_310_081_615,
            price: 25,
            limited: true,
            supply: Some(600_000),
            remaining: Some(350_000),
            per_user_remains: Some(3),
            title: Some("Mass teddy".to_owned()),
            ..CatalogGift::default()
        },
    ];

    let now = UnixTime::from_secs(1_764_000_000)?;
    let input = PlanInput::new(accounts, targets, gifts)?;
    let plan = plan(&input, now);
    println!("{plan}");

    // An engine would send each operation and record what Telegram answered; here the first
    // purchase goes through and the others find the gift sold out.
    let executions: Vec<Execution> = plan
        .operations
        .iter()
        .enumerate()
        .map(|(index, &operation)| Execution {
            operation,
            outcome: if index == 0 {
                Outcome::Bought
            } else {
                Outcome::Failed("STARGIFT_USAGE_LIMITED".to_owned())
            },
        })
        .collect();
    let report = Report::build(Run {
        new_gifts: input.gifts(),
        accounts: input.accounts(),
        plan: &plan,
        executions: Some(&executions),
    });
    for message in report.messages(Lang::En) {
        println!("{message}\n");
    }
    Ok(())
}
