//! Writing a [`Report`] as plain text in one of its languages.

use std::fmt::Write as _;

use super::lang::Texts;
use super::{
    AccountLine, GiftLine, GiftStatus, Lang, Reason, ReasonLine, Report, TELEGRAM_MESSAGE_LIMIT,
    Tally, TargetLine, split_message,
};
use crate::{Recipient, SkipReason};

/// Titles come from Telegram and may hold anything; the report shows at most this many characters.
const TITLE_MAX_CHARS: usize = 48;

impl Report {
    /// The report as one plain-text document (sent without a parse mode, so nothing in it is
    /// interpreted as markup).
    pub fn render(&self, lang: Lang) -> String {
        let texts = lang.texts();
        let mut out = String::new();
        out.push_str(if self.dry_run {
            texts.title_dry_run
        } else {
            texts.title
        });
        out.push('\n');
        let success = if self.dry_run {
            texts.planned
        } else {
            texts.bought
        };
        // Writing to a String cannot fail, so the results of `writeln!` are ignored here and below.
        let _ = writeln!(
            out,
            "📊 {}: {} | {success}: {} | {}: {}",
            texts.new,
            self.new_count(),
            self.bought_count(),
            texts.skipped,
            self.skipped_count()
        );

        out.push_str(texts.by_gift);
        out.push('\n');
        for gift in &self.gifts {
            gift_line(&mut out, gift, lang, texts);
        }
        if self.gifts.is_empty() {
            let _ = writeln!(out, "{}", texts.none);
        }

        out.push_str(texts.by_target);
        out.push('\n');
        for target in &self.targets {
            target_line(&mut out, target, lang, self.dry_run);
        }
        if self.targets.is_empty() {
            let _ = writeln!(out, "{}", texts.none);
        }

        out.push_str(texts.by_account);
        out.push('\n');
        for account in &self.accounts {
            account_line(&mut out, account, self.dry_run);
        }
        if self.accounts.is_empty() {
            let _ = writeln!(out, "{}", texts.none);
        }
        out
    }

    /// The report cut into Telegram messages of at most 4096 characters each.
    pub fn messages(&self, lang: Lang) -> Vec<String> {
        split_message(&self.render(lang), TELEGRAM_MESSAGE_LIMIT)
    }
}

fn status_icon(status: GiftStatus) -> &'static str {
    match status {
        GiftStatus::Bought => "✅",
        GiftStatus::Planned => "🗓️",
        GiftStatus::Unknown => "❓",
        GiftStatus::Failed => "❌",
        GiftStatus::Deferred => "⏳",
        GiftStatus::Skipped => "⏭️",
    }
}

fn gift_line(out: &mut String, gift: &GiftLine, lang: Lang, texts: &Texts) {
    let _ = write!(out, "• {} {}", status_icon(gift.status), gift.gift_id);
    if let Some(title) = gift
        .title
        .as_deref()
        .map(clean_title)
        .filter(|t| !t.is_empty())
    {
        let _ = write!(out, " «{title}»");
    }
    let _ = write!(out, " | {}⭐ | ", gift.price);
    match gift.supply {
        None => out.push_str(texts.unlimited),
        Some(Some(supply)) => {
            let _ = write!(out, "supply={supply}");
        }
        Some(None) => out.push_str("supply=?"),
    }
    out.push_str(" →");
    let mut first = true;
    let mut separate = |out: &mut String| {
        out.push_str(if first { " " } else { "; " });
        first = false;
    };
    for &(recipient, account, ref tally) in &gift.placements {
        let copies = if gift.status == GiftStatus::Planned {
            tally.planned
        } else {
            tally.bought
        };
        if copies > 0 {
            separate(out);
            let _ = write!(out, "{} acc={account} ×{copies}", lang.recipient(recipient));
        }
    }
    let failed = matches!(gift.status, GiftStatus::Failed | GiftStatus::Unknown);
    for (index, line) in gift.reasons.iter().enumerate() {
        separate(out);
        if failed && index == 0 {
            let _ = write!(out, "{}: ", texts.reason);
        }
        reason_text(out, line, gift, texts);
    }
    if first {
        // A gift with neither placements nor reasons cannot come out of `Report::build`, but the
        // line should still end in something readable.
        out.push_str(" —");
    }
    out.push('\n');
}

fn reason_text(out: &mut String, line: &ReasonLine, gift: &GiftLine, texts: &Texts) {
    match &line.reason {
        Reason::Skip(SkipReason::Auction) => {
            out.push_str(texts.skip_reason(SkipReason::Auction));
            if let Some(start) = gift.auction_start {
                let _ = write!(out, ", {} {start}", texts.auction_starts);
            }
        }
        Reason::Skip(reason) => out.push_str(texts.skip_reason(*reason)),
        Reason::Failed(name) => out.push_str(&clean_title(name)),
        Reason::Unknown => out.push_str(texts.unknown_outcome),
        Reason::LockedUntil(until) => {
            let _ = write!(out, "{} {until}", texts.locked_until);
        }
    }
    let counts_copies = matches!(line.reason, Reason::Failed(_) | Reason::Unknown);
    if counts_copies && line.count > 1 {
        let _ = write!(out, " ×{}", line.count);
    }
    if !line.accounts.is_empty() {
        let accounts: Vec<String> = line.accounts.iter().map(ToString::to_string).collect();
        let _ = write!(out, " (acc={})", accounts.join(", "));
    }
}

fn tally_text(out: &mut String, tally: &Tally, dry_run: bool) {
    let _ = write!(out, "plan={}", tally.planned);
    if !dry_run {
        let _ = write!(out, " ok={} fail={}", tally.bought, tally.failed);
        if tally.unknown > 0 {
            let _ = write!(out, " unknown={}", tally.unknown);
        }
    }
}

fn target_line(out: &mut String, target: &TargetLine, lang: Lang, dry_run: bool) {
    // A channel is written by its id alone here, as before targets of other kinds existed.
    let name = match target.recipient {
        Recipient::Channel(channel) => channel.to_string(),
        other => lang.recipient(other),
    };
    let _ = write!(out, "• {name}: ");
    tally_text(out, &target.tally, dry_run);
    if !target.failures.is_empty() {
        let reasons: Vec<String> = target
            .failures
            .iter()
            .map(|(name, count)| format!("{}×{count}", clean_title(name)))
            .collect();
        let _ = write!(out, " reasons={}", reasons.join(","));
    }
    out.push('\n');
}

fn account_line(out: &mut String, account: &AccountLine, dry_run: bool) {
    let _ = write!(out, "• acc={}: ", account.account_id);
    let _ = write!(out, "plan={}", account.tally.planned);
    // A dry run has spent nothing yet: it shows what the plan would cost.
    let spent = if dry_run { "cost" } else { "spent" };
    let _ = write!(
        out,
        " 💰{spent}={} start={} end={}",
        account.spent.get(),
        account.start.get(),
        account.end().get()
    );
    if !dry_run {
        let _ = write!(out, " buys={}", account.tally.bought);
        if account.tally.failed > 0 {
            let _ = write!(out, " fail={}", account.tally.failed);
        }
        if account.tally.unknown > 0 {
            let _ = write!(out, " unknown={}", account.tally.unknown);
        }
    }
    out.push('\n');
}

/// Makes untrusted text safe for a one-line entry: control characters (newlines included) and
/// bidirectional overrides (which could make the rest of the line read backwards) become
/// spaces, runs of spaces collapse, and the result is cut to a bounded length.
fn clean_title(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len().min(TITLE_MAX_CHARS * 4));
    let mut chars = 0;
    let mut last_space = true;
    for ch in text.chars() {
        let ch = if ch.is_control() || ch.is_whitespace() || is_bidi_control(ch) {
            ' '
        } else {
            ch
        };
        if ch == ' ' && last_space {
            continue;
        }
        if chars == TITLE_MAX_CHARS {
            cleaned.push('…');
            break;
        }
        last_space = ch == ' ';
        cleaned.push(ch);
        chars += 1;
    }
    cleaned.trim_end().to_owned()
}

/// Embeddings, overrides and isolates of the Unicode bidirectional algorithm.
fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::clean_title;

    #[test]
    fn titles_are_one_bounded_line() {
        assert_eq!(clean_title("  Heart\n\u{0}ok\t "), "Heart ok");
        assert_eq!(clean_title("a\u{202E}b\u{2066}c"), "a b c");
        let long = "x".repeat(100);
        assert_eq!(clean_title(&long).chars().count(), 49);
        assert!(clean_title(&long).ends_with('…'));
    }
}
