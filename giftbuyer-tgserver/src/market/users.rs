//! The account's own user (`users.getUsers(inputUserSelf)`, also inside `auth.authorization`)
//! and its star balance (`payments.getStarsStatus`).

use giftbuyer_core::AccountId;
use giftbuyer_core::ports::TelegramAccount;
use grammers_tl_types::{self as tl, functions};

use super::{MarketBackend, telegram_error};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

impl MarketBackend {
    /// The `user` constructor for an account of the market; `is_self` as its own session sees it.
    pub(super) async fn user(
        &self,
        account: AccountId,
        is_self: bool,
    ) -> Result<tl::enums::User, RpcFailure> {
        let sim = self
            .market()
            .account(account)
            .ok_or_else(|| RpcFailure::bad_request("USER_ID_INVALID"))?;
        let profile = sim
            .profile()
            .await
            .map_err(|error| telegram_error(&error))?;
        let id = account.get();
        Ok(plain_user(UserFields {
            id,
            access_hash: self.access_hash(id),
            is_self,
            premium: profile.premium,
            first_name: profile.first_name,
            username: profile.username,
        }))
    }

    pub(super) async fn get_users(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::users::GetUsers = decode(body)?;
        let me = self.account(context)?.account_id();
        let mut users = Vec::with_capacity(request.id.len());
        for input in request.id {
            let id = match input {
                tl::enums::InputUser::UserSelf => Some(me),
                tl::enums::InputUser::User(user) => AccountId::new(user.user_id)
                    .ok()
                    .filter(|id| user.access_hash == self.access_hash(id.get())),
                _ => None,
            };
            // Telegram leaves out users it cannot resolve rather than failing the call.
            if let Some(id) = id
                && let Ok(user) = self.user(id, id == me).await
            {
                users.push(user);
            }
        }
        Ok(Reply::answer(&users))
    }

    pub(super) async fn stars_status(&self, context: &CallContext) -> Result<Reply, RpcFailure> {
        let balance = self
            .account(context)?
            .stars_balance()
            .await
            .map_err(|error| telegram_error(&error))?;
        Ok(Reply::answer(&tl::enums::payments::StarsStatus::Status(
            tl::types::payments::StarsStatus {
                balance: tl::enums::StarsAmount::Amount(tl::types::StarsAmount {
                    amount: i64::try_from(balance.get()).unwrap_or(i64::MAX),
                    nanos: 0,
                }),
                subscriptions: None,
                subscriptions_next_offset: None,
                subscriptions_missing_balance: None,
                history: None,
                next_offset: None,
                chats: Vec::new(),
                users: Vec::new(),
            },
        )))
    }
}

/// What a `user` constructor of the market says about someone; everything else is unset.
pub(super) struct UserFields {
    pub(super) id: i64,
    pub(super) access_hash: i64,
    pub(super) is_self: bool,
    pub(super) premium: bool,
    pub(super) first_name: Option<String>,
    pub(super) username: Option<String>,
}

/// A plain person's `user`: no bot, contact or restriction flags. The schema ties `bot` and
/// `bot_info_version` to one flag bit (and `restricted` and `restriction_reason` to another),
/// and grammers sets a bit from any of its fields, so both of each pair stay unset.
pub(super) fn plain_user(fields: UserFields) -> tl::enums::User {
    tl::enums::User::User(tl::types::User {
        is_self: fields.is_self,
        contact: false,
        mutual_contact: false,
        deleted: false,
        bot: false,
        bot_chat_history: false,
        bot_nochats: false,
        verified: false,
        restricted: false,
        min: false,
        bot_inline_geo: false,
        support: false,
        scam: false,
        apply_min_photo: false,
        fake: false,
        bot_attach_menu: false,
        premium: fields.premium,
        attach_menu_enabled: false,
        bot_can_edit: false,
        close_friend: false,
        stories_hidden: false,
        stories_unavailable: false,
        contact_require_premium: false,
        bot_business: false,
        bot_has_main_app: false,
        bot_forum_view: false,
        bot_forum_can_manage_topics: false,
        bot_can_manage_bots: false,
        bot_guestchat: false,
        bot_guard: false,
        id: fields.id,
        access_hash: Some(fields.access_hash),
        first_name: fields.first_name,
        last_name: None,
        username: fields.username,
        phone: None,
        photo: None,
        // Premium's end date travels as an emoji status on Telegram, which the adapter
        // does not read; the flag is what the planner needs.
        status: None,
        bot_info_version: None,
        restriction_reason: None,
        bot_inline_placeholder: None,
        lang_code: None,
        emoji_status: None,
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        bot_active_users: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_community_id: None,
    })
}
