//! `giftbuyer simulate --over-mtproto`: the same drop and the same engine as `simulate`, but
//! every account is the real adapter (`MtprotoAccount` over grammers' sender) talking MTProto
//! 2.0 over loopback TCP to a loopback Telegram (`giftbuyer-tgserver`) in front of the drop's
//! market. Only the bot stays simulated, since the Bot API is not MTProto.
//!
//! Sockets cannot run on a virtual clock, so this runs in real time: the market, the engine and
//! the server share one system clock, and a drop file's `duration_ms` is wall time.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{
    BotError, Clock, Connector, MtprotoSession, NotificationBot, Secret, TelegramAccount,
    TelegramError, UserId,
};
use giftbuyer_core::report::Lang;
use giftbuyer_engine::TokioClock;
use giftbuyer_sim::drop_file::DropFile;
use giftbuyer_sim::{Market, SimBot};
use giftbuyer_telegram::account::{AccountConfig, MtprotoAccount};
use giftbuyer_telegram::dc_override::DcOverride as _;
use giftbuyer_telegram::session::{self, DiscardSink, StoredSession};
use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory as _};
use giftbuyer_tgserver::{AuthKey, KeyRing, MarketBackend, ServerOptions, Stats, TgServer};
use grammers_tl_types::{Identifiable as _, functions};

use crate::cli::StrategyArg;
use crate::simulate_cmd::{Mode, SimulationResult, WireCalls, drive, engine, summarize};

/// The API id the sessions connect with: the loopback Telegram accepts any.
const API_ID: i32 = 1;

pub(crate) fn run(
    scenario: DropFile,
    strategy: StrategyArg,
    lang: Lang,
) -> anyhow::Result<SimulationResult> {
    // Several threads, as `giftbuyer serve` runs: the server's connections, grammers' senders
    // and the engine are all tasks of this one runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the simulation runtime")?;
    runtime.block_on(simulate(scenario, strategy, lang))
}

async fn simulate(
    scenario: DropFile,
    strategy: StrategyArg,
    lang: Lang,
) -> anyhow::Result<SimulationResult> {
    // The drop's offsets count from now; its `start_unix` cannot apply to a real clock.
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::system());
    let market = Market::new(scenario.config.clone(), clock.clone()).context("invalid market")?;
    let backend = MarketBackend::new(market.clone(), ServerOptions::default().dcs);
    let server = TgServer::start(
        ServerOptions::default(),
        KeyRing::in_memory(),
        Arc::new(backend),
    )
    .await
    .context("cannot start the loopback telegram")?;

    let factory = GrammersFactory::default();
    let mut accounts: HashMap<AccountId, Arc<dyn TelegramAccount>> = HashMap::new();
    for account in market.accounts() {
        let id = account.account_id();
        let session = logged_in_session(&server, id)?;
        let invoker = factory
            .connect(Arc::clone(&session), API_ID)
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(|| format!("cannot connect account {id} to the loopback telegram"))?;
        let adapter = MtprotoAccount::new(id, invoker, session, AccountConfig::default());
        accounts.insert(id, Arc::new(adapter));
    }
    let connector = Arc::new(WireConnector {
        accounts,
        bot: SimBot::new(clock.clone(), scenario.bot.clone()),
    });

    let (store, engine) = engine(
        &scenario,
        &market,
        connector.clone(),
        clock.clone(),
        strategy,
        lang,
    )?;
    // The sniper polls and buys through the same MTProto accounts as the engine.
    let sniper =
        crate::simulate_resale::start(&scenario, &store, connector.clone(), &clock).await?;
    let bidder = crate::simulate_auction::start(&scenario, &store, connector, &clock).await?;
    let observer = drive(engine, &clock, scenario.duration).await;
    let resale = crate::simulate_resale::finish(sniper, &scenario, &market, &store).await;
    let auctions = crate::simulate_auction::finish(bidder, &scenario, &market, &store).await;
    let calls = wire_calls(server.stats());
    server.shutdown().await;
    let mut result = summarize(strategy, Mode::Mtproto(calls), &market, &store, &observer?);
    result.resale = resale?;
    result.auctions = auctions?;
    Ok(result)
}

/// A session of `account` already logged in on the server, as a finished login leaves it: a
/// fresh pre-shared key per DC, the home DC's bound to the account on the server's key ring.
/// The simulation measures drops, not logins (those have tests of their own).
fn logged_in_session(server: &TgServer, account: AccountId) -> anyhow::Result<Arc<StoredSession>> {
    let seed = server
        .key_issuer()
        .fresh_session()
        .context("cannot mint keys on the loopback telegram")?;
    let home = seed
        .dcs
        .iter()
        .find(|dc| dc.id == seed.home_dc)
        .context("the loopback telegram does not serve its own home dc")?;
    server
        .keys()
        .authorize(AuthKey::from_bytes(home.auth_key).id(), account.get())
        .with_context(|| format!("cannot log account {account} in on the loopback telegram"))?;
    let stored = MtprotoSession {
        home_dc: seed.home_dc,
        data: Secret::new(session::encode(&seed.session_data(), Some(account.get()))),
    };
    let session = StoredSession::load(&stored, Arc::new(DiscardSink))
        .with_context(|| format!("cannot read the session of account {account}"))?;
    Ok(Arc::new(session))
}

fn wire_calls(stats: &Stats) -> WireCalls {
    WireCalls {
        connections: Stats::get(&stats.connections),
        get_star_gifts: stats.calls(functions::payments::GetStarGifts::CONSTRUCTOR_ID),
        get_stars_status: stats.calls(functions::payments::GetStarsStatus::CONSTRUCTOR_ID),
        get_payment_form: stats.calls(functions::payments::GetPaymentForm::CONSTRUCTOR_ID),
        get_resale_star_gifts: stats.calls(functions::payments::GetResaleStarGifts::CONSTRUCTOR_ID),
        send_stars_form: stats.calls(functions::payments::SendStarsForm::CONSTRUCTOR_ID),
    }
}

/// The drop's accounts over MTProto, connected once at the start; the bot simulated.
struct WireConnector {
    accounts: HashMap<AccountId, Arc<dyn TelegramAccount>>,
    bot: SimBot,
}

#[async_trait]
impl Connector for WireConnector {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        // An account without a session is what Telegram answers for a revoked login.
        self.accounts
            .get(&id)
            .cloned()
            .ok_or(TelegramError::AuthKeyUnregistered)
    }

    async fn bot(&self, _user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        Ok(Some(Arc::new(self.bot.clone())))
    }
}
