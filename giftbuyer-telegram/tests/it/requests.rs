//! The requests the adapter sends, serialized and read back, with their constructor ids and
//! flag words checked against `tl/api.tl` of layer 230 byte by byte.

use std::fmt::Debug;

use giftbuyer_core::ports::PurchaseRequest;
use giftbuyer_core::{GiftId, Stars};
use giftbuyer_telegram::mapping::*;
use grammers_tl_types::{
    Deserializable, Identifiable, LAYER, Serializable, enums, functions, types,
};

use crate::fixtures::channel;

/// Serializes `request`, checks it starts with `constructor` and reads back equal; returns the
/// bytes after the constructor id.
fn round_trip<R>(request: &R, constructor: u32) -> Vec<u8>
where
    R: Serializable + Deserializable + Identifiable + PartialEq + Debug,
{
    assert_eq!(R::CONSTRUCTOR_ID, constructor, "{request:?}");
    let bytes = request.to_bytes();
    assert_eq!(bytes[..4], constructor.to_le_bytes(), "{request:?}");
    let body = bytes[4..].to_vec();
    assert_eq!(&R::from_bytes(&body).expect("reads back"), request);
    body
}

/// Like [`round_trip`] for a boxed TL value (an enum), which carries its constructor id.
fn round_trip_boxed<E>(value: &E, constructor: u32) -> Vec<u8>
where
    E: Serializable + Deserializable + PartialEq + Debug,
{
    let bytes = value.to_bytes();
    assert_eq!(bytes[..4], constructor.to_le_bytes(), "{value:?}");
    assert_eq!(&E::from_bytes(&bytes).expect("reads back"), value);
    bytes[4..].to_vec()
}

fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

fn purchase(hide_name: bool, message: Option<&str>) -> PurchaseRequest {
    PurchaseRequest {
        gift_id: GiftId::new(5_170_145_012_310_081_615).expect("positive"),
        recipient: giftbuyer_core::Recipient::Channel(channel(-1001234567890)),
        price: Stars::new(25),
        hide_name,
        message: message.map(str::to_owned),
    }
}

#[test]
fn the_schema_is_layer_230() {
    assert_eq!(LAYER, 230);
}

#[test]
fn get_star_gifts_carries_the_hash() {
    let body = round_trip(&star_gifts_request(-77), 0xc456_3590);
    assert_eq!(body, (-77i32).to_le_bytes());
}

#[test]
fn get_stars_status_asks_for_stars_of_the_account_itself() {
    let body = round_trip(&stars_status_request(), 0x4ea9_b3bf);
    assert_eq!(word(&body, 0), 0, "flags: ton unset");
    assert_eq!(word(&body, 4), types::InputPeerSelf::CONSTRUCTOR_ID);
    assert_eq!(types::InputPeerSelf::CONSTRUCTOR_ID, 0x7da0_7ec9);
    assert_eq!(body.len(), 8);
}

#[test]
fn get_users_asks_for_the_account_itself() {
    let body = round_trip(&self_user_request(), 0x0d91_a548);
    // vector#1cb5c415, one element, inputUserSelf#f7c1b13f.
    assert_eq!(
        [word(&body, 0), word(&body, 4), word(&body, 8)],
        [0x1cb5_c415, 1, 0xf7c1_b13f]
    );
}

#[test]
fn the_star_gift_invoice_sets_its_flags_and_fields() {
    let peer = input_peer_channel(channel(-1001234567890), 42);
    let invoice = star_gift_invoice(peer.clone(), &purchase(true, Some("for you")));
    let enums::InputInvoice::StarGift(star_gift) = &invoice else {
        panic!("a star gift invoice");
    };
    assert_eq!(types::InputInvoiceStarGift::CONSTRUCTOR_ID, 0xe862_5e92);
    let body = round_trip_boxed(&invoice, 0xe862_5e92);
    assert_eq!(
        word(&body, 0),
        0b011,
        "flags: hide_name (0) and message (1), no upgrade (2)"
    );
    assert_eq!(word(&body, 4), types::InputPeerChannel::CONSTRUCTOR_ID);
    assert_eq!(types::InputPeerChannel::CONSTRUCTOR_ID, 0x27bc_bbfc);
    assert_eq!(
        body[8..16],
        1_234_567_890i64.to_le_bytes(),
        "the mtproto channel id"
    );
    assert_eq!(body[16..24], 42i64.to_le_bytes(), "the access hash");
    assert_eq!(
        body[24..32],
        5_170_145_012_310_081_615i64.to_le_bytes(),
        "gift_id"
    );
    assert_eq!(word(&body, 32), types::TextWithEntities::CONSTRUCTOR_ID);
    assert_eq!(
        star_gift
            .message
            .as_ref()
            .map(|enums::TextWithEntities::Entities(text)| text.text.as_str()),
        Some("for you")
    );

    let plain = star_gift_invoice(peer, &purchase(false, None));
    let body = round_trip_boxed(&plain, 0xe862_5e92);
    assert_eq!(word(&body, 0), 0, "no flag set");
    assert_eq!(body.len(), 4 + 4 + 16 + 8);
}

#[test]
fn get_payment_form_wraps_the_invoice_without_theme() {
    let invoice = star_gift_invoice(
        input_peer_channel(channel(-1001234567890), 42),
        &purchase(false, None),
    );
    let request = payment_form_request(invoice);
    let body = round_trip(&request, 0x3714_8dbb);
    assert_eq!(word(&body, 0), 0, "flags: no theme_params");
    assert_eq!(word(&body, 4), 0xe862_5e92, "inputInvoiceStarGift");
}

#[test]
fn send_stars_form_pays_the_form_with_the_same_invoice() {
    let invoice = star_gift_invoice(
        input_peer_channel(channel(-1001234567890), 42),
        &purchase(true, None),
    );
    let request = send_stars_form_request(987_654_321, invoice.clone());
    let body = round_trip(&request, 0x7998_c914);
    assert_eq!(body[..8], 987_654_321i64.to_le_bytes(), "form_id");
    assert_eq!(word(&body, 8), 0xe862_5e92, "inputInvoiceStarGift");
    assert_eq!(request.invoice, invoice);
    assert_eq!(word(&body, 12), 0b001, "hide_name");
}

#[test]
fn get_participant_asks_about_the_account_itself() {
    let request = self_participant_request(input_channel(channel(-1001234567890), 42));
    let body = round_trip(&request, 0xa0ab_6cc6);
    assert_eq!(word(&body, 0), types::InputChannel::CONSTRUCTOR_ID);
    assert_eq!(types::InputChannel::CONSTRUCTOR_ID, 0xf35a_ec28);
    assert_eq!(body[4..12], 1_234_567_890i64.to_le_bytes());
    assert_eq!(body[12..20], 42i64.to_le_bytes());
    assert_eq!(word(&body, 20), types::InputPeerSelf::CONSTRUCTOR_ID);
}

#[test]
fn the_answers_read_back_through_their_constructors() {
    // The answer types the adapter reads, through the wire format.
    let form = crate::fixtures::star_gift_form(5, 25);
    assert_eq!(
        enums::payments::PaymentForm::from_bytes(&form.to_bytes()).expect("reads back"),
        form
    );
    assert_eq!(
        types::payments::PaymentFormStarGift::CONSTRUCTOR_ID,
        0xb425_cfe1
    );
    assert_eq!(
        types::payments::PaymentVerificationNeeded::CONSTRUCTOR_ID,
        0xd841_1139
    );
    assert_eq!(types::payments::StarGifts::CONSTRUCTOR_ID, 0x2ed8_2995);
    assert_eq!(
        types::payments::StarGiftsNotModified::CONSTRUCTOR_ID,
        0xa388_a368
    );
    assert_eq!(types::StarGift::CONSTRUCTOR_ID, 0x313a_9547);
    assert_eq!(types::StarsAmount::CONSTRUCTOR_ID, 0xbbb6_b4a3);
    assert_eq!(types::StarsTonAmount::CONSTRUCTOR_ID, 0x74ae_e3e0);
    let _ = functions::payments::GetStarGifts { hash: 0 };
}
