//! The catalog: hashes and `NotModified`, drops appearing on time, what each account sees, and
//! the other read-only calls.

use std::io::Read as _;

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{CatalogResponse, ChannelAccess, TelegramAccount, TelegramError};
use giftbuyer_sim::{AccountSpec, Demand, GiftSpec, lottie};
use serde_json::Value;

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn not_modified_while_the_hash_is_current_and_a_new_hash_after_any_change() {
    let config = quiet_config(1)
        .account(buyer(1, 1_000))
        .account(buyer(2, 1_000))
        .gift(GiftSpec::unlimited(gift_id(10), Stars::new(15)).title("Heart"))
        .gift(
            GiftSpec::limited(gift_id(20), Stars::new(100), 50)
                .per_user_limit(3)
                .demand(Demand::Nobody),
        );
    let (market, _clock) = start(config);
    let first = account(&market, 1);
    let (hash, gifts) = catalog(&first).await;
    assert_eq!(gifts.len(), 2);
    assert_eq!(
        first.star_gifts(hash).await,
        Ok(CatalogResponse::NotModified)
    );
    assert_eq!(
        first.star_gifts(hash).await,
        Ok(CatalogResponse::NotModified)
    );

    // Another account sees the same catalog while nothing per account differs.
    let second = account(&market, 2);
    assert_eq!(
        second.star_gifts(hash).await,
        Ok(CatalogResponse::NotModified)
    );

    first.buy_gift(request(20, 100, 1)).await.expect("bought");
    let (after, gifts) = catalog(&first).await;
    assert_ne!(after, hash);
    let limited = &gifts[1];
    assert_eq!(
        (limited.remaining, limited.per_user_remains),
        (Some(49), Some(2))
    );
    assert_eq!(
        first.star_gifts(after).await,
        Ok(CatalogResponse::NotModified)
    );

    // The second account's own allowance is untouched, so its view differs from the first's.
    let (theirs, gifts) = catalog(&second).await;
    assert_ne!(theirs, after);
    assert_eq!(
        (gifts[1].remaining, gifts[1].per_user_remains),
        (Some(49), Some(3))
    );
}

#[tokio::test(start_paused = true)]
async fn a_drop_appears_at_its_release_time_and_not_before() {
    let config = quiet_config(1)
        .account(buyer(1, 1_000))
        .gift(GiftSpec::unlimited(gift_id(10), Stars::new(15)))
        .gift(
            GiftSpec::limited(gift_id(9001), Stars::new(500), 1_000)
                .released_at(ms(5_000))
                .title("Plush Pepe"),
        );
    let (market, clock) = start(config);
    let account = account(&market, 1);

    clock.advance_to(ms(4_999)).await;
    let (before, gifts) = catalog(&account).await;
    assert_eq!(gifts.iter().map(|gift| gift.id).collect::<Vec<_>>(), [10]);
    assert_eq!(
        account.buy_gift(request(9001, 500, 1)).await,
        Err(TelegramError::Rpc {
            code: 400,
            name: "STARGIFT_INVALID".into()
        })
    );
    assert!(!market.gift(gift_id(9001)).expect("known").released);

    clock.advance_to(ms(5_000)).await;
    let Ok(CatalogResponse::Catalog { hash, gifts }) = account.star_gifts(before).await else {
        panic!("the drop changes the catalog");
    };
    assert_ne!(hash, before);
    let drop = gifts.iter().find(|gift| gift.id == 9001).expect("dropped");
    assert_eq!(
        (
            drop.limited,
            drop.supply,
            drop.remaining,
            drop.sold_out,
            drop.title.as_deref()
        ),
        (true, Some(1_000), Some(1_000), false, Some("Plush Pepe"))
    );
    assert!(drop.check().is_ok(), "the core accepts the entry");
}

#[tokio::test(start_paused = true)]
async fn locks_and_premium_show_per_account() {
    let config = quiet_config(1)
        .account(buyer(1, 1_000))
        .account(buyer(2, 1_000))
        .gift(
            GiftSpec::limited(gift_id(20), Stars::new(100), 50)
                .premium_only()
                .locked_for(account_id(1), unix(START_UNIX + 60)),
        );
    let (market, clock) = start(config);
    let (_, gifts) = catalog(&account(&market, 1)).await;
    assert!(gifts[0].require_premium);
    assert_eq!(
        gifts[0].locked_for(account_id(1), unix(START_UNIX)),
        Some(unix(START_UNIX + 60))
    );
    let (_, gifts) = catalog(&account(&market, 2)).await;
    assert!(gifts[0].locks.is_empty());

    clock.advance_to(ms(60_000)).await;
    let (_, gifts) = catalog(&account(&market, 1)).await;
    assert!(gifts[0].locks.is_empty(), "an expired lock is not sent");
}

#[tokio::test(start_paused = true)]
async fn stickers_download_as_valid_lottie_and_stale_references_fail() {
    let config = quiet_config(1)
        .account(buyer(1, 1_000))
        .gift(GiftSpec::unlimited(gift_id(10), Stars::new(15)));
    let (market, _clock) = start(config);
    let account = account(&market, 1);
    let (_, gifts) = catalog(&account).await;
    let sticker = gifts[0].sticker.clone().expect("every gift has a sticker");

    let tgs = account
        .download_sticker(sticker.clone())
        .await
        .expect("downloads");
    assert_eq!(tgs, lottie::tgs(gift_id(10)));
    assert_eq!(sticker.size, i64::try_from(tgs.len()).expect("small"));
    let mut json = String::new();
    flate2::read::GzDecoder::new(&tgs[..])
        .read_to_string(&mut json)
        .expect("gzip");
    let lottie: Value = serde_json::from_str(&json).expect("json");
    for key in ["v", "fr", "ip", "op", "w", "h", "layers"] {
        assert!(lottie.get(key).is_some(), "missing {key}");
    }
    assert!(lottie["op"].as_f64() > lottie["ip"].as_f64());
    assert!(lottie["fr"].as_f64().is_some_and(|fr| fr > 0.0));
    let layers = lottie["layers"].as_array().expect("layers");
    assert!(!layers.is_empty());
    assert!(layers[0]["ks"]["r"]["a"] == 1, "the rotation is animated");

    let mut stale = sticker;
    stale.file_reference = vec![1, 2, 3];
    assert_eq!(
        account.download_sticker(stale).await,
        Err(TelegramError::Rpc {
            code: 400,
            name: "FILE_REFERENCE_EXPIRED".into()
        })
    );
}

#[tokio::test(start_paused = true)]
async fn profile_balance_and_channel_info_describe_the_account() {
    let spec = AccountSpec::new(account_id(1), Stars::new(777))
        .premium_until(unix(START_UNIX + 10))
        .username("buyer")
        .channel(channel(1), ChannelAccess::CanPost)
        .channel(channel(2), ChannelAccess::ReadOnly);
    let mut config = quiet_config(1).account(spec);
    config
        .channel_titles
        .insert(channel(1), "Rare gifts".into());
    let (market, clock) = start(config);
    let account = account(&market, 1);

    assert_eq!(account.stars_balance().await, Ok(Stars::new(777)));
    let profile = account.profile().await.expect("profile");
    assert_eq!(
        (
            profile.account_id,
            profile.username.as_deref(),
            profile.premium
        ),
        (account_id(1), Some("buyer"), true)
    );
    assert_eq!(profile.premium_until, Some(unix(START_UNIX + 10)));
    clock.advance_to(ms(10_000)).await;
    assert!(
        !account.profile().await.expect("profile").premium,
        "premium ended"
    );

    let info = |n| {
        let account = account.clone();
        async move { account.channel_info(channel(n)).await.expect("info") }
    };
    let can_post = info(1).await;
    assert_eq!(
        (can_post.access, can_post.title.as_deref()),
        (ChannelAccess::CanPost, Some("Rare gifts"))
    );
    assert_eq!(info(2).await.access, ChannelAccess::ReadOnly);
    assert_eq!(
        (info(3).await.access, info(3).await.title),
        (ChannelAccess::NotMember, None)
    );
}
