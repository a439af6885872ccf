//! Tenant isolation: user B goes through every method with user A's row ids and can neither
//! read nor change anything of A's. A's whole state is compared before and after.

use std::time::Duration;

use giftbuyer_core::ports::{
    AccountRowId, AccountStore as _, ApiProfileId, ApiProfileStore as _, EngineStore as _,
    HistoryStore as _, JournalKey, MtprotoSession, NewAccount, NewApiProfile, NewTarget,
    NewWebSession, PanelStoreError, Profile, Secret, SessionVault as _, SettingsStore as _,
    TargetStore as _, UserId, UserSettings, UserStore as _, WebSessionId, WebSessionStore as _,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{AccountId, Bounds, ChannelId, Recipient, Target, TargetFilter, TargetRowId};
use giftbuyer_store::{Store, hash_session_token};

use crate::support::{TestDb, at, on_every_backend, operation, user};

const CHANNEL: i64 = -1001000000001;
const HOLDER: &str = "instance-a";

/// Everything user A owns, by id.
pub(crate) struct Owned {
    pub(crate) user: UserId,
    pub(crate) profile: ApiProfileId,
    pub(crate) account: AccountRowId,
    pub(crate) telegram_id: AccountId,
    pub(crate) channel: TargetRowId,
    pub(crate) session: WebSessionId,
    pub(crate) run: i64,
}

pub(crate) async fn populate(store: &Store, name: &str, telegram_id: i64) -> Owned {
    let user = user(store, name).await;
    let profile = store
        .create_api_profile(
            user,
            NewApiProfile {
                name: "main".into(),
                api_id: 12345,
                api_hash: Secret::new(format!("hash-of-{name}")),
            },
            at(10),
        )
        .await
        .expect("profile");
    let account = store
        .create_account(
            user,
            NewAccount {
                phone: Secret::new(format!("+1555{telegram_id}")),
                api_profile: Some(profile),
            },
            at(11),
        )
        .await
        .expect("account");
    let telegram = AccountId::new(telegram_id).expect("id");
    store
        .record_account_login(
            user,
            account,
            &Profile {
                account_id: telegram,
                username: Some(format!("{name}_tg")),
                first_name: Some(name.into()),
                premium: true,
                premium_until: Some(at(99_999)),
            },
            at(12),
        )
        .await
        .expect("login");
    store
        .save_session(
            user,
            account,
            &MtprotoSession {
                home_dc: 2,
                data: Secret::new(format!("session-of-{name}").into_bytes()),
            },
            at(13),
        )
        .await
        .expect("session");
    assert!(
        store
            .lease_account(user, account, HOLDER, Duration::from_secs(60))
            .await
            .expect("lease")
    );
    let channel = store
        .add_target(
            user,
            NewTarget {
                exclude: giftbuyer_core::ExcludeList::EMPTY,
                recipient: Recipient::Channel(ChannelId::new(CHANNEL).expect("channel")),
                title: Some(format!("{name}'s channel")),
                filter: TargetFilter {
                    price: Bounds::new(Some(10), Some(500), "price").expect("bounds"),
                    supply: Bounds::UNBOUNDED,
                },
            },
            at(14),
        )
        .await
        .expect("channel");
    store
        .save_settings(
            user,
            &UserSettings {
                priority: giftbuyer_core::Priority::ScarcestFirst,
                autobuy: true,
                notification_chats: vec![giftbuyer_core::ports::ChatId::new(777).expect("chat")],
                report_lang: Lang::Ru,
                forced_target: Some(ChannelId::new(CHANNEL).expect("channel")),
            },
            at(15),
        )
        .await
        .expect("settings");
    store
        .set_bot_token(
            user,
            Some(Secret::new(format!("123:token-of-{name}"))),
            at(16),
        )
        .await
        .expect("token");
    let session = store
        .create_session(
            user,
            NewWebSession {
                token_hash: hash_session_token(&format!("cookie-of-{name}")),
                expires_at: at(1_000_000),
                user_agent: Some("test".into()),
                ip: Some("127.0.0.1".into()),
            },
            at(17),
        )
        .await
        .expect("web session");
    let run = store
        .begin_run(user, &[operation(telegram_id, CHANNEL, 5, 10)], at(18))
        .await
        .expect("run");
    store
        .save_report(user, run, format!("report of {name}"), at(19))
        .await
        .expect("report");
    store
        .append_audit(user, "account.added", "account added", at(20))
        .await
        .expect("audit");
    Owned {
        user,
        profile,
        account,
        telegram_id: telegram,
        channel,
        session,
        run,
    }
}

/// Everything A can see of A's data, as text.
async fn snapshot(store: &Store, owned: &Owned) -> String {
    let user = owned.user;
    let session = store.load_session(user, owned.account).await;
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        store.api_profiles(user).await.map(|p| p
            .into_iter()
            .map(|p| (p.id, p.name, p.api_id, p.api_hash.expose().clone()))
            .collect::<Vec<_>>()),
        store.accounts(user).await.map(|a| a
            .into_iter()
            .map(|a| format!("{a:?} phone={}", a.phone.expose()))
            .collect::<Vec<_>>()),
        session.map(|s| s.map(|s| (s.home_dc, s.data.expose().clone()))),
        store.targets(user).await,
        store.settings(user).await,
        store
            .bot_token(user)
            .await
            .map(|t| t.map(|t| t.expose().clone())),
        store.sessions(user, at(0)).await,
        store.run_journal(user, owned.run).await,
        store.runs(user, None, 10).await,
        store.report(user, owned.run).await,
        store.audit_log(user, 10).await.map(|log| log.len()),
        // The lease is still A's: renewing it as A works (and changes nothing visible).
        store
            .renew_lease(user, owned.account, HOLDER, Duration::from_secs(60))
            .await,
        store.user(user).await,
    )
}

async fn another_user_can_neither_read_nor_change(db: &TestDb) {
    let store = db.store().await;
    let a = populate(&store, "alice", 5001).await;
    let b = populate(&store, "bob", 5002).await;
    let before = snapshot(&store, &a).await;
    let bu = b.user;

    // Reads: nothing of A's is visible to B, by list or by id.
    assert!(
        store
            .api_profiles(bu)
            .await
            .expect("list")
            .iter()
            .all(|p| p.id != a.profile)
    );
    assert_eq!(store.api_profile(bu, a.profile).await, Ok(None));
    assert!(
        store
            .accounts(bu)
            .await
            .expect("list")
            .iter()
            .all(|x| x.row_id != a.account)
    );
    assert_eq!(store.account(bu, a.account).await, Ok(None));
    assert_eq!(
        store.account_by_telegram_id(bu, a.telegram_id).await,
        Ok(None)
    );
    assert_eq!(store.load_session(bu, a.account).await, Ok(None));
    assert!(
        store
            .targets(bu)
            .await
            .expect("list")
            .iter()
            .all(|c| c.row_id != a.channel)
    );
    assert!(
        store
            .sessions(bu, at(0))
            .await
            .expect("list")
            .iter()
            .all(|s| s.id != a.session)
    );
    assert_eq!(store.run_journal(bu, a.run).await, Ok(vec![]));
    assert!(
        store
            .runs(bu, None, 100)
            .await
            .expect("runs")
            .iter()
            .all(|r| r.run_id != a.run)
    );
    assert_eq!(store.report(bu, a.run).await, Ok(None));
    assert!(
        store
            .audit_log(bu, 100)
            .await
            .expect("log")
            .iter()
            .all(|e| e.user_id == bu)
    );
    assert_eq!(
        store
            .bot_token(bu)
            .await
            .map(|t| t.map(|t| t.expose().clone())),
        Ok(Some("123:token-of-bob".into()))
    );

    // Changes by A's ids: each is refused or finds nothing.
    assert_eq!(store.delete_api_profile(bu, a.profile).await, Ok(false));
    assert_eq!(
        store.rename_api_profile(bu, a.profile, "taken over").await,
        Ok(false)
    );
    let borrowed_profile = NewAccount {
        phone: Secret::new("+1".into()),
        api_profile: Some(a.profile),
    };
    assert_eq!(
        store.create_account(bu, borrowed_profile, at(30)).await,
        not_found("api profile")
    );
    let profile = Profile {
        account_id: AccountId::new(9999).expect("id"),
        username: None,
        first_name: None,
        premium: false,
        premium_until: None,
    };
    assert_eq!(
        store
            .record_account_login(bu, a.account, &profile, at(30))
            .await,
        not_found("account")
    );
    assert_eq!(store.delete_account(bu, a.account).await, Ok(false));
    let stolen = MtprotoSession {
        home_dc: 4,
        data: Secret::new(b"overwritten".to_vec()),
    };
    assert_eq!(
        store.save_session(bu, a.account, &stolen, at(30)).await,
        not_found("account")
    );
    assert_eq!(store.clear_session(bu, a.account).await, Ok(false));
    assert_eq!(
        store
            .lease_account(bu, a.account, "instance-b", Duration::from_secs(1))
            .await,
        not_found("account")
    );
    assert_eq!(
        store
            .renew_lease(bu, a.account, HOLDER, Duration::from_secs(1))
            .await,
        Ok(false)
    );
    assert_eq!(store.release_lease(bu, a.account, HOLDER).await, Ok(false));
    let a_channel = store.targets(a.user).await.expect("targets")[0].clone();
    let hijacked = Target {
        title: Some("hijacked".into()),
        ..a_channel
    };
    assert_eq!(
        store.update_target(bu, &hijacked).await,
        not_found("channel")
    );
    assert_eq!(store.delete_target(bu, a.channel).await, Ok(false));
    assert_eq!(store.revoke_session(bu, a.session).await, Ok(false));
    assert_eq!(
        store.revoke_sessions(bu, None).await,
        Ok(1),
        "only B's own session"
    );
    store
        .save_settings(bu, &UserSettings::default(), at(31))
        .await
        .expect("B's settings");
    store
        .set_bot_token(bu, None, at(31))
        .await
        .expect("B's token");
    assert!(
        store
            .save_report(bu, a.run, "forged".into(), at(32))
            .await
            .is_err()
    );
    assert!(
        store
            .add_operation(
                bu,
                JournalKey {
                    run_id: a.run,
                    seq: 1
                },
                operation(1, CHANNEL, 1, 1),
                at(32)
            )
            .await
            .is_err(),
        "a new entry in A's run"
    );
    store
        .add_operation(
            bu,
            JournalKey {
                run_id: a.run,
                seq: 0,
            },
            operation(1, CHANNEL, 1, 1),
            at(32),
        )
        .await
        .expect("an existing key keeps its entry");
    // One Telegram account never buys for two users.
    let taken = Profile {
        account_id: a.telegram_id,
        ..profile
    };
    assert_eq!(
        store
            .record_account_login(bu, b.account, &taken, at(33))
            .await,
        Err(PanelStoreError::Conflict {
            what: "telegram account"
        })
    );
    // B may have a channel with the same Telegram id as A's: channels are unique per user.
    let same = NewTarget {
        exclude: giftbuyer_core::ExcludeList::EMPTY,
        recipient: Recipient::Channel(ChannelId::new(CHANNEL).expect("channel")),
        title: None,
        filter: TargetFilter::default(),
    };
    assert_eq!(
        store.add_target(bu, same.clone(), at(34)).await,
        Err(PanelStoreError::Conflict { what: "channel" }),
        "B already has it"
    );
    assert!(store.delete_target(bu, b.channel).await.expect("delete"));
    assert!(store.add_target(bu, same, at(35)).await.is_ok());
    // Deleting B removes B's rows only.
    assert_eq!(store.delete_user(bu).await, Ok(true));

    assert_eq!(snapshot(&store, &a).await, before);
}

fn not_found<T>(what: &'static str) -> Result<T, PanelStoreError> {
    Err(PanelStoreError::NotFound { what })
}

on_every_backend!(another_user_can_neither_read_nor_change);
