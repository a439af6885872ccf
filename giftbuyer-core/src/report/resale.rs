//! The human report of a resale tick for one user: which listings were bought, for whom and at
//! what price, and which failed or ended unknown, with the reason.

use std::fmt::Write as _;

use super::Lang;
use crate::ports::JournalStatus;
use crate::resale::SnipeBuy;

/// One purchase the sniper sent and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResaleLine {
    pub buy: SnipeBuy,
    /// `Bought`, `Failed` or `Unknown`.
    pub status: JournalStatus,
    /// Telegram's error name for `Failed` and `Unknown`.
    pub error: Option<String>,
}

/// The report as plain text, or `None` when nothing was sent. Slugs and error names come from
/// Telegram, so they are shown on one line with control characters replaced.
pub fn resale_report(lines: &[ResaleLine], lang: Lang) -> Option<String> {
    if lines.is_empty() {
        return None;
    }
    let (title, bought, failed, unknown, watch) = match lang {
        Lang::En => (
            "🛒 Resale",
            "bought",
            "failed",
            "outcome unknown, not resent",
            "watch",
        ),
        Lang::Ru => (
            "🛒 Перепродажа",
            "куплено",
            "не удалось",
            "результат неизвестен, повторно не отправлялось",
            "наблюдение",
        ),
    };
    let mut out = String::from(title);
    out.push('\n');
    for line in lines {
        let status = match line.status {
            JournalStatus::Bought => ("✅", bought),
            JournalStatus::Unknown => ("❓", unknown),
            _ => ("❌", failed),
        };
        let to = lang.recipient(line.buy.recipient);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "• {} {} | {}⭐ | acc={} → {to} | {watch} {} | {}",
            status.0,
            one_line(&line.buy.slug),
            line.buy.price.get(),
            line.buy.account_id,
            line.buy.watch_id,
            status.1
        );
        if let Some(error) = &line.error
            && line.status != JournalStatus::Bought
        {
            let _ = write!(out, " ({})", one_line(error));
        }
        out.push('\n');
    }
    Some(out)
}

/// Untrusted text on one bounded line.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .take(64)
        .collect()
}
