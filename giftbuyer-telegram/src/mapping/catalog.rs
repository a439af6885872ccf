//! `payments.getStarGifts` and its answer, mapped onto `CatalogResponse` and `CatalogGift`.

use std::collections::BTreeMap;

use giftbuyer_core::ports::CatalogResponse;
use giftbuyer_core::{AccountId, CatalogGift, GiftAuction, StickerRef, UnixTime};
use grammers_tl_types::{enums, functions, types};

/// The catalog request: `payments.getStarGifts#c4563590 hash:int`.
pub fn star_gifts_request(hash: i32) -> functions::payments::GetStarGifts {
    functions::payments::GetStarGifts { hash }
}

/// Maps the answer to `payments.getStarGifts` as `account` sees it.
///
/// Unique (upgraded) gifts are left out: they are not sold from the catalog.
pub fn catalog_response(answer: enums::payments::StarGifts, account: AccountId) -> CatalogResponse {
    match answer {
        enums::payments::StarGifts::NotModified => CatalogResponse::NotModified,
        enums::payments::StarGifts::Gifts(catalog) => CatalogResponse::Catalog {
            hash: catalog.hash,
            gifts: catalog
                .gifts
                .iter()
                .filter_map(|gift| match gift {
                    enums::StarGift::Gift(gift) => Some(catalog_gift(gift, account)),
                    enums::StarGift::Unique(_) => None,
                })
                .collect(),
        },
    }
}

/// Maps one `starGift` entry, untrusted, field for field.
///
/// `per_user_remains` and `limited_per_user` share one flag in the schema. Should an entry
/// claim a per-user limit without saying how many copies remain, it is read as none remaining:
/// assuming no limit could spend stars on purchases Telegram refuses.
pub fn catalog_gift(gift: &types::StarGift, account: AccountId) -> CatalogGift {
    let per_user_remains = if gift.limited_per_user || gift.per_user_remains.is_some() {
        Some(i64::from(gift.per_user_remains.unwrap_or(0)))
    } else {
        None
    };
    let locks = gift
        .locked_until_date
        .and_then(|until| UnixTime::from_secs(i64::from(until)).ok())
        .filter(|until| until.secs() > 0)
        .map(|until| BTreeMap::from([(account, until)]))
        .unwrap_or_default();
    CatalogGift {
        id: gift.id,
        price: gift.stars,
        limited: gift.limited,
        sold_out: gift.sold_out,
        supply: gift.availability_total.map(i64::from),
        remaining: gift.availability_remains.map(i64::from),
        require_premium: gift.require_premium,
        birthday: gift.birthday,
        per_user_remains,
        locks,
        sticker: sticker_ref(&gift.sticker),
        title: gift.title.clone(),
        auction: auction(gift),
    }
}

/// The auction of a gift sold by one. The schema ties `auction` and its three fields to one
/// flag; any of them present marks the gift as an auction, since buying an auction gift as a
/// purchase is what must never happen.
fn auction(gift: &types::StarGift) -> Option<GiftAuction> {
    let listed = gift.auction
        || gift.auction_slug.is_some()
        || gift.gifts_per_round.is_some()
        || gift.auction_start_date.is_some();
    listed.then(|| GiftAuction {
        slug: gift.auction_slug.clone().unwrap_or_default(),
        gifts_per_round: i64::from(gift.gifts_per_round.unwrap_or(0)),
        start_date: i64::from(gift.auction_start_date.unwrap_or(0)),
    })
}

/// The sticker document of a gift, or `None` for `documentEmpty`.
pub fn sticker_ref(document: &enums::Document) -> Option<StickerRef> {
    match document {
        enums::Document::Empty(_) => None,
        enums::Document::Document(document) => Some(StickerRef {
            document_id: document.id,
            access_hash: document.access_hash,
            file_reference: document.file_reference.clone(),
            dc_id: document.dc_id,
            size: document.size,
        }),
    }
}
