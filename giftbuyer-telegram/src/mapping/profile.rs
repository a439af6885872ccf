//! The account's own user, from `users.getUsers([inputUserSelf])`.

use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{Profile, TelegramError};
use grammers_tl_types::{enums, functions};

use crate::errors::unexpected;

/// `users.getUsers#0d91a548 id:Vector<InputUser>` for the account itself.
pub fn self_user_request() -> functions::users::GetUsers {
    functions::users::GetUsers {
        id: vec![enums::InputUser::UserSelf],
    }
}

/// The profile from the raw user.
///
/// The `user` constructor only says whether Premium is active (`premium`); Telegram does not
/// tell a client when its own Premium ends, so `premium_until` stays `None`. The username is
/// the main one, or else the first active collectible username.
pub fn profile(users: &[enums::User]) -> Result<Profile, TelegramError> {
    let user = match users.first() {
        Some(enums::User::User(user)) => user,
        Some(enums::User::Empty(_)) | None => {
            return Err(unexpected(
                "users.getUsers returned no user for the account",
            ));
        }
    };
    let account_id =
        AccountId::new(user.id).map_err(|_| unexpected("the account's user id is not positive"))?;
    let username = user.username.clone().or_else(|| {
        user.usernames.as_ref().and_then(|names| {
            names.iter().find_map(|enums::Username::Username(name)| {
                name.active.then(|| name.username.clone())
            })
        })
    });
    Ok(Profile {
        account_id,
        username,
        first_name: user.first_name.clone(),
        premium: user.premium,
        premium_until: None,
    })
}
