//! The terminal side of `account login`: prompts on standard error, answers read line by line
//! from standard input, and the password read without echo when the input is a terminal.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::Context as _;

use super::login::MAX_TRIES;

/// Asks for the phone number until it has the form the panel accepts: `+` and 7 to 15 digits
/// (spaces, dashes and parentheses ignored).
pub(super) fn read_phone() -> anyhow::Result<String> {
    for _ in 0..MAX_TRIES {
        let raw = read_line("phone number (international, e.g. +1 555 123 4567): ")?;
        if let Some(compact) = giftbuyer_core::ports::compact_phone(&raw) {
            return Ok(compact);
        }
        eprintln!("a phone number is + and 7 to 15 digits; try again");
    }
    anyhow::bail!("no valid phone number was given")
}

/// Prints `prompt` on standard error and reads one line, trimmed.
pub(super) fn read_line(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read standard input")?;
    if read == 0 {
        anyhow::bail!("standard input ended before the login finished");
    }
    Ok(line.trim().to_owned())
}

/// [`read_line`] without echoing what is typed, when standard input is a terminal.
pub(super) fn read_secret(prompt: &str) -> anyhow::Result<String> {
    let hide = std::io::stdin().is_terminal();
    if hide {
        set_echo(false);
    }
    let line = read_line(prompt);
    if hide {
        set_echo(true);
        eprintln!();
    }
    line
}

/// Turns the terminal's echo on or off with `stty` (no extra dependency); where `stty` is
/// missing, the input simply stays visible.
fn set_echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status();
}
