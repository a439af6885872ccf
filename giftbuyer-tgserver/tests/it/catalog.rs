//! The catalog and its stickers over the socket, through `giftbuyer-telegram`'s real adapter:
//! polls with a hash and `NotModified`, the gifts exactly as the market has them, new drops,
//! flood waits, and sticker downloads in parts, from another DC and with a stale reference.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{CatalogResponse, PurchaseRequest, TelegramAccount, TelegramError};
use giftbuyer_core::{AccountId, CatalogGift, ChannelId, GiftId, Stars, StickerRef, UnixTime};
use giftbuyer_sim::{
    AccountSpec, AuctionSpec, FloodConfig, GiftSpec, Market, MarketConfig, SimAccount,
};
use giftbuyer_telegram::account::{AccountConfig, MtprotoAccount};
use giftbuyer_tgserver::{
    AuthKey, FaultAction, FaultRule, MarketBackend, RpcFailure, ServerOptions, TgServer,
};
use grammers_mtsender::{InvocationError, SenderPoolFatHandle};
use grammers_session::storages::MemorySession;
use grammers_tl_types::{self as tl, Identifiable, functions};

use crate::support::{adapter_session, instant_market, server_with, session_data};

const USER: i64 = 501;
const HOME: i32 = 2;
/// The server keeps a sticker on DC `dcs[gift_id % 3]` of `[1, 2, 3]`: 1000 lives at home
/// (DC 2), 999 on DC 1 and 1001 on DC 3.
const AT_HOME: i64 = 1000;
const ON_DC1: i64 = 999;
const ON_DC3: i64 = 1001;
/// A gift sold by auction, which takes bids only.
const AUCTION: i64 = 1005;

fn id(raw: i64) -> GiftId {
    GiftId::new(raw).expect("gift id")
}

fn user() -> AccountId {
    AccountId::new(USER).expect("account id")
}

fn channel() -> ChannelId {
    ChannelId::new(-1_001_234_567_890).expect("channel id")
}

/// Bytes as large as a real gift sticker and not a whole number of 4 KiB parts.
fn big_sticker(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|index| (index as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn config(flood: FloodConfig) -> MarketConfig {
    let mut config = MarketConfig::with_seed(11);
    config.flood = flood;
    config.accounts = vec![
        AccountSpec::new(user(), Stars::new(10_000))
            .premium()
            .any_channel(),
    ];
    // A titled channel is one the server lists in the account's dialogs.
    config.channel_titles.insert(channel(), "Gifts".to_owned());
    // The schema's dates are `int`, so a lock has to end before 2038 to travel.
    let lock = UnixTime::from_secs(2_000_000_000).expect("time");
    config.gifts = vec![
        GiftSpec::limited(id(AT_HOME), Stars::new(25), 1_000)
            .title("Heart")
            .sticker(big_sticker(3 * 4096 + 123, 1)),
        GiftSpec::limited(id(ON_DC1), Stars::new(50), 500)
            .premium_only()
            .per_user_limit(3)
            .sticker(big_sticker(2 * 4096, 2)),
        GiftSpec::limited(id(ON_DC3), Stars::new(75), 10)
            .remaining(4)
            .birthday()
            .locked_for(user(), lock),
        GiftSpec::limited(id(1003), Stars::new(15), 5).remaining(0),
        GiftSpec::unlimited(id(1004), Stars::new(10)),
        GiftSpec::limited(id(AUCTION), Stars::new(500), 100)
            .auctioned(AuctionSpec::new(20, Duration::from_secs(3_600))),
    ];
    config
}

struct Setup {
    market: Market,
    backend: MarketBackend,
    server: TgServer,
}

async fn setup(flood: FloodConfig) -> Setup {
    let market = instant_market(config(flood));
    let backend = MarketBackend::new(market.clone(), ServerOptions::default().dcs);
    let server = server_with(Arc::new(backend.clone())).await;
    Setup {
        market,
        backend,
        server,
    }
}

impl Setup {
    fn sim(&self) -> SimAccount {
        self.market.account(user()).expect("account")
    }

    /// The real adapter for the account, logged in on DC 2, with this download chunk.
    fn adapter(&self, download_chunk: i32) -> MtprotoAccount {
        use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory};
        let session = adapter_session(&self.server, USER, HOME);
        let invoker = GrammersFactory::default()
            .connect(Arc::clone(&session), 4)
            .expect("connects");
        MtprotoAccount::new(
            user(),
            invoker,
            session,
            AccountConfig {
                download_chunk,
                ..AccountConfig::default()
            },
        )
    }

    /// grammers' bare sender for the account, without retries, to look at the wire itself.
    fn raw(&self) -> SenderPoolFatHandle {
        let data = session_data(&self.server, HOME);
        let key = data.dc_options[&HOME].auth_key.expect("home key");
        self.server
            .keys()
            .authorize(AuthKey::from_bytes(key).id(), USER)
            .expect("binds");
        crate::support::raw_pool(Arc::new(MemorySession::from(data)))
    }

    /// A purchase in the market itself (purchases over the wire are tested elsewhere).
    async fn buy(&self, gift: i64, price: u64) {
        self.sim()
            .buy_gift(PurchaseRequest {
                gift_id: id(gift),
                recipient: giftbuyer_core::Recipient::Channel(channel()),
                price: Stars::new(price),
                hide_name: false,
                message: None,
            })
            .await
            .expect("bought");
    }

    fn calls(&self, method: u32) -> u64 {
        self.server.stats().calls(method)
    }
}

fn catalog(response: CatalogResponse) -> (i32, Vec<CatalogGift>) {
    match response {
        CatalogResponse::Catalog { hash, gifts } => (hash, gifts),
        CatalogResponse::NotModified => panic!("expected a catalog"),
    }
}

fn sticker_of(gifts: &[CatalogGift], gift: i64) -> StickerRef {
    gifts
        .iter()
        .find(|entry| entry.id == gift)
        .and_then(|entry| entry.sticker.clone())
        .expect("the gift has a sticker")
}

/// Compares a download with the market's file without printing kilobytes on a failure.
fn assert_same(downloaded: Result<Vec<u8>, TelegramError>, expected: &[u8]) {
    match downloaded {
        Ok(bytes) => assert!(
            bytes == expected,
            "{} bytes downloaded differ from the market's {}",
            bytes.len(),
            expected.len()
        ),
        Err(error) => panic!("the download failed: {error:?}"),
    }
}

fn rpc(error: InvocationError) -> (i32, String, Option<u32>) {
    match error {
        InvocationError::Rpc(rpc) => (rpc.code, rpc.name, rpc.value),
        other => panic!("expected an rpc error, got {other:?}"),
    }
}

const GET_FILE: u32 = functions::upload::GetFile::CONSTRUCTOR_ID;
const GET_STAR_GIFTS: u32 = functions::payments::GetStarGifts::CONSTRUCTOR_ID;
const EXPORT: u32 = functions::auth::ExportAuthorization::CONSTRUCTOR_ID;
const IMPORT: u32 = functions::auth::ImportAuthorization::CONSTRUCTOR_ID;

#[tokio::test]
async fn the_catalog_arrives_exactly_as_the_market_has_it_and_a_current_hash_is_not_modified() {
    let setup = setup(FloodConfig::NONE).await;
    // One copy bought already, so the per-user counts differ: 3 in all, 2 left.
    setup.buy(ON_DC1, 50).await;
    let account = setup.adapter(4096);
    let (hash, gifts) = catalog(account.star_gifts(0).await.expect("catalog"));
    let (market_hash, market_gifts) = catalog(setup.sim().star_gifts(0).await.expect("market"));
    assert_eq!(hash, market_hash);
    assert_eq!(gifts.len(), 6);

    // Every field but the sticker is the market's, unchanged by the trip over the wire.
    let without_sticker = |gifts: &[CatalogGift]| {
        gifts
            .iter()
            .cloned()
            .map(|gift| CatalogGift {
                sticker: None,
                ..gift
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_sticker(&gifts), without_sticker(&market_gifts));
    let per_user = gifts.iter().find(|gift| gift.id == ON_DC1).expect("gift");
    assert_eq!(
        (per_user.per_user_remains, per_user.require_premium),
        (Some(2), true)
    );
    let locked = gifts.iter().find(|gift| gift.id == ON_DC3).expect("gift");
    assert_eq!(locked.remaining, Some(4));
    // The birthday flag crosses the wire in both directions (encoded by the server, read by
    // the adapter), and only on the gift that has it.
    assert!(locked.birthday);
    assert_eq!(gifts.iter().filter(|gift| gift.birthday).count(), 1);
    assert_eq!(
        locked.locks.get(&user()).map(|until| until.secs()),
        Some(2_000_000_000)
    );
    let sold_out = gifts.iter().find(|gift| gift.id == 1003).expect("gift");
    assert!(sold_out.sold_out);
    let unlimited = gifts.iter().find(|gift| gift.id == 1004).expect("gift");
    assert_eq!((unlimited.limited, unlimited.supply), (false, None));
    // The auction travels in `starGift.auction` and its fields; its start is an hour after
    // the market's start, as the market has it.
    let auctioned = gifts.iter().find(|gift| gift.id == AUCTION).expect("gift");
    let auction = auctioned.auction.clone().expect("an auction gift");
    assert_eq!(
        (auction.slug.as_str(), auction.gifts_per_round),
        ("gift-1005", 20)
    );
    assert!(auction.starts_at().is_some(), "{auction:?}");
    // Should anything still try to buy it as a purchase, Telegram's refusal comes back and the
    // market sells nothing.
    let refused = account
        .buy_gift(PurchaseRequest {
            gift_id: id(AUCTION),
            recipient: giftbuyer_core::Recipient::Channel(channel()),
            price: Stars::new(500),
            hide_name: false,
            message: None,
        })
        .await;
    assert_eq!(
        refused,
        Err(TelegramError::Rpc {
            code: 400,
            name: "STARGIFT_INVALID".into()
        })
    );
    assert!(
        setup
            .market
            .purchases()
            .iter()
            .all(|purchase| purchase.gift != id(AUCTION))
    );

    // The sticker is the market's document, kept on the server's DC for the gift and with the
    // server's own file reference.
    for (gift, market) in gifts.iter().zip(&market_gifts) {
        let (wire, theirs) = (
            gift.sticker.clone().expect("sticker"),
            market.sticker.clone().expect("sticker"),
        );
        assert_eq!(
            (wire.document_id, wire.access_hash, wire.size),
            (theirs.document_id, theirs.access_hash, theirs.size)
        );
        assert_eq!(wire.dc_id, setup.backend.sticker_dc(gift.id));
        assert!(!wire.file_reference.is_empty());
    }

    assert_eq!(
        account.star_gifts(hash).await.expect("polled"),
        CatalogResponse::NotModified
    );
    setup.server.shutdown().await;
}

#[tokio::test]
async fn the_wire_entry_carries_the_per_user_total_and_a_sticker_document() {
    let setup = setup(FloodConfig::NONE).await;
    setup.buy(ON_DC1, 50).await;
    let raw = setup.raw();
    let tl::enums::payments::StarGifts::Gifts(answer) = raw
        .invoke_in_dc(HOME, &functions::payments::GetStarGifts { hash: 0 })
        .await
        .expect("catalog")
    else {
        panic!("expected the catalog");
    };
    let entry = |gift: i64| {
        answer
            .gifts
            .iter()
            .find_map(|entry| match entry {
                tl::enums::StarGift::Gift(entry) if entry.id == gift => Some(entry.clone()),
                _ => None,
            })
            .expect("entry")
    };
    let limited = entry(ON_DC1);
    assert!(limited.limited_per_user);
    assert_eq!(
        (limited.per_user_total, limited.per_user_remains),
        (Some(3), Some(2))
    );
    let sold_out = entry(1003);
    assert!(sold_out.first_sale_date.is_some() && sold_out.last_sale_date.is_some());
    let tl::enums::Document::Document(document) = entry(AT_HOME).sticker else {
        panic!("expected a document");
    };
    assert_eq!(document.mime_type, "application/x-tgsticker");
    assert!(
        document
            .attributes
            .iter()
            .any(|attribute| matches!(attribute, tl::enums::DocumentAttribute::Sticker(_)))
    );
    assert!(document.attributes.iter().any(|attribute| matches!(
        attribute,
        tl::enums::DocumentAttribute::ImageSize(size) if size.w == 512 && size.h == 512
    )));
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_new_drop_changes_the_hash() {
    let setup = setup(FloodConfig::NONE).await;
    setup
        .market
        .add_gift(
            GiftSpec::limited(id(2000), Stars::new(30), 100)
                .released_at(setup.market.clock().elapsed() + Duration::from_millis(1_500)),
        )
        .expect("scheduled");
    let account = setup.adapter(4096);
    let (first, gifts) = catalog(account.star_gifts(0).await.expect("catalog"));
    assert!(gifts.iter().all(|gift| gift.id != 2000));
    assert_eq!(
        account.star_gifts(first).await.expect("polled"),
        CatalogResponse::NotModified
    );

    // A drop added while the market runs is a new catalog at once.
    setup
        .market
        .add_gift(GiftSpec::limited(id(2001), Stars::new(40), 100))
        .expect("added");
    let (second, gifts) = catalog(account.star_gifts(first).await.expect("new drop"));
    assert_ne!(second, first);
    assert!(gifts.iter().any(|gift| gift.id == 2001));

    // The scheduled one appears when its time comes. The margin before it is wide, since the
    // clock is real and a loaded machine can take a while over the first polls.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let (third, gifts) = catalog(account.star_gifts(second).await.expect("scheduled drop"));
    assert_ne!(third, second);
    assert!(gifts.iter().any(|gift| gift.id == 2000));
    setup.server.shutdown().await;
}

#[tokio::test]
async fn polls_too_often_wait_and_the_adapter_does_not_retry_them() {
    // The market's default: one poll a second, three seconds' wait for breaking it.
    let setup = setup(FloodConfig::default()).await;
    let account = setup.adapter(4096);
    account.star_gifts(0).await.expect("first poll");
    assert_eq!(
        account.star_gifts(0).await,
        Err(TelegramError::FloodWait { seconds: 3 })
    );
    assert_eq!(setup.calls(GET_STAR_GIFTS), 2);

    // A wait pushed by the server itself reaches the engine the same way.
    setup.server.faults().add(FaultRule {
        method: GET_STAR_GIFTS,
        user: Some(USER),
        times: 1,
        action: FaultAction::Error(RpcFailure::flood_wait(7)),
    });
    assert_eq!(
        account.star_gifts(0).await,
        Err(TelegramError::FloodWait { seconds: 7 })
    );
    assert_eq!(setup.calls(GET_STAR_GIFTS), 3);
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_sticker_downloads_in_parts_byte_for_byte() {
    let setup = setup(FloodConfig::NONE).await;
    let account = setup.adapter(4096);
    let (_, gifts) = catalog(account.star_gifts(0).await.expect("catalog"));
    let (_, market_gifts) = catalog(setup.sim().star_gifts(0).await.expect("market"));
    let expected = setup
        .sim()
        .download_sticker(sticker_of(&market_gifts, AT_HOME))
        .await
        .expect("market sticker");
    assert_eq!(expected.len(), 3 * 4096 + 123);
    let sticker = sticker_of(&gifts, AT_HOME);
    assert_eq!(sticker.dc_id, HOME);
    assert_same(account.download_sticker(sticker).await, &expected);
    // Three whole parts and the short last one.
    assert_eq!(setup.calls(GET_FILE), 4);

    // With the default chunk the same file is one part.
    let whole = setup.adapter(AccountConfig::default().download_chunk);
    let (_, gifts) = catalog(whole.star_gifts(0).await.expect("catalog"));
    let bytes = whole
        .download_sticker(sticker_of(&gifts, AT_HOME))
        .await
        .expect("downloaded");
    assert_eq!(bytes.len(), 3 * 4096 + 123);
    assert_eq!(setup.calls(GET_FILE), 5);
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_sticker_on_another_dc_is_fetched_there_with_the_login_copied() {
    let setup = setup(FloodConfig::NONE).await;
    let account = setup.adapter(4096);
    let (_, gifts) = catalog(account.star_gifts(0).await.expect("catalog"));
    let (_, market_gifts) = catalog(setup.sim().star_gifts(0).await.expect("market"));
    let expected = setup
        .sim()
        .download_sticker(sticker_of(&market_gifts, ON_DC1))
        .await
        .expect("market sticker");
    let sticker = sticker_of(&gifts, ON_DC1);
    assert_eq!(sticker.dc_id, 1);
    // Exactly two parts of 4 KiB, and the empty one that says the file ended.
    assert_same(account.download_sticker(sticker.clone()).await, &expected);
    assert_eq!((setup.calls(EXPORT), setup.calls(IMPORT)), (1, 1));
    assert_eq!(setup.calls(GET_FILE), 3);

    // A document that claims to be at home is sent on with FILE_MIGRATE_1, and the login
    // copied before is used again.
    let misplaced = StickerRef {
        dc_id: HOME,
        ..sticker
    };
    assert_same(account.download_sticker(misplaced).await, &expected);
    assert_eq!((setup.calls(EXPORT), setup.calls(IMPORT)), (1, 1));
    assert_eq!(setup.calls(GET_FILE), 3 + 1 + 3);
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_sticker_that_claims_another_dc_but_lives_at_home_is_fetched_at_home() {
    let setup = setup(FloodConfig::NONE).await;
    let account = setup.adapter(4096);
    let (_, gifts) = catalog(account.star_gifts(0).await.expect("catalog"));
    let sticker = sticker_of(&gifts, AT_HOME);
    let expected = account
        .download_sticker(sticker.clone())
        .await
        .expect("from home");
    // DC 3 answers FILE_MIGRATE_2: the home DC, where the session is logged in already and
    // to which no authorization can be exported.
    let misplaced = StickerRef {
        dc_id: 3,
        ..sticker
    };
    assert_same(account.download_sticker(misplaced).await, &expected);
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_stale_file_reference_is_refreshed_from_the_catalog() {
    let setup = setup(FloodConfig::NONE).await;
    let account = setup.adapter(4096);
    let (_, gifts) = catalog(account.star_gifts(0).await.expect("catalog"));
    let stale = sticker_of(&gifts, ON_DC3);
    setup.backend.expire_file_references();
    let expected = {
        let (_, market_gifts) = catalog(setup.sim().star_gifts(0).await.expect("market"));
        setup
            .sim()
            .download_sticker(sticker_of(&market_gifts, ON_DC3))
            .await
            .expect("market sticker")
    };
    assert_same(account.download_sticker(stale).await, &expected);
    // The stale try, one catalog fetch for a fresh reference, and the try that worked.
    assert_eq!(setup.calls(GET_STAR_GIFTS), 2);
    assert_eq!(setup.calls(GET_FILE), 2);
    setup.server.shutdown().await;
}

#[tokio::test]
async fn the_wire_refuses_bad_parts_and_bad_authorization_copies() {
    let setup = setup(FloodConfig::NONE).await;
    let raw = setup.raw();
    let tl::enums::payments::StarGifts::Gifts(answer) = raw
        .invoke_in_dc(HOME, &functions::payments::GetStarGifts { hash: 0 })
        .await
        .expect("catalog")
    else {
        panic!("expected the catalog");
    };
    let document = answer
        .gifts
        .iter()
        .find_map(|entry| match entry {
            tl::enums::StarGift::Gift(entry) if entry.id == AT_HOME => match &entry.sticker {
                tl::enums::Document::Document(document) => Some(document.clone()),
                tl::enums::Document::Empty(_) => None,
            },
            _ => None,
        })
        .expect("document");
    let location = |file_reference: Vec<u8>| {
        tl::enums::InputFileLocation::InputDocumentFileLocation(
            tl::types::InputDocumentFileLocation {
                id: document.id,
                access_hash: document.access_hash,
                file_reference,
                thumb_size: String::new(),
            },
        )
    };
    let get = |offset: i64, limit: i32, file_reference: Vec<u8>| functions::upload::GetFile {
        precise: false,
        cdn_supported: false,
        location: location(file_reference),
        offset,
        limit,
    };
    let reference = document.file_reference.clone();
    let error = |result: Result<tl::enums::upload::File, InvocationError>| {
        rpc(result.expect_err("refused")).1
    };
    assert_eq!(
        error(
            raw.invoke_in_dc(HOME, &get(0, 3000, reference.clone()))
                .await
        ),
        "LIMIT_INVALID"
    );
    assert_eq!(
        error(
            raw.invoke_in_dc(HOME, &get(0, 12 * 1024, reference.clone()))
                .await
        ),
        "LIMIT_INVALID"
    );
    assert_eq!(
        error(
            raw.invoke_in_dc(HOME, &get(100, 4096, reference.clone()))
                .await
        ),
        "OFFSET_INVALID"
    );
    assert_eq!(
        error(raw.invoke_in_dc(HOME, &get(0, 4096, Vec::new())).await),
        "FILE_REFERENCE_EMPTY"
    );
    let tl::enums::upload::File::File(part) = raw
        .invoke_in_dc(HOME, &get(4096, 4096, reference.clone()))
        .await
        .expect("second part")
    else {
        panic!("expected a part");
    };
    assert_eq!(part.bytes, big_sticker(3 * 4096 + 123, 1)[4096..8192]);
    let tl::enums::upload::File::File(past) = raw
        .invoke_in_dc(HOME, &get(1 << 20, 4096, reference.clone()))
        .await
        .expect("past the end")
    else {
        panic!("expected a part");
    };
    assert!(past.bytes.is_empty());
    let (code, name, value) = rpc(raw
        .invoke_in_dc(1, &get(0, 4096, reference))
        .await
        .expect_err("elsewhere"));
    // DC 1's key is not logged in: Telegram refuses before looking at the file.
    assert_eq!(
        (code, name.as_str(), value),
        (401, "AUTH_KEY_UNREGISTERED", None)
    );

    assert_eq!(
        rpc(raw
            .invoke_in_dc(HOME, &functions::auth::ExportAuthorization { dc_id: HOME })
            .await
            .expect_err("own dc"))
        .1,
        "DC_ID_INVALID"
    );
    let tl::enums::auth::ExportedAuthorization::Authorization(exported) = raw
        .invoke_in_dc(HOME, &functions::auth::ExportAuthorization { dc_id: 1 })
        .await
        .expect("exported");
    assert_eq!(exported.id, USER);
    let mut tampered = exported.bytes.clone();
    if let Some(last) = tampered.last_mut() {
        *last ^= 1;
    }
    let import = |id: i64, bytes: Vec<u8>| functions::auth::ImportAuthorization { id, bytes };
    for (dc, request) in [
        (1, import(USER, tampered)),
        (1, import(USER + 1, exported.bytes.clone())),
        // Bound to DC 1, so DC 3 does not take it.
        (3, import(USER, exported.bytes.clone())),
    ] {
        assert_eq!(
            rpc(raw.invoke_in_dc(dc, &request).await.expect_err("refused")).1,
            "AUTH_BYTES_INVALID"
        );
    }
    raw.invoke_in_dc(1, &import(USER, exported.bytes))
        .await
        .expect("imported");
    // DC 1's key now belongs to the user, and the file there answers FILE_MIGRATE_2.
    let (code, name, value) = rpc(raw
        .invoke_in_dc(1, &get(0, 4096, document.file_reference.clone()))
        .await
        .expect_err("at home"));
    assert_eq!((code, name.as_str(), value), (303, "FILE_MIGRATE", Some(2)));
    setup.server.shutdown().await;
}
