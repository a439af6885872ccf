//! Mapping from constructed TL objects: every field of the catalog, the balance, the profile,
//! the payment form, channel rights, and every RPC error name the engine acts on.

use std::collections::BTreeMap;

use giftbuyer_core::ports::{CatalogResponse, ChannelAccess, TelegramError};
use giftbuyer_core::{CatalogGift, GiftAuction, GiftDefect, Stars, StickerRef, UnixTime};
use giftbuyer_telegram::errors::map_invocation_error;
use giftbuyer_telegram::mapping::*;
use grammers_mtsender::{InvocationError, RpcError};
use grammers_tl_types::{Deserializable, Serializable, enums, types};

use crate::fixtures::*;

#[test]
fn a_star_gift_maps_field_for_field() {
    let gift = catalog_gift(&star_gift(7), account(5));
    assert_eq!(
        gift,
        CatalogGift {
            birthday: false,
            id: 7,
            price: 25,
            limited: true,
            sold_out: false,
            supply: Some(1000),
            remaining: Some(900),
            require_premium: true,
            per_user_remains: Some(3),
            locks: BTreeMap::from([(
                account(5),
                UnixTime::from_secs(1_800_000_000).expect("valid")
            )]),
            sticker: Some(StickerRef {
                document_id: 70,
                access_hash: 77,
                file_reference: vec![1, 2, 3],
                dc_id: 4,
                size: 4096,
            }),
            title: Some("Heart".to_owned()),
            auction: None,
        }
    );
}

#[test]
fn absent_optional_fields_stay_absent() {
    let gift = catalog_gift(
        &types::StarGift {
            sold_out: true,
            sticker: enums::Document::Empty(types::DocumentEmpty { id: 1 }),
            ..plain_gift(8)
        },
        account(5),
    );
    assert_eq!(
        gift,
        CatalogGift {
            birthday: false,
            id: 8,
            price: 25,
            limited: false,
            sold_out: true,
            supply: None,
            remaining: None,
            require_premium: false,
            per_user_remains: None,
            locks: BTreeMap::new(),
            sticker: None,
            title: None,
            auction: None,
        }
    );
}

#[test]
fn the_birthday_flag_survives_the_wire_and_maps_onto_the_gift() {
    let birthday = types::StarGift {
        birthday: true,
        ..star_gift(11)
    };
    let wire = enums::StarGift::Gift(birthday).to_bytes();
    let enums::StarGift::Gift(read) = enums::StarGift::from_bytes(&wire).expect("round trip")
    else {
        panic!("a starGift stays a starGift");
    };
    // The flag is bit 2 of the constructor's flags, right after its 4-byte constructor id.
    let flags = u32::from_le_bytes(wire[4..8].try_into().expect("flags"));
    assert_eq!(flags & (1 << 2), 1 << 2);
    let gift = catalog_gift(&read, account(5));
    assert!(gift.birthday);
    assert!(gift.kinds().contains(giftbuyer_core::GiftKind::Birthday));
    assert!(!catalog_gift(&star_gift(11), account(5)).birthday);
}

#[test]
fn an_auction_gift_keeps_its_auction_through_the_wire() {
    let listed = enums::StarGift::Gift(types::StarGift {
        auction: true,
        auction_slug: Some("plush-pepe".into()),
        gifts_per_round: Some(50),
        auction_start_date: Some(1_800_000_000),
        ..star_gift(11)
    });
    let enums::StarGift::Gift(listed) =
        enums::StarGift::from_bytes(&listed.to_bytes()).expect("round trip")
    else {
        panic!("a starGift was sent");
    };
    let gift = catalog_gift(&listed, account(5));
    assert_eq!(
        gift.auction,
        Some(GiftAuction {
            slug: "plush-pepe".into(),
            gifts_per_round: 50,
            start_date: 1_800_000_000,
        })
    );
    assert_eq!(
        gift.check().map(|gift| gift.id.get()),
        Err(GiftDefect::Auction)
    );
    // The flag alone is enough: a gift that says it is sold by auction is never bought.
    let flag_only = catalog_gift(
        &types::StarGift {
            auction: true,
            ..star_gift(12)
        },
        account(5),
    );
    assert_eq!(flag_only.auction, Some(GiftAuction::default()));
}

#[test]
fn a_per_user_limit_without_a_count_allows_nothing() {
    let gift = catalog_gift(
        &types::StarGift {
            per_user_remains: None,
            ..star_gift(9)
        },
        account(5),
    );
    assert_eq!(gift.per_user_remains, Some(0));
}

#[test]
fn a_zero_lock_date_is_no_lock() {
    let gift = catalog_gift(
        &types::StarGift {
            locked_until_date: Some(0),
            ..star_gift(9)
        },
        account(5),
    );
    assert!(gift.locks.is_empty());
}

#[test]
fn the_catalog_leaves_out_unique_gifts_and_keeps_its_hash() {
    let answer = enums::payments::StarGifts::Gifts(types::payments::StarGifts {
        hash: 4242,
        gifts: vec![
            enums::StarGift::Gift(star_gift(1)),
            enums::StarGift::Unique(unique_gift(2)),
            enums::StarGift::Gift(plain_gift(3)),
        ],
        chats: Vec::new(),
        users: Vec::new(),
    });
    // Through the wire format, as the answer arrives from Telegram.
    let answer = enums::payments::StarGifts::from_bytes(&answer.to_bytes()).expect("round trip");
    let CatalogResponse::Catalog { hash, gifts } = catalog_response(answer, account(5)) else {
        panic!("a catalog was sent");
    };
    assert_eq!(hash, 4242);
    assert_eq!(gifts.iter().map(|gift| gift.id).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(gifts[0], catalog_gift(&star_gift(1), account(5)));
}

#[test]
fn not_modified_maps_to_not_modified() {
    assert_eq!(
        catalog_response(enums::payments::StarGifts::NotModified, account(5)),
        CatalogResponse::NotModified
    );
}

fn stars_status(balance: enums::StarsAmount) -> enums::payments::StarsStatus {
    enums::payments::StarsStatus::Status(types::payments::StarsStatus {
        balance,
        subscriptions: None,
        subscriptions_next_offset: None,
        subscriptions_missing_balance: None,
        history: None,
        next_offset: None,
        chats: Vec::new(),
        users: Vec::new(),
    })
}

#[test]
fn the_balance_counts_whole_stars() {
    let amount = |amount, nanos| {
        stars_status(enums::StarsAmount::Amount(types::StarsAmount {
            amount,
            nanos,
        }))
    };
    assert_eq!(
        stars_balance(&amount(1234, 500_000_000)),
        Ok(Stars::new(1234))
    );
    assert_eq!(stars_balance(&amount(0, 0)), Ok(Stars::ZERO));
    assert_eq!(stars_balance(&amount(-15, 0)), Ok(Stars::ZERO));
}

#[test]
fn a_ton_amount_is_never_read_as_stars() {
    let status = stars_status(enums::StarsAmount::StarsTonAmount(types::StarsTonAmount {
        amount: 5_000_000_000,
    }));
    let error = stars_balance(&status).expect_err("ton refused");
    assert!(
        matches!(error, TelegramError::Rpc { code: 0, .. }),
        "{error:?}"
    );
}

#[test]
fn the_profile_reads_premium_from_the_raw_user() {
    let alice = profile_of(user(1337, true));
    assert_eq!(alice.account_id, account(1337));
    assert!(alice.premium);
    assert_eq!(alice.premium_until, None);
    assert_eq!(alice.username.as_deref(), Some("alice"));
    assert_eq!(alice.first_name.as_deref(), Some("Alice"));
    let plain = profile_of(types::User {
        username: None,
        usernames: Some(vec![username("old", false), username("collectible", true)]),
        ..user(1337, false)
    });
    assert!(!plain.premium);
    assert_eq!(plain.username.as_deref(), Some("collectible"));
    assert!(profile(&[]).is_err());
    assert!(profile(&[enums::User::Empty(types::UserEmpty { id: 1 })]).is_err());
    assert!(profile(&[enums::User::User(user(0, false))]).is_err());
}

fn profile_of(user: types::User) -> giftbuyer_core::ports::Profile {
    profile(&[enums::User::User(user)]).expect("a user")
}

fn username(name: &str, active: bool) -> enums::Username {
    enums::Username::Username(types::Username {
        editable: false,
        active,
        deletable: false,
        expired: false,
        username: name.to_owned(),
    })
}

#[test]
fn the_payment_form_must_ask_for_the_planned_price() {
    assert_eq!(
        check_payment_form(&star_gift_form(555, 25), Stars::new(25)),
        Ok(555)
    );
    assert_eq!(
        check_payment_form(&star_gift_form(555, 30), Stars::new(25)),
        Err(TelegramError::PriceChanged {
            expected: Stars::new(25),
            actual: Stars::new(30)
        })
    );
    // Several labelled prices add up.
    let split = enums::payments::PaymentForm::StarGift(types::payments::PaymentFormStarGift {
        form_id: 1,
        invoice: invoice("XTR", &[20, 5]),
    });
    assert_eq!(check_payment_form(&split, Stars::new(25)), Ok(1));
    let other_currency =
        enums::payments::PaymentForm::StarGift(types::payments::PaymentFormStarGift {
            form_id: 1,
            invoice: invoice("USD", &[25]),
        });
    assert!(matches!(
        check_payment_form(&other_currency, Stars::new(25)),
        Err(TelegramError::Rpc { code: 0, .. })
    ));
    let negative = enums::payments::PaymentForm::StarGift(types::payments::PaymentFormStarGift {
        form_id: 1,
        invoice: invoice("XTR", &[-25]),
    });
    assert!(check_payment_form(&negative, Stars::new(25)).is_err());
    let overflow = enums::payments::PaymentForm::StarGift(types::payments::PaymentFormStarGift {
        form_id: 1,
        invoice: invoice("XTR", &[i64::MAX, 1]),
    });
    assert!(check_payment_form(&overflow, Stars::new(25)).is_err());
}

#[test]
fn a_payment_needing_verification_is_an_error() {
    let verification = enums::payments::PaymentResult::PaymentVerificationNeeded(
        types::payments::PaymentVerificationNeeded {
            url: "https://t.me/$secret".to_owned(),
        },
    );
    let error = payment_result(&verification).expect_err("not paid");
    assert_eq!(error.name(), "PAYMENT_VERIFICATION_NEEDED");
    assert!(!error.to_string().contains("secret"));
    let paid = enums::payments::PaymentResult::Result(types::payments::PaymentResult {
        updates: enums::Updates::TooLong,
    });
    assert_eq!(payment_result(&paid), Ok(()));
}

fn participant(
    participant: enums::ChannelParticipant,
    broadcast: bool,
) -> enums::channels::ChannelParticipant {
    enums::channels::ChannelParticipant::Participant(types::channels::ChannelParticipant {
        participant,
        chats: vec![enums::Chat::Channel(channel_chat(broadcast))],
        users: Vec::new(),
    })
}

fn channel_chat(broadcast: bool) -> types::Channel {
    types::Channel::from_bytes(&channel_bytes(broadcast)).expect("a channel")
}

/// A `channel` object built by serializing the smallest valid one: its struct has too many
/// fields to spell out, and the wire form doubles as a check of the schema.
fn channel_bytes(broadcast: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    // flags: broadcast (bit 5) and access_hash (bit 13).
    let flags: u32 = (if broadcast { 1 << 5 } else { 1 << 8 }) | (1 << 13);
    flags.serialize(&mut bytes);
    0u32.serialize(&mut bytes); // flags2
    1_234_567_890i64.serialize(&mut bytes); // id
    42i64.serialize(&mut bytes); // access_hash
    "Drops".to_owned().serialize(&mut bytes); // title
    enums::ChatPhoto::Empty.serialize(&mut bytes);
    1_700_000_000i32.serialize(&mut bytes); // date
    bytes
}

fn admin(post_messages: bool) -> enums::ChannelParticipant {
    let rights = types::ChatAdminRights::from_bytes(&u32::to_le_bytes(if post_messages {
        1 << 1
    } else {
        1 << 0
    }))
    .expect("rights");
    enums::ChannelParticipant::Admin(types::ChannelParticipantAdmin {
        can_edit: false,
        is_self: true,
        user_id: 1,
        inviter_id: None,
        promoted_by: 2,
        date: 0,
        admin_rights: enums::ChatAdminRights::Rights(rights),
        rank: None,
    })
}

fn banned(view_messages: bool, left: bool) -> enums::ChannelParticipant {
    let mut bytes = u32::to_le_bytes(if view_messages { 1 } else { 2 }).to_vec();
    0i32.serialize(&mut bytes); // until_date
    let rights = types::ChatBannedRights::from_bytes(&bytes).expect("rights");
    enums::ChannelParticipant::Banned(types::ChannelParticipantBanned {
        left,
        peer: enums::Peer::User(types::PeerUser { user_id: 1 }),
        kicked_by: 2,
        date: 0,
        banned_rights: enums::ChatBannedRights::Rights(rights),
        rank: None,
    })
}

#[test]
fn channel_rights_follow_the_participant_entry() {
    let drops = channel(-1001234567890);
    let access = |entry, broadcast| channel_access(&participant(entry, broadcast), drops);
    let member = || {
        enums::ChannelParticipant::ParticipantSelf(types::ChannelParticipantSelf {
            via_request: false,
            user_id: 1,
            inviter_id: 2,
            date: 0,
            subscription_until_date: None,
            rank: None,
        })
    };
    let creator = enums::ChannelParticipant::Creator(types::ChannelParticipantCreator {
        user_id: 1,
        admin_rights: match admin(false) {
            enums::ChannelParticipant::Admin(admin) => admin.admin_rights,
            _ => unreachable!(),
        },
        rank: None,
    });
    assert_eq!(access(creator, true), ChannelAccess::CanPost);
    assert_eq!(access(admin(true), true), ChannelAccess::CanPost);
    assert_eq!(access(admin(false), true), ChannelAccess::ReadOnly);
    assert_eq!(access(admin(false), false), ChannelAccess::CanPost);
    assert_eq!(access(member(), true), ChannelAccess::ReadOnly);
    assert_eq!(access(member(), false), ChannelAccess::CanPost);
    assert_eq!(access(banned(true, false), true), ChannelAccess::NotMember);
    assert_eq!(access(banned(false, true), true), ChannelAccess::NotMember);
    assert_eq!(access(banned(false, false), true), ChannelAccess::ReadOnly);
    let left = enums::ChannelParticipant::Left(types::ChannelParticipantLeft {
        peer: enums::Peer::User(types::PeerUser { user_id: 1 }),
    });
    assert_eq!(access(left, true), ChannelAccess::NotMember);
    assert_eq!(
        channel_title(&[enums::Chat::Channel(channel_chat(true))], drops).as_deref(),
        Some("Drops")
    );
    assert_eq!(
        channel_title(
            &[enums::Chat::Channel(channel_chat(true))],
            channel(-1001234567891)
        ),
        None
    );
}

fn rpc(code: i32, message: &str) -> InvocationError {
    InvocationError::Rpc(
        RpcError::from(types::RpcError {
            error_code: code,
            error_message: message.to_owned(),
        })
        .with_caused_by(0x7998c914),
    )
}

#[test]
fn every_rpc_error_name_the_engine_acts_on_maps_by_name() {
    let cases = [
        ("STARGIFT_USAGE_LIMITED", 400, TelegramError::GiftSoldOut),
        ("STARGIFT_SOLD_OUT", 400, TelegramError::GiftSoldOut),
        (
            "STARGIFT_USER_USAGE_LIMITED",
            400,
            TelegramError::UserLimitReached,
        ),
        ("BALANCE_TOO_LOW", 400, TelegramError::BalanceTooLow),
        ("PEER_ID_INVALID", 400, TelegramError::PeerInvalid),
        ("CHANNEL_INVALID", 400, TelegramError::PeerInvalid),
        (
            "CHAT_WRITE_FORBIDDEN",
            403,
            TelegramError::ChatWriteForbidden,
        ),
        (
            "CHAT_ADMIN_REQUIRED",
            400,
            TelegramError::ChatWriteForbidden,
        ),
        (
            "USER_BANNED_IN_CHANNEL",
            400,
            TelegramError::ChatWriteForbidden,
        ),
        ("CHANNEL_PRIVATE", 406, TelegramError::ChannelPrivate),
        (
            "PREMIUM_ACCOUNT_REQUIRED",
            403,
            TelegramError::PremiumRequired,
        ),
        ("FORM_EXPIRED", 400, TelegramError::FormExpired),
        (
            "FLOOD_WAIT_17",
            420,
            TelegramError::FloodWait { seconds: 17 },
        ),
        (
            "FLOOD_PREMIUM_WAIT_3",
            420,
            TelegramError::FloodWait { seconds: 3 },
        ),
        (
            "SLOWMODE_WAIT_30",
            420,
            TelegramError::FloodWait { seconds: 30 },
        ),
        (
            "AUTH_KEY_UNREGISTERED",
            401,
            TelegramError::AuthKeyUnregistered,
        ),
        ("SESSION_REVOKED", 401, TelegramError::AuthKeyUnregistered),
        ("SESSION_EXPIRED", 401, TelegramError::AuthKeyUnregistered),
        ("USER_DEACTIVATED", 401, TelegramError::AuthKeyUnregistered),
        (
            "USER_DEACTIVATED_BAN",
            401,
            TelegramError::AuthKeyUnregistered,
        ),
        (
            "AUTH_KEY_DUPLICATED",
            406,
            TelegramError::AuthKeyUnregistered,
        ),
        ("AUTH_KEY_INVALID", 401, TelegramError::AuthKeyUnregistered),
        (
            "SESSION_PASSWORD_NEEDED",
            401,
            TelegramError::AuthKeyUnregistered,
        ),
    ];
    for (name, code, expected) in cases {
        assert_eq!(map_invocation_error(&rpc(code, name)), expected, "{name}");
    }
    let unknown = map_invocation_error(&rpc(400, "STARGIFT_SOMETHING_NEW"));
    assert_eq!(
        unknown,
        TelegramError::Rpc {
            code: 400,
            name: "STARGIFT_SOMETHING_NEW".to_owned()
        }
    );
    assert_eq!(
        map_invocation_error(&rpc(500, "INTERDC_2_CALL_ERROR")).name(),
        "INTERDC_2_CALL_ERROR"
    );
}

#[test]
fn failures_without_an_answer_are_network_errors_of_unknown_outcome() {
    let errors = [
        InvocationError::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        )),
        InvocationError::Dropped("SenderPoolRunner was dropped"),
        InvocationError::InvalidDc,
        InvocationError::Deserialize(grammers_tl_types::deserialize::Error::UnexpectedEof.into()),
        InvocationError::Session("disk full".into()),
    ];
    for error in errors {
        let mapped = map_invocation_error(&error);
        assert!(
            matches!(mapped, TelegramError::Network(_)),
            "{error:?} -> {mapped:?}"
        );
        assert_eq!(
            mapped.class(),
            giftbuyer_core::ports::ErrorClass::Uncertain,
            "{error:?}"
        );
    }
}
