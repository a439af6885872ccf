//! The human report of the bidder's work for one user: bids placed, raised, refused or left
//! unknown, and what the auctions did to them (won, outbid beyond the maximum, returned).

use std::fmt::Write as _;

use super::Lang;
use super::resale::one_line;
use crate::resale::Recipient;
use crate::{AccountId, GiftId, Stars};

/// One thing worth telling about one plan's bidding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BidLine {
    /// A bid was placed (`raise`: it raised a standing one).
    Placed {
        gift: GiftId,
        account: AccountId,
        recipient: Recipient,
        total: Stars,
        raise: bool,
    },
    /// Telegram refused a bid; nothing was committed. The plan bids again only after
    /// `retry_in_secs` (told once per streak of refusals).
    Failed {
        gift: GiftId,
        account: AccountId,
        total: Stars,
        error: String,
        retry_in_secs: u64,
    },
    /// The receiving channel takes no star gifts from the account (`stargifts_available` is
    /// off, or the account cannot see the channel), so no bid is placed for it; it is asked
    /// again in `retry_in_secs`.
    ClosedToGifts {
        gift: GiftId,
        account: AccountId,
        recipient: Recipient,
        retry_in_secs: u64,
    },
    /// A bid went unanswered: it may stand; it is never sent again.
    Unknown {
        gift: GiftId,
        account: AccountId,
        total: Stars,
    },
    /// The account won `count` more gifts of the auction (`acquired` grew).
    Won {
        gift: GiftId,
        account: AccountId,
        count: u32,
    },
    /// The account was outbid and winning back a slot would take more than the maximum.
    OutbidAboveMax {
        gift: GiftId,
        account: AccountId,
        max_bid: Stars,
    },
    /// The bid fell out of reach and its stars came back.
    Returned {
        gift: GiftId,
        account: AccountId,
        total: Stars,
    },
}

/// The report as plain text, or `None` when there is nothing to tell. Error names come from
/// Telegram, so they are shown on one line with control characters replaced.
pub fn bid_report(lines: &[BidLine], lang: Lang) -> Option<String> {
    if lines.is_empty() {
        return None;
    }
    let words = Words::of(lang);
    let mut out = String::from(words.title);
    out.push('\n');
    for line in lines {
        // Writing to a String cannot fail.
        let _ = match line {
            BidLine::Placed {
                gift,
                account,
                recipient,
                total,
                raise,
            } => {
                let to = lang.recipient(*recipient);
                let what = if *raise { words.raised } else { words.placed };
                write!(
                    out,
                    "• ✅ gift={gift} | {}⭐ | acc={account} → {to} | {what}",
                    total.get()
                )
            }
            BidLine::Failed {
                gift,
                account,
                total,
                error,
                retry_in_secs,
            } => write!(
                out,
                "• ❌ gift={gift} | {}⭐ | acc={account} | {} ({}); {} {}",
                total.get(),
                words.failed,
                one_line(error),
                words.retry_in,
                wait_text(*retry_in_secs, &words)
            ),
            BidLine::ClosedToGifts {
                gift,
                account,
                recipient,
                retry_in_secs,
            } => write!(
                out,
                "• 🚫 gift={gift} | acc={account} → {} | {}; {} {}",
                lang.recipient(*recipient),
                words.closed,
                words.retry_in,
                wait_text(*retry_in_secs, &words)
            ),
            BidLine::Unknown {
                gift,
                account,
                total,
            } => write!(
                out,
                "• ❓ gift={gift} | {}⭐ | acc={account} | {}",
                total.get(),
                words.unknown
            ),
            BidLine::Won {
                gift,
                account,
                count,
            } => write!(
                out,
                "• 🏆 gift={gift} | acc={account} | {} ×{count}",
                words.won
            ),
            BidLine::OutbidAboveMax {
                gift,
                account,
                max_bid,
            } => write!(
                out,
                "• ⚠️ gift={gift} | acc={account} | {} {}⭐",
                words.above_max,
                max_bid.get()
            ),
            BidLine::Returned {
                gift,
                account,
                total,
            } => write!(
                out,
                "• ↩️ gift={gift} | {}⭐ | acc={account} | {}",
                total.get(),
                words.returned
            ),
        };
        out.push('\n');
    }
    Some(out)
}

/// The report's words in one language.
struct Words {
    title: &'static str,
    placed: &'static str,
    raised: &'static str,
    failed: &'static str,
    unknown: &'static str,
    won: &'static str,
    above_max: &'static str,
    returned: &'static str,
    closed: &'static str,
    retry_in: &'static str,
    seconds: &'static str,
    minutes: &'static str,
}

/// A wait as people read it: seconds under a minute, whole minutes (rounded up) beyond.
fn wait_text(secs: u64, words: &Words) -> String {
    if secs < 60 {
        format!("{secs} {}", words.seconds)
    } else {
        format!("{} {}", secs.div_ceil(60), words.minutes)
    }
}

impl Words {
    const fn of(lang: Lang) -> Self {
        match lang {
            Lang::En => Self {
                title: "🔨 Auctions",
                placed: "bid placed",
                raised: "bid raised",
                failed: "bid refused",
                unknown: "outcome unknown, not resent",
                won: "won",
                above_max: "outbid: winning back a slot needs more than your maximum of",
                returned: "bid returned, stars refunded",
                closed: "the channel takes no star gifts from this account (its owner turned them off, or the account cannot see it), so no bid is placed for it",
                retry_in: "this plan bids again in",
                seconds: "s",
                minutes: "min",
            },
            Lang::Ru => Self {
                title: "🔨 Аукционы",
                placed: "ставка сделана",
                raised: "ставка повышена",
                failed: "ставка отклонена",
                unknown: "результат неизвестен, повторно не отправлялось",
                won: "выиграно",
                above_max: "ставку перебили: чтобы вернуть место, нужно больше вашего максимума",
                returned: "ставка возвращена, звёзды вернулись",
                closed: "канал не принимает подарки за звёзды от этого аккаунта (владелец их отключил или аккаунт его не видит), ставка за него не делается",
                retry_in: "следующая попытка по этому плану через",
                seconds: "с",
                minutes: "мин",
            },
        }
    }
}
