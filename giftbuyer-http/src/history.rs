//! History: my autobuy runs with their reports and per-purchase outcomes, the stars I spent
//! per day, and my audit log.
//!
//! Each route is one exact, user-scoped store query (plus the report and the journal for a
//! run's detail): runs are paged by id (`before` is the last id of the previous page, so a
//! page never shifts when new runs start), a run is read by its id, and spending is summed
//! per UTC day by the store. A run's purchases come from the optional
//! [`RunJournal`](crate::RunJournal); without it a run shows its counts only and spending
//! answers `available: false`.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use giftbuyer_core::ports::{JournalEntry, RunRecord};
use serde::Serialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::common::QueryParams;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// How many runs a page holds unless `limit` says otherwise, and at most.
const DEFAULT_RUNS: i64 = 20;
const MAX_RUNS: i64 = 100;
const DEFAULT_DAYS: i64 = 30;
const MAX_DAYS: i64 = 366;
const DEFAULT_AUDIT: i64 = 50;
const MAX_AUDIT: i64 = 500;
const DAY_SECS: i64 = 86_400;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/runs", get(runs))
        .route("/api/runs/{id}", get(run))
        .route("/api/stats/spending", get(spending))
        .route("/api/audit", get(audit_log))
}

/// The history routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(runs, run, spending, audit_log))]
pub(crate) struct HistoryApi;

/// `GET /api/runs` parameters.
// Only the OpenAPI document reads these fields: `QueryParams` parses the query string
// strictly, which serde's `Query` extractor would not do with field-naming errors.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query string; QueryParams reads it")]
pub(crate) struct RunsQuery {
    /// Runs per page, 1 to 100 (default 20).
    limit: Option<i64>,
    /// Only runs with a smaller id: pass the previous page's `next_before`.
    before: Option<i64>,
}

/// `GET /api/stats/spending` parameters.
// Only the OpenAPI document reads these fields: `QueryParams` parses the query string
// strictly, which serde's `Query` extractor would not do with field-naming errors.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query string; QueryParams reads it")]
pub(crate) struct SpendingQuery {
    /// Days to cover, ending today (UTC), 1 to 366 (default 30).
    days: Option<i64>,
}

/// `GET /api/audit` parameters.
// Only the OpenAPI document reads these fields: `QueryParams` parses the query string
// strictly, which serde's `Query` extractor would not do with field-naming errors.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query string; QueryParams reads it")]
pub(crate) struct AuditQuery {
    /// Entries, 1 to 500 (default 50).
    limit: Option<i64>,
}

/// An autobuy run, summed up.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RunSummary {
    id: i64,
    /// Unix seconds.
    started_at: i64,
    operations: u32,
    bought: u32,
    failed: u32,
    unknown: u32,
    has_report: bool,
}

impl From<&RunRecord> for RunSummary {
    fn from(run: &RunRecord) -> Self {
        Self {
            id: run.run_id,
            started_at: run.started_at.secs(),
            operations: run.operations,
            bought: run.bought,
            failed: run.failed,
            unknown: run.unknown,
            has_report: run.has_report,
        }
    }
}

/// A page of my runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RunPage {
    runs: Vec<RunSummary>,
    /// Pass as `before` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<i64>,
}

/// One purchase of a run and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OperationOutcome {
    /// The operation's number in the run.
    seq: u32,
    /// The buying Telegram account's user id.
    account_id: i64,
    /// The Bot API id of the channel the gift went to; null for the buying account itself or a
    /// person.
    channel_id: Option<i64>,
    /// The username of the person the gift went to; null for a channel or the buying account.
    username: Option<String>,
    gift_id: i64,
    /// Stars.
    price: u64,
    supply: u64,
    /// `planned`, `sending`, `bought`, `failed` or `unknown`.
    status: String,
    /// Telegram's error name, or the engine's reason, for `failed` and `unknown`.
    error: Option<String>,
    /// Unix seconds of the last change.
    updated_at: i64,
}

impl From<&JournalEntry> for OperationOutcome {
    fn from(entry: &JournalEntry) -> Self {
        Self {
            seq: entry.key.seq,
            account_id: entry.operation.account_id.get(),
            channel_id: crate::recipient::channel(entry.operation.recipient),
            username: crate::recipient::username(entry.operation.recipient),
            gift_id: entry.operation.gift_id.get(),
            price: entry.operation.price.get(),
            supply: entry.operation.supply,
            status: entry.status.code().to_owned(),
            error: entry.error.clone(),
            updated_at: entry.updated_at.secs(),
        }
    }
}

/// A run with its report and its purchases.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RunDetail {
    run: RunSummary,
    /// The report as the bot sent it; absent until the run's report is saved.
    report: Option<String>,
    /// Unix seconds.
    report_saved_at: Option<i64>,
    /// The run's purchases by number. Empty when the server was started without access to
    /// the journal (then `operations_available` is false).
    operations: Vec<OperationOutcome>,
    operations_available: bool,
}

/// Stars spent on one day (UTC).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DaySpending {
    /// `YYYY-MM-DD`, UTC.
    #[schema(example = "2025-11-24")]
    date: String,
    stars: u64,
    /// Gifts bought that day.
    purchases: u32,
}

/// Stars spent per day, oldest first, every day of the window included.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SpendingResponse {
    days: Vec<DaySpending>,
    total_stars: u64,
    /// False when the server cannot read the purchase journal: every day then shows 0.
    available: bool,
}

/// One line of my audit log.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEntryResponse {
    id: i64,
    /// Unix seconds.
    at: i64,
    /// A short code such as `login`, `channel.added`, `settings.changed`.
    kind: String,
    detail: String,
}

/// My latest audit entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditList {
    entries: Vec<AuditEntryResponse>,
}

fn limit_u32(value: i64) -> u32 {
    // Every limit is range-checked to a small positive number before this.
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// My autobuy runs, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/runs",
    tag = "history",
    security(("session" = [])),
    params(RunsQuery),
    responses(
        (status = 200, description = "A page of my runs", body = RunPage),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid or unknown", body = ErrorBody),
    )
)]
pub(crate) async fn runs(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<Json<RunPage>, ApiError> {
    let mut query = QueryParams::parse(query.as_deref())?;
    let limit = query.int("limit", 1, MAX_RUNS)?.unwrap_or(DEFAULT_RUNS);
    let before = query.int("before", 1, i64::MAX)?;
    query.finish()?;
    let page = usize::try_from(limit).unwrap_or(usize::MAX);
    // One more than the page tells whether there is a next page.
    let mut runs = state
        .store()
        .runs(auth.user_id, before, limit_u32(limit + 1))
        .await?;
    let more = runs.len() > page;
    runs.truncate(page);
    Ok(Json(RunPage {
        next_before: more.then(|| runs.last().map(|run| run.run_id)).flatten(),
        runs: runs.iter().map(RunSummary::from).collect(),
    }))
}

/// One of my runs: its counts, its report and each purchase's outcome.
#[utoipa::path(
    get,
    path = "/api/runs/{id}",
    tag = "history",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run", body = RunDetail),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such run of mine", body = ErrorBody),
    )
)]
pub(crate) async fn run(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RunDetail>, ApiError> {
    let not_found = ApiError::NotFound { what: "run" };
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(not_found.clone())?;
    let summary = state
        .store()
        .run(auth.user_id, id)
        .await?
        .as_ref()
        .map(RunSummary::from)
        .ok_or(not_found)?;
    let report = state.store().report(auth.user_id, id).await?;
    let journal = state.run_journal();
    let operations = match journal {
        Some(journal) => journal
            .run_journal(auth.user_id, id)
            .await
            .map_err(|error| ApiError::internal("could not read a run's journal", error))?,
        None => Vec::new(),
    };
    Ok(Json(RunDetail {
        run: summary,
        report_saved_at: report.as_ref().map(|report| report.saved_at.secs()),
        report: report.map(|report| report.text),
        operations: operations.iter().map(OperationOutcome::from).collect(),
        operations_available: journal.is_some(),
    }))
}

/// Stars I spent per day (UTC), from the purchases the journal records as bought.
#[utoipa::path(
    get,
    path = "/api/stats/spending",
    tag = "history",
    security(("session" = [])),
    params(SpendingQuery),
    responses(
        (status = 200, description = "Stars spent per day, oldest first", body = SpendingResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid or unknown", body = ErrorBody),
    )
)]
pub(crate) async fn spending(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<Json<SpendingResponse>, ApiError> {
    let mut query = QueryParams::parse(query.as_deref())?;
    let days = query.int("days", 1, MAX_DAYS)?.unwrap_or(DEFAULT_DAYS);
    query.finish()?;
    let today = state.now().secs().div_euclid(DAY_SECS);
    let first_day = today - (days - 1);
    let mut totals: BTreeMap<i64, (u64, u32)> =
        (first_day..=today).map(|day| (day, (0, 0))).collect();
    let journal = state.run_journal();
    // The store sums the journal; a server started without access to the journal shows no
    // purchases anywhere, so spending stays unavailable there too.
    if journal.is_some() {
        let spent = state
            .store()
            .spending_per_day(auth.user_id, first_day, today)
            .await?;
        for day in spent {
            if let Some((stars, purchases)) = totals.get_mut(&day.day) {
                *stars = stars.saturating_add(day.stars);
                *purchases = purchases.saturating_add(day.purchases);
            }
        }
    }
    let total_stars = totals
        .values()
        .map(|(stars, _)| *stars)
        .fold(0, u64::saturating_add);
    Ok(Json(SpendingResponse {
        days: totals
            .into_iter()
            .map(|(day, (stars, purchases))| DaySpending {
                date: civil_date(day),
                stars,
                purchases,
            })
            .collect(),
        total_stars,
        available: journal.is_some(),
    }))
}

/// My audit log, newest first.
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "history",
    security(("session" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "My latest audit entries", body = AuditList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid or unknown", body = ErrorBody),
    )
)]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditList>, ApiError> {
    let mut query = QueryParams::parse(query.as_deref())?;
    let limit = query.int("limit", 1, MAX_AUDIT)?.unwrap_or(DEFAULT_AUDIT);
    query.finish()?;
    let entries = state
        .store()
        .audit_log(auth.user_id, limit_u32(limit))
        .await?;
    Ok(Json(AuditList {
        entries: entries
            .into_iter()
            .map(|entry| AuditEntryResponse {
                id: entry.id,
                at: entry.at.secs(),
                kind: entry.kind,
                detail: entry.detail,
            })
            .collect(),
    }))
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01, in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(59), "1970-03-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(1_764_000_000 / 86_400), "2025-11-24");
    }
}
