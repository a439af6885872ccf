//! Health, Prometheus metrics and the OpenAPI document.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use giftbuyer_http::{PollOutcome, PurchaseOutcome};
use serde_json::{Value, json};

use crate::support::{TestApp, panel_request};

async fn get(app: &TestApp, path: &str) -> crate::support::TestResponse {
    app.send(
        panel_request(Method::GET, path)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn health_says_ok_and_nothing_else() {
    let app = TestApp::new().await;
    let response = get(&app, "/api/health").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), json!({"status": "ok"}));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_expose_engine_series() {
    let app = TestApp::new().await;
    let fresh = get(&app, "/metrics").await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(
        fresh.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = fresh.text();
    for zero in [
        "giftbuyer_sse_clients 0",
        "giftbuyer_monitor_polls_total{outcome=\"changed\"} 0",
        "giftbuyer_monitor_polls_total{outcome=\"not_modified\"} 0",
        "giftbuyer_monitor_polls_total{outcome=\"failed\"} 0",
        "giftbuyer_detection_delay_seconds_bucket{le=\"+Inf\"} 0",
        "giftbuyer_detection_delay_seconds_count 0",
        "giftbuyer_purchases_total{outcome=\"bought\"} 0",
        "giftbuyer_purchases_total{outcome=\"unknown\"} 0",
        "# TYPE giftbuyer_http_requests_total counter",
        "# TYPE giftbuyer_detection_delay_seconds histogram",
    ] {
        assert!(text.contains(zero), "{zero} missing from:\n{text}");
    }

    get(&app, "/api/health").await;
    get(&app, "/api/health").await;
    get(&app, "/api/random/1").await;
    get(&app, "/api/random/2").await;
    let cookie = app.register("alice").await;
    for id in [1, 2] {
        app.call(
            Method::DELETE,
            &format!("/api/auth/sessions/{id}0"),
            Some(&cookie),
            None,
        )
        .await;
    }

    let metrics = app.state.metrics().clone();
    let guard = metrics.sse_client_connected();
    let _second = metrics.sse_client_connected();
    drop(guard);
    metrics.record_monitor_poll(PollOutcome::NotModified);
    metrics.record_purchase(PurchaseOutcome::Bought);
    metrics.record_purchase(PurchaseOutcome::Bought);
    metrics.observe_detection_delay(Duration::from_millis(300));

    let text = get(&app, "/metrics").await.text();
    for line in [
        "giftbuyer_http_requests_total{route=\"/api/health\",method=\"GET\",status=\"2xx\"} 2",
        "giftbuyer_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"4xx\"} 2",
        "giftbuyer_http_requests_total{route=\"/api/auth/register\",method=\"POST\",status=\"2xx\"} 1",
        "giftbuyer_http_requests_total{route=\"/api/auth/sessions/{id}\",method=\"DELETE\",status=\"4xx\"} 2",
        "giftbuyer_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"2xx\"} 1",
        "giftbuyer_sse_clients 1",
        "giftbuyer_monitor_polls_total{outcome=\"not_modified\"} 1",
        "giftbuyer_purchases_total{outcome=\"bought\"} 2",
        "giftbuyer_detection_delay_seconds_bucket{le=\"0.25\"} 0",
        "giftbuyer_detection_delay_seconds_bucket{le=\"0.5\"} 1",
        "giftbuyer_detection_delay_seconds_bucket{le=\"+Inf\"} 1",
        "giftbuyer_detection_delay_seconds_sum 0.3",
        "giftbuyer_detection_delay_seconds_count 1",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(
        !text.contains("/api/random"),
        "raw paths never become labels"
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = TestApp::new().await;
    let response = get(&app, "/api/openapi.json").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let doc: Value = response.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let routes = [
        ("get", "/api/health"),
        ("get", "/metrics"),
        ("get", "/api/openapi.json"),
        ("post", "/api/auth/register"),
        ("post", "/api/auth/login"),
        ("post", "/api/auth/logout"),
        ("get", "/api/auth/me"),
        ("get", "/api/auth/sessions"),
        ("delete", "/api/auth/sessions/{id}"),
        ("get", "/api/profiles"),
        ("post", "/api/profiles"),
        ("patch", "/api/profiles/{id}"),
        ("delete", "/api/profiles/{id}"),
        ("get", "/api/channels"),
        ("post", "/api/channels"),
        ("patch", "/api/channels/{id}"),
        ("delete", "/api/channels/{id}"),
        ("post", "/api/channels/preview"),
        ("post", "/api/channels/{id}/check"),
        ("get", "/api/settings"),
        ("patch", "/api/settings"),
        ("get", "/api/runs"),
        ("get", "/api/runs/{id}"),
        ("get", "/api/stats/spending"),
        ("get", "/api/audit"),
        ("get", "/api/accounts"),
        ("post", "/api/accounts/login"),
        ("delete", "/api/accounts/login/{login_id}"),
        ("post", "/api/accounts/login/{login_id}/code"),
        ("post", "/api/accounts/login/{login_id}/password"),
        ("delete", "/api/accounts/{id}"),
        ("post", "/api/accounts/{id}/refresh"),
        ("get", "/api/gifts"),
        ("get", "/api/gifts/stream"),
        ("post", "/api/gifts/{id}/buy"),
        ("post", "/api/gifts/refresh"),
        ("get", "/api/gifts/{id}/sticker"),
        ("get", "/api/resale/watches"),
        ("post", "/api/resale/watches"),
        ("delete", "/api/resale/watches/{id}"),
        ("get", "/api/resale/purchases"),
        ("get", "/api/resale/listings/{gift_id}"),
        ("get", "/api/auctions/plans"),
        ("post", "/api/auctions/plans"),
        ("delete", "/api/auctions/plans/{id}"),
        ("get", "/api/auctions/budget"),
        ("put", "/api/auctions/budget"),
        ("get", "/api/auctions/bids"),
        ("get", "/api/auctions/{gift_id}/state"),
    ];
    for (method, path) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the document"
        );
    }
    let listed: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| item.as_object().map_or(0, |ops| ops.len()))
        .sum();
    assert_eq!(listed, routes.len(), "no undocumented or stale routes");

    let schemas = &doc["components"]["schemas"];
    for schema in [
        "ErrorBody",
        "ErrorDetail",
        "Credentials",
        "UserResponse",
        "SessionList",
        "NewProfileRequest",
        "ProfileList",
        "ChannelPatchRequest",
        "PreviewResponse",
        "SettingsResponse",
        "SettingsPatchRequest",
        "RunPage",
        "RunDetail",
        "SpendingResponse",
        "AuditList",
        "StartLoginRequest",
        "LoginStepResponse",
        "AccountList",
        "RefreshEvent",
        "ExcludeRequest",
        "ExcludeResponse",
        "GiftKindWire",
        "PriorityWire",
        "NewPlanRequest",
        "PlanList",
        "BudgetRequest",
        "BudgetResponse",
        "BidList",
        "AuctionStateResponse",
    ] {
        assert!(schemas[schema].is_object(), "{schema} missing");
    }
    // Every reference resolves, so a client generator or the fuzzer never meets a dangling one.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(schemas[name].is_object(), "{reference} does not resolve");
    }
    assert_eq!(
        schemas["PriorityWire"]["enum"],
        serde_json::json!(["scarcest_first", "priciest_first"])
    );
    assert_eq!(
        schemas["GiftKindWire"]["enum"],
        serde_json::json!(["birthday", "premium_only"])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["in"],
        "cookie"
    );
    assert_eq!(
        doc["paths"]["/api/auth/login"]["post"]["responses"]["423"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    assert_eq!(
        doc["paths"]["/api/settings"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/SettingsPatchRequest"
    );
    let run_params: Vec<_> = doc["paths"]["/api/runs"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default(),
                p["in"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(run_params, [("limit", "query"), ("before", "query")]);
    // Every documented route is served: with a session, each method on each path (ids filled
    // in) answers something other than an unknown route or method.
    let cookie = app.register("alice").await;
    for (method, path) in routes {
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
        let path = path.replace("{id}", "1");
        let response = app
            .call(method.clone(), &path, Some(&cookie), Some(json!({})))
            .await;
        assert_ne!(
            response.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if response.status == StatusCode::NOT_FOUND {
            assert_ne!(
                response.json()["error"]["message"],
                "route not found",
                "{method} {path}"
            );
        }
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(reference)) => refs.push(reference.clone()),
                    _ => collect_refs(inner, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}
