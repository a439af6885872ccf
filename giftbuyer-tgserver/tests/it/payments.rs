//! Channels and purchases over the socket: the real `MtprotoAccount` resolves channels through
//! `messages.getDialogs` and `channels.getParticipant` and buys through
//! `payments.getPaymentForm` and `payments.sendStarsForm`, answered from the market; raw calls
//! check what the adapter never sends (wrong access hashes, a form paid twice).

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{ChannelAccess, PurchaseRequest, TelegramAccount, TelegramError};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars};
use giftbuyer_sim::{AccountSpec, Demand, GiftSpec, Market, MarketConfig};
use giftbuyer_tgserver::{FaultAction, FaultRule, TgServer};
use grammers_mtsender::{InvocationError, SenderPoolFatHandle};
use grammers_session::storages::MemorySession;
use grammers_tl_types::{self as tl, Identifiable, functions};

use crate::support::{adapter_account, instant_market, market_server, session_data};

/// Account 1001 posts in `POST`, reads `READ`, was removed from `GONE`; it has 500 stars.
const BUYER: i64 = 1001;
/// Account 1002 may post anywhere but has only 30 stars.
const POOR: i64 = 1002;
const POST: i64 = 1_111;
const READ: i64 = 2_222;
const GONE: i64 = 3_333;
/// A channel only account 1002's `any_channel` reaches, through the market's config.
const OPEN: i64 = 4_444;
const ROCKET: i64 = 50;
const SOLD_OUT: i64 = 60;

fn channel(mtproto: i64) -> ChannelId {
    ChannelId::from_mtproto(mtproto).expect("channel")
}

fn id(account: i64) -> AccountId {
    AccountId::new(account).expect("account")
}

fn market() -> Market {
    let mut config = MarketConfig::with_seed(11)
        .account(
            AccountSpec::new(id(BUYER), Stars::new(500))
                .phone("+15550000011")
                .channel(channel(POST), ChannelAccess::CanPost)
                .channel(channel(READ), ChannelAccess::ReadOnly)
                .channel(channel(GONE), ChannelAccess::NotMember),
        )
        .account(
            AccountSpec::new(id(POOR), Stars::new(30))
                .phone("+15550000021")
                .any_channel(),
        )
        .gift(
            GiftSpec::limited(GiftId::new(ROCKET).expect("gift"), Stars::new(100), 1000)
                .title("Rocket")
                .demand(Demand::Nobody),
        )
        .gift(
            GiftSpec::limited(GiftId::new(SOLD_OUT).expect("gift"), Stars::new(10), 5)
                .remaining(0)
                .demand(Demand::Nobody),
        );
    config.closed_to_gifts.insert(channel(READ));
    config
        .channel_titles
        .insert(channel(POST), "Posting channel".to_owned());
    config
        .channel_titles
        .insert(channel(READ), "Reading channel".to_owned());
    config
        .channel_titles
        .insert(channel(OPEN), "Open channel".to_owned());
    instant_market(config)
}

fn purchase(gift: i64, to: i64, price: u64) -> PurchaseRequest {
    PurchaseRequest {
        gift_id: GiftId::new(gift).expect("gift"),
        recipient: giftbuyer_core::Recipient::Channel(channel(to)),
        price: Stars::new(price),
        hide_name: true,
        message: Some("for the channel".to_owned()),
    }
}

/// `channels.getFullChannel` over the socket: the posting channel takes star gifts, the one
/// its owner closed to them does not, and a channel the account cannot see is not a member's.
#[tokio::test]
async fn the_adapter_reads_whether_a_channel_takes_star_gifts() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = adapter_account(&server, BUYER, 2);
    assert_eq!(
        buyer.channel_takes_star_gifts(channel(POST)).await,
        Ok(true)
    );
    assert_eq!(
        buyer.channel_takes_star_gifts(channel(READ)).await,
        Ok(false)
    );
    assert_eq!(
        buyer.channel_takes_star_gifts(channel(GONE)).await,
        Err(TelegramError::NotMember)
    );
    assert_eq!(
        server
            .stats()
            .calls(functions::channels::GetFullChannel::CONSTRUCTOR_ID),
        2,
        "a channel without an access hash is refused before anything is sent"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_adapter_resolves_channels_and_their_rights() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = adapter_account(&server, BUYER, 2);

    let post = buyer.channel_info(channel(POST)).await.expect("post");
    assert_eq!(post.access, ChannelAccess::CanPost);
    assert_eq!(post.title.as_deref(), Some("Posting channel"));
    let read = buyer.channel_info(channel(READ)).await.expect("read");
    assert_eq!(read.access, ChannelAccess::ReadOnly);
    assert_eq!(read.title.as_deref(), Some("Reading channel"));
    let gone = buyer.channel_info(channel(GONE)).await.expect("gone");
    assert_eq!(gone.access, ChannelAccess::NotMember);
    assert_eq!(gone.title, None);
    // Account 1001 has no `any_channel`: a channel of the config it is not in stays unseen.
    let open = buyer.channel_info(channel(OPEN)).await.expect("open");
    assert_eq!(open.access, ChannelAccess::NotMember);
    // One walk of the dialogs served all of them: the hashes were cached in the session.
    assert_eq!(
        server
            .stats()
            .calls(functions::messages::GetDialogs::CONSTRUCTOR_ID),
        1
    );

    // `any_channel` reaches every channel the market knows, and refuses the ones it lists.
    let poor = adapter_account(&server, POOR, 2);
    let open = poor.channel_info(channel(OPEN)).await.expect("open");
    assert_eq!(open.access, ChannelAccess::CanPost);
    assert_eq!(open.title.as_deref(), Some("Open channel"));
    let unknown = poor.channel_info(channel(9_999)).await.expect("unknown");
    assert_eq!(unknown.access, ChannelAccess::NotMember);

    // A member removed while the adapter still has the hash: the participant check says so.
    market.set_channel_access(id(BUYER), channel(POST), ChannelAccess::NotMember);
    let removed = buyer.channel_info(channel(POST)).await.expect("removed");
    assert_eq!(removed.access, ChannelAccess::NotMember);
    server.shutdown().await;
}

#[tokio::test]
async fn a_purchase_goes_through_and_is_paid_once() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = adapter_account(&server, BUYER, 2);
    let receipt = buyer
        .buy_gift(purchase(ROCKET, POST, 100))
        .await
        .expect("bought");
    assert_ne!(receipt.form_id, 0);
    let purchases = market.purchases();
    assert_eq!(purchases.len(), 1);
    let bought = &purchases[0];
    assert_eq!(
        (bought.account, bought.recipient, bought.gift, bought.price),
        (
            id(BUYER),
            giftbuyer_core::Recipient::Channel(channel(POST)),
            GiftId::new(ROCKET).expect("gift"),
            Stars::new(100)
        )
    );
    assert!(bought.hide_name);
    assert_eq!(bought.message.as_deref(), Some("for the channel"));
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(400)));
    assert_eq!(
        buyer.stars_balance().await.expect("balance"),
        Stars::new(400)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn refusals_map_to_the_engines_errors_and_buy_nothing() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = adapter_account(&server, BUYER, 2);
    let poor = adapter_account(&server, POOR, 2);

    assert_eq!(
        buyer.buy_gift(purchase(SOLD_OUT, POST, 10)).await,
        Err(TelegramError::GiftSoldOut)
    );
    assert_eq!(
        poor.buy_gift(purchase(ROCKET, OPEN, 100)).await,
        Err(TelegramError::BalanceTooLow)
    );
    assert_eq!(
        buyer.buy_gift(purchase(ROCKET, READ, 100)).await,
        Err(TelegramError::ChatWriteForbidden)
    );
    assert_eq!(
        buyer.buy_gift(purchase(ROCKET, GONE, 100)).await,
        Err(TelegramError::NotMember)
    );
    // The plan expected another price: the form's price refuses it before anything is paid.
    assert_eq!(
        buyer.buy_gift(purchase(ROCKET, POST, 99)).await,
        Err(TelegramError::PriceChanged {
            expected: Stars::new(99),
            actual: Stars::new(100),
        })
    );
    assert!(market.purchases().is_empty());
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(500)));
    assert_eq!(market.balance(id(POOR)), Some(Stars::new(30)));
    server.shutdown().await;
}

#[tokio::test]
async fn a_connection_dropped_after_the_purchase_ran_is_unknown_and_never_resent() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = adapter_account(&server, BUYER, 2);
    // Resolve the channel first, so the fault meets the purchase and nothing else.
    buyer.channel_info(channel(POST)).await.expect("resolved");
    server.faults().add(FaultRule {
        method: functions::payments::SendStarsForm::CONSTRUCTOR_ID,
        user: Some(BUYER),
        times: 1,
        action: FaultAction::DropAfter,
    });
    let outcome = buyer.buy_gift(purchase(ROCKET, POST, 100)).await;
    assert!(
        matches!(outcome, Err(TelegramError::Network(_))),
        "{outcome:?}"
    );
    // Give a resend every chance to arrive: there must be none.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(market.purchases().len(), 1);
    assert_eq!(
        server
            .stats()
            .calls(functions::payments::SendStarsForm::CONSTRUCTOR_ID),
        1
    );
    // The connection comes back for the next call.
    buyer
        .buy_gift(purchase(ROCKET, POST, 100))
        .await
        .expect("bought again");
    assert_eq!(market.purchases().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn the_markets_own_disconnect_is_a_dropped_connection_on_the_wire() {
    use giftbuyer_sim::{Fault, FaultAction as MarketFault, FaultWhen, Method};
    let market = market();
    let server = market_server(&market).await;
    let buyer = adapter_account(&server, BUYER, 2);
    buyer.channel_info(channel(POST)).await.expect("resolved");
    market
        .inject_fault(
            Fault::new(
                Method::Buy,
                FaultWhen::Calls { first: 1, last: 1 },
                MarketFault::Disconnect { executed: true },
            )
            .for_account(id(BUYER)),
        )
        .expect("fault");
    let outcome = buyer.buy_gift(purchase(ROCKET, POST, 100)).await;
    // Not an RPC error the engine could take for a refusal: the connection is gone, and the
    // purchase ran.
    assert!(
        matches!(outcome, Err(TelegramError::Network(_))),
        "{outcome:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(market.purchases().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_connection_dropped_before_the_purchase_ran_buys_nothing() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = adapter_account(&server, BUYER, 2);
    server.faults().add(FaultRule {
        method: functions::payments::SendStarsForm::CONSTRUCTOR_ID,
        user: None,
        times: 1,
        action: FaultAction::DropBefore,
    });
    let outcome = buyer.buy_gift(purchase(ROCKET, POST, 100)).await;
    assert!(
        matches!(outcome, Err(TelegramError::Network(_))),
        "{outcome:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(market.purchases().is_empty());
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(500)));
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

fn dialogs(limit: i32, offset_peer: tl::enums::InputPeer) -> functions::messages::GetDialogs {
    functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date: 0,
        offset_id: 0,
        offset_peer,
        limit,
        hash: 0,
    }
}

/// The access hash of each channel in a dialogs answer.
fn hashes(answer: &tl::enums::messages::Dialogs) -> Vec<(i64, i64)> {
    let chats = match answer {
        tl::enums::messages::Dialogs::Dialogs(all) => &all.chats,
        tl::enums::messages::Dialogs::Slice(slice) => &slice.chats,
        tl::enums::messages::Dialogs::NotModified(_) => panic!("never sent"),
    };
    chats
        .iter()
        .map(|chat| match chat {
            tl::enums::Chat::Channel(channel) => (channel.id, channel.access_hash.expect("a hash")),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn invoice(to: i64, access_hash: i64, gift: i64) -> tl::enums::InputInvoice {
    tl::enums::InputInvoice::StarGift(tl::types::InputInvoiceStarGift {
        hide_name: false,
        include_upgrade: false,
        peer: tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
            channel_id: to,
            access_hash,
        }),
        gift_id: gift,
        message: None,
    })
}

fn form_id(form: tl::enums::payments::PaymentForm) -> i64 {
    match form {
        tl::enums::payments::PaymentForm::StarGift(form) => {
            let tl::enums::Invoice::Invoice(invoice) = &form.invoice;
            assert_eq!(invoice.currency, "XTR");
            form.form_id
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn dialogs_page_and_hashes_are_per_account() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = raw_handle(&server, BUYER);
    let all = buyer
        .invoke_in_dc(2, &dialogs(100, tl::enums::InputPeer::Empty))
        .await
        .expect("dialogs");
    assert!(matches!(all, tl::enums::messages::Dialogs::Dialogs(_)));
    let buyer_hashes = hashes(&all);
    let ids: Vec<i64> = buyer_hashes.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, vec![READ, POST]);

    // One dialog per page: a slice with the full count, then the next after the offset.
    let first = buyer
        .invoke_in_dc(2, &dialogs(1, tl::enums::InputPeer::Empty))
        .await
        .expect("first page");
    let tl::enums::messages::Dialogs::Slice(slice) = &first else {
        panic!("a slice: {first:?}")
    };
    assert_eq!(slice.count, 2);
    let (read_id, read_hash) = hashes(&first)[0];
    let offset = tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
        channel_id: read_id,
        access_hash: read_hash,
    });
    let second = buyer
        .invoke_in_dc(2, &dialogs(1, offset))
        .await
        .expect("second page");
    assert_eq!(
        hashes(&second)
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>(),
        vec![POST]
    );

    // Another account's hash for the same channel differs, and is refused.
    let poor = raw_handle(&server, POOR);
    let poor_hashes = hashes(
        &poor
            .invoke_in_dc(2, &dialogs(100, tl::enums::InputPeer::Empty))
            .await
            .expect("dialogs"),
    );
    let (_, post_for_poor) = poor_hashes
        .iter()
        .find(|(id, _)| *id == POST)
        .copied()
        .expect("any_channel sees the config's channels");
    let (_, post_for_buyer) = buyer_hashes
        .iter()
        .find(|(id, _)| *id == POST)
        .copied()
        .expect("post");
    assert_ne!(post_for_poor, post_for_buyer);
    let wrong = buyer
        .invoke_in_dc(
            2,
            &functions::channels::GetChannels {
                id: vec![tl::enums::InputChannel::Channel(tl::types::InputChannel {
                    channel_id: POST,
                    access_hash: post_for_poor,
                })],
            },
        )
        .await
        .expect_err("foreign hash");
    assert_eq!(rpc(wrong), (400, "CHANNEL_INVALID".to_owned()));
    let form = buyer
        .invoke_in_dc(
            2,
            &functions::payments::GetPaymentForm {
                invoice: invoice(POST, post_for_poor, ROCKET),
                theme_params: None,
            },
        )
        .await
        .expect_err("foreign hash");
    assert_eq!(rpc(form), (400, "PEER_ID_INVALID".to_owned()));

    let tl::enums::messages::Chats::Chats(chats) = buyer
        .invoke_in_dc(
            2,
            &functions::channels::GetChannels {
                id: vec![tl::enums::InputChannel::Channel(tl::types::InputChannel {
                    channel_id: POST,
                    access_hash: post_for_buyer,
                })],
            },
        )
        .await
        .expect("own hash")
    else {
        panic!("not a slice")
    };
    assert!(matches!(
        &chats.chats[..],
        [tl::enums::Chat::Channel(channel)] if channel.title == "Posting channel" && !channel.left
    ));
    server.shutdown().await;
}

/// The gifts and channels of the `messageActionStarGift` service messages among `updates`.
fn gifts_in(updates: &[tl::enums::Update]) -> Vec<(i64, i64)> {
    updates
        .iter()
        .filter_map(|update| match update {
            tl::enums::Update::NewChannelMessage(new) => match &new.message {
                tl::enums::Message::Service(service) => match (&service.action, &service.peer_id) {
                    (
                        tl::enums::MessageAction::StarGift(action),
                        tl::enums::Peer::Channel(peer),
                    ) => match &action.gift {
                        tl::enums::StarGift::Gift(gift) => Some((gift.id, peer.channel_id)),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_form_is_paid_once_and_must_match_its_invoice() {
    let market = market();
    let server = market_server(&market).await;
    let buyer = raw_handle(&server, BUYER);
    let all = buyer
        .invoke_in_dc(2, &dialogs(100, tl::enums::InputPeer::Empty))
        .await
        .expect("dialogs");
    let (_, post_hash) = hashes(&all)
        .into_iter()
        .find(|(id, _)| *id == POST)
        .expect("post");
    let ask = functions::payments::GetPaymentForm {
        invoice: invoice(POST, post_hash, ROCKET),
        theme_params: None,
    };
    let form = form_id(buyer.invoke_in_dc(2, &ask).await.expect("form"));

    let empty = buyer
        .invoke_in_dc(
            2,
            &functions::payments::SendStarsForm {
                form_id: 0,
                invoice: invoice(POST, post_hash, ROCKET),
            },
        )
        .await
        .expect_err("no form");
    assert_eq!(rpc(empty), (400, "FORM_ID_EMPTY".to_owned()));
    let unknown = buyer
        .invoke_in_dc(
            2,
            &functions::payments::SendStarsForm {
                form_id: form ^ 1,
                invoice: invoice(POST, post_hash, ROCKET),
            },
        )
        .await
        .expect_err("unknown form");
    assert_eq!(rpc(unknown), (400, "FORM_EXPIRED".to_owned()));
    let mismatched = buyer
        .invoke_in_dc(
            2,
            &functions::payments::SendStarsForm {
                form_id: form,
                invoice: invoice(POST, post_hash, SOLD_OUT),
            },
        )
        .await
        .expect_err("another invoice");
    assert_eq!(rpc(mismatched), (400, "BOT_INVOICE_INVALID".to_owned()));

    let pay = functions::payments::SendStarsForm {
        form_id: form,
        invoice: invoice(POST, post_hash, ROCKET),
    };
    let tl::enums::payments::PaymentResult::Result(result) =
        buyer.invoke_in_dc(2, &pay).await.expect("paid")
    else {
        panic!("no verification is needed")
    };
    let tl::enums::Updates::Updates(updates) = &result.updates else {
        panic!("updates: {:?}", result.updates)
    };
    assert_eq!(gifts_in(&updates.updates), vec![(ROCKET, POST)]);
    // The same form again, under a new msg_id (which the replay check cannot catch).
    let again = buyer.invoke_in_dc(2, &pay).await.expect_err("paid already");
    assert_eq!(rpc(again), (400, "FORM_SUBMIT_DUPLICATE".to_owned()));
    assert_eq!(market.purchases().len(), 1);
    assert_eq!(market.balance(id(BUYER)), Some(Stars::new(400)));

    // Another account cannot pay this account's form.
    let poor = raw_handle(&server, POOR);
    let foreign = poor.invoke_in_dc(2, &pay).await.expect_err("not its form");
    assert_eq!(rpc(foreign), (400, "FORM_EXPIRED".to_owned()));

    // A purchase refused for certain leaves the form payable: after a top-up it goes through.
    let (_, open_hash) = hashes(
        &poor
            .invoke_in_dc(2, &dialogs(100, tl::enums::InputPeer::Empty))
            .await
            .expect("dialogs"),
    )
    .into_iter()
    .find(|(id, _)| *id == OPEN)
    .expect("open");
    let form = form_id(
        poor.invoke_in_dc(
            2,
            &functions::payments::GetPaymentForm {
                invoice: invoice(OPEN, open_hash, ROCKET),
                theme_params: None,
            },
        )
        .await
        .expect("form"),
    );
    let pay = functions::payments::SendStarsForm {
        form_id: form,
        invoice: invoice(OPEN, open_hash, ROCKET),
    };
    let low = poor.invoke_in_dc(2, &pay).await.expect_err("too poor");
    assert_eq!(rpc(low), (400, "BALANCE_TOO_LOW".to_owned()));
    market.set_balance(id(POOR), Stars::new(250));
    poor.invoke_in_dc(2, &pay)
        .await
        .expect("paid after the top-up");
    assert_eq!(market.purchases().len(), 2);
    assert_eq!(market.balance(id(POOR)), Some(Stars::new(150)));
    server.shutdown().await;
}

/// An account whose purchases and channel checks go over the socket while its catalog polls
/// and balances come from the market in process: the catalog over MTProto is served
/// elsewhere, and this keeps the engine's check to what this module serves.
struct WirePurchases {
    sim: giftbuyer_sim::SimAccount,
    wire: giftbuyer_telegram::account::MtprotoAccount,
}

#[async_trait::async_trait]
impl TelegramAccount for WirePurchases {
    fn account_id(&self) -> AccountId {
        self.sim.account_id()
    }

    async fn star_gifts(
        &self,
        hash: i32,
    ) -> Result<giftbuyer_core::ports::CatalogResponse, TelegramError> {
        self.sim.star_gifts(hash).await
    }

    async fn profile(&self) -> Result<giftbuyer_core::ports::Profile, TelegramError> {
        self.sim.profile().await
    }

    async fn stars_balance(&self) -> Result<Stars, TelegramError> {
        self.sim.stars_balance().await
    }

    async fn buy_gift(
        &self,
        request: PurchaseRequest,
    ) -> Result<giftbuyer_core::ports::PurchaseReceipt, TelegramError> {
        self.wire.buy_gift(request).await
    }

    async fn resale_listings(
        &self,
        gift_id: giftbuyer_core::GiftId,
        offset: &str,
        limit: i32,
    ) -> Result<giftbuyer_core::ports::ResalePage, TelegramError> {
        self.sim.resale_listings(gift_id, offset, limit).await
    }

    async fn buy_resale(
        &self,
        request: giftbuyer_core::ports::ResalePurchaseRequest,
    ) -> Result<giftbuyer_core::ports::PurchaseReceipt, TelegramError> {
        self.wire.buy_resale(request).await
    }

    async fn auction_state(
        &self,
        gift_id: giftbuyer_core::GiftId,
        version: i32,
    ) -> Result<giftbuyer_core::auction::AuctionAnswer, TelegramError> {
        self.wire.auction_state(gift_id, version).await
    }

    async fn place_bid(
        &self,
        request: giftbuyer_core::ports::BidRequest,
    ) -> Result<giftbuyer_core::ports::PurchaseReceipt, TelegramError> {
        self.wire.place_bid(request).await
    }

    async fn download_sticker(
        &self,
        sticker: giftbuyer_core::StickerRef,
    ) -> Result<Vec<u8>, TelegramError> {
        self.sim.download_sticker(sticker).await
    }

    async fn channel_info(
        &self,
        channel: ChannelId,
    ) -> Result<giftbuyer_core::ports::ChannelInfo, TelegramError> {
        self.wire.channel_info(channel).await
    }

    async fn channel_takes_star_gifts(&self, channel: ChannelId) -> Result<bool, TelegramError> {
        self.wire.channel_takes_star_gifts(channel).await
    }
}

struct OneAccount(Arc<WirePurchases>);

#[async_trait::async_trait]
impl giftbuyer_core::ports::Connector for OneAccount {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        if id == self.0.account_id() {
            Ok(self.0.clone())
        } else {
            Err(TelegramError::AccountUnavailable("not this test's".into()))
        }
    }

    async fn bot(
        &self,
        _user: giftbuyer_core::ports::UserId,
    ) -> Result<
        Option<Arc<dyn giftbuyer_core::ports::NotificationBot>>,
        giftbuyer_core::ports::BotError,
    > {
        Ok(None)
    }
}

#[tokio::test]
async fn the_engine_journals_a_purchase_lost_with_its_connection_as_unknown() {
    use giftbuyer_core::ports::{JournalStatus, UserConfig, UserId, UserSettings};
    use giftbuyer_core::{Bounds, TargetFilter, TargetRowId};
    use giftbuyer_engine::{Engine, EngineConfig, MemoryStore, TokioClock};

    // One copy's worth of stars, so the plan is exactly one purchase; no flood limits, so
    // the engine may poll every 100 ms.
    let market = instant_market(MarketConfig {
        flood: giftbuyer_sim::FloodConfig::NONE,
        ..MarketConfig::with_seed(5)
            .account(
                AccountSpec::new(id(BUYER), Stars::new(100))
                    .premium()
                    .channel(channel(POST), ChannelAccess::CanPost),
            )
            .gift(
                GiftSpec::limited(GiftId::new(ROCKET).expect("gift"), Stars::new(100), 1000)
                    .released_at(Duration::from_millis(400))
                    .demand(Demand::Nobody),
            )
    });
    let server = market_server(&market).await;
    server.faults().add(FaultRule {
        method: functions::payments::SendStarsForm::CONSTRUCTOR_ID,
        user: Some(BUYER),
        times: 1,
        action: FaultAction::DropAfter,
    });
    let account = Arc::new(WirePurchases {
        sim: market.account(id(BUYER)).expect("account"),
        wire: adapter_account(&server, BUYER, 2),
    });
    let store = Arc::new(MemoryStore::new());
    store.set_users(vec![UserConfig {
        user_id: UserId::new(1).expect("user"),
        settings: UserSettings {
            priority: giftbuyer_core::Priority::ScarcestFirst,
            autobuy: true,
            notification_chats: Vec::new(),
            report_lang: giftbuyer_core::report::Lang::En,
            forced_target: None,
        },
        accounts: vec![id(BUYER)],
        targets: vec![giftbuyer_core::Target {
            exclude: giftbuyer_core::ExcludeList::EMPTY,
            row_id: TargetRowId::new(1).expect("row"),
            recipient: giftbuyer_core::Recipient::Channel(channel(POST)),
            filter: TargetFilter {
                price: Bounds::UNBOUNDED,
                supply: Bounds::UNBOUNDED,
            },
            title: None,
        }],
    }]);
    let engine = Engine::new(
        store.clone(),
        Arc::new(OneAccount(account)),
        Arc::new(TokioClock::system()),
        EngineConfig {
            poll_interval: Duration::from_millis(100),
            ..EngineConfig::default()
        },
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while tokio::time::Instant::now() < deadline {
        engine.tick().await.expect("tick");
        tokio::time::sleep(engine.poll_gap().await).await;
    }
    engine.settle().await;

    let statuses: Vec<(JournalStatus, Option<String>)> = store
        .journal()
        .into_iter()
        .map(|entry| (entry.status, entry.error))
        .collect();
    assert_eq!(
        statuses.len(),
        1,
        "one purchase planned, and never sent again: {statuses:?}"
    );
    assert_eq!(statuses[0].0, JournalStatus::Unknown, "{statuses:?}");
    assert_eq!(market.purchases().len(), 1);
    assert_eq!(
        server
            .stats()
            .calls(functions::payments::SendStarsForm::CONSTRUCTOR_ID),
        1
    );
    server.shutdown().await;
}
