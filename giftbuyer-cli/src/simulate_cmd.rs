//! `giftbuyer simulate`: runs a drop through the real engine against the simulated market in
//! virtual time (or, with `--over-mtproto`, through the real adapters over a loopback Telegram
//! in real time: `simulate_mtproto`), and measures how it did.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use giftbuyer_core::ports::{
    Clock, Connector, JournalStatus, TelegramAccount as _, UserConfig, UserId, UserSettings,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{AccountId, GiftId, Priority, UnixTime};
use giftbuyer_engine::{Engine, EngineConfig, EngineEvent, MemoryStore, TokioClock};
use giftbuyer_sim::drop_file::{self, DropFile};
use giftbuyer_sim::{Market, SimBot, SimConnector};
use serde::Serialize;

use crate::cli::{Format, SimulateArgs, StrategyArg};
use crate::input::read_input;

/// The wall time a simulation starts at when the drop file does not say.
const DEFAULT_START: i64 = 1_764_000_000;

pub(crate) fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let (source, text) = read_input(&args.input)?;
    let scenario =
        drop_file::parse(&text).with_context(|| format!("invalid drop file {source}"))?;
    let lang = Lang::from(args.lang);
    let result = if args.over_mtproto {
        crate::simulate_mtproto::run(scenario, args.strategy, lang)?
    } else {
        // Virtual time: the clock jumps ahead whenever every task waits, so a drop that lasts
        // minutes runs in moments and always the same way for the same seed.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .context("cannot start the simulation runtime")?;
        runtime.block_on(simulate(scenario, args.strategy, lang))?
    };
    let output = match args.format {
        Format::Json => {
            let mut json =
                serde_json::to_string_pretty(&result).context("cannot encode the result")?;
            json.push('\n');
            json
        }
        Format::Text => result.to_text(),
    };
    crate::input::write_stdout(&output)
}

/// What a simulation measured; also the JSON output.
#[derive(Debug, Serialize)]
pub(crate) struct SimulationResult {
    strategy: &'static str,
    /// `in_process` (the engine calls the simulated market's ports directly) or `mtproto`
    /// (the real adapters over grammers and a loopback Telegram on TCP).
    transport: &'static str,
    /// `virtual` (the clock jumps whenever every task waits) or `real` (wall time: sockets
    /// cannot run on a virtual clock).
    time: &'static str,
    /// What the loopback Telegram was asked, when the run went over MTProto.
    #[serde(skip_serializing_if = "Option::is_none")]
    wire: Option<WireCalls>,
    /// The slowest detection among the drops: release to the poll that saw it, virtual time.
    detection_delay_ms: u64,
    /// Wall-clock time inside the engine from receiving a catalog with new gifts to each
    /// account's first purchase request (the engine's own reaction, without network time).
    reaction_latency_us: Percentiles,
    /// Purchase requests sent.
    sent: u64,
    /// Copies bought.
    bought: u64,
    /// Purchases that failed, or were cancelled before sending (e.g. after a sold-out), by
    /// reason.
    failed: BTreeMap<String, u64>,
    /// Purchases without an answer.
    unknown: u64,
    stars_spent: u64,
    /// Purchases the market carried out: never more than `bought` plus `unknown`.
    market_purchases: usize,
    gifts: Vec<GiftResult>,
    /// What the resale sniper caught, when the drop file has watches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resale: Option<crate::simulate_resale::ResaleResult>,
    /// What the auction bidder did, when the drop file has bidding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auctions: Option<crate::simulate_auction::AuctionResult>,
    report: String,
}

/// Calls the loopback Telegram counted, by method: the proof that the engine's polls and
/// purchases crossed the wire.
#[derive(Debug, Serialize)]
pub(crate) struct WireCalls {
    pub(crate) connections: u64,
    pub(crate) get_star_gifts: u64,
    pub(crate) get_stars_status: u64,
    pub(crate) get_payment_form: u64,
    pub(crate) send_stars_form: u64,
    /// The resale sniper's polls.
    pub(crate) get_resale_star_gifts: u64,
}

/// How a simulation ran.
#[derive(Debug)]
pub(crate) enum Mode {
    InProcess,
    Mtproto(WireCalls),
}

#[derive(Debug, Serialize)]
struct Percentiles {
    p50: u64,
    p99: u64,
    max: u64,
    samples: usize,
}

#[derive(Debug, Serialize)]
struct GiftResult {
    gift_id: i64,
    title: Option<String>,
    price: u64,
    supply: Option<u64>,
    released_at_ms: u64,
    detected_at_ms: Option<u64>,
    detection_delay_ms: Option<u64>,
    /// Copies our accounts caught.
    caught: u64,
    /// Release to the first of our purchases reaching the market, on the market's clock.
    first_copy_after_ms: Option<u64>,
    sold_to_competitors: u64,
    sold_out: bool,
}

async fn simulate(
    scenario: DropFile,
    strategy: StrategyArg,
    lang: Lang,
) -> anyhow::Result<SimulationResult> {
    let start = scenario
        .start
        .unwrap_or(UnixTime::from_secs(DEFAULT_START).context("start time")?);
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(start));
    let market = Market::new(scenario.config.clone(), clock.clone()).context("invalid market")?;
    let bot = SimBot::new(clock.clone(), scenario.bot.clone());
    let connector = Arc::new(SimConnector::new(market.clone(), Some(bot)));
    let (store, engine) = engine(
        &scenario,
        &market,
        connector.clone(),
        clock.clone(),
        strategy,
        lang,
    )?;
    let sniper =
        crate::simulate_resale::start(&scenario, &store, connector.clone(), &clock).await?;
    let bidder = crate::simulate_auction::start(&scenario, &store, connector, &clock).await?;
    let observer = drive(engine, &clock, scenario.duration).await?;
    let mut result = summarize(strategy, Mode::InProcess, &market, &store, &observer);
    result.resale = crate::simulate_resale::finish(sniper, &scenario, &market, &store).await?;
    result.auctions = crate::simulate_auction::finish(bidder, &scenario, &market, &store).await?;
    Ok(result)
}

/// The engine for one user who owns every account of the market and the drop file's channels,
/// with autobuy on, behind `connector`.
pub(crate) fn engine(
    scenario: &DropFile,
    market: &Market,
    connector: Arc<dyn Connector>,
    clock: Arc<dyn Clock>,
    strategy: StrategyArg,
    lang: Lang,
) -> anyhow::Result<(Arc<MemoryStore>, Engine)> {
    let store = Arc::new(MemoryStore::new());
    let user_id = UserId::new(1).context("user id")?;
    let accounts: Vec<AccountId> = market.accounts().iter().map(|a| a.account_id()).collect();
    store.set_users(vec![UserConfig {
        user_id,
        settings: UserSettings {
            autobuy: true,
            notification_chats: Vec::new(),
            report_lang: lang,
            forced_target: None,
            // Drop files have no priority setting; the drop plays out in the default order.
            priority: Priority::default(),
        },
        accounts,
        targets: scenario.targets.clone(),
    }]);
    let config = match strategy {
        StrategyArg::Engine => EngineConfig::default(),
        StrategyArg::Sequential => EngineConfig::sequential(),
    };
    let engine = Engine::new(store.clone(), connector, clock, config);
    Ok((store, engine))
}

/// Runs the engine's poll loop on `clock` for `duration`, lets its purchases finish and
/// returns what its events showed.
pub(crate) async fn drive(
    engine: Engine,
    clock: &Arc<dyn Clock>,
    duration: Duration,
) -> anyhow::Result<Observer> {
    let observer = Arc::new(Mutex::new(Observer::default()));
    let mut events = engine.subscribe();
    let collector = {
        let observer = observer.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => lock(&observer).see(event),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        lock(&observer).missed += missed;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    };

    while clock.elapsed() < duration {
        if let Err(error) = engine.tick().await {
            anyhow::bail!("the engine failed: {error}");
        }
        let gap = engine.poll_gap().await;
        clock.sleep(gap).await;
    }
    engine.settle().await;
    // Dropping the engine closes its event channel, which ends the collector.
    drop(engine);
    collector.await.context("the event collector failed")?;

    let observer = std::mem::take(&mut *lock(&observer));
    if observer.missed > 0 {
        anyhow::bail!(
            "{} engine events were lost; the measurement is incomplete",
            observer.missed
        );
    }
    Ok(observer)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads the engine's events as they happen.
#[derive(Debug, Default)]
pub(crate) struct Observer {
    last_catalog: Option<Instant>,
    /// Wall time of the catalog response that revealed the latest new gifts.
    detection: Option<Instant>,
    waiting: Vec<AccountId>,
    reaction_us: Vec<u64>,
    sent: u64,
    detected_at: HashMap<GiftId, Duration>,
    missed: u64,
}

impl Observer {
    fn see(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::CatalogReceived { wall, .. } => self.last_catalog = Some(wall),
            EngineEvent::NewGifts { gifts, at, .. } => {
                self.detection = self.last_catalog;
                self.waiting.clear();
                for gift in gifts {
                    if let Ok(id) = GiftId::new(gift.id) {
                        self.detected_at.entry(id).or_insert(at);
                    }
                }
            }
            EngineEvent::PurchaseSending { account, wall, .. } => {
                self.sent += 1;
                if let Some(detection) = self.detection
                    && !self.waiting.contains(&account)
                {
                    self.waiting.push(account);
                    let micros = wall.saturating_duration_since(detection).as_micros();
                    self.reaction_us
                        .push(u64::try_from(micros).unwrap_or(u64::MAX));
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn summarize(
    strategy: StrategyArg,
    mode: Mode,
    market: &Market,
    store: &MemoryStore,
    observer: &Observer,
) -> SimulationResult {
    let journal = store.journal();
    let mut failed = BTreeMap::new();
    let (mut bought, mut unknown, mut stars_spent) = (0, 0, 0);
    for entry in &journal {
        match entry.status {
            JournalStatus::Bought => {
                bought += 1;
                stars_spent += entry.operation.price.get();
            }
            JournalStatus::Unknown => unknown += 1,
            JournalStatus::Failed => {
                let reason = entry.error.clone().unwrap_or_else(|| "unknown".to_owned());
                // Purchases moved to another channel were not lost: their new attempt counts.
                if reason != giftbuyer_core::execution::MOVED {
                    *failed.entry(reason).or_insert(0) += 1;
                }
            }
            JournalStatus::Planned | JournalStatus::Sending => {}
        }
    }
    let purchases = market.purchases();
    let mut gifts: Vec<GiftResult> = market
        .gifts()
        .into_iter()
        .filter(|gift| gift.release_at > Duration::ZERO || gift.sold_by_us > 0)
        .map(|gift| {
            let detected = observer.detected_at.get(&gift.id).copied();
            GiftResult {
                gift_id: gift.id.get(),
                title: gift.title.clone(),
                price: gift.price.get(),
                supply: gift.supply,
                released_at_ms: millis(gift.release_at),
                detected_at_ms: detected.map(millis),
                detection_delay_ms: detected.map(|at| millis(at.saturating_sub(gift.release_at))),
                caught: gift.sold_by_us,
                first_copy_after_ms: purchases
                    .iter()
                    .filter(|purchase| purchase.gift == gift.id)
                    .map(|purchase| purchase.at)
                    .min()
                    .map(|at| millis(at.saturating_sub(gift.release_at))),
                sold_to_competitors: gift.sold_to_competitors,
                sold_out: gift.sold_out,
            }
        })
        .collect();
    gifts.sort_by_key(|gift| (gift.released_at_ms, gift.gift_id));
    let detection_delay_ms = gifts
        .iter()
        .filter_map(|gift| gift.detection_delay_ms)
        .max()
        .unwrap_or(0);
    let report = store
        .reports()
        .into_iter()
        .map(|(_, _, text)| text)
        .collect::<Vec<_>>()
        .join("\n");
    let (transport, time, wire) = match mode {
        Mode::InProcess => ("in_process", "virtual", None),
        Mode::Mtproto(calls) => ("mtproto", "real", Some(calls)),
    };
    SimulationResult {
        strategy: match strategy {
            StrategyArg::Engine => "engine",
            StrategyArg::Sequential => "sequential",
        },
        transport,
        time,
        wire,
        detection_delay_ms,
        reaction_latency_us: percentiles(observer.reaction_us.clone()),
        sent: observer.sent,
        bought,
        failed,
        unknown,
        stars_spent,
        market_purchases: purchases.len(),
        gifts,
        resale: None,
        auctions: None,
        report,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn percentiles(mut samples: Vec<u64>) -> Percentiles {
    samples.sort_unstable();
    let at = |quantile: f64| -> u64 {
        if samples.is_empty() {
            return 0;
        }
        // Nearest rank: the smallest sample with at least `quantile` of the samples at or
        // below it.
        let rank = (quantile * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1]
    };
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
        max: samples.last().copied().unwrap_or(0),
        samples: samples.len(),
    }
}

impl SimulationResult {
    fn to_text(&self) -> String {
        let mut out = format!("strategy: {}\n", self.strategy);
        match &self.wire {
            None => out.push_str("ran in process against the simulated market, in virtual time\n"),
            Some(wire) => out.push_str(&format!(
                "ran over MTProto (grammers and the real adapters against a loopback Telegram on TCP), in real time\n\
                 wire calls: {} getStarGifts, {} getStarsStatus, {} getPaymentForm, {} sendStarsForm, {} getResaleStarGifts over {} connections\n",
                wire.get_star_gifts,
                wire.get_stars_status,
                wire.get_payment_form,
                wire.send_stars_form,
                wire.get_resale_star_gifts,
                wire.connections
            )),
        }
        out.push_str(&format!(
            "detection delay: {} ms (slowest drop)\n",
            self.detection_delay_ms
        ));
        out.push_str(&format!(
            "reaction latency: p50 {} µs, p99 {} µs, max {} µs over {} accounts' first purchases\n",
            self.reaction_latency_us.p50,
            self.reaction_latency_us.p99,
            self.reaction_latency_us.max,
            self.reaction_latency_us.samples
        ));
        out.push_str(&format!(
            "purchases: {} sent, {} bought, {} unknown, {} stars spent; {} carried out by the market\n",
            self.sent, self.bought, self.unknown, self.stars_spent, self.market_purchases
        ));
        for (reason, count) in &self.failed {
            out.push_str(&format!("  failed {reason}: {count}\n"));
        }
        if let Some(auctions) = &self.auctions {
            out.push_str(&auctions.to_text());
        }
        if let Some(resale) = &self.resale {
            out.push_str(&resale.to_text());
        }
        out.push_str("gifts:\n");
        for gift in &self.gifts {
            let supply = gift
                .supply
                .map_or_else(|| "unlimited".to_owned(), |supply| supply.to_string());
            let detected = gift.detection_delay_ms.map_or_else(
                || "not detected".to_owned(),
                |ms| format!("detected after {ms} ms"),
            );
            let first = gift
                .first_copy_after_ms
                .map(|ms| format!(", first copy after {ms} ms"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {} {} | {}⭐ | supply {} | released at {} ms, {}{} | caught {} | competitors {}{}\n",
                gift.gift_id,
                gift.title.as_deref().unwrap_or(""),
                gift.price,
                supply,
                gift.released_at_ms,
                detected,
                first,
                gift.caught,
                gift.sold_to_competitors,
                if gift.sold_out { " | sold out" } else { "" }
            ));
        }
        out.push('\n');
        out.push_str(&self.report);
        out
    }
}
