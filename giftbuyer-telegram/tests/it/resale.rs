//! The resale market's mapping from constructed TL objects through the wire format: listings
//! with their price and attributes, TON-only listings without a price, and the invoice.

use giftbuyer_core::GiftId;
use giftbuyer_core::resale::{GiftAttributes, ResaleListing};
use giftbuyer_telegram::mapping::{resale_invoice, resale_page, resale_request};
use grammers_tl_types::{Deserializable, Identifiable, Serializable, enums, types};

use crate::fixtures::unique_gift;

fn stars(amount: i64, nanos: i32) -> enums::StarsAmount {
    enums::StarsAmount::Amount(types::StarsAmount { amount, nanos })
}

fn listed(id: i64, num: i32, amounts: Vec<enums::StarsAmount>) -> enums::StarGift {
    enums::StarGift::Unique(types::StarGiftUnique {
        id,
        gift_id: 77,
        slug: format!("pepe-{num}"),
        title: "Plush Pepe".into(),
        num,
        resell_amount: Some(amounts),
        ..unique_gift(id)
    })
}

#[test]
fn a_page_of_listings_maps_price_attributes_and_paging() {
    let rarity = || enums::StarGiftAttributeRarity::Rare;
    let document = || enums::Document::Empty(types::DocumentEmpty { id: 1 });
    let mut with_attributes = listed(10, 1, vec![stars(900, 0)]);
    if let enums::StarGift::Unique(gift) = &mut with_attributes {
        gift.require_premium = true;
        gift.attributes = vec![
            enums::StarGiftAttribute::Model(types::StarGiftAttributeModel {
                crafted: false,
                name: "Durov's Cap".into(),
                document: document(),
                rarity: rarity(),
            }),
            enums::StarGiftAttribute::Backdrop(types::StarGiftAttributeBackdrop {
                name: "Black".into(),
                backdrop_id: 3,
                center_color: 0,
                edge_color: 0,
                pattern_color: 0,
                text_color: 0,
                rarity: rarity(),
            }),
            enums::StarGiftAttribute::Pattern(types::StarGiftAttributePattern {
                name: "Star".into(),
                document: document(),
                rarity: rarity(),
            }),
        ];
    }
    let ton_only = {
        let mut gift = listed(11, 2, vec![stars(500, 0)]);
        if let enums::StarGift::Unique(unique) = &mut gift {
            unique.resale_ton_only = true;
        }
        gift
    };
    let answer = enums::payments::ResaleStarGifts::Gifts(types::payments::ResaleStarGifts {
        count: 40,
        gifts: vec![
            with_attributes,
            ton_only,
            // A fractional amount is no price in whole stars; a TON amount is not stars.
            listed(12, 3, vec![stars(100, 5)]),
            listed(
                13,
                4,
                vec![
                    enums::StarsAmount::StarsTonAmount(types::StarsTonAmount { amount: 1 }),
                    stars(700, 0),
                ],
            ),
        ],
        next_offset: Some("4".into()),
        attributes: None,
        attributes_hash: None,
        chats: Vec::new(),
        counters: None,
        users: Vec::new(),
    });
    let answer =
        enums::payments::ResaleStarGifts::from_bytes(&answer.to_bytes()).expect("round trip");
    let page = resale_page(answer);
    assert_eq!((page.count, page.next_offset.as_deref()), (40, Some("4")));
    assert_eq!(
        page.listings[0],
        ResaleListing {
            unique_id: 10,
            gift_id: 77,
            slug: "pepe-1".into(),
            title: "Plush Pepe".into(),
            num: 1,
            price: Some(900),
            attributes: GiftAttributes {
                model: Some("Durov's Cap".into()),
                backdrop: Some("Black".into()),
                symbol: Some("Star".into()),
            },
            require_premium: true,
        }
    );
    let prices: Vec<Option<i64>> = page.listings.iter().map(|listing| listing.price).collect();
    assert_eq!(prices, [Some(900), None, None, Some(700)]);
}

#[test]
fn the_request_sorts_by_price_in_stars_and_the_invoice_names_the_slug() {
    let request = resale_request(GiftId::new(77).expect("id"), "", 50);
    assert!(request.sort_by_price && request.stars_only && !request.sort_by_num);
    assert_eq!(
        (request.gift_id, request.offset.as_str(), request.limit),
        (77, "", 50)
    );
    assert_eq!(
        grammers_tl_types::functions::payments::GetResaleStarGifts::CONSTRUCTOR_ID,
        0x7a5f_a236
    );
    let enums::InputInvoice::StarGiftResale(invoice) =
        resale_invoice("pepe-1", enums::InputPeer::PeerSelf)
    else {
        panic!("a resale invoice");
    };
    assert_eq!(invoice.slug, "pepe-1");
    assert!(!invoice.ton, "paid in stars");
    assert!(matches!(invoice.to_id, enums::InputPeer::PeerSelf));
    assert_eq!(
        types::InputInvoiceStarGiftResale::CONSTRUCTOR_ID,
        0xe9b0_c658
    );
}
