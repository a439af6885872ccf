//! The account adapter over a scripted fake of the network seam: purchases from the request
//! bytes to the receipt, peer resolution from the session's cache, sticker refresh on expired
//! file references, channel rights, timeouts and error mapping. No socket is opened.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::ports::{
    CatalogResponse, ChannelAccess, PurchaseRequest, TelegramAccount, TelegramError,
};
use giftbuyer_core::{GiftId, Stars, StickerRef};
use giftbuyer_telegram::account::{AccountConfig, MtprotoAccount};
use giftbuyer_telegram::session::{DiscardSink, StoredSession};
use giftbuyer_telegram::transport::RawInvoker;
use grammers_mtsender::{InvocationError, RpcError};
use grammers_session::Session;
use grammers_session::types::{PeerAuth, PeerInfo};
use grammers_tl_types::{Deserializable, Identifiable, Serializable, enums, functions, types};

use crate::fixtures::*;

const CHANNEL: i64 = -1001234567890;
const CHANNEL_MTPROTO: i64 = 1_234_567_890;

enum Answer {
    Bytes(Vec<u8>),
    Rpc(i32, &'static str),
    Hang,
}

/// A scripted network: each request takes the next answer; every request is recorded.
struct FakeNet {
    script: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<(Option<i32>, Vec<u8>)>>,
    session: Arc<StoredSession>,
    /// Peers the account's dialogs hold, cached into the session on a refresh.
    dialogs: Mutex<Vec<PeerInfo>>,
    refreshes: Mutex<u32>,
}

impl FakeNet {
    fn new(session: Arc<StoredSession>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::default(),
            seen: Mutex::default(),
            session,
            dialogs: Mutex::default(),
            refreshes: Mutex::default(),
        })
    }

    fn then(&self, answer: Answer) -> &Self {
        self.script.lock().expect("lock").push_back(answer);
        self
    }

    fn answer(&self, value: &impl Serializable) -> &Self {
        self.then(Answer::Bytes(value.to_bytes()))
    }

    fn seen(&self) -> Vec<(Option<i32>, Vec<u8>)> {
        self.seen.lock().expect("lock").clone()
    }

    fn constructors(&self) -> Vec<u32> {
        self.seen()
            .iter()
            .map(|(_, body)| u32::from_le_bytes(body[..4].try_into().expect("id")))
            .collect()
    }
}

#[async_trait]
impl RawInvoker for FakeNet {
    async fn invoke_raw(&self, dc: Option<i32>, body: Vec<u8>) -> Result<Vec<u8>, InvocationError> {
        let caused_by = u32::from_le_bytes(body[..4].try_into().expect("id"));
        self.seen.lock().expect("lock").push((dc, body));
        let answer = self.script.lock().expect("lock").pop_front();
        match answer {
            Some(Answer::Bytes(bytes)) => Ok(bytes),
            Some(Answer::Rpc(code, message)) => Err(InvocationError::Rpc(
                RpcError::from(types::RpcError {
                    error_code: code,
                    error_message: message.to_owned(),
                })
                .with_caused_by(caused_by),
            )),
            Some(Answer::Hang) => std::future::pending().await,
            None => Err(InvocationError::Dropped("nothing scripted")),
        }
    }

    async fn refresh_dialogs(&self) -> Result<(), InvocationError> {
        *self.refreshes.lock().expect("lock") += 1;
        let peers = self.dialogs.lock().expect("lock").clone();
        self.session
            .cache_peers(peers)
            .await
            .map_err(|error| InvocationError::Session(Box::new(error)))
    }
}

fn channel_peer() -> PeerInfo {
    PeerInfo::Channel {
        id: CHANNEL_MTPROTO,
        auth: Some(PeerAuth::from_hash(4242)),
        kind: None,
    }
}

async fn setup(known_channel: bool) -> (Arc<FakeNet>, MtprotoAccount) {
    let session = Arc::new(StoredSession::new(Arc::new(DiscardSink)));
    if known_channel {
        session.cache_peer(channel_peer()).await.expect("cached");
    }
    let net = FakeNet::new(Arc::clone(&session));
    let account = MtprotoAccount::new(
        account(1337),
        net.clone(),
        session,
        AccountConfig {
            call_timeout: Duration::from_millis(200),
            dialogs_refresh_interval: Duration::from_secs(60),
            ..AccountConfig::default()
        },
    );
    (net, account)
}

fn purchase(price: u64) -> PurchaseRequest {
    PurchaseRequest {
        gift_id: GiftId::new(77).expect("positive"),
        recipient: giftbuyer_core::Recipient::Channel(channel(CHANNEL)),
        price: Stars::new(price),
        hide_name: true,
        message: None,
    }
}

fn paid() -> enums::payments::PaymentResult {
    enums::payments::PaymentResult::Result(types::payments::PaymentResult {
        updates: enums::Updates::TooLong,
    })
}

#[tokio::test]
async fn a_purchase_fetches_the_form_checks_the_price_and_pays_it_once() {
    let (net, account) = setup(true).await;
    net.answer(&star_gift_form(555, 25)).answer(&paid());
    let receipt = account.buy_gift(purchase(25)).await.expect("bought");
    assert_eq!(receipt.form_id, 555);
    let seen = net.seen();
    assert_eq!(
        net.constructors(),
        [
            functions::payments::GetPaymentForm::CONSTRUCTOR_ID,
            functions::payments::SendStarsForm::CONSTRUCTOR_ID
        ]
    );
    let form = functions::payments::GetPaymentForm::from_bytes(&seen[0].1[4..]).expect("form");
    let send = functions::payments::SendStarsForm::from_bytes(&seen[1].1[4..]).expect("send");
    assert_eq!(send.form_id, 555);
    assert_eq!(
        send.invoice, form.invoice,
        "the form is paid for the invoice it was made for"
    );
    let enums::InputInvoice::StarGift(invoice) = send.invoice else {
        panic!("a star gift invoice");
    };
    assert_eq!(invoice.gift_id, 77);
    assert!(invoice.hide_name);
    assert_eq!(
        invoice.peer,
        enums::InputPeer::Channel(types::InputPeerChannel {
            channel_id: CHANNEL_MTPROTO,
            access_hash: 4242
        })
    );
    assert_eq!(seen[0].0, None, "sent to the home DC");
}

#[tokio::test]
async fn a_changed_price_pays_nothing() {
    let (net, account) = setup(true).await;
    net.answer(&star_gift_form(555, 30));
    assert_eq!(
        account.buy_gift(purchase(25)).await,
        Err(TelegramError::PriceChanged {
            expected: Stars::new(25),
            actual: Stars::new(30)
        })
    );
    assert_eq!(net.seen().len(), 1, "no sendStarsForm");
}

#[tokio::test]
async fn a_resale_purchase_pays_the_listing_for_the_buyer_or_a_channel_and_checks_its_price() {
    use giftbuyer_core::ports::ResalePurchaseRequest;
    use giftbuyer_core::resale::Recipient;
    let request = |recipient, price| ResalePurchaseRequest {
        slug: "pepe-7".into(),
        recipient,
        price: Stars::new(price),
    };
    let (net, account) = setup(true).await;
    net.answer(&star_gift_form(556, 900)).answer(&paid());
    let receipt = account
        .buy_resale(request(Recipient::Buyer, 900))
        .await
        .expect("bought");
    assert_eq!(receipt.form_id, 556);
    let seen = net.seen();
    let form = functions::payments::GetPaymentForm::from_bytes(&seen[0].1[4..]).expect("form");
    let send = functions::payments::SendStarsForm::from_bytes(&seen[1].1[4..]).expect("send");
    assert_eq!(send.invoice, form.invoice);
    let enums::InputInvoice::StarGiftResale(invoice) = send.invoice else {
        panic!("a resale invoice");
    };
    assert_eq!(
        (invoice.slug.as_str(), invoice.ton, invoice.to_id),
        ("pepe-7", false, enums::InputPeer::PeerSelf)
    );

    // To a channel, through its cached access hash; a seller's new price pays nothing.
    let (net, account) = setup(true).await;
    net.answer(&star_gift_form(557, 950));
    assert_eq!(
        account
            .buy_resale(request(Recipient::Channel(channel(CHANNEL)), 900))
            .await,
        Err(TelegramError::PriceChanged {
            expected: Stars::new(900),
            actual: Stars::new(950)
        })
    );
    let seen = net.seen();
    assert_eq!(seen.len(), 1, "no sendStarsForm");
    let form = functions::payments::GetPaymentForm::from_bytes(&seen[0].1[4..]).expect("form");
    let enums::InputInvoice::StarGiftResale(invoice) = form.invoice else {
        panic!("a resale invoice");
    };
    assert_eq!(
        invoice.to_id,
        enums::InputPeer::Channel(types::InputPeerChannel {
            channel_id: CHANNEL_MTPROTO,
            access_hash: 4242
        })
    );
}

#[tokio::test]
async fn purchase_errors_are_returned_without_a_retry() {
    for (code, name, expected) in [
        (420, "FLOOD_WAIT_9", TelegramError::FloodWait { seconds: 9 }),
        (400, "STARGIFT_USAGE_LIMITED", TelegramError::GiftSoldOut),
        (400, "BALANCE_TOO_LOW", TelegramError::BalanceTooLow),
        (
            401,
            "AUTH_KEY_UNREGISTERED",
            TelegramError::AuthKeyUnregistered,
        ),
    ] {
        let (net, account) = setup(true).await;
        net.answer(&star_gift_form(555, 25))
            .then(Answer::Rpc(code, name));
        assert_eq!(
            account.buy_gift(purchase(25)).await,
            Err(expected),
            "{name}"
        );
        assert_eq!(net.seen().len(), 2, "{name}: sent once");
    }
}

#[tokio::test]
async fn an_unknown_channel_is_looked_up_in_the_dialogs_once_then_not_a_member() {
    let (net, account) = setup(false).await;
    assert_eq!(
        account.buy_gift(purchase(25)).await,
        Err(TelegramError::NotMember)
    );
    assert!(
        net.seen().is_empty(),
        "nothing sent for a channel the account cannot see"
    );
    assert_eq!(*net.refreshes.lock().expect("lock"), 1);
    // Within the refresh interval the dialogs are not walked again.
    assert_eq!(
        account.buy_gift(purchase(25)).await,
        Err(TelegramError::NotMember)
    );
    assert_eq!(*net.refreshes.lock().expect("lock"), 1);

    let (net, account) = setup(false).await;
    net.dialogs.lock().expect("lock").push(channel_peer());
    net.answer(&star_gift_form(1, 25)).answer(&paid());
    assert!(account.buy_gift(purchase(25)).await.is_ok());
}

#[tokio::test]
async fn the_catalog_request_carries_the_hash_and_maps_the_answer() {
    let (net, account) = setup(true).await;
    net.answer(&enums::payments::StarGifts::Gifts(
        types::payments::StarGifts {
            hash: 99,
            gifts: vec![enums::StarGift::Gift(star_gift(5))],
            chats: Vec::new(),
            users: Vec::new(),
        },
    ))
    .answer(&enums::payments::StarGifts::NotModified)
    .then(Answer::Rpc(401, "AUTH_KEY_UNREGISTERED"));
    let CatalogResponse::Catalog { hash, gifts } = account.star_gifts(12).await.expect("catalog")
    else {
        panic!("a catalog");
    };
    assert_eq!((hash, gifts.len()), (99, 1));
    assert_eq!(
        gifts[0].locks.keys().next(),
        Some(&crate::fixtures::account(1337))
    );
    assert_eq!(net.seen()[0].1[4..], 12i32.to_le_bytes());
    assert_eq!(
        account.star_gifts(99).await,
        Ok(CatalogResponse::NotModified)
    );
    assert_eq!(
        account.star_gifts(99).await,
        Err(TelegramError::AuthKeyUnregistered)
    );
}

#[tokio::test]
async fn balance_and_profile_come_from_their_requests() {
    let (net, account) = setup(true).await;
    net.answer(&enums::payments::StarsStatus::Status(
        types::payments::StarsStatus {
            balance: enums::StarsAmount::Amount(types::StarsAmount {
                amount: 1500,
                nanos: 0,
            }),
            subscriptions: None,
            subscriptions_next_offset: None,
            subscriptions_missing_balance: None,
            history: None,
            next_offset: None,
            chats: Vec::new(),
            users: Vec::new(),
        },
    ))
    .answer(&vec![enums::User::User(user(1337, true))]);
    assert_eq!(account.stars_balance().await, Ok(Stars::new(1500)));
    assert!(account.profile().await.expect("profile").premium);
}

#[tokio::test]
async fn an_expired_file_reference_refetches_the_catalog_and_retries_once() {
    let (net, account) = setup(true).await;
    let home = grammers_session::Session::home_dc_id(&StoredSession::new(Arc::new(DiscardSink)))
        .expect("home");
    let stale = StickerRef {
        document_id: 50,
        access_hash: 77,
        file_reference: vec![0],
        dc_id: home,
        size: 4096,
    };
    let enums::Document::Document(mut fresh) = document(50) else {
        unreachable!("the fixture is a document")
    };
    fresh.dc_id = home;
    let mut fresh_gift = star_gift(5);
    fresh_gift.sticker = enums::Document::Document(fresh);
    net.then(Answer::Rpc(400, "FILE_REFERENCE_EXPIRED"))
        .answer(&enums::payments::StarGifts::Gifts(
            types::payments::StarGifts {
                hash: 1,
                gifts: vec![enums::StarGift::Gift(fresh_gift)],
                chats: Vec::new(),
                users: Vec::new(),
            },
        ))
        .answer(&enums::upload::File::File(types::upload::File {
            r#type: enums::storage::FileType::FilePartial,
            mtime: 0,
            bytes: b"tgs".to_vec(),
        }));
    assert_eq!(account.download_sticker(stale).await, Ok(b"tgs".to_vec()));
    let seen = net.seen();
    assert_eq!(
        net.constructors(),
        [
            functions::upload::GetFile::CONSTRUCTOR_ID,
            functions::payments::GetStarGifts::CONSTRUCTOR_ID,
            functions::upload::GetFile::CONSTRUCTOR_ID
        ]
    );
    assert_eq!(
        seen[1].1[4..],
        0i32.to_le_bytes(),
        "hash 0: the whole catalog"
    );
    let retry = functions::upload::GetFile::from_bytes(&seen[2].1[4..]).expect("getFile");
    let enums::InputFileLocation::InputDocumentFileLocation(location) = retry.location else {
        panic!("a document location");
    };
    assert_eq!(
        location.file_reference,
        vec![1, 2, 3],
        "the fresh reference"
    );
}

#[tokio::test]
async fn a_sticker_in_another_dc_imports_the_authorization_there_first() {
    let (net, account) = setup(true).await;
    let sticker = StickerRef {
        document_id: 50,
        access_hash: 77,
        file_reference: vec![0],
        dc_id: 4,
        size: 3,
    };
    net.answer(&enums::auth::ExportedAuthorization::Authorization(
        types::auth::ExportedAuthorization {
            id: 1,
            bytes: vec![9],
        },
    ))
    .answer(&enums::auth::Authorization::Authorization(
        types::auth::Authorization {
            setup_password_required: false,
            otherwise_relogin_days: None,
            tmp_sessions: None,
            future_auth_token: None,
            user: enums::User::User(user(1337, false)),
        },
    ))
    .answer(&enums::upload::File::File(types::upload::File {
        r#type: enums::storage::FileType::FilePartial,
        mtime: 0,
        bytes: b"abc".to_vec(),
    }))
    .answer(&enums::upload::File::File(types::upload::File {
        r#type: enums::storage::FileType::FilePartial,
        mtime: 0,
        bytes: b"again".to_vec(),
    }));
    assert_eq!(
        account.download_sticker(sticker.clone()).await,
        Ok(b"abc".to_vec())
    );
    // The authorization is imported once per DC.
    assert_eq!(
        account.download_sticker(sticker).await,
        Ok(b"again".to_vec())
    );
    assert_eq!(
        net.constructors(),
        [
            functions::auth::ExportAuthorization::CONSTRUCTOR_ID,
            functions::auth::ImportAuthorization::CONSTRUCTOR_ID,
            functions::upload::GetFile::CONSTRUCTOR_ID,
            functions::upload::GetFile::CONSTRUCTOR_ID
        ]
    );
    let dcs: Vec<_> = net.seen().iter().map(|(dc, _)| *dc).collect();
    assert_eq!(dcs, [None, Some(4), Some(4), Some(4)]);
}

#[tokio::test]
async fn channel_rights_come_from_get_participant_for_self() {
    let (net, account) = setup(true).await;
    net.then(Answer::Rpc(400, "USER_NOT_PARTICIPANT"));
    let info = account.channel_info(channel(CHANNEL)).await.expect("info");
    assert_eq!(info.access, ChannelAccess::NotMember);
    let request = functions::channels::GetParticipant::from_bytes(&net.seen()[0].1[4..])
        .expect("getParticipant");
    assert_eq!(request.participant, enums::InputPeer::PeerSelf);

    let (_, unknown) = setup(false).await;
    assert_eq!(
        unknown
            .channel_info(channel(CHANNEL))
            .await
            .map(|info| info.access),
        Ok(ChannelAccess::NotMember)
    );
}

#[tokio::test]
async fn a_call_without_an_answer_times_out() {
    let (net, account) = setup(true).await;
    net.then(Answer::Hang);
    assert_eq!(account.stars_balance().await, Err(TelegramError::Timeout));
}
