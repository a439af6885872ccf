//! `giftbuyer account login`: logs a Telegram account in from the terminal through the
//! `TelegramLogin` port (phone, code, then the password only when Telegram asks for it) and
//! saves it with the same store calls as the panel: the row (phone encrypted), its identity,
//! its session in the vault, then its balance when it connects, and an audit entry.
//!
//! The hidden `--demo` switch logs in to the built-in demo market instead, and prints the
//! code it sends, so that tests drive a whole login through standard input.

use std::sync::Arc;

use anyhow::Context as _;
use giftbuyer_core::Account;
use giftbuyer_core::ports::{
    ApiCredentials, ApiProfileId, ApiProfileStore as _, Clock, Connector, HistoryStore as _,
    LoggedIn, LoginError, LoginId, LoginProgress, LoginStart, NewAccount, SaveLoginError, Secret,
    TelegramLogin, UserId, mask_phone, save_login,
};
use giftbuyer_engine::TokioClock;
use giftbuyer_sim::demo::{DemoOptions, demo_market_config};
use giftbuyer_sim::{Market, SimConnector, SimLogin};
use giftbuyer_store::Store;
use giftbuyer_telegram::connector::{ConnectorConfig, TelegramConnector};
use giftbuyer_telegram::login::{LoginConfig, LoginFlow};
use giftbuyer_telegram::login_port::TelegramLoginPort;
use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory};

use super::prompt::{read_line, read_phone, read_secret};
use crate::store_args::StoreArgs;

/// Tries of a code or a password before the login gives up.
pub(super) const MAX_TRIES: usize = 3;

#[derive(Debug, clap::Args)]
pub(crate) struct LoginArgs {
    /// The panel user who gets the account.
    #[arg(long)]
    user: String,
    /// The id of the user's API profile (api_id and api_hash) the login uses.
    #[arg(long)]
    profile: i64,
    /// Log in to the built-in demo market instead of Telegram; the code is printed, and
    /// +15550002222 has the two-step password `demo-password`.
    #[arg(long, hide = true)]
    demo: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub(super) async fn run(args: &LoginArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.store).await?;
    let result = login(args, &store).await;
    store.close().await;
    result
}

/// The login port and the connector that reads a new account's balance.
struct Telegram {
    login: Arc<dyn TelegramLogin>,
    connector: Arc<dyn Connector>,
    live: Option<Arc<TelegramConnector>>,
}

fn telegram(demo: bool, store: &Store) -> anyhow::Result<Telegram> {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::system());
    if demo {
        // The demo market's standing account with a two-step password lets the password
        // step be tried (`giftbuyer_sim::demo::TWO_FACTOR_PHONE`).
        let config = demo_market_config(&DemoOptions::default(), &[]);
        let market = Market::new(config, clock).context("cannot build the demo market")?;
        return Ok(Telegram {
            login: Arc::new(SimLogin::new(market.clone())),
            connector: Arc::new(SimConnector::new(market, None)),
            live: None,
        });
    }
    let factory: Arc<dyn InvokerFactory> = Arc::new(GrammersFactory::default());
    let holder = format!("giftbuyer-account-login:{}", std::process::id());
    let connector = Arc::new(TelegramConnector::new(
        Arc::new(store.clone()),
        clock,
        factory.clone(),
        ConnectorConfig::new(holder),
    ));
    Ok(Telegram {
        login: Arc::new(TelegramLoginPort::new(LoginFlow::new(
            factory,
            LoginConfig::default(),
        ))),
        connector: connector.clone(),
        live: Some(connector),
    })
}

async fn login(args: &LoginArgs, store: &Store) -> anyhow::Result<()> {
    let (user, name) = super::find_user(store, &args.user).await?;
    let unknown_profile = || format!("unknown api profile {} of user {name}", args.profile);
    let profile_id = ApiProfileId::new(args.profile).with_context(unknown_profile)?;
    let profile = store
        .api_profile(user, profile_id)
        .await
        .with_context(|| format!("cannot read the api profiles of user {name}"))?
        .with_context(unknown_profile)?;
    let telegram = telegram(args.demo, store)?;
    let phone = read_phone()?;
    let start = LoginStart {
        user,
        phone: Secret::new(phone.clone()),
        api: Some(ApiCredentials {
            api_id: profile.api_id,
            api_hash: profile.api_hash,
        }),
    };
    let progress = telegram
        .login
        .start(start)
        .await
        .context("telegram did not send a code")?;
    let LoginProgress::CodeSent {
        login,
        masked_phone,
        demo_code,
        ..
    } = progress
    else {
        anyhow::bail!("the login skipped the code step");
    };
    println!("telegram sent a login code for {masked_phone}");
    if let Some(code) = demo_code {
        println!("demo code: {code}");
    }
    let steps = steps(telegram.login.as_ref(), user, &login).await;
    let done = match steps {
        Ok(done) => done,
        Err(error) => {
            telegram.login.cancel(user, &login).await;
            return Err(error);
        }
    };
    let saved = save(store, user, &name, phone, profile_id, done, &telegram).await;
    if let Some(connector) = &telegram.live {
        connector.shutdown().await;
    }
    saved
}

/// The code, then the password when asked, each tried up to [`MAX_TRIES`] times.
async fn steps(
    port: &dyn TelegramLogin,
    user: UserId,
    login: &LoginId,
) -> anyhow::Result<LoggedIn> {
    let mut progress = None;
    for try_number in 1..=MAX_TRIES {
        let code = read_line("code: ")?;
        match port.submit_code(user, login, Secret::new(code)).await {
            Err(LoginError::InvalidCode) if try_number < MAX_TRIES => {
                eprintln!("the code is not valid; try again");
            }
            answer => {
                progress = Some(answer.context("the code was not accepted")?);
                break;
            }
        }
    }
    let hint = match progress {
        Some(LoginProgress::Done(done)) => return Ok(done),
        Some(LoginProgress::PasswordRequired { hint, .. }) => hint,
        Some(LoginProgress::CodeSent { .. }) => anyhow::bail!("the login asked for a new code"),
        None => anyhow::bail!("the code was not accepted"),
    };
    let prompt = match hint {
        Some(hint) => format!("two-step verification password (hint: {hint}): "),
        None => "two-step verification password: ".to_owned(),
    };
    for try_number in 1..=MAX_TRIES {
        let password = read_secret(&prompt)?;
        match port
            .submit_password(user, login, Secret::new(password))
            .await
        {
            Err(LoginError::InvalidPassword) if try_number < MAX_TRIES => {
                eprintln!("the password is not valid; try again");
            }
            Ok(LoginProgress::Done(done)) => return Ok(done),
            Ok(_) => anyhow::bail!("the login asked for another step after the password"),
            Err(error) => return Err(error).context("the password was not accepted"),
        }
    }
    anyhow::bail!("the password was not accepted")
}

/// Saves the account as the panel does: refused when the Telegram account is already in the
/// user's list; the row is removed again when its identity or session cannot be saved.
async fn save(
    store: &Store,
    user: UserId,
    name: &str,
    phone: String,
    profile: ApiProfileId,
    done: LoggedIn,
    telegram: &Telegram,
) -> anyhow::Result<()> {
    let now = super::now()?;
    let telegram_id = done.profile.account_id;
    let masked = mask_phone(&phone);
    let account = NewAccount {
        phone: Secret::new(phone),
        api_profile: Some(profile),
    };
    let row = match save_login(store, user, account, &done, now).await {
        Ok(row) => row,
        Err(SaveLoginError::AlreadyAdded) => anyhow::bail!(
            "telegram account {} is already added (to user {name} or another user)",
            telegram_id.get()
        ),
        Err(SaveLoginError::Store { error, cleanup }) => {
            if let Some(cleanup) = cleanup {
                eprintln!("warning: could not remove the half-added account: {cleanup}");
            }
            return Err(error).context("cannot save the account");
        }
    };
    save_balance(store, telegram, &done, now).await;
    let detail = format!(
        "added Telegram account {row} ({masked}, Telegram id {}) from the command line",
        telegram_id.get()
    );
    if let Err(error) = store
        .append_audit(user, "account.added", &detail, now)
        .await
    {
        eprintln!("warning: could not write the audit log: {error}");
    }
    let username = done
        .profile
        .username
        .as_deref()
        .map(|name| format!(", @{name}"))
        .unwrap_or_default();
    println!(
        "added telegram account {} ({masked}{username}) to user {name} as account {row}",
        telegram_id.get()
    );
    Ok(())
}

/// Reads and saves the new account's balance, as the panel does; a failure only warns, since
/// the engine refreshes balances anyway.
async fn save_balance(
    store: &Store,
    telegram: &Telegram,
    done: &LoggedIn,
    now: giftbuyer_core::UnixTime,
) {
    use giftbuyer_core::ports::EngineStore as _;
    let balance = match telegram.connector.account(done.profile.account_id).await {
        Ok(account) => account
            .stars_balance()
            .await
            .map_err(|error| error.to_string()),
        Err(error) => Err(error.to_string()),
    };
    let saved = match balance {
        Ok(balance) => {
            let account = Account {
                id: done.profile.account_id,
                balance,
                premium: done.profile.premium,
            };
            store
                .save_account_state(account, now)
                .await
                .map_err(|error| error.to_string())
        }
        Err(error) => Err(error),
    };
    if let Err(error) = saved {
        eprintln!("warning: could not read the account's balance: {error}");
    }
}
