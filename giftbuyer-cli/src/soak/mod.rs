//! `giftbuyer soak` (hidden; `scripts/soak` runs it): the real engine, supervised, with several
//! users and accounts against the simulated market for many drops in virtual time, with faults
//! injected at random on every call (disconnects, hangs with and without the request carried
//! out, flood waits, server errors, bot rate limits, store write failures and a crash of the
//! engine's task). At the end it checks, from the journal, the market and the engine's events,
//! that every drop was processed, no purchase was sent twice, every journal entry ended, every
//! `unknown` agrees with the market, every report was delivered or its failure recorded, and
//! memory stayed bounded, then prints one line of figures.

mod check;
mod failing_store;
mod world;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{Clock, TelegramAccount as _};
use giftbuyer_core::report::{TELEGRAM_MESSAGE_LIMIT, split_message};
use giftbuyer_engine::{
    Engine, EngineConfig, EngineEvent, MemoryStore, TokioClock, spawn_supervised,
};
use giftbuyer_sim::{BotContent, Market, Method, SimBot, SimConnector};
use tokio::sync::broadcast::error::RecvError;

use self::check::{Evidence, Verdict, check};
use self::failing_store::{FailingStore, INJECTED_CRASH};

/// The soak's virtual wall time at the start: 2025-11-24 16:00 UTC.
const START_UNIX: i64 = 1_764_000_000;

/// Runs on after the last drop, so its runs, retries and reports finish.
const TAIL: Duration = Duration::from_secs(180);

/// The most the process may grow per drop once warmed up. The soak's own records (journal,
/// purchases, every delivered message, the reports it compares them with) take about 18 KiB
/// per drop; an engine that kept whole catalogs, runs or reports per drop would go well beyond.
/// The bound is coarse: it catches growth per drop, not a leak of a few bytes.
const MAX_GROWTH_PER_DROP: u64 = 32 * 1024;

/// Below this many drops the allocator's noise outweighs the growth, which is then not judged.
const MIN_DROPS_FOR_GROWTH: u32 = 1_000;

#[derive(Debug, clap::Args)]
pub(crate) struct SoakArgs {
    /// How many drops the market releases, one every 30 s of virtual time.
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u32).range(8..=100_000))]
    drops: u32,
    /// Users buying, each with their own accounts and channels.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    users: u32,
    /// Accounts per user.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    accounts: u32,
    /// Every random draw (market faults, store failures, latency) derives from it.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The chance that a store write fails.
    #[arg(long, default_value_t = 0.01)]
    store_failures: f64,
}

pub(crate) fn run(args: &SoakArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.store_failures) {
        anyhow::bail!(
            "--store-failures must be between 0 and 1, not {}",
            args.store_failures
        );
    }
    quiet_injected_crash();
    // The engine logs every fault it meets; only `RUST_LOG` asks to see them.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .context("cannot start the soak's runtime")?;
    let started = Instant::now();
    let (verdict, figures) = runtime.block_on(soak(args))?;
    let peak = peak_rss_kib().map_or_else(|| "n/a".to_owned(), |kib| format!("{} MiB", kib / 1024));
    println!(
        "soak: {} drops, {} users x {} accounts, {} runs, {} operations (bought {}, failed {}, \
         unknown {} of which {} bought), faults injected {} (market {}, store {}, engine \
         crashes {}), reports {} ({} undelivered, on record), duplicates {}, peak RSS {peak} \
         (+{} KiB per drop after warm-up), {:.1} h virtual in {:.1} s",
        args.drops,
        args.users,
        args.accounts,
        figures.runs,
        verdict.operations,
        verdict.bought,
        verdict.failed,
        verdict.unknown,
        verdict.unknown_bought,
        figures.market_faults + figures.store_failures + figures.crashes,
        figures.market_faults,
        figures.store_failures,
        figures.crashes,
        verdict.reports,
        verdict.undelivered,
        verdict.duplicates,
        figures.growth_per_drop / 1024,
        figures.virtual_time.as_secs_f64() / 3600.0,
        started.elapsed().as_secs_f64(),
    );
    let mut violations = verdict.violations;
    if figures.crashes == 0 {
        violations.push("the engine crash was never injected".to_owned());
    }
    if args.drops >= MIN_DROPS_FOR_GROWTH && figures.growth_per_drop > MAX_GROWTH_PER_DROP {
        violations.push(format!(
            "memory grew by {} KiB per drop after warm-up, more than {} KiB",
            figures.growth_per_drop / 1024,
            MAX_GROWTH_PER_DROP / 1024
        ));
    }
    if violations.is_empty() {
        return Ok(());
    }
    for violation in &violations {
        eprintln!("soak: {violation}");
    }
    anyhow::bail!(
        "the soak found {} problems (listed above)",
        violations.len()
    )
}

/// Figures that are not the journal's.
#[derive(Debug, Default)]
struct Figures {
    runs: usize,
    market_faults: u64,
    store_failures: u64,
    crashes: u64,
    growth_per_drop: u64,
    virtual_time: Duration,
}

/// What the soak keeps of the engine's events.
#[derive(Debug, Default)]
struct Seen {
    detected: BTreeMap<giftbuyer_core::GiftId, u32>,
    batches: usize,
    reports: Vec<(giftbuyer_core::ports::UserId, String)>,
    undelivered: BTreeMap<giftbuyer_core::ports::ChatId, u64>,
    lost: u64,
}

async fn soak(args: &SoakArgs) -> anyhow::Result<(Verdict, Figures)> {
    let world = world::world(args.seed, args.users, args.accounts, args.drops)?;
    let start = UnixTime::from_secs(START_UNIX).context("start time")?;
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(start));
    let market = Market::new(world.market, clock.clone()).context("invalid soak market")?;
    let bot = SimBot::new(clock.clone(), world.bot);
    let memory = Arc::new(MemoryStore::new());
    memory.set_users(world.users.clone());
    let middle = world::FIRST_DROP + world::DROP_EVERY * (args.drops / 2);
    // The engine's task crashes while the middle drop is being bought.
    let crash_at = middle + Duration::from_millis(1_500);
    let store = Arc::new(FailingStore::new(
        memory.clone(),
        clock.clone(),
        args.seed,
        args.store_failures,
        Some(crash_at),
    ));
    let engine = Arc::new(Engine::new(
        store.clone(),
        Arc::new(SimConnector::new(market.clone(), Some(bot.clone()))),
        clock.clone(),
        EngineConfig::default(),
    ));

    let seen = Arc::new(Mutex::new(Seen::default()));
    let collector = {
        let seen = seen.clone();
        let mut events = engine.subscribe();
        tokio::spawn(async move {
            loop {
                let event = events.recv().await;
                let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
                match event {
                    Ok(EngineEvent::NewGifts { gifts, .. }) => {
                        seen.batches += 1;
                        for gift in gifts {
                            if let Ok(id) = giftbuyer_core::GiftId::new(gift.id) {
                                *seen.detected.entry(id).or_default() += 1;
                            }
                        }
                    }
                    Ok(EngineEvent::RunFinished(summary)) => {
                        // The bot delivers a report cut into Telegram-sized messages.
                        let first = split_message(&summary.report, TELEGRAM_MESSAGE_LIMIT)
                            .into_iter()
                            .next()
                            .unwrap_or_default();
                        seen.reports.push((summary.user, first));
                    }
                    Ok(EngineEvent::DeliveryFailed {
                        chat,
                        what: "the run's report",
                        ..
                    }) => {
                        *seen.undelivered.entry(chat).or_default() += 1;
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => seen.lost += missed,
                    Err(RecvError::Closed) => break,
                }
            }
        })
    };

    let supervised = spawn_supervised(engine.clone(), Duration::from_secs(1));
    // Drops leave the catalog some time after their release, as Telegram's catalog keeps its
    // size; the memory is sampled a quarter of the way in and at the end.
    let warm_index = (args.drops / 4).max(1);
    let mut warm_rss = None;
    for (index, (_, at)) in world.drops.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        sleep_until(&clock, *at).await;
        if let Some(old) = index.checked_sub(world::RETIRE_AFTER) {
            market.retire_gift(world.drops[old as usize].0);
        }
        if index == warm_index {
            warm_rss = rss_kib();
        }
    }
    let last = world.drops.last().map_or(Duration::ZERO, |(_, at)| *at);
    sleep_until(&clock, last + TAIL).await;
    supervised.shutdown().await;
    engine.settle().await;
    // The deployment restarts at the end: whatever a lost write left `sending` or `planned`
    // is recovered as a restart would, and must end as a result.
    engine
        .recover()
        .await
        .context("the final recovery failed")?;
    let end_rss = rss_kib();
    let virtual_time = clock.elapsed();
    drop(engine);
    collector.await.context("the event collector failed")?;

    let mut buy_calls = 0;
    for account in market.accounts() {
        buy_calls += market.call_count(account.account_id(), Method::Buy);
    }
    let mut delivered: BTreeMap<_, Vec<String>> = BTreeMap::new();
    for delivery in bot.delivered() {
        if let BotContent::Text(text) = delivery.content {
            delivered.entry(delivery.chat).or_default().push(text);
        }
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
    let record = std::mem::take(&mut *store.record());
    let evidence = Evidence {
        drops: world.drops.iter().map(|(id, _)| *id).collect(),
        report_chats: world::report_chats(&world.users),
        detected: seen.detected,
        batches: seen.batches,
        begun: record.begun,
        journal: memory.journal(),
        sending: record.sending,
        buy_calls,
        purchases: market
            .purchases()
            .iter()
            .map(|purchase| (purchase.account, purchase.gift, purchase.recipient))
            .collect(),
        reports: seen.reports,
        delivered,
        undelivered: seen.undelivered,
        lost_events: seen.lost,
    };
    let verdict = check(&evidence);
    let growth_per_drop = match (warm_rss, end_rss) {
        (Some(warm), Some(end)) => {
            end.saturating_sub(warm) * 1024 / u64::from(args.drops - warm_index).max(1)
        }
        _ => 0,
    };
    let figures = Figures {
        runs: evidence.reports.len(),
        market_faults: market.faults_hit(),
        store_failures: record.failures,
        crashes: record.crashes,
        growth_per_drop,
        virtual_time,
    };
    Ok((verdict, figures))
}

async fn sleep_until(clock: &Arc<dyn Clock>, at: Duration) {
    let now = clock.elapsed();
    if at > now {
        clock.sleep(at - now).await;
    }
}

/// Keeps the injected crash's panic message off the terminal; any other panic is reported
/// as usual.
fn quiet_injected_crash() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied());
        if message != Some(INJECTED_CRASH) {
            default(info);
        }
    }));
}

/// The process's resident memory now, in KiB (Linux only).
fn rss_kib() -> Option<u64> {
    proc_status("VmRSS:")
}

/// The process's peak resident memory, in KiB (Linux only).
fn peak_rss_kib() -> Option<u64> {
    proc_status("VmHWM:")
}

fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
