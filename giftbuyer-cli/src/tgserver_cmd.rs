//! `giftbuyer tgserver`: the loopback Telegram on its own. It serves a drop file's market (or
//! the demo market) over MTProto in real time, keeps its key ring in a state directory, writes
//! a keys file of unused pre-shared keys for clients, prints where everything is, and runs
//! until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use giftbuyer_core::ports::Clock;
use giftbuyer_engine::TokioClock;
use giftbuyer_sim::Market;
use giftbuyer_sim::demo::{DemoOptions, demo_market_config};
use giftbuyer_tgserver::{KeyRing, MarketBackend, ServerOptions, TgServer, write_keys_file};

#[derive(Debug, clap::Args)]
pub(crate) struct TgServerArgs {
    /// A drop file whose market to serve (see `giftbuyer simulate`); the demo market if absent.
    #[arg(long)]
    drop: Option<PathBuf>,
    /// The address of the first DC; the others listen on the following ports (port 0: free
    /// ports). Only loopback addresses are accepted.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// How many DCs to serve (ids 1 to N); logins are sent to a number's DC by its last digit.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=5))]
    dcs: u8,
    /// Where the key ring (logins survive restarts) and the clients' keys file are kept.
    #[arg(long, default_value = "tgserver")]
    state_dir: PathBuf,
    /// Unused keys written per DC to the keys file: one new login takes one of each.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    keys_per_dc: u16,
}

pub(crate) fn run(args: &TgServerArgs) -> anyhow::Result<()> {
    crate::serve::init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

fn market(args: &TgServerArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Market> {
    let config = match &args.drop {
        Some(path) => {
            let (name, text) = crate::input::read_input(path)?;
            giftbuyer_sim::drop_file::parse(&text)
                .with_context(|| format!("invalid drop file {name}"))?
                .config
        }
        None => {
            let now = clock.unix_now();
            demo_market_config(
                &DemoOptions {
                    opened_at: now,
                    now,
                    ..DemoOptions::default()
                },
                &[],
            )
        }
    };
    Market::new(config, clock).context("cannot build the market")
}

async fn serve(args: &TgServerArgs) -> anyhow::Result<()> {
    if !args.addr.ip().is_loopback() {
        anyhow::bail!(
            "--addr {} is not a loopback address: the loopback telegram only serves this machine",
            args.addr
        );
    }
    std::fs::create_dir_all(&args.state_dir)
        .with_context(|| format!("cannot create {}", args.state_dir.display()))?;
    let shutdown = crate::serve::shutdown_signal();
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::system());
    let market = market(args, clock)?;
    let dcs: Vec<i32> = (1..=i32::from(args.dcs)).collect();
    let first_port = args.addr.port();
    let ports = if first_port == 0 {
        Vec::new()
    } else {
        dcs.iter()
            .map(|dc| {
                u16::try_from(i32::from(first_port) + dc - 1)
                    .context("the dcs' ports run past 65535")
            })
            .collect::<anyhow::Result<_>>()?
    };
    let options = ServerOptions {
        dcs: dcs.clone(),
        ip: args.addr.ip(),
        ports,
        default_dc: 2.min(i32::from(args.dcs)),
    };
    let keys =
        KeyRing::open(args.state_dir.join("keyring.json")).context("cannot open the key ring")?;
    let backend = Arc::new(MarketBackend::with_secret(
        market,
        dcs,
        keys.server_secret(),
    ));
    let server = TgServer::start(options.clone(), keys.clone(), backend).await?;
    let keys_file = args.state_dir.join("keys.json");
    write_keys_file(
        &keys_file,
        server.dcs(),
        options.default_dc,
        &keys,
        usize::from(args.keys_per_dc),
    )
    .context("cannot write the keys file")?;
    for dc in server.dcs() {
        println!("dc {} listening on {}", dc.id, dc.addr);
    }
    println!("keys file: {}", keys_file.display());
    println!(
        "point a test server at it: giftbuyer serve --telegram-dc-override {}",
        keys_file.display()
    );
    shutdown.await;
    server.shutdown().await;
    println!("loopback telegram stopped");
    Ok(())
}
