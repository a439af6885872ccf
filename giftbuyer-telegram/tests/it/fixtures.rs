//! Hand-built TL objects of layer 230, as Telegram would send them.

use giftbuyer_core::{AccountId, ChannelId};
use grammers_tl_types::{enums, types};

pub(crate) fn account(id: i64) -> AccountId {
    AccountId::new(id).expect("positive")
}

pub(crate) fn channel(raw: i64) -> ChannelId {
    ChannelId::new(raw).expect("a -100 channel id")
}

pub(crate) fn document(id: i64) -> enums::Document {
    enums::Document::Document(types::Document {
        id,
        access_hash: 77,
        file_reference: vec![1, 2, 3],
        date: 1_700_000_000,
        mime_type: "application/x-tgsticker".to_owned(),
        size: 4096,
        thumbs: None,
        video_thumbs: None,
        dc_id: 4,
        attributes: Vec::new(),
    })
}

/// A limited gift with every optional field of interest set.
pub(crate) fn star_gift(id: i64) -> types::StarGift {
    types::StarGift {
        limited: true,
        sold_out: false,
        birthday: false,
        require_premium: true,
        limited_per_user: true,
        peer_color_available: false,
        auction: false,
        id,
        sticker: document(id * 10),
        stars: 25,
        availability_remains: Some(900),
        availability_total: Some(1000),
        availability_resale: None,
        convert_stars: 20,
        first_sale_date: None,
        last_sale_date: None,
        upgrade_stars: None,
        resell_min_stars: None,
        title: Some("Heart".to_owned()),
        released_by: None,
        per_user_total: Some(5),
        per_user_remains: Some(3),
        locked_until_date: Some(1_800_000_000),
        auction_slug: None,
        gifts_per_round: None,
        auction_start_date: None,
        upgrade_variants: None,
        background: None,
    }
}

/// An unlimited gift with no optional field set.
pub(crate) fn plain_gift(id: i64) -> types::StarGift {
    types::StarGift {
        limited: false,
        require_premium: false,
        limited_per_user: false,
        availability_remains: None,
        availability_total: None,
        title: None,
        per_user_total: None,
        per_user_remains: None,
        locked_until_date: None,
        ..star_gift(id)
    }
}

pub(crate) fn unique_gift(id: i64) -> types::StarGiftUnique {
    types::StarGiftUnique {
        require_premium: false,
        resale_ton_only: false,
        theme_available: false,
        burned: false,
        crafted: false,
        id,
        gift_id: 1,
        title: "Unique".to_owned(),
        slug: "unique-1".to_owned(),
        num: 1,
        owner_id: None,
        owner_name: None,
        owner_address: None,
        attributes: Vec::new(),
        availability_issued: 1,
        availability_total: 10,
        gift_address: None,
        resell_amount: None,
        released_by: None,
        value_amount: None,
        value_currency: None,
        value_usd_amount: None,
        theme_peer: None,
        peer_color: None,
        host_id: None,
        offer_min_stars: None,
        craft_chance_permille: None,
    }
}

pub(crate) fn user(id: i64, premium: bool) -> types::User {
    types::User {
        is_self: true,
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
        premium,
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
        id,
        access_hash: Some(99),
        first_name: Some("Alice".to_owned()),
        last_name: None,
        username: Some("alice".to_owned()),
        phone: None,
        photo: None,
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
    }
}

pub(crate) fn invoice(currency: &str, prices: &[i64]) -> enums::Invoice {
    enums::Invoice::Invoice(types::Invoice {
        test: false,
        name_requested: false,
        phone_requested: false,
        email_requested: false,
        shipping_address_requested: false,
        flexible: false,
        phone_to_provider: false,
        email_to_provider: false,
        recurring: false,
        currency: currency.to_owned(),
        prices: prices
            .iter()
            .map(|&amount| {
                enums::LabeledPrice::Price(types::LabeledPrice {
                    label: "Gift".to_owned(),
                    amount,
                })
            })
            .collect(),
        max_tip_amount: None,
        suggested_tip_amounts: None,
        terms_url: None,
        subscription_period: None,
    })
}

pub(crate) fn star_gift_form(form_id: i64, price: i64) -> enums::payments::PaymentForm {
    enums::payments::PaymentForm::StarGift(types::payments::PaymentFormStarGift {
        form_id,
        invoice: invoice("XTR", &[price]),
    })
}
