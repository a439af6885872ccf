//! The web panel's files outside `/api`: the SPA fallback, ETags and 304s, gzip, cache
//! lifetimes, 404s for missing files and API routes, and the placeholder without a build.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use giftbuyer_http::PanelAssets;

use crate::support::{TestApp, TestResponse, panel_request};

const INDEX: &str =
    "<!doctype html><title>GiftBuyer</title><script type=module src=/assets/index-abc.js></script>";

fn script() -> String {
    // Large and repetitive, so that gzip pays.
    "console.log('GiftBuyer panel');\n".repeat(200)
}

async fn app_with_panel() -> TestApp {
    TestApp::with_ports(|state, _| {
        state.with_panel(PanelAssets::from_files([
            ("index.html".to_owned(), INDEX.as_bytes().to_vec()),
            ("assets/index-abc.js".to_owned(), script().into_bytes()),
            ("favicon.svg".to_owned(), b"<svg/>".to_vec()),
        ]))
    })
    .await
}

async fn fetch(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = panel_request(method, path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

#[tokio::test]
async fn the_root_and_the_panels_own_routes_serve_index_html() {
    let app = app_with_panel().await;
    for path in ["/", "/gifts", "/settings/bot", "/purchases?page=2"] {
        let response = fetch(&app, Method::GET, path, &[]).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.text(), INDEX, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        // The page is revalidated each time, so a new build is picked up at once.
        assert_eq!(response.header("cache-control"), Some("no-cache"), "{path}");
        assert!(response.header("content-security-policy").is_some());
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_revalidate_with_their_etag() {
    let app = app_with_panel().await;
    let first = fetch(&app, Method::GET, "/assets/index-abc.js", &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.text(), script());
    assert_eq!(
        first.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        first.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = first.header("etag").expect("etag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let again = fetch(
        &app,
        Method::GET,
        "/assets/index-abc.js",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    let weak = format!("W/{etag}");
    let proxied = fetch(
        &app,
        Method::GET,
        "/assets/index-abc.js",
        &[("if-none-match", &weak)],
    )
    .await;
    assert_eq!(proxied.status, StatusCode::NOT_MODIFIED);

    let other = fetch(
        &app,
        Method::GET,
        "/assets/index-abc.js",
        &[("if-none-match", "\"something-else\"")],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn text_assets_are_gzipped_for_clients_that_accept_it() {
    let app = app_with_panel().await;
    let packed = fetch(
        &app,
        Method::GET,
        "/assets/index-abc.js",
        &[("accept-encoding", "br, gzip;q=0.8")],
    )
    .await;
    assert_eq!(packed.header("content-encoding"), Some("gzip"));
    assert_eq!(packed.header("vary"), Some("accept-encoding"));
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&packed.body[..]),
        &mut plain,
    )
    .expect("valid gzip");
    assert_eq!(plain, script());
    assert!(packed.body.len() < script().len() / 10);

    let refused = fetch(
        &app,
        Method::GET,
        "/assets/index-abc.js",
        &[("accept-encoding", "gzip;q=0")],
    )
    .await;
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.text(), script());

    // Small files are not worth compressing.
    let small = fetch(
        &app,
        Method::GET,
        "/favicon.svg",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(small.header("content-encoding"), None);
    assert_eq!(small.header("content-type"), Some("image/svg+xml"));
}

#[tokio::test]
async fn head_answers_headers_without_a_body() {
    let app = app_with_panel().await;
    let response = fetch(&app, Method::HEAD, "/assets/index-abc.js", &[]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.is_empty());
    let length = script().len().to_string();
    assert_eq!(response.header("content-length"), Some(length.as_str()));
}

#[tokio::test]
async fn missing_files_and_unknown_api_routes_are_404_not_the_page() {
    let app = app_with_panel().await;
    for path in ["/assets/gone-123.js", "/robots.txt", "/deep/logo.png"] {
        let response = fetch(&app, Method::GET, path, &[]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            response.json()["error"]["message"],
            "file not found",
            "{path}"
        );
    }
    for path in ["/api/nope", "/api", "/api/gifts/1/nope"] {
        let response = fetch(&app, Method::GET, path, &[]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    // A state change on a panel path is not a page view.
    let posted = app
        .send(
            panel_request(Method::POST, "/gifts")
                .body(Body::from("{}"))
                .expect("request"),
        )
        .await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
    assert_eq!(posted.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn path_traversal_cannot_leave_the_panel() {
    let app = app_with_panel().await;
    for path in [
        "/../Cargo.toml",
        "/assets/../../Cargo.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let response = fetch(&app, Method::GET, path, &[]).await;
        assert!(
            !response.text().contains("[package]") && !response.text().contains("root:"),
            "{path}"
        );
        assert!(
            response.status == StatusCode::NOT_FOUND || response.text() == INDEX,
            "{path}: {}",
            response.status
        );
    }
}

#[tokio::test]
async fn without_a_built_panel_the_root_says_how_to_build_it() {
    let app = TestApp::new().await;
    let response = app.get("/", "").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header(header::CONTENT_TYPE.as_str()),
        Some("text/html; charset=utf-8")
    );
    let page = response.text();
    assert!(page.contains("built without its web panel"), "{page}");
    assert!(page.contains("npm run build"), "{page}");
    assert!(page.contains("/api/openapi.json"));
    assert!(
        !page.contains("<script"),
        "the page must pass the CSP without scripts"
    );
    // The panel's routes get the same page rather than a 404.
    let deep = app.get("/gifts", "").await;
    assert_eq!(deep.status, StatusCode::OK);
    assert!(deep.text().contains("built without its web panel"));
}
