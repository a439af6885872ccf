//! `giftbuyer plan`: a dry run of the planner on a scenario file.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use giftbuyer_core::report::{Lang, Report, Run};
use giftbuyer_core::{Plan, UnixTime, plan};
use serde::Serialize;

use crate::cli::{Format, PlanArgs};
use crate::input::{read_input, write_stdout};
use crate::scenario;

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
    let output = match args.format {
        Format::Text => format!("{plan}\n{}", report.render(lang)),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&PlanJson::new(&plan, report.render(lang)))
                .context("cannot encode the plan as JSON")?;
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

/// The JSON shape of `--format json`, documented in the README.
#[derive(Serialize)]
struct PlanJson {
    operations: Vec<OperationJson>,
    skips: Vec<SkipJson>,
    deferred: Vec<DeferredJson>,
    report: String,
}

#[derive(Serialize)]
struct OperationJson {
    account_id: i64,
    channel_id: i64,
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
    channel_id: i64,
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
                    channel_id: op.channel_id.get(),
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
                    channel_id: entry.channel_id.get(),
                    until: entry.until.secs(),
                })
                .collect(),
            report,
        }
    }
}
