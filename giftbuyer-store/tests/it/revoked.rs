//! A session Telegram revoked: forgetting it logs the account out for the panel and the engine,
//! names the owner once, and touches no other account.

use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{
    AccountRowId, AccountStore as _, EngineStore as _, MtprotoSession, NewAccount, Profile, Secret,
    SessionVault as _, UserId,
};
use giftbuyer_store::Store;

use crate::support::{TestDb, at, on_every_backend, user};

/// Adds a logged-in account with this Telegram id to `owner`.
async fn logged_in(store: &Store, owner: UserId, phone: &str, telegram: i64) -> AccountRowId {
    let row = store
        .create_account(
            owner,
            NewAccount {
                phone: Secret::new(phone.to_owned()),
                api_profile: None,
            },
            at(1),
        )
        .await
        .expect("account");
    let profile = Profile {
        account_id: AccountId::new(telegram).expect("id"),
        username: None,
        first_name: None,
        premium: false,
        premium_until: None,
    };
    store
        .record_account_login(owner, row, &profile, at(2))
        .await
        .expect("login");
    let session = MtprotoSession {
        home_dc: 2,
        data: Secret::new(vec![9; 16]),
    };
    store
        .save_session(owner, row, &session, at(3))
        .await
        .expect("session");
    row
}

async fn a_revoked_session_is_forgotten_once(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let alices = logged_in(&store, alice, "+15550000001", 7001).await;
    let bobs = logged_in(&store, bob, "+15550000002", 7002).await;
    let revoked = AccountId::new(7001).expect("id");

    assert_eq!(
        store.forget_session(revoked).await.expect("forget"),
        Some(alice)
    );
    assert_eq!(store.forget_session(revoked).await.expect("again"), None);
    assert_eq!(
        store
            .forget_session(AccountId::new(9999).expect("id"))
            .await
            .expect("unknown"),
        None
    );

    // The account stays (with its balance history), logged out; the engine no longer loads it.
    let record = store
        .account(alice, alices)
        .await
        .expect("read")
        .expect("kept");
    assert!(!record.logged_in);
    assert!(
        store
            .load_session(alice, alices)
            .await
            .expect("read")
            .is_none()
    );
    let bobs_record = store.account(bob, bobs).await.expect("read").expect("kept");
    assert!(bobs_record.logged_in, "another user's account is untouched");
    let loaded = store.users().await.expect("users");
    let accounts: Vec<i64> = loaded
        .iter()
        .flat_map(|user| user.accounts.iter().map(|account| account.get()))
        .collect();
    assert_eq!(accounts, [7002]);
}

on_every_backend!(a_revoked_session_is_forgotten_once);
