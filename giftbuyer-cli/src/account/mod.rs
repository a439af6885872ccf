//! `giftbuyer account`: a panel user's Telegram accounts from the terminal: `list` prints
//! them, `login` adds one through the phone, code and password steps (`login.rs`). Both open
//! the store exactly as `serve` does.

mod list;
mod login;
mod prompt;

use anyhow::Context as _;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{UserId, UserStore as _, Username};
use giftbuyer_store::Store;

use crate::store_args::StoreArgs;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum AccountCommand {
    /// Print a user's Telegram accounts: Telegram id, masked phone, username, Premium, stars
    /// and when they were last refreshed.
    List(list::ListArgs),
    /// Log a Telegram account in for a user, in the terminal (phone, code, then the two-step
    /// password if the account has one), and save it with its encrypted session.
    Login(login::LoginArgs),
}

impl AccountCommand {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        match self {
            Self::List(args) => runtime.block_on(list::run(&args)),
            Self::Login(args) => runtime.block_on(login::run(&args)),
        }
    }
}

/// Opens the store of a server that already ran (never creating a master key).
async fn open_store(args: &StoreArgs) -> anyhow::Result<Store> {
    args.open_existing().await
}

/// The panel user named `name` (and the name as stored, in lower case), or an error naming it.
async fn find_user(store: &Store, name: &str) -> anyhow::Result<(UserId, String)> {
    let username = Username::new(name).with_context(|| format!("invalid user name {name:?}"))?;
    let user = store
        .user_by_name(&username)
        .await
        .with_context(|| format!("cannot read user {name}"))?
        .with_context(|| format!("unknown user {name}"))?;
    Ok((user.id, user.username.as_str().to_owned()))
}

/// The current time, as the store records it.
fn now() -> anyhow::Result<UnixTime> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    let secs = i64::try_from(secs).context("the system clock is out of range")?;
    UnixTime::from_secs(secs).context("the system clock is out of range")
}
