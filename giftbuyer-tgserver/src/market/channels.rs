//! Channels as one account sees them: `messages.getDialogs` (where the adapter learns their
//! access hashes), `channels.getChannels` and `channels.getParticipant(inputPeerSelf)` for the
//! account's rights, answered from the market's channel access.
//!
//! Which channels an account's dialogs list:
//! - every channel its spec lists as `CanPost` or `ReadOnly`;
//! - for an account with `any_channel` (it may post wherever its spec says nothing), also
//!   every channel the market knows: the titled channels of the market's configuration and
//!   the channels announced to the server with [`MarketBackend::add_channel`]. A dialog list
//!   cannot hold "every channel", and the adapter only ever asks for a channel whose access
//!   hash it found in the dialogs, so a channel the market does not know stays unreachable
//!   (the adapter reports it `not_a_member`), as a channel nobody invited the account to is
//!   on Telegram.
//!
//! A channel the market knows is treated like a public one (a non-member reading it gets
//! `USER_NOT_PARTICIPANT`, `channel` with `left`); any other channel like a private one (a
//! non-member gets `CHANNEL_PRIVATE`, `channelForbidden`), as Telegram answers for each kind.
//!
//! Access hashes are per account and channel, as on Telegram, where a hash one account learnt
//! is worthless to another: a wrong one answers `CHANNEL_INVALID` (an `InputChannel`) or
//! `PEER_ID_INVALID` (an `InputPeer`).

use std::collections::BTreeMap;

use giftbuyer_core::ports::{ChannelAccess, TelegramAccount};
use giftbuyer_core::{AccountId, ChannelId};
use grammers_tl_types::{self as tl, functions};

use super::{MarketBackend, telegram_error};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

/// The most channels announced with [`MarketBackend::add_channel`]; more are ignored, so a
/// composition that announces every channel a user types cannot grow the server without end.
pub(super) const MAX_ANNOUNCED_CHANNELS: usize = 4096;
/// Telegram's largest `messages.getDialogs` page.
const MAX_DIALOGS_PAGE: usize = 100;
/// Telegram's largest `channels.getChannels` request.
const MAX_CHANNELS_PER_CALL: usize = 100;
/// When the accounts joined their channels: a fixed date, since the sim keeps none.
const JOINED_AT: i32 = 1_700_000_000;
/// The user id given as the channels' creator, who promoted or invited the accounts. No account
/// of the market has it (`AccountId` is positive and the demo's ids are small).
const CREATOR_ID: i64 = 777_000;

/// The DC-independent parts of one channel as one account sees it.
#[derive(Debug, Clone)]
pub(super) struct SeenChannel {
    pub(super) id: ChannelId,
    pub(super) title: String,
    pub(super) access: ChannelAccess,
    /// Whether the market knows the channel (titled in the config or announced): such a
    /// channel behaves like a public one.
    pub(super) public: bool,
}

fn post_rights() -> tl::enums::ChatAdminRights {
    tl::enums::ChatAdminRights::Rights(tl::types::ChatAdminRights {
        change_info: false,
        post_messages: true,
        edit_messages: false,
        delete_messages: false,
        ban_users: false,
        invite_users: false,
        pin_messages: false,
        add_admins: false,
        anonymous: false,
        manage_call: false,
        other: false,
        manage_topics: false,
        post_stories: false,
        edit_stories: false,
        delete_stories: false,
        manage_direct_messages: false,
        manage_ranks: false,
        manage_linked_peers: false,
        manage_welcome_messages: false,
    })
}

impl MarketBackend {
    /// Makes a channel known to the server, with its title: accounts with `any_channel` then
    /// find it in their dialogs (see the module's documentation). A composition calls it for
    /// channels the market's configuration does not name, e.g. one a demo user adds.
    pub fn add_channel(&self, channel: ChannelId, title: Option<String>) {
        let mut announced = self.announced();
        if announced.len() < MAX_ANNOUNCED_CHANNELS || announced.contains_key(&channel) {
            announced.insert(channel, title);
        }
    }

    /// The access hash of `channel` for `account`: stable for the pair, different for every
    /// other account, and not computable without the server's secret.
    pub(crate) fn channel_hash(&self, account: AccountId, channel: ChannelId) -> i64 {
        self.access_hash(self.access_hash(account.get()) ^ channel.mtproto_id())
    }

    /// Every channel the market knows, with its title when it has one.
    fn known_channels(&self) -> BTreeMap<ChannelId, Option<String>> {
        let mut known: BTreeMap<ChannelId, Option<String>> = self
            .market()
            .channel_titles()
            .into_iter()
            .map(|(id, title)| (id, Some(title)))
            .collect();
        for (id, title) in self.announced().iter() {
            let entry = known.entry(*id).or_insert(None);
            if entry.is_none() {
                entry.clone_from(title);
            }
        }
        known
    }

    /// A channel as `account` sees it; `sim_title` is the title the market's account port
    /// gave, if any. Telegram channels always have a title, so one the market has none for
    /// is named after its id.
    fn seen(
        &self,
        known: &BTreeMap<ChannelId, Option<String>>,
        id: ChannelId,
        access: ChannelAccess,
        sim_title: Option<String>,
    ) -> SeenChannel {
        let title = sim_title
            .or_else(|| known.get(&id).cloned().flatten())
            .unwrap_or_else(|| format!("Channel {}", id.get()));
        SeenChannel {
            id,
            title,
            access,
            public: known.contains_key(&id),
        }
    }

    /// The channels `account`'s dialogs list, newest channel id first (a stable order, since
    /// the market keeps no messages to order them by).
    pub(super) fn dialog_channels(&self, account: AccountId) -> Vec<SeenChannel> {
        let Some(spec) = self.market().account_spec(account) else {
            return Vec::new();
        };
        let known = self.known_channels();
        let mut visible: BTreeMap<ChannelId, ChannelAccess> = spec
            .channels
            .iter()
            .filter(|(_, access)| **access != ChannelAccess::NotMember)
            .map(|(id, access)| (*id, *access))
            .collect();
        if spec.any_channel {
            for id in known.keys() {
                if !spec.channels.contains_key(id) {
                    visible.insert(*id, ChannelAccess::CanPost);
                }
            }
        }
        let mut seen: Vec<SeenChannel> = visible
            .into_iter()
            .map(|(id, access)| self.seen(&known, id, access, None))
            .collect();
        seen.sort_by_key(|channel| std::cmp::Reverse(channel.id.mtproto_id()));
        seen
    }

    /// The channel an `InputChannel` names, if its access hash is this account's.
    pub(super) fn input_channel(
        &self,
        account: AccountId,
        input: &tl::enums::InputChannel,
    ) -> Result<ChannelId, RpcFailure> {
        let invalid = || RpcFailure::bad_request("CHANNEL_INVALID");
        match input {
            tl::enums::InputChannel::Channel(channel) => {
                let id = ChannelId::from_mtproto(channel.channel_id).map_err(|_| invalid())?;
                if channel.access_hash == self.channel_hash(account, id) {
                    Ok(id)
                } else {
                    Err(invalid())
                }
            }
            // A channel taken from a message needs the message, which the market does not
            // keep; the empty one names nothing.
            tl::enums::InputChannel::Empty | tl::enums::InputChannel::FromMessage(_) => {
                Err(invalid())
            }
        }
    }

    /// The channel an `InputPeer` names, if it is a channel whose access hash is this
    /// account's. Gifts go to channels only in the market, so any other peer is refused.
    pub(super) fn input_peer_channel(
        &self,
        account: AccountId,
        input: &tl::enums::InputPeer,
    ) -> Result<ChannelId, RpcFailure> {
        let invalid = || RpcFailure::bad_request("PEER_ID_INVALID");
        match input {
            tl::enums::InputPeer::Channel(channel) => {
                let id = ChannelId::from_mtproto(channel.channel_id).map_err(|_| invalid())?;
                if channel.access_hash == self.channel_hash(account, id) {
                    Ok(id)
                } else {
                    Err(invalid())
                }
            }
            _ => Err(invalid()),
        }
    }

    /// The `channel` constructor (or `channelForbidden` for a private channel the account is
    /// not in) as `account` sees it.
    pub(super) fn channel_chat(
        &self,
        account: AccountId,
        channel: &SeenChannel,
    ) -> tl::enums::Chat {
        let access_hash = self.channel_hash(account, channel.id);
        if channel.access == ChannelAccess::NotMember && !channel.public {
            return tl::enums::Chat::ChannelForbidden(tl::types::ChannelForbidden {
                broadcast: true,
                megagroup: false,
                monoforum: false,
                id: channel.id.mtproto_id(),
                access_hash,
                title: channel.title.clone(),
                until_date: None,
            });
        }
        tl::enums::Chat::Channel(tl::types::Channel {
            creator: false,
            left: channel.access == ChannelAccess::NotMember,
            broadcast: true,
            verified: false,
            megagroup: false,
            restricted: false,
            signatures: false,
            min: false,
            scam: false,
            has_link: false,
            has_geo: false,
            slowmode_enabled: false,
            call_active: false,
            call_not_empty: false,
            fake: false,
            gigagroup: false,
            noforwards: false,
            join_to_send: false,
            join_request: false,
            forum: false,
            stories_hidden: false,
            stories_hidden_min: false,
            stories_unavailable: false,
            signature_profiles: false,
            autotranslation: false,
            broadcast_messages_allowed: false,
            monoforum: false,
            forum_tabs: false,
            id: channel.id.mtproto_id(),
            access_hash: Some(access_hash),
            title: channel.title.clone(),
            username: None,
            photo: tl::enums::ChatPhoto::Empty,
            date: JOINED_AT,
            restriction_reason: None,
            // Telegram sends the current user's admin rights with the channel.
            admin_rights: (channel.access == ChannelAccess::CanPost).then(post_rights),
            banned_rights: None,
            default_banned_rights: None,
            participants_count: None,
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            emoji_status: None,
            level: None,
            subscription_until_date: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_monoforum_id: None,
            linked_community_id: None,
        })
    }

    /// A channel's access and title through the market's account port, so that its latency,
    /// flood limits and faults for channel checks apply.
    async fn channel_through_market(
        &self,
        context: &CallContext,
        channel: ChannelId,
    ) -> Result<SeenChannel, RpcFailure> {
        let info = self
            .account(context)?
            .channel_info(channel)
            .await
            .map_err(|error| telegram_error(&error))?;
        let known = self.known_channels();
        Ok(self.seen(&known, channel, info.access, info.title))
    }

    /// `messages.getDialogs`: the account's channels, one page at a time.
    ///
    /// The page after `offset_peer` follows it in the list; an `offset_peer` that is not in the
    /// list gives an empty page, which ends a client's walk instead of starting it over. The
    /// whole list in one page is `messages.dialogs`, a part of it `messages.dialogsSlice` with
    /// the full count, as Telegram answers. The archive folder (`folder_id` 1) is empty.
    /// `hash` is ignored: `messages.dialogsNotModified` is never sent, since grammers' dialog
    /// iterator panics on it.
    pub(super) fn get_dialogs(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::messages::GetDialogs = decode(body)?;
        let me = self.account(context)?.account_id();
        let all = if request.folder_id.unwrap_or(0) == 0 {
            self.dialog_channels(me)
        } else {
            Vec::new()
        };
        let start = match &request.offset_peer {
            tl::enums::InputPeer::Empty => 0,
            tl::enums::InputPeer::Channel(peer) => all
                .iter()
                .position(|channel| channel.id.mtproto_id() == peer.channel_id)
                .map_or(all.len(), |index| index + 1),
            _ => all.len(),
        };
        let limit = usize::try_from(request.limit)
            .ok()
            .filter(|limit| (1..=MAX_DIALOGS_PAGE).contains(limit))
            .unwrap_or(MAX_DIALOGS_PAGE);
        let page: Vec<&SeenChannel> = all.iter().skip(start).take(limit).collect();
        let dialogs = page
            .iter()
            .map(|channel| {
                tl::enums::Dialog::Dialog(tl::types::Dialog {
                    pinned: false,
                    unread_mark: false,
                    view_forum_as_messages: false,
                    peer: tl::enums::Peer::Channel(tl::types::PeerChannel {
                        channel_id: channel.id.mtproto_id(),
                    }),
                    // The market keeps no channel messages, so there is no top message.
                    top_message: 0,
                    read_inbox_max_id: 0,
                    read_outbox_max_id: 0,
                    unread_count: 0,
                    unread_mentions_count: 0,
                    unread_reactions_count: 0,
                    unread_poll_votes_count: 0,
                    notify_settings: default_notify_settings(),
                    // Telegram gives every channel dialog its pts.
                    pts: Some(1),
                    draft: None,
                    folder_id: None,
                    ttl_period: None,
                })
            })
            .collect();
        let chats = page
            .iter()
            .map(|channel| self.channel_chat(me, channel))
            .collect();
        let whole = start == 0 && page.len() == all.len();
        let answer = if whole {
            tl::enums::messages::Dialogs::Dialogs(tl::types::messages::Dialogs {
                dialogs,
                messages: Vec::new(),
                chats,
                users: Vec::new(),
            })
        } else {
            tl::enums::messages::Dialogs::Slice(tl::types::messages::DialogsSlice {
                count: i32::try_from(all.len()).unwrap_or(i32::MAX),
                dialogs,
                messages: Vec::new(),
                chats,
                users: Vec::new(),
            })
        };
        Ok(Reply::answer(&answer))
    }

    /// `channels.getChannels`: each channel named with this account's access hash, as a
    /// `channel` (with `left` for a public one the account is not in) or a `channelForbidden`
    /// (a private one it is not in). One wrong hash fails the call with `CHANNEL_INVALID`.
    pub(super) async fn get_channels(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::channels::GetChannels = decode(body)?;
        let me = self.account(context)?.account_id();
        if request.id.len() > MAX_CHANNELS_PER_CALL {
            return Err(RpcFailure::bad_request("LIMIT_INVALID"));
        }
        let ids = request
            .id
            .iter()
            .map(|input| self.input_channel(me, input))
            .collect::<Result<Vec<_>, _>>()?;
        let mut chats = Vec::with_capacity(ids.len());
        for id in ids {
            let channel = self.channel_through_market(context, id).await?;
            chats.push(self.channel_chat(me, &channel));
        }
        Ok(Reply::answer(&tl::enums::messages::Chats::Chats(
            tl::types::messages::Chats { chats },
        )))
    }

    /// `channels.getParticipant(channel, inputPeerSelf)`: the account's own entry. Posting
    /// rights make it an administrator with `post_messages`; a read-only member is
    /// `channelParticipantSelf`; a non-member gets `USER_NOT_PARTICIPANT` in a public
    /// channel and `CHANNEL_PRIVATE` in a private one.
    pub(super) async fn get_participant(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::channels::GetParticipant = decode(body)?;
        let me = self.account(context)?.account_id();
        let id = self.input_channel(me, &request.channel)?;
        let is_self = match &request.participant {
            tl::enums::InputPeer::PeerSelf => true,
            tl::enums::InputPeer::User(user) => {
                user.user_id == me.get() && user.access_hash == self.access_hash(me.get())
            }
            _ => false,
        };
        if !is_self {
            // The market knows only each account's own rights.
            return Err(RpcFailure::bad_request("PARTICIPANT_ID_INVALID"));
        }
        let channel = self.channel_through_market(context, id).await?;
        let participant = match channel.access {
            ChannelAccess::NotMember if channel.public => {
                return Err(RpcFailure::bad_request("USER_NOT_PARTICIPANT"));
            }
            ChannelAccess::NotMember => return Err(RpcFailure::new(406, "CHANNEL_PRIVATE")),
            ChannelAccess::CanPost => {
                tl::enums::ChannelParticipant::Admin(tl::types::ChannelParticipantAdmin {
                    can_edit: false,
                    is_self: true,
                    user_id: me.get(),
                    inviter_id: Some(CREATOR_ID),
                    promoted_by: CREATOR_ID,
                    date: JOINED_AT,
                    admin_rights: post_rights(),
                    rank: None,
                })
            }
            ChannelAccess::ReadOnly => {
                tl::enums::ChannelParticipant::ParticipantSelf(tl::types::ChannelParticipantSelf {
                    via_request: false,
                    user_id: me.get(),
                    inviter_id: CREATOR_ID,
                    date: JOINED_AT,
                    subscription_until_date: None,
                    rank: None,
                })
            }
        };
        Ok(Reply::answer(
            &tl::enums::channels::ChannelParticipant::Participant(
                tl::types::channels::ChannelParticipant {
                    participant,
                    chats: vec![self.channel_chat(me, &channel)],
                    // The user list would carry the account's own user, which the adapter
                    // does not read; building it would cost a profile call on the market.
                    users: Vec::new(),
                },
            ),
        ))
    }

    /// `channels.getFullChannel`: the channel in full, as far as the market knows it: its id,
    /// an empty profile and whether it takes star gifts (`stargifts_available`, unset for a
    /// channel the market's owner closed to gifts). A channel the account cannot see answers
    /// as `channels.getParticipant` does.
    pub(super) async fn get_full_channel(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::channels::GetFullChannel = decode(body)?;
        let me = self.account(context)?.account_id();
        let id = self.input_channel(me, &request.channel)?;
        let channel = self.channel_through_market(context, id).await?;
        if channel.access == ChannelAccess::NotMember && !channel.public {
            return Err(RpcFailure::new(406, "CHANNEL_PRIVATE"));
        }
        let takes_gifts = self
            .account(context)?
            .channel_takes_star_gifts(id)
            .await
            .map_err(|error| telegram_error(&error))?;
        Ok(Reply::answer(&tl::enums::messages::ChatFull::Full(
            tl::types::messages::ChatFull {
                full_chat: tl::enums::ChatFull::ChannelFull(full_channel(id, takes_gifts)),
                chats: vec![self.channel_chat(me, &channel)],
                users: Vec::new(),
            },
        )))
    }
}

/// `channelFull` with what the market keeps of a channel: nothing but its id and whether it
/// takes star gifts; every count is zero and every optional part absent.
fn full_channel(id: ChannelId, takes_gifts: bool) -> tl::types::ChannelFull {
    tl::types::ChannelFull {
        can_view_participants: false,
        can_set_username: false,
        can_set_stickers: false,
        hidden_prehistory: false,
        can_set_location: false,
        has_scheduled: false,
        can_view_stats: false,
        blocked: false,
        can_delete_channel: false,
        antispam: false,
        participants_hidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        view_forum_as_messages: false,
        restricted_sponsored: false,
        can_view_revenue: false,
        paid_media_allowed: false,
        can_view_stars_revenue: false,
        paid_reactions_available: false,
        stargifts_available: takes_gifts,
        paid_messages_available: false,
        has_welcome_messages: false,
        id: id.mtproto_id(),
        about: String::new(),
        participants_count: None,
        admins_count: None,
        kicked_count: None,
        banned_count: None,
        online_count: None,
        read_inbox_max_id: 0,
        read_outbox_max_id: 0,
        unread_count: 0,
        chat_photo: tl::enums::Photo::Empty(tl::types::PhotoEmpty { id: 0 }),
        notify_settings: default_notify_settings(),
        exported_invite: None,
        bot_info: Vec::new(),
        migrated_from_chat_id: None,
        migrated_from_max_id: None,
        pinned_msg_id: None,
        stickerset: None,
        available_min_id: None,
        folder_id: None,
        linked_chat_id: None,
        location: None,
        slowmode_seconds: None,
        slowmode_next_send_date: None,
        stats_dc: None,
        pts: 1,
        call: None,
        ttl_period: None,
        pending_suggestions: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        default_send_as: None,
        available_reactions: None,
        reactions_limit: None,
        stories: None,
        wallpaper: None,
        boosts_applied: None,
        boosts_unrestrict: None,
        emojiset: None,
        bot_verification: None,
        stargifts_count: None,
        send_paid_messages_stars: None,
        main_tab: None,
        guard_bot_id: None,
    }
}

/// Notification settings left at the client's defaults: the market keeps none.
fn default_notify_settings() -> tl::enums::PeerNotifySettings {
    tl::enums::PeerNotifySettings::Settings(tl::types::PeerNotifySettings {
        show_previews: None,
        silent: None,
        mute_until: None,
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    })
}
