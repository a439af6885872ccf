//! A gift for a person by username: the resolve request, the user its answer names (through the
//! wire format), and answers that must not become a recipient (a channel, a bot, no hash).

use giftbuyer_core::resale::TelegramUsername;
use giftbuyer_telegram::mapping::{input_peer_user, resolve_username_request, resolved_user};
use grammers_tl_types::{Deserializable, Serializable, enums, types};

use crate::fixtures::user;

fn answer(peer: enums::Peer, users: Vec<types::User>) -> enums::contacts::ResolvedPeer {
    let answer = enums::contacts::ResolvedPeer::Peer(types::contacts::ResolvedPeer {
        peer,
        chats: Vec::new(),
        users: users.into_iter().map(enums::User::User).collect(),
    });
    enums::contacts::ResolvedPeer::from_bytes(&answer.to_bytes()).expect("round trip")
}

fn peer_user(user_id: i64) -> enums::Peer {
    enums::Peer::User(types::PeerUser { user_id })
}

#[test]
fn a_username_resolves_to_its_user_with_the_access_hash() {
    let name = TelegramUsername::new(" @Gift_Friend ").expect("valid username");
    assert_eq!(name.as_str(), "gift_friend");
    assert_eq!(resolve_username_request(name).username, "gift_friend");
    let friend = types::User {
        is_self: false,
        access_hash: Some(99),
        ..user(5_001, false)
    };
    let other = types::User {
        is_self: false,
        access_hash: Some(7),
        ..user(5_002, false)
    };
    let resolved = resolved_user(&answer(peer_user(5_001), vec![other, friend]));
    assert_eq!(resolved, Ok((5_001, 99)));
    assert_eq!(
        input_peer_user(5_001, 99),
        enums::InputPeer::User(types::InputPeerUser {
            user_id: 5_001,
            access_hash: 99
        })
    );
}

#[test]
fn a_channel_a_bot_or_a_user_without_hash_is_refused() {
    let channel = answer(
        enums::Peer::Channel(types::PeerChannel { channel_id: 42 }),
        Vec::new(),
    );
    let bot = answer(
        peer_user(5_003),
        // `bot` and `bot_info_version` share flag 14: grammers writes them together.
        vec![types::User {
            bot: true,
            bot_info_version: Some(1),
            access_hash: Some(1),
            ..user(5_003, false)
        }],
    );
    let no_hash = answer(
        peer_user(5_004),
        vec![types::User {
            access_hash: None,
            ..user(5_004, false)
        }],
    );
    let missing = answer(peer_user(5_005), Vec::new());
    for (what, answer) in [
        ("channel", channel),
        ("bot", bot),
        ("no hash", no_hash),
        ("missing", missing),
    ] {
        let error = resolved_user(&answer).expect_err(what);
        assert!(
            error.to_string().contains("unexpected_response"),
            "{what}: {error}"
        );
    }
}

#[test]
fn usernames_follow_telegrams_rules() {
    for bad in [
        "",
        "abcd",
        "1abcde",
        "abc de",
        "abcde_",
        "абвгде",
        &"a".repeat(33),
    ] {
        assert!(TelegramUsername::new(bad).is_err(), "{bad:?}");
    }
    for good in ["abcde", "@durov_bot1", &"a".repeat(32)] {
        assert!(TelegramUsername::new(good).is_ok(), "{good:?}");
    }
}
