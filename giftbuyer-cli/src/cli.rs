//! Command-line arguments of `giftbuyer` and dispatch to the commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use giftbuyer_core::report::Lang;

/// GiftBuyer: monitors Telegram's Star Gift catalog and auto-buys limited gifts onto your
/// channels from several accounts.
#[derive(Debug, Parser)]
#[command(name = "giftbuyer", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Plan purchases for a scenario (a dry run): prints operations, skips and the report.
    Plan(PlanArgs),
    /// Run a drop through the engine against the simulated market, in virtual time (or over
    /// MTProto in real time), and measure detection, reaction, purchases and the report.
    Simulate(SimulateArgs),
    /// Run the self-hosted server: the JSON API and the engine (`--demo` for the built-in
    /// simulated market).
    Serve(crate::serve::ServeArgs),
    /// Create or upgrade the database schema.
    Migrate(crate::store_cmd::MigrateArgs),
    /// Re-encrypt every stored secret under a new master key (stop every instance first).
    RotateKey(crate::store_cmd::RotateKeyArgs),
    /// A panel user's Telegram accounts: list them, or log one in from the terminal.
    #[command(subcommand)]
    Account(crate::account::AccountCommand),
    /// Run a loopback Telegram: a simulated market served over real MTProto on this machine,
    /// for testing GiftBuyer's Telegram path end to end (`serve --telegram-dc-override`).
    Tgserver(crate::tgserver_cmd::TgServerArgs),
    /// Soak the engine against the simulated market with random faults (`scripts/soak`).
    #[command(hide = true)]
    Soak(crate::soak::SoakArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct PlanArgs {
    /// Scenario file (JSON; see the README for its format), or `-` for standard input.
    #[arg(long, short)]
    pub(crate) input: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Language of the report.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub(crate) lang: LangArg,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SimulateArgs {
    /// Drop file (JSON; see the README for its format), or `-` for standard input.
    #[arg(long, short)]
    pub(crate) input: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// `engine` is GiftBuyer; `sequential` reproduces the original Python GiftBuyer (one poll
    /// every 3 s, one purchase at a time, 0.7 s apart, no stop on sold-out) as a baseline.
    #[arg(long, value_enum, default_value_t = StrategyArg::Engine)]
    pub(crate) strategy: StrategyArg,
    /// Language of the report.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub(crate) lang: LangArg,
    /// Run the accounts over real MTProto: the drop's market behind a loopback Telegram on
    /// free local ports, and the real adapters (grammers) in front of it. Sockets need real
    /// time, so the drop then lasts its `duration_ms` of wall time.
    #[arg(long)]
    pub(crate) over_mtproto: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StrategyArg {
    Engine,
    Sequential,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LangArg {
    En,
    Ru,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Self {
        match lang {
            LangArg::En => Self::En,
            LangArg::Ru => Self::Ru,
        }
    }
}

impl Cli {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Plan(args) => crate::plan_cmd::run(&args),
            Command::Simulate(args) => crate::simulate_cmd::run(&args),
            Command::Serve(args) => crate::serve::run(&args),
            Command::Migrate(args) => crate::store_cmd::migrate(&args),
            Command::RotateKey(args) => crate::store_cmd::rotate_key(&args),
            Command::Account(command) => command.run(),
            Command::Soak(args) => crate::soak::run(&args),
            Command::Tgserver(args) => crate::tgserver_cmd::run(&args),
        }
    }
}
