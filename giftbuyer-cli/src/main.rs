//! The `giftbuyer` command line: parses arguments and hands off to a command module.

mod account;
mod cli;
mod input;
mod plan_cmd;
mod scenario;
mod scenario_market;
mod serve;
mod simulate_auction;
mod simulate_cmd;
mod simulate_mtproto;
mod simulate_resale;
mod soak;
mod store_args;
mod store_cmd;
mod tgserver_cmd;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", message(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line. Some library errors repeat their cause's text in their
/// own message; a cause already written at the end is not written again.
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
