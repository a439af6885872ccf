//! `giftbuyer account list`: a user's accounts as text (one line each) or JSON.

use anyhow::Context as _;
use giftbuyer_core::ports::{AccountRecord, AccountStore as _, mask_phone};
use serde::Serialize;

use crate::cli::Format;
use crate::store_args::StoreArgs;

#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// The panel user whose accounts to print.
    #[arg(long)]
    user: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    store: StoreArgs,
}

/// One account as `--format json` prints it; the phone is masked, as in the panel.
#[derive(Debug, Serialize)]
struct AccountLine {
    id: i64,
    telegram_id: Option<i64>,
    masked_phone: String,
    username: Option<String>,
    premium: bool,
    premium_until: Option<i64>,
    stars: Option<u64>,
    stars_refreshed_at: Option<i64>,
    logged_in: bool,
}

impl AccountLine {
    fn new(record: &AccountRecord) -> Self {
        Self {
            id: record.row_id.get(),
            telegram_id: record.telegram_id.map(|id| id.get()),
            masked_phone: mask_phone(record.phone.expose()),
            username: record.username.clone(),
            premium: record.premium,
            premium_until: record.premium_until.map(|until| until.secs()),
            stars: record.balance.map(|stars| stars.get()),
            stars_refreshed_at: record.balance_at.map(|at| at.secs()),
            logged_in: record.logged_in,
        }
    }
}

pub(super) async fn run(args: &ListArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.store).await?;
    let listed = async {
        let (user, name) = super::find_user(&store, &args.user).await?;
        let accounts = store
            .accounts(user)
            .await
            .with_context(|| format!("cannot read the accounts of user {name}"))?;
        anyhow::Ok((name, accounts))
    }
    .await;
    store.close().await;
    let (name, accounts) = listed?;
    match args.format {
        Format::Json => {
            let lines: Vec<AccountLine> = accounts.iter().map(AccountLine::new).collect();
            let json = serde_json::to_string_pretty(&serde_json::json!({ "accounts": lines }))
                .context("cannot write the accounts as json")?;
            println!("{json}");
        }
        Format::Text if accounts.is_empty() => {
            println!("user {name} has no telegram accounts");
        }
        Format::Text => {
            for record in &accounts {
                println!("{}", text_line(record));
            }
        }
    }
    Ok(())
}

/// `#2  telegram 1337  +1555****234  @alice  premium until 2026-01-01 00:00:00 UTC  50000 stars
/// (refreshed 2025-11-26 15:00:00 UTC)`.
fn text_line(record: &AccountRecord) -> String {
    let telegram = record.telegram_id.map_or_else(
        || "telegram id unknown".to_owned(),
        |id| format!("telegram {}", id.get()),
    );
    let username = record
        .username
        .as_deref()
        .map_or_else(|| "no username".to_owned(), |name| format!("@{name}"));
    let premium = match (record.premium, record.premium_until) {
        (false, _) => "no premium".to_owned(),
        (true, None) => "premium".to_owned(),
        (true, Some(until)) => format!("premium until {until}"),
    };
    let stars = match (record.balance, record.balance_at) {
        (Some(stars), Some(at)) => format!("{} stars (refreshed {at})", stars.get()),
        (Some(stars), None) => format!("{} stars", stars.get()),
        (None, _) => "stars unknown".to_owned(),
    };
    let session = if record.logged_in {
        ""
    } else {
        "  not logged in"
    };
    format!(
        "#{}  {telegram}  {}  {username}  {premium}  {stars}{session}",
        record.row_id.get(),
        mask_phone(record.phone.expose()),
    )
}
