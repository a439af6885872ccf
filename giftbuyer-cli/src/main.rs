//! The `giftbuyer` command line: parses arguments and hands off to a command module.

mod cli;
mod input;
mod plan_cmd;
mod scenario;
mod simulate_cmd;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
