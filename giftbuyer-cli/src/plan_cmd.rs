//! `giftbuyer plan`: a dry run of the planner on a scenario file.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use giftbuyer_core::report::{Lang, Report, Run};
use giftbuyer_core::resale::{Recipient, SnipeBuy, SnipePlan};
use giftbuyer_core::{ChannelId, Plan, UnixTime, plan};
use serde::Serialize;

use crate::cli::{Format, PlanArgs};
use crate::input::{read_input, write_stdout};
use crate::scenario;
use crate::scenario_market::BidOutcome;

pub(crate) fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let (source, text) = read_input(&args.input)?;
    let scenario = scenario::parse(&text, system_now()?)
        .with_context(|| format!("invalid scenario in {source}"))?;

    let plan = plan(&scenario.input, scenario.now);
    let report = Report::build(Run {
        new_gifts: scenario.input.gifts(),
        accounts: scenario.input.accounts(),
        plan: &plan,
        executions: None,
    });
    let lang = Lang::from(args.lang);
    let accounts = scenario.input.accounts();
    let snipes = scenario.market.snipes(accounts);
    let bids = scenario
        .market
        .bids(accounts, scenario.now)
        .with_context(|| format!("invalid scenario in {source}"))?;
    let output = match args.format {
        Format::Text => {
            let mut text = format!("{plan}\n{}", report.render(lang));
            if !scenario.market.is_empty() {
                text.push_str(&market_text(&snipes, &bids));
            }
            text
        }
        Format::Json => {
            let mut out = PlanJson::new(&plan, report.render(lang));
            out.resale_buys = snipes.buys.iter().map(ResaleBuyJson::from).collect();
            out.resale_skips = snipes
                .skips
                .iter()
                .map(|skip| ResaleSkipJson {
                    watch_id: skip.watch_id.get(),
                    slug: skip.slug.clone(),
                    reason: skip.reason.code(),
                })
                .collect();
            out.bids = bids.iter().map(BidJson::from).collect();
            let mut json =
                serde_json::to_string_pretty(&out).context("cannot encode the plan as JSON")?;
            json.push('\n');
            json
        }
    };
    write_stdout(&output)
}

fn system_now() -> anyhow::Result<UnixTime> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    let secs = i64::try_from(secs).context("the system clock is out of range")?;
    Ok(UnixTime::from_secs(secs)?)
}

/// The resale and bidding decisions as text, after the plan and its report.
fn market_text(snipes: &SnipePlan, bids: &[BidOutcome]) -> String {
    let mut out = String::from("\nresale:\n");
    if snipes.buys.is_empty() && snipes.skips.is_empty() {
        out.push_str("  nothing to buy\n");
    }
    for buy in &snipes.buys {
        out.push_str(&format!(
            "  buy {} ({}) for watch {} from acc={} → {}\n",
            buy.slug, buy.price, buy.watch_id, buy.account_id, buy.recipient
        ));
    }
    for skip in &snipes.skips {
        out.push_str(&format!(
            "  skip {} for watch {}: {}\n",
            skip.slug, skip.watch_id, skip.reason
        ));
    }
    out.push_str("bids:\n");
    if bids.is_empty() {
        out.push_str("  no auction plans\n");
    }
    for bid in bids {
        let what = match bid.decision {
            Ok((total, false)) => format!("bid {total}"),
            Ok((total, true)) => format!("raise to {total}"),
            Err(hold) => format!("hold: {hold}"),
        };
        out.push_str(&format!(
            "  gift={} acc={}: {what}\n",
            bid.gift_id, bid.account_id
        ));
    }
    out
}

/// The JSON shape of `--format json`, documented in the README.
#[derive(Serialize)]
struct PlanJson {
    operations: Vec<OperationJson>,
    skips: Vec<SkipJson>,
    deferred: Vec<DeferredJson>,
    report: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resale_buys: Vec<ResaleBuyJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resale_skips: Vec<ResaleSkipJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bids: Vec<BidJson>,
}

#[derive(Serialize)]
struct ResaleBuyJson {
    watch_id: i64,
    slug: String,
    price: u64,
    account_id: i64,
    /// A channel in Bot API form, or absent for the buying account itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    to_channel_id: Option<i64>,
    /// A Telegram user by username, or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    to_username: Option<String>,
}

impl From<&SnipeBuy> for ResaleBuyJson {
    fn from(buy: &SnipeBuy) -> Self {
        Self {
            watch_id: buy.watch_id.get(),
            slug: buy.slug.clone(),
            price: buy.price.get(),
            account_id: buy.account_id.get(),
            to_channel_id: match buy.recipient {
                Recipient::Channel(channel) => Some(channel.get()),
                Recipient::Buyer | Recipient::User(_) => None,
            },
            to_username: match buy.recipient {
                Recipient::User(user) => Some(user.as_str().to_owned()),
                Recipient::Channel(_) | Recipient::Buyer => None,
            },
        }
    }
}

#[derive(Serialize)]
struct ResaleSkipJson {
    watch_id: i64,
    slug: String,
    reason: &'static str,
}

#[derive(Serialize)]
struct BidJson {
    gift_id: i64,
    account_id: i64,
    /// `bid`, `raise` or `hold`.
    decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    /// Why it holds: `off`, `not_started`, `over`, `done`, `winning`, `above_max`,
    /// `over_budget` or `no_slots`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

impl From<&BidOutcome> for BidJson {
    fn from(bid: &BidOutcome) -> Self {
        let (decision, total, reason) = match bid.decision {
            Ok((total, false)) => ("bid", Some(total.get()), None),
            Ok((total, true)) => ("raise", Some(total.get()), None),
            Err(hold) => ("hold", None, Some(hold.code())),
        };
        Self {
            gift_id: bid.gift_id.get(),
            account_id: bid.account_id.get(),
            decision,
            total,
            reason,
        }
    }
}

#[derive(Serialize)]
struct OperationJson {
    account_id: i64,
    /// The receiving channel; null for the buying account itself or a person.
    channel_id: Option<i64>,
    /// The receiving person's username; null for a channel or the buying account itself.
    username: Option<String>,
    gift_id: i64,
    price: u64,
    supply: u64,
}

#[derive(Serialize)]
struct SkipJson {
    gift_id: i64,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<i64>,
}

#[derive(Serialize)]
struct DeferredJson {
    gift_id: i64,
    account_id: i64,
    channel_id: Option<i64>,
    username: Option<String>,
    until: i64,
}

impl PlanJson {
    fn new(plan: &Plan, report: String) -> Self {
        Self {
            operations: plan
                .operations
                .iter()
                .map(|op| OperationJson {
                    account_id: op.account_id.get(),
                    channel_id: op.recipient.channel().map(ChannelId::get),
                    username: username(op.recipient),
                    gift_id: op.gift_id.get(),
                    price: op.price.get(),
                    supply: op.supply,
                })
                .collect(),
            skips: plan
                .skips
                .iter()
                .map(|skip| SkipJson {
                    gift_id: skip.gift_id,
                    reason: skip.reason.code(),
                    account_id: skip.account_id.map(|id| id.get()),
                })
                .collect(),
            deferred: plan
                .deferred
                .iter()
                .map(|entry| DeferredJson {
                    gift_id: entry.gift_id.get(),
                    account_id: entry.account_id.get(),
                    channel_id: entry.recipient.channel().map(ChannelId::get),
                    username: username(entry.recipient),
                    until: entry.until.secs(),
                })
                .collect(),
            report,
            resale_buys: Vec::new(),
            resale_skips: Vec::new(),
            bids: Vec::new(),
        }
    }
}

/// The receiving person's username, for the JSON output.
fn username(recipient: Recipient) -> Option<String> {
    recipient.user().map(|user| user.as_str().to_owned())
}
