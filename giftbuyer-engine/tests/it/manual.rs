//! Manual purchases: ownership checks, the journal, and one send per call.

use giftbuyer_core::ports::{TelegramError, UserId};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Recipient};
use giftbuyer_engine::{EngineConfig, ManualBuyError, ManualBuyResult};

use crate::engine::{harness, seeded, statuses, user};
use crate::fake::{BuyScript, limited};

fn ids(user: i64, account: i64, channel: i64, gift: i64) -> (UserId, AccountId, Recipient, GiftId) {
    (
        UserId::new(user).expect("user"),
        AccountId::new(account).expect("account"),
        Recipient::Channel(ChannelId::from_mtproto(channel).expect("channel")),
        GiftId::new(gift).expect("gift"),
    )
}

#[tokio::test(start_paused = true)]
async fn a_manual_purchase_is_journaled_and_bought_once() {
    let h = seeded().await;
    let (user, account, channel, gift) = ids(1, 11, 222, 1);
    let outcome = h
        .engine
        .buy_one(user, account, channel, gift)
        .await
        .expect("bought");
    assert_eq!(outcome.result, ManualBuyResult::Bought);
    assert_eq!(h.fake.state().buys.len(), 1);
    assert_eq!(h.fake.state().bought, [(account, gift, channel)]);
    assert_eq!(statuses(&h.store), ["seq=0 acc=11 gift=1 ch=222 bought"]);
    assert_eq!(h.store.journal()[0].key.run_id, outcome.run_id);
    assert_eq!(h.store.reports().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refused_purchase_journals_the_error_name() {
    let h = seeded().await;
    let (user, account, channel, gift) = ids(1, 12, 111, 1);
    h.fake.state().buy_scripts.insert(
        account,
        [BuyScript::Fail(TelegramError::GiftSoldOut)].into(),
    );
    let outcome = h
        .engine
        .buy_one(user, account, channel, gift)
        .await
        .expect("journaled");
    let name = TelegramError::GiftSoldOut.name().into_owned();
    assert_eq!(outcome.result, ManualBuyResult::Failed(name.clone()));
    assert_eq!(
        statuses(&h.store),
        [format!("seq=0 acc=12 gift=1 ch=111 failed ({name})")]
    );
}

#[tokio::test(start_paused = true)]
async fn a_flood_wait_or_expired_form_is_never_retried() {
    for error in [
        TelegramError::FloodWait { seconds: 1 },
        TelegramError::FormExpired,
    ] {
        let h = seeded().await;
        let (user, account, channel, gift) = ids(1, 11, 111, 1);
        h.fake
            .state()
            .buy_scripts
            .insert(account, [BuyScript::Fail(error.clone())].into());
        let outcome = h
            .engine
            .buy_one(user, account, channel, gift)
            .await
            .expect("journaled");
        assert_eq!(
            outcome.result,
            ManualBuyResult::Failed(error.name().into_owned())
        );
        // Autobuy would retry both; a manual purchase sends exactly once.
        assert_eq!(h.fake.state().buys.len(), 1, "{error:?}");
        assert_eq!(h.store.journal().len(), 1, "{error:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_purchase_without_an_answer_is_unknown_and_not_resent() {
    let h = seeded().await;
    let (user, account, channel, gift) = ids(1, 11, 111, 1);
    h.fake
        .state()
        .buy_scripts
        .insert(account, [BuyScript::Hang { executed: true }].into());
    let outcome = h
        .engine
        .buy_one(user, account, channel, gift)
        .await
        .expect("journaled");
    assert_eq!(outcome.result, ManualBuyResult::Unknown);
    assert_eq!(h.fake.state().buys.len(), 1);
    assert_eq!(
        statuses(&h.store),
        ["seq=0 acc=11 gift=1 ch=111 unknown (timeout)"]
    );
}

#[tokio::test(start_paused = true)]
async fn another_users_account_or_channel_and_bad_gifts_are_refused() {
    let h = harness(
        EngineConfig::default(),
        vec![user(1, &[11]), user(2, &[21])],
    );
    h.fake.add_account(11, 100, true);
    h.fake.add_account(21, 100, true);
    let mut unlimited = limited(3, 10, 100, 50);
    unlimited.limited = false;
    let mut auctioned = limited(4, 10, 100, 50);
    auctioned.auction = Some(giftbuyer_core::GiftAuction {
        slug: "pepe".into(),
        gifts_per_round: 10,
        start_date: 0,
    });
    h.fake.set_catalog(vec![
        limited(1, 10, 100, 50),
        limited(2, 10, 100, 0),
        unlimited,
        auctioned,
    ]);
    h.engine.tick().await.expect("tick");

    let buy = |user, account, channel, gift| {
        let (user, account, channel, gift) = ids(user, account, channel, gift);
        let engine = h.engine.clone();
        async move { engine.buy_one(user, account, channel, gift).await }
    };
    assert_eq!(
        buy(2, 11, 111, 1).await,
        Err(ManualBuyError::UnknownAccount)
    );
    assert_eq!(buy(1, 11, 999, 1).await, Err(ManualBuyError::UnknownTarget));
    // The user has no self target: the buying account's own profile is not one of theirs.
    let (user, account, _, gift) = ids(1, 11, 111, 1);
    assert_eq!(
        h.engine
            .buy_one(user, account, Recipient::Buyer, gift)
            .await,
        Err(ManualBuyError::UnknownTarget)
    );
    assert_eq!(buy(3, 11, 111, 1).await, Err(ManualBuyError::UnknownUser));
    assert_eq!(buy(1, 11, 111, 99).await, Err(ManualBuyError::UnknownGift));
    assert!(matches!(
        buy(1, 11, 111, 2).await,
        Err(ManualBuyError::NotBuyable(reason)) if reason.code() == "sold_out"
    ));
    assert!(matches!(
        buy(1, 11, 111, 3).await,
        Err(ManualBuyError::NotBuyable(reason)) if reason.code() == "unlimited"
    ));
    // A gift sold by auction takes bids only: the purchase is refused before anything is sent.
    assert!(matches!(
        buy(1, 11, 111, 4).await,
        Err(ManualBuyError::NotBuyable(reason)) if reason.code() == "auction"
    ));
    assert!(h.fake.state().buys.is_empty());
    assert!(h.store.journal().is_empty());
}

#[tokio::test(start_paused = true)]
async fn refresh_polls_now() {
    let h = seeded().await;
    let report = h.engine.refresh_catalog().await.expect("refresh");
    assert!(report.poller.is_some());
}
