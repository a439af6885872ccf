//! The validation error every domain newtype reports when a raw value is out of its range.

/// Why a raw value was refused by one of the domain's constructors.
///
/// Messages are written for people: they name the value and what was expected, so that a
/// frontend can show them as they are, prefixed with the field the value came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("gift id must be positive, got {0}")]
    GiftId(i64),
    #[error("account id must be positive, got {0}")]
    AccountId(i64),
    #[error("target row id must be positive, got {0}")]
    TargetRowId(i64),
    #[error(
        "{0} is not a channel id: expected the Bot API form, -100 followed by the channel's id (e.g. -1001234567890)"
    )]
    ChannelId(i64),
    #[error("a star amount must not be negative, got {0}")]
    NegativeStars(i64),
    #[error("a {what} bound must not be negative, got {value}")]
    NegativeBound { what: &'static str, value: i64 },
    #[error("{what} minimum {min} is greater than the maximum {max}")]
    InvertedBounds {
        what: &'static str,
        min: u64,
        max: u64,
    },
    #[error("user id must be positive, got {0}")]
    UserId(i64),
    #[error("chat id must not be 0")]
    ChatId(i64),
    #[error("unix time must not be negative, got {0}")]
    UnixTime(i64),
    #[error("web session id must be positive, got {0}")]
    WebSessionId(i64),
    #[error("api profile id must be positive, got {0}")]
    ApiProfileId(i64),
    #[error("account row id must be positive, got {0}")]
    AccountRowId(i64),
    #[error("watch id must be positive, got {0}")]
    WatchId(i64),
    #[error("resale entry id must be positive, got {0}")]
    ResaleEntryId(i64),
    #[error("auction plan id must be positive, got {0}")]
    AuctionPlanId(i64),
    #[error("bid entry id must be positive, got {0}")]
    BidEntryId(i64),
    #[error(
        "telegram username must be 5 to 32 latin letters, digits and '_', starting with a letter, got {0:?}"
    )]
    TelegramUsername(String),
    #[error("a gift has one recipient: give a channel id or a username, not both")]
    TwoRecipients,
    #[error(
        "username must be 3 to 32 characters among latin letters, digits, '_', '.' and '-', got {0:?}"
    )]
    Username(String),
    #[error("unknown gift kind {0:?}: expected \"birthday\" or \"premium_only\"")]
    GiftKind(String),
    #[error("an exclude list holds at most {max} distinct gift ids")]
    TooManyExcludedGifts { max: usize },
}
