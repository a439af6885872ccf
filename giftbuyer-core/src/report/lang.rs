//! The report's languages and every phrase it uses in each of them.

use std::fmt;
use std::str::FromStr;

use crate::{Recipient, SkipReason};

/// A language the report can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ru,
}

/// An unsupported language code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report language {0:?}: expected \"en\" or \"ru\"")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        match code {
            "en" => Ok(Self::En),
            "ru" => Ok(Self::Ru),
            other => Err(UnknownLang(other.to_owned())),
        }
    }
}

impl Lang {
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ru => "ru",
        }
    }

    pub(super) const fn texts(self) -> &'static Texts {
        match self {
            Self::En => &EN,
            Self::Ru => &RU,
        }
    }

    /// Who receives a gift, as every report writes it: `ch=<id>` for a channel, the
    /// language's word for the buying account itself, `@name` for a person.
    pub(super) fn recipient(self, recipient: Recipient) -> String {
        match recipient {
            Recipient::Channel(channel) => format!("ch={channel}"),
            Recipient::Buyer => self.texts().to_self.to_owned(),
            Recipient::User(user) => user.to_string(),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The phrases of one language.
pub(super) struct Texts {
    pub(super) title: &'static str,
    pub(super) title_dry_run: &'static str,
    pub(super) new: &'static str,
    pub(super) bought: &'static str,
    pub(super) planned: &'static str,
    pub(super) skipped: &'static str,
    pub(super) by_gift: &'static str,
    pub(super) by_target: &'static str,
    pub(super) by_account: &'static str,
    pub(super) none: &'static str,
    pub(super) reason: &'static str,
    pub(super) unknown_outcome: &'static str,
    pub(super) locked_until: &'static str,
    pub(super) auction_starts: &'static str,
    pub(super) unlimited: &'static str,
    /// The buying account as a gift's recipient.
    pub(super) to_self: &'static str,
    pub(super) skip_reasons: [&'static str; SkipReason::ALL.len()],
}

impl Texts {
    pub(super) fn skip_reason(&self, reason: SkipReason) -> &'static str {
        // `ALL` lists the variants in declaration order, so the discriminant indexes the table.
        self.skip_reasons[reason as usize]
    }
}

static EN: Texts = Texts {
    title: "🧾 Autobuy report",
    title_dry_run: "🧾 Autobuy plan (dry run)",
    new: "New",
    bought: "Bought",
    planned: "Planned",
    skipped: "Skipped",
    by_gift: "📦 By gift:",
    by_target: "🛰️ By target:",
    by_account: "👤 By account:",
    none: "• none",
    reason: "reason",
    unknown_outcome: "outcome unknown, not resent",
    locked_until: "locked until",
    auction_starts: "starts",
    unlimited: "unlimited",
    to_self: "self",
    skip_reasons: [
        "invalid id",
        "auction gift (bids only, never bought)",
        "invalid price",
        "non-limited (skipped)",
        "limited without supply",
        "invalid supply",
        "sold out",
        "no matching target",
        "excluded by every matching target",
        "premium required",
        "per-user limit reached",
        "not enough stars",
        "plan is full",
    ],
};

static RU: Texts = Texts {
    title: "🧾 Отчёт автопокупки",
    title_dry_run: "🧾 План автопокупки (пробный запуск)",
    new: "Новых",
    bought: "Куплено",
    planned: "Запланировано",
    skipped: "Пропущено",
    by_gift: "📦 По подаркам:",
    by_target: "🛰️ По получателям:",
    by_account: "👤 По аккаунтам:",
    none: "• нет",
    reason: "причина",
    unknown_outcome: "результат неизвестен, повторно не отправлялось",
    locked_until: "заблокирован до",
    auction_starts: "начало",
    unlimited: "без лимита",
    to_self: "себе",
    skip_reasons: [
        "некорректный id",
        "аукционный подарок (только ставки, не покупается)",
        "некорректная цена",
        "не лимитированный (пропущен)",
        "лимитированный без тиража",
        "некорректный тираж",
        "распродан",
        "нет подходящего получателя",
        "исключён у всех подходящих получателей",
        "нужен Premium",
        "достигнут лимит на пользователя",
        "недостаточно звёзд",
        "план переполнен",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_names_the_bad_one() {
        assert_eq!("ru".parse(), Ok(Lang::Ru));
        assert_eq!("en".parse(), Ok(Lang::En));
        let err = "de".parse::<Lang>().expect_err("unsupported");
        assert_eq!(
            err.to_string(),
            "unknown report language \"de\": expected \"en\" or \"ru\""
        );
    }

    #[test]
    fn every_skip_reason_has_its_own_phrase() {
        for texts in [&EN, &RU] {
            let phrases: std::collections::HashSet<_> = SkipReason::ALL
                .iter()
                .map(|&reason| texts.skip_reason(reason))
                .collect();
            assert_eq!(phrases.len(), SkipReason::ALL.len());
        }
        assert_eq!(
            EN.skip_reason(SkipReason::NotEnoughStars),
            "not enough stars"
        );
        assert_eq!(RU.skip_reason(SkipReason::SoldOut), "распродан");
    }
}
