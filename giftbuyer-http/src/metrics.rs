//! `Metrics`, the Prometheus registry served at `/metrics`, written by hand in the text
//! exposition format (a handful of counters does not justify a metrics framework).
//!
//! HTTP requests are counted here by a middleware and SSE clients by the stream. The
//! engine-facing series (monitor polls, detection delay, purchases) are fed by the binary from
//! the engine's counters and events, through [`Metrics::record_monitor_polls`],
//! [`Metrics::observe_detection_delay`] and [`Metrics::record_purchase`]; every series is
//! listed from the start, at zero, so that dashboards and alerts see it before anything
//! happens.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// The outcome of one catalog poll by the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollOutcome {
    /// The catalog changed since the last poll.
    Changed,
    /// Telegram answered that the catalog did not change.
    NotModified,
    /// The poll failed (network, flood wait, RPC error).
    Failed,
}

impl PollOutcome {
    const ALL: [Self; 3] = [Self::Changed, Self::NotModified, Self::Failed];

    fn label(self) -> &'static str {
        match self {
            Self::Changed => "changed",
            Self::NotModified => "not_modified",
            Self::Failed => "failed",
        }
    }
}

/// The outcome of one purchase attempt, as the journal ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseOutcome {
    Bought,
    SoldOut,
    NotEnoughStars,
    Failed,
    /// Sent without an answer: it may have been bought.
    Unknown,
}

impl PurchaseOutcome {
    const ALL: [Self; 5] = [
        Self::Bought,
        Self::SoldOut,
        Self::NotEnoughStars,
        Self::Failed,
        Self::Unknown,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Bought => "bought",
            Self::SoldOut => "sold_out",
            Self::NotEnoughStars => "not_enough_stars",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }
}

/// Upper bounds, in seconds, of the detection delay histogram's buckets: how late a new gift
/// can have been noticed at most (the time since the previous answered poll, as the gift
/// appeared within it). Sub-second matters, minutes are a failure.
const DELAY_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The server's metrics. Shared as `Arc<Metrics>`; every update is a few atomic operations,
/// except request counting, which takes a short lock.
#[derive(Debug)]
pub struct Metrics {
    /// Keyed by (route template, method, status class); all three come from small fixed sets,
    /// so the map stays small whatever clients send.
    requests: Mutex<BTreeMap<(String, &'static str, &'static str), u64>>,
    sse_clients: AtomicI64,
    monitor_polls: [AtomicU64; PollOutcome::ALL.len()],
    purchases: [AtomicU64; PurchaseOutcome::ALL.len()],
    delay_buckets: [AtomicU64; DELAY_BUCKETS.len()],
    delay_count: AtomicU64,
    delay_sum_micros: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self {
            requests: Mutex::new(BTreeMap::new()),
            sse_clients: AtomicI64::new(0),
            monitor_polls: Default::default(),
            purchases: Default::default(),
            delay_buckets: Default::default(),
            delay_count: AtomicU64::new(0),
            delay_sum_micros: AtomicU64::new(0),
        }
    }

    /// Counts one answered request. `route` must be a route template (`/api/x/{id}`), never a
    /// raw path, or the series would multiply without bound.
    pub fn record_request(&self, route: &str, method: &Method, status: StatusCode) {
        let key = (route.to_owned(), method_label(method), status_class(status));
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *requests.entry(key).or_insert(0) += 1;
    }

    /// Counts an SSE client until the returned guard is dropped (when its stream ends).
    pub fn sse_client_connected(self: &Arc<Self>) -> SseClientGuard {
        self.sse_clients.fetch_add(1, Ordering::Relaxed);
        SseClientGuard {
            metrics: Arc::clone(self),
        }
    }

    pub fn sse_clients(&self) -> i64 {
        self.sse_clients.load(Ordering::Relaxed)
    }

    pub fn record_monitor_poll(&self, outcome: PollOutcome) {
        self.record_monitor_polls(outcome, 1);
    }

    /// Adds `count` polls that ended with `outcome` (for callers that count in batches).
    pub fn record_monitor_polls(&self, outcome: PollOutcome, count: u64) {
        self.monitor_polls[outcome as usize].fetch_add(count, Ordering::Relaxed);
    }

    pub fn record_purchase(&self, outcome: PurchaseOutcome) {
        self.purchases[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records how late a new gift was detected at most.
    pub fn observe_detection_delay(&self, delay: Duration) {
        let secs = delay.as_secs_f64();
        for (bound, bucket) in DELAY_BUCKETS.iter().zip(&self.delay_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.delay_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.delay_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The registry in Prometheus' text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        header_lines(
            &mut out,
            "giftbuyer_http_requests_total",
            "HTTP requests answered, by route template, method and status class.",
            "counter",
        );
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for ((route, method, status), count) in requests {
            let _ = writeln!(
                out,
                "giftbuyer_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                escape_label(&route)
            );
        }

        header_lines(
            &mut out,
            "giftbuyer_sse_clients",
            "Clients connected to the gift event stream.",
            "gauge",
        );
        let _ = writeln!(out, "giftbuyer_sse_clients {}", self.sse_clients());

        header_lines(
            &mut out,
            "giftbuyer_monitor_polls_total",
            "Catalog polls by the monitor, by outcome.",
            "counter",
        );
        for outcome in PollOutcome::ALL {
            let count = self.monitor_polls[outcome as usize].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "giftbuyer_monitor_polls_total{{outcome=\"{}\"}} {count}",
                outcome.label()
            );
        }

        header_lines(
            &mut out,
            "giftbuyer_detection_delay_seconds",
            "Upper bound of how late a new gift was detected: the time since the previous answered catalog poll.",
            "histogram",
        );
        for (bound, bucket) in DELAY_BUCKETS.iter().zip(&self.delay_buckets) {
            let _ = writeln!(
                out,
                "giftbuyer_detection_delay_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.delay_count.load(Ordering::Relaxed);
        let sum = Duration::from_micros(self.delay_sum_micros.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "giftbuyer_detection_delay_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "giftbuyer_detection_delay_seconds_sum {}",
            sum.as_secs_f64()
        );
        let _ = writeln!(out, "giftbuyer_detection_delay_seconds_count {count}");

        header_lines(
            &mut out,
            "giftbuyer_purchases_total",
            "Purchase attempts, by outcome.",
            "counter",
        );
        for outcome in PurchaseOutcome::ALL {
            let count = self.purchases[outcome as usize].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "giftbuyer_purchases_total{{outcome=\"{}\"}} {count}",
                outcome.label()
            );
        }
        out
    }
}

/// Keeps an SSE client counted; dropping it uncounts the client.
#[derive(Debug)]
pub struct SseClientGuard {
    metrics: Arc<Metrics>,
}

impl Drop for SseClientGuard {
    fn drop(&mut self) {
        self.metrics.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

fn header_lines(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Counts every request under its route template; paths that no route matched count as
/// `unmatched`, so scanning for random URLs cannot add series.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    state
        .metrics()
        .record_request(&route, &method, response.status());
    response
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    )
}
