//! What keeps the bidder from asking again and again for a bid Telegram cannot take: each
//! plan's streak of refusals with the time it may bid again, and which channels take star gifts
//! at all, read once in a while per account.

use std::collections::HashMap;
use std::time::Duration;

use giftbuyer_core::bidding::{AuctionPlanId, refusal_wait};
use giftbuyer_core::ports::ErrorClass;
use giftbuyer_core::{AccountId, ChannelId};

/// How long a channel's answer to "do you take star gifts" is believed. Its owner rarely
/// changes it, and a bid for a channel that stopped taking gifts is only refused, not paid.
pub(crate) const GIFT_CHANNEL_TTL: Duration = Duration::from_secs(600);

/// One plan's refusals in a row and when it may bid again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Streak {
    refusals: u32,
    until: Duration,
}

/// The refusal streaks of every plan, on the engine's clock.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    streaks: HashMap<AuctionPlanId, Streak>,
}

impl Refusals {
    /// Whether the plan waits out a refusal at `now`.
    pub(crate) fn waiting(&self, plan: AuctionPlanId, now: Duration) -> bool {
        self.streaks
            .get(&plan)
            .is_some_and(|streak| streak.until > now)
    }

    /// Records a refusal of this class at `now`; returns whether it starts a streak, which is
    /// the one refusal of the streak worth telling the user about.
    pub(crate) fn refused(
        &mut self,
        plan: AuctionPlanId,
        class: ErrorClass,
        now: Duration,
    ) -> bool {
        let before = self.streaks.get(&plan).map_or(0, |streak| streak.refusals);
        let until = now + refusal_wait(class, before);
        self.streaks.insert(
            plan,
            Streak {
                refusals: before.saturating_add(1),
                until,
            },
        );
        before == 0
    }

    /// A bid went through (or may have): the streak ends.
    pub(crate) fn cleared(&mut self, plan: AuctionPlanId) {
        self.streaks.remove(&plan);
    }
}

/// Which channels take star gifts, as each account last read them.
#[derive(Debug, Default)]
pub(crate) struct GiftChannels {
    read: HashMap<(AccountId, ChannelId), (bool, Duration)>,
}

impl GiftChannels {
    /// The answer read within [`GIFT_CHANNEL_TTL`] of `now`, if any.
    pub(crate) fn known(
        &self,
        account: AccountId,
        channel: ChannelId,
        now: Duration,
    ) -> Option<bool> {
        self.read
            .get(&(account, channel))
            .filter(|(_, at)| now.saturating_sub(*at) < GIFT_CHANNEL_TTL)
            .map(|(takes, _)| *takes)
    }

    pub(crate) fn record(
        &mut self,
        account: AccountId,
        channel: ChannelId,
        takes: bool,
        now: Duration,
    ) {
        self.read.insert((account, channel), (takes, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> AuctionPlanId {
        AuctionPlanId::new(1).expect("positive")
    }

    #[test]
    fn a_streak_waits_longer_each_time_and_tells_only_its_first_refusal() {
        let mut refusals = Refusals::default();
        let at = Duration::from_secs(100);
        assert!(refusals.refused(plan(), ErrorClass::Other, at));
        assert!(refusals.waiting(plan(), at + Duration::from_secs(4)));
        assert!(!refusals.waiting(plan(), at + Duration::from_secs(5)));
        let again = at + Duration::from_secs(5);
        assert!(!refusals.refused(plan(), ErrorClass::Other, again));
        assert!(refusals.waiting(plan(), again + Duration::from_secs(9)));
        assert!(!refusals.waiting(plan(), again + Duration::from_secs(10)));
        refusals.cleared(plan());
        assert!(!refusals.waiting(plan(), again));
        assert!(refusals.refused(plan(), ErrorClass::Recipient, again));
        assert!(refusals.waiting(plan(), again + Duration::from_secs(599)));
    }

    #[test]
    fn a_channel_answer_is_believed_for_ten_minutes() {
        let mut channels = GiftChannels::default();
        let account = AccountId::new(7).expect("positive");
        let channel = ChannelId::from_mtproto(5).expect("valid");
        let at = Duration::from_secs(30);
        assert_eq!(channels.known(account, channel, at), None);
        channels.record(account, channel, false, at);
        assert_eq!(
            channels.known(account, channel, at + Duration::from_secs(599)),
            Some(false)
        );
        assert_eq!(
            channels.known(account, channel, at + GIFT_CHANNEL_TTL),
            None
        );
        let other = AccountId::new(8).expect("positive");
        assert_eq!(channels.known(other, channel, at), None);
    }
}
