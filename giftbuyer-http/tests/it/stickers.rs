//! `GET /api/gifts/{id}/sticker`: a sticker downloaded through the user's account on the
//! simulated market, served as Lottie JSON with an ETag, cached on disk, and 304 afterwards.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use giftbuyer_core::ports::TelegramAccount as _;
use giftbuyer_core::ports::{
    AccountStore as _, CatalogResponse, CatalogStore as _, Connector as _, EngineStore as _, UserId,
};
use giftbuyer_core::{GiftId, Stars, UnixTime};
use giftbuyer_http::SESSION_COOKIE;
use giftbuyer_sim::{
    FloodConfig, GiftSpec, Latency, LatencyConfig, Market, MarketConfig, Method as SimMethod,
    SimConnector, SimLogin,
};

use crate::accounts::{PHONE, add_account};
use crate::support::{START, TestApp, TestResponse, config, panel_request};

/// The app on a simulated market with one limited gift (id 5), its catalog recorded in the
/// store as the engine would, and a sticker cache in `cache`.
async fn app_with_gift(cache: &std::path::Path) -> (TestApp, Market, String, i64) {
    let market_config = MarketConfig {
        latency: LatencyConfig::uniform(Latency::ZERO),
        flood: FloodConfig::NONE,
        ..MarketConfig::with_seed(3)
    }
    .gift(GiftSpec::limited(
        GiftId::new(5).expect("id"),
        Stars::new(25),
        1000,
    ));
    let http_config = giftbuyer_http::HttpConfig {
        sticker_cache_dir: Some(cache.to_path_buf()),
        ..config()
    };
    let slot = Arc::new(std::sync::Mutex::new(None));
    let market_slot = slot.clone();
    let app = TestApp::build_on_clock(http_config, move |state, _, clock| {
        let market = Market::new(market_config, clock).expect("market");
        *market_slot.lock().expect("slot") = Some(market.clone());
        state
            .with_login(Arc::new(SimLogin::new(market.clone())))
            .with_connector(Arc::new(SimConnector::new(market, None)))
    })
    .await;
    let market = slot.lock().expect("slot").take().expect("market built");
    let (cookie, user) = app.user("alice").await;
    (app, market, cookie, user)
}

/// Records the market's catalog as seen by the user's first account.
async fn record_catalog(app: &TestApp, user: i64, connector: &SimConnector) {
    let accounts = app
        .store
        .accounts(UserId::new(user).expect("user"))
        .await
        .expect("accounts");
    let telegram_id = accounts[0].telegram_id.expect("logged in");
    let account = connector.account(telegram_id).await.expect("connected");
    let CatalogResponse::Catalog { gifts, .. } = account.star_gifts(0).await.expect("catalog")
    else {
        panic!("a first catalog request gets the catalog");
    };
    assert!(gifts.iter().any(|gift| gift.sticker.is_some()));
    app.store
        .record_catalog(&gifts, UnixTime::from_secs(START).expect("time"))
        .await
        .expect("recorded");
}

async fn get_sticker(app: &TestApp, cookie: &str, gift: &str, etag: Option<&str>) -> TestResponse {
    let mut request = panel_request(Method::GET, &format!("/api/gifts/{gift}/sticker"))
        .header(header::COOKIE, format!("{SESSION_COOKIE}={cookie}"));
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

#[tokio::test]
async fn a_sticker_is_served_as_lottie_cached_on_disk_and_revalidated_with_its_etag() {
    let cache = tempfile::tempdir().expect("temp dir");
    let (app, market, cookie, user) = app_with_gift(cache.path()).await;
    // Without an account the sticker cannot be downloaded; unknown gifts are 404 either way.
    get_sticker(&app, &cookie, "77", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    for bad in ["0", "-5", "abc", "..%2F..%2Fetc"] {
        assert_eq!(
            get_sticker(&app, &cookie, bad, None).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }

    add_account(&app, &cookie, PHONE).await;
    // The test reads the catalog through its own connector over the same market.
    record_catalog(&app, user, &SimConnector::new(market.clone(), None)).await;

    let first = get_sticker(&app, &cookie, "5", None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert!(first.json().is_object(), "Lottie JSON");
    let etag = first.header("etag").expect("ETag").to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    assert_ne!(first.header("cache-control"), Some("no-store"));
    assert!(cache.path().join("5.tgs").is_file());
    let known = app.store.known_gifts().await.expect("gifts");
    assert!(known.iter().any(|gift| {
        gift.sticker_cache_path
            .as_deref()
            .is_some_and(|p| p.ends_with("5.tgs"))
    }));

    let again = get_sticker(&app, &cookie, "5", None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    let downloads: u64 = market
        .accounts()
        .into_iter()
        .map(|account| market.call_count(account.account_id(), SimMethod::Sticker))
        .sum();
    assert_eq!(downloads, 1, "the second answer came from the disk cache");

    let revalidated = get_sticker(&app, &cookie, "5", Some(&etag)).await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert!(revalidated.body.is_empty());
    assert_eq!(revalidated.header("etag"), Some(etag.as_str()));

    // A signed-out client gets nothing.
    let anonymous = app
        .send(
            panel_request(Method::GET, "/api/gifts/5/sticker")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}
