//! `Method`: the account calls the simulator tells apart for latency, flood limits and faults.

use std::fmt;

/// One kind of call a [`crate::SimAccount`] answers, named as in the drop file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// `payments.getStarGifts`.
    Catalog,
    /// `users.getFullUser(inputUserSelf)`.
    Profile,
    /// `payments.getStarsStatus`.
    Balance,
    /// `payments.getPaymentForm` and `payments.sendStarsForm` for a gift.
    Buy,
    /// `upload.getFile` for a gift's sticker.
    Sticker,
    /// `channels.getChannels` and the account's rights in it.
    ChannelInfo,
    /// `payments.getResaleStarGifts`.
    Resale,
    /// `payments.getPaymentForm` and `payments.sendStarsForm` for a resale listing.
    ResaleBuy,
    /// `payments.getStarGiftAuctionState`.
    AuctionState,
    /// `payments.getPaymentForm` and `payments.sendStarsForm` for an auction bid.
    Bid,
}

impl Method {
    pub const ALL: [Self; 10] = [
        Self::Catalog,
        Self::Profile,
        Self::Balance,
        Self::Buy,
        Self::Sticker,
        Self::ChannelInfo,
        Self::Resale,
        Self::ResaleBuy,
        Self::AuctionState,
        Self::Bid,
    ];

    /// The name used in drop files.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Profile => "profile",
            Self::Balance => "balance",
            Self::Buy => "buy",
            Self::Sticker => "sticker",
            Self::ChannelInfo => "channel_info",
            Self::Resale => "resale",
            Self::ResaleBuy => "resale_buy",
            Self::AuctionState => "auction_state",
            Self::Bid => "bid",
        }
    }

    /// A stable number for keyed random draws.
    pub(crate) const fn key(self) -> u64 {
        match self {
            Self::Catalog => 1,
            Self::Profile => 2,
            Self::Balance => 3,
            Self::Buy => 4,
            Self::Sticker => 5,
            Self::ChannelInfo => 6,
            Self::Resale => 7,
            Self::ResaleBuy => 8,
            Self::AuctionState => 9,
            Self::Bid => 10,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
