//! Identifier newtypes: gifts, Telegram accounts, channels in Bot API form and channel rows.

use std::fmt;

use crate::ValueError;

/// Defines an identifier newtype that only accepts positive values, displayed as its number.
macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident, $error:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Accepts a positive id.
            pub const fn new(raw: i64) -> Result<Self, $crate::ValueError> {
                if raw > 0 { Ok(Self(raw)) } else { Err($error(raw)) }
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}
pub(crate) use positive_id;

positive_id!(
    /// Identifier of a star gift in Telegram's catalog (`starGift.id`), always positive.
    GiftId,
    ValueError::GiftId
);

positive_id!(
    /// Identifier of a Telegram user account that buys gifts (its Telegram user id), always
    /// positive.
    AccountId,
    ValueError::AccountId
);

positive_id!(
    /// Identifier of a row in the user's list of targets (the storage key), always positive.
    TargetRowId,
    ValueError::TargetRowId
);

/// A Telegram channel in Bot API form: `-100` followed by the channel's MTProto id.
///
/// The Bot API writes a channel whose MTProto id is `n` as `-(10^12 + n)`, so every valid value
/// lies in `MIN..=MAX`. Telegram's channel ids stay below `10^12 - 2^31`, which gives the
/// lower bound; accepting only this range means a user id, a basic group id or a channel id
/// without its `-100` prefix is refused at the door instead of failing at purchase time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(i64);

impl ChannelId {
    /// The channel with MTProto id 1: `-1000000000001`.
    pub const MAX: i64 = -1_000_000_000_001;
    /// The channel with the largest MTProto id Telegram hands out: `-1997852516352`.
    pub const MIN: i64 = -1_997_852_516_352;
    const OFFSET: i64 = 1_000_000_000_000;

    /// Accepts a Bot API channel id such as `-1001234567890`.
    pub const fn new(raw: i64) -> Result<Self, ValueError> {
        if raw >= Self::MIN && raw <= Self::MAX {
            Ok(Self(raw))
        } else {
            Err(ValueError::ChannelId(raw))
        }
    }

    /// The channel from its MTProto id (what `inputPeerChannel.channel_id` carries).
    pub const fn from_mtproto(channel_id: i64) -> Result<Self, ValueError> {
        match channel_id.checked_add(Self::OFFSET) {
            Some(sum) => Self::new(-sum),
            None => Err(ValueError::ChannelId(channel_id)),
        }
    }

    /// The Bot API form, e.g. `-1001234567890`.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The MTProto channel id, e.g. `1234567890` for `-1001234567890`.
    pub const fn mtproto_id(self) -> i64 {
        -self.0 - Self::OFFSET
    }
}

macro_rules! display_inner {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}

display_inner!(ChannelId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_id_accepts_only_the_bot_api_channel_range() {
        assert_eq!(
            ChannelId::new(-1001234567890).map(ChannelId::mtproto_id),
            Ok(1234567890)
        );
        assert!(ChannelId::new(ChannelId::MAX).is_ok());
        assert!(ChannelId::new(ChannelId::MIN).is_ok());
        for bad in [
            0,
            1,
            -1,
            -1234567890,
            -1000000000000,
            ChannelId::MIN - 1,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(
                ChannelId::new(bad),
                Err(ValueError::ChannelId(bad)),
                "{bad}"
            );
        }
    }

    #[test]
    fn channel_id_round_trips_through_the_mtproto_id() {
        let id = ChannelId::from_mtproto(1234567890).expect("valid");
        assert_eq!(id.get(), -1001234567890);
        assert!(ChannelId::from_mtproto(0).is_err());
        assert!(ChannelId::from_mtproto(i64::MAX).is_err());
        assert!(ChannelId::from_mtproto(-5).is_err());
    }

    #[test]
    fn positive_ids_refuse_zero_and_negatives() {
        assert!(GiftId::new(1).is_ok());
        assert_eq!(GiftId::new(0), Err(ValueError::GiftId(0)));
        assert_eq!(AccountId::new(-3), Err(ValueError::AccountId(-3)));
        assert_eq!(TargetRowId::new(0), Err(ValueError::TargetRowId(0)));
    }
}
