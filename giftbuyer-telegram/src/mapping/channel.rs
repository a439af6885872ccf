//! A channel as one account sees it: input peers from a cached access hash, the account's
//! rights from `channels.getParticipant` for itself, and whether the channel takes star gifts
//! from `channels.getFullChannel`.

use giftbuyer_core::ChannelId;
use giftbuyer_core::ports::ChannelAccess;
use grammers_tl_types::{enums, functions, types};

use crate::errors::unexpected;

/// `inputPeerChannel` for a channel whose access hash the account knows.
pub fn input_peer_channel(channel: ChannelId, access_hash: i64) -> enums::InputPeer {
    enums::InputPeer::Channel(types::InputPeerChannel {
        channel_id: channel.mtproto_id(),
        access_hash,
    })
}

/// `inputChannel` for a channel whose access hash the account knows.
pub fn input_channel(channel: ChannelId, access_hash: i64) -> enums::InputChannel {
    enums::InputChannel::Channel(types::InputChannel {
        channel_id: channel.mtproto_id(),
        access_hash,
    })
}

/// `channels.getParticipant#a0ab6cc6 channel:InputChannel participant:InputPeer` for the
/// account itself.
pub fn self_participant_request(
    channel: enums::InputChannel,
) -> functions::channels::GetParticipant {
    functions::channels::GetParticipant {
        channel,
        participant: enums::InputPeer::PeerSelf,
    }
}

/// The account's access from its participant entry.
///
/// In a broadcast channel only the creator and administrators with `post_messages` may post;
/// in a supergroup every member may. A member banned from viewing messages, or one who left,
/// is not a member at all.
pub fn channel_access(
    answer: &enums::channels::ChannelParticipant,
    channel: ChannelId,
) -> ChannelAccess {
    let enums::channels::ChannelParticipant::Participant(answer) = answer;
    let broadcast = find_channel(&answer.chats, channel).is_none_or(|channel| channel.broadcast);
    match &answer.participant {
        enums::ChannelParticipant::Creator(_) => ChannelAccess::CanPost,
        enums::ChannelParticipant::Admin(admin) => {
            let enums::ChatAdminRights::Rights(rights) = &admin.admin_rights;
            if !broadcast || rights.post_messages {
                ChannelAccess::CanPost
            } else {
                ChannelAccess::ReadOnly
            }
        }
        enums::ChannelParticipant::Participant(_)
        | enums::ChannelParticipant::ParticipantSelf(_) => {
            if broadcast {
                ChannelAccess::ReadOnly
            } else {
                ChannelAccess::CanPost
            }
        }
        enums::ChannelParticipant::Banned(banned) => {
            let enums::ChatBannedRights::Rights(rights) = &banned.banned_rights;
            if banned.left || rights.view_messages {
                ChannelAccess::NotMember
            } else {
                ChannelAccess::ReadOnly
            }
        }
        enums::ChannelParticipant::Left(_) => ChannelAccess::NotMember,
    }
}

/// The channel's title among the chats an answer carries.
pub fn channel_title(chats: &[enums::Chat], channel: ChannelId) -> Option<String> {
    find_channel(chats, channel).map(|channel| channel.title.clone())
}

fn find_channel(chats: &[enums::Chat], channel: ChannelId) -> Option<&types::Channel> {
    chats.iter().find_map(|chat| match chat {
        enums::Chat::Channel(found) if found.id == channel.mtproto_id() => Some(found),
        _ => None,
    })
}

/// `channels.getFullChannel#8736a09 channel:InputChannel`.
pub fn full_channel_request(channel: enums::InputChannel) -> functions::channels::GetFullChannel {
    functions::channels::GetFullChannel { channel }
}

/// Whether the full channel takes star gifts (`channelFull.stargifts_available`). An answer
/// about something else than this channel is refused: a wrong "yes" would let a bid go to a
/// channel that cannot receive the gift.
pub fn takes_star_gifts(
    answer: &enums::messages::ChatFull,
    channel: ChannelId,
) -> Result<bool, giftbuyer_core::ports::TelegramError> {
    let enums::messages::ChatFull::Full(answer) = answer;
    match &answer.full_chat {
        enums::ChatFull::ChannelFull(full) if full.id == channel.mtproto_id() => {
            Ok(full.stargifts_available)
        }
        _ => Err(unexpected("the full channel answers for another chat")),
    }
}
