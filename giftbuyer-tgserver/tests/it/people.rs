//! Gifts to people over the socket: the real `MtprotoAccount` resolves a username with
//! `contacts.resolveUsername` and names the person with `inputPeerUser` in a new gift's,
//! a resale invoice or a bid's (and the buyer itself with `inputPeerSelf`); the market records the person. An unknown username buys nothing, and raw
//! calls check what the adapter never sends (a wrong, stale or another account's access hash,
//! an unknown user id, a username written with its `@`).

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{
    BidRequest, PurchaseRequest, ResalePurchaseRequest, TelegramAccount, TelegramError,
};
use giftbuyer_core::resale::{Recipient, TelegramUsername};
use giftbuyer_core::{AccountId, GiftId, Stars};
use giftbuyer_sim::{AccountSpec, AuctionSpec, GiftSpec, Market, MarketConfig, ResaleSpec};
use giftbuyer_tgserver::TgServer;
use grammers_mtsender::{InvocationError, SenderPoolFatHandle};
use grammers_session::storages::MemorySession;
use grammers_tl_types::{self as tl, functions};

use crate::support::{adapter_account, instant_market, market_server, session_data};

const BUYER: i64 = 801;
const OTHER: i64 = 802;
const FRIEND_ID: i64 = 7_000_000_001;
const FAN_ID: i64 = 7_000_000_002;
const LISTED: i64 = 66;
/// An auction of two rounds of ten minutes.
const AUCTIONED: i64 = 93;
const ON_SALE: i64 = 94;

fn name(text: &str) -> TelegramUsername {
    TelegramUsername::new(text).expect("a valid username")
}

fn id(account: i64) -> AccountId {
    AccountId::new(account).expect("account")
}

fn gift(id: i64) -> GiftId {
    GiftId::new(id).expect("gift")
}

fn market() -> Market {
    instant_market(
        MarketConfig::with_seed(31)
            .account(AccountSpec::new(id(BUYER), Stars::new(2_000)))
            .account(AccountSpec::new(id(OTHER), Stars::new(2_000)))
            .person(name("gift_friend"), FRIEND_ID)
            .person(name("durov_fan"), FAN_ID)
            .listing(ResaleSpec::new(gift(LISTED), 1, Stars::new(500)))
            .listing(ResaleSpec::new(gift(LISTED), 2, Stars::new(700)))
            .gift(
                GiftSpec::limited(gift(AUCTIONED), Stars::new(500), 10)
                    .title("Comet")
                    .auctioned(
                        AuctionSpec::new(5, Duration::ZERO)
                            .rounds(2, Duration::from_secs(600))
                            .min_bid(Stars::new(100)),
                    ),
            )
            .gift(GiftSpec::limited(gift(ON_SALE), Stars::new(40), 100).title("Star")),
    )
}

fn new_gift(recipient: Recipient) -> PurchaseRequest {
    PurchaseRequest {
        gift_id: gift(ON_SALE),
        recipient,
        price: Stars::new(40),
        hide_name: false,
        message: None,
    }
}

#[tokio::test]
async fn a_new_gift_bought_for_a_person_or_the_buyer_reaches_them_over_the_socket() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, BUYER, 2);
    let friend = Recipient::User(name("gift_friend"));
    wire.buy_gift(new_gift(friend))
        .await
        .expect("bought for the friend");
    wire.buy_gift(new_gift(Recipient::Buyer))
        .await
        .expect("bought for the buyer");
    assert_eq!(
        wire.buy_gift(new_gift(Recipient::User(name("nobody_here"))))
            .await,
        Err(not_occupied())
    );
    let recipients: Vec<(Recipient, AccountId)> = market
        .purchases()
        .iter()
        .map(|purchase| (purchase.recipient, purchase.account))
        .collect();
    assert_eq!(
        recipients,
        [(friend, id(BUYER)), (Recipient::Buyer, id(BUYER))]
    );
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(1_920)));
    server.shutdown().await;
}

fn buy(slug: &str, recipient: Recipient, price: u64) -> ResalePurchaseRequest {
    ResalePurchaseRequest {
        slug: slug.into(),
        recipient,
        price: Stars::new(price),
    }
}

fn bid(recipient: Recipient, total: u64) -> BidRequest {
    BidRequest {
        gift_id: gift(AUCTIONED),
        recipient,
        total: Stars::new(total),
        standing: None,
    }
}

fn not_occupied() -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: "USERNAME_NOT_OCCUPIED".into(),
    }
}

#[tokio::test]
async fn a_listing_bought_for_a_person_reaches_them() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, BUYER, 2);
    let friend = Recipient::User(name("gift_friend"));
    wire.buy_resale(buy("gift66-1", friend, 500))
        .await
        .expect("bought for the friend");
    let purchases = market.resale_purchases();
    let bought: Vec<(&str, Recipient, AccountId)> = purchases
        .iter()
        .map(|purchase| (purchase.slug.as_str(), purchase.recipient, purchase.account))
        .collect();
    assert_eq!(bought, [("gift66-1", friend, id(BUYER))]);
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(1_500)));
    server.shutdown().await;
}

#[tokio::test]
async fn a_bid_for_a_person_stands_with_them_as_its_receiver() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, BUYER, 2);
    let fan = Recipient::User(name("durov_fan"));
    wire.place_bid(bid(fan, 150)).await.expect("placed");
    let bids = market.bids();
    assert_eq!(bids.len(), 1);
    assert_eq!((bids[0].recipient, bids[0].charge), (fan, Stars::new(150)));
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(1_850)));

    // The bidder's state names the person as the bid's receiver, by their user id.
    let raw = raw_handle(&server, BUYER);
    let tl::enums::payments::StarGiftAuctionState::State(answer) = raw
        .invoke_in_dc(
            2,
            &functions::payments::GetStarGiftAuctionState {
                auction: tl::enums::InputStarGiftAuction::Auction(
                    tl::types::InputStarGiftAuction { gift_id: AUCTIONED },
                ),
                version: 0,
            },
        )
        .await
        .expect("state");
    let tl::enums::StarGiftAuctionUserState::State(user_state) = answer.user_state;
    assert_eq!(user_state.bid_amount, Some(150));
    assert_eq!(
        user_state.bid_peer,
        Some(tl::enums::Peer::User(tl::types::PeerUser {
            user_id: FAN_ID
        }))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_username_buys_nothing_and_bids_nothing() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, BUYER, 2);
    let nobody = Recipient::User(name("nobody_here"));
    assert_eq!(
        wire.buy_resale(buy("gift66-1", nobody, 500)).await,
        Err(not_occupied())
    );
    assert_eq!(wire.place_bid(bid(nobody, 150)).await, Err(not_occupied()));
    assert_eq!(market.resale_purchases(), []);
    assert_eq!(market.bids(), []);
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(2_000)));
    let (_, on_sale) = market.listing("gift66-1").expect("listed");
    assert!(on_sale, "the listing stays on sale");
    server.shutdown().await;
}

/// grammers' sender on DC 2 with a key logged in as `user`, without retries.
fn raw_handle(server: &TgServer, user: i64) -> SenderPoolFatHandle {
    let data = session_data(server, 2);
    let key = data.dc_options[&2].auth_key.expect("a key for dc 2");
    let key_id = giftbuyer_tgserver::AuthKey::from_bytes(key).id();
    server.keys().authorize(key_id, user).expect("binds");
    crate::support::raw_pool(Arc::new(MemorySession::from(data)))
}

fn rpc(error: InvocationError) -> (i32, String) {
    match error {
        InvocationError::Rpc(rpc) => (rpc.code, rpc.name),
        other => panic!("expected an rpc error, got {other:?}"),
    }
}

fn resolve(username: &str) -> functions::contacts::ResolveUsername {
    functions::contacts::ResolveUsername {
        username: username.to_owned(),
        referer: None,
    }
}

/// The user id and access hash a resolve answer gives, checking the rest of the answer.
fn resolved(answer: tl::enums::contacts::ResolvedPeer, username: &str) -> (i64, i64) {
    let tl::enums::contacts::ResolvedPeer::Peer(answer) = answer;
    let tl::enums::Peer::User(tl::types::PeerUser { user_id }) = answer.peer else {
        panic!("a user expected, got {:?}", answer.peer);
    };
    assert!(answer.chats.is_empty());
    let [tl::enums::User::User(user)] = answer.users.as_slice() else {
        panic!("one user expected, got {:?}", answer.users);
    };
    assert_eq!(user.id, user_id);
    assert_eq!(user.username.as_deref(), Some(username));
    assert!(!user.bot && !user.is_self);
    (user_id, user.access_hash.expect("an access hash"))
}

fn user_peer(user_id: i64, access_hash: i64) -> tl::enums::InputPeer {
    tl::enums::InputPeer::User(tl::types::InputPeerUser {
        user_id,
        access_hash,
    })
}

fn resale_form(slug: &str, to: tl::enums::InputPeer) -> functions::payments::GetPaymentForm {
    functions::payments::GetPaymentForm {
        invoice: tl::enums::InputInvoice::StarGiftResale(tl::types::InputInvoiceStarGiftResale {
            ton: false,
            show_name: false,
            slug: slug.to_owned(),
            to_id: to,
            message: None,
        }),
        theme_params: None,
    }
}

fn bid_form(peer: tl::enums::InputPeer) -> functions::payments::GetPaymentForm {
    functions::payments::GetPaymentForm {
        invoice: tl::enums::InputInvoice::StarGiftAuctionBid(
            tl::types::InputInvoiceStarGiftAuctionBid {
                hide_name: false,
                update_bid: false,
                peer: Some(peer),
                gift_id: AUCTIONED,
                bid_amount: 150,
                message: None,
            },
        ),
        theme_params: None,
    }
}

#[tokio::test]
async fn usernames_resolve_to_per_account_hashes_that_invoices_must_carry() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = raw_handle(&server, BUYER);
    let other = raw_handle(&server, OTHER);
    let peer_invalid = (400, "PEER_ID_INVALID".to_owned());

    // Telegram compares usernames without case and answers with the name as it is held.
    let (friend, hash) = resolved(
        buyer
            .invoke_in_dc(2, &resolve("Gift_Friend"))
            .await
            .expect("resolves"),
        "gift_friend",
    );
    assert_eq!(friend, FRIEND_ID);
    let (_, again) = resolved(
        buyer
            .invoke_in_dc(2, &resolve("gift_friend"))
            .await
            .expect("resolves"),
        "gift_friend",
    );
    assert_eq!(again, hash, "a hash is stable for its account");
    let (_, foreign) = resolved(
        other
            .invoke_in_dc(2, &resolve("gift_friend"))
            .await
            .expect("resolves"),
        "gift_friend",
    );
    assert_ne!(foreign, hash, "each account has its own hash");

    for (text, expected) in [
        ("nobody_here", "USERNAME_NOT_OCCUPIED"),
        ("@gift_friend", "USERNAME_INVALID"),
        ("ab", "USERNAME_INVALID"),
        ("gift friend", "USERNAME_INVALID"),
    ] {
        let error = buyer
            .invoke_in_dc(2, &resolve(text))
            .await
            .expect_err("refused");
        assert_eq!(rpc(error), (400, expected.to_owned()), "for {text:?}");
    }

    // A wrong or another account's hash, and an id nobody has, name nobody.
    for peer in [
        user_peer(FRIEND_ID, hash.wrapping_add(1)),
        user_peer(FRIEND_ID, foreign),
        user_peer(FAN_ID, hash),
        user_peer(7_000_000_009, hash),
    ] {
        let error = buyer
            .invoke_in_dc(2, &resale_form("gift66-1", peer.clone()))
            .await
            .expect_err("refused");
        assert_eq!(rpc(error), peer_invalid, "resale to {peer:?}");
        let error = buyer
            .invoke_in_dc(2, &bid_form(peer.clone()))
            .await
            .expect_err("refused");
        assert_eq!(rpc(error), peer_invalid, "bid for {peer:?}");
    }

    // The right hash makes a form; paying it records the person.
    let form = resale_form("gift66-2", user_peer(FRIEND_ID, hash));
    let tl::enums::payments::PaymentForm::StarGift(answer) =
        buyer.invoke_in_dc(2, &form).await.expect("a form")
    else {
        panic!("a star gift form expected");
    };
    buyer
        .invoke_in_dc(
            2,
            &functions::payments::SendStarsForm {
                form_id: answer.form_id,
                invoice: form.invoice,
            },
        )
        .await
        .expect("paid");
    let recipients: Vec<Recipient> = market
        .resale_purchases()
        .iter()
        .map(|purchase| purchase.recipient)
        .collect();
    assert_eq!(recipients, [Recipient::User(name("gift_friend"))]);
    assert_eq!(market.bids(), []);
    server.shutdown().await;
}
