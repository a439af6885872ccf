//! A user's history: past runs with their reports, and the audit log of what happened to the
//! user's data.

use async_trait::async_trait;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{
    AuditEntry, DaySpending, HistoryStore, PanelStoreError, RunRecord, StoredReport, UserId,
};
use sqlx::AssertSqlSafe;

use crate::db::{RowExt, check_text, from_db_int, from_db_u32, time, with_db};
use crate::{Error, Store};

const MAX_KIND_LEN: usize = 64;
const MAX_DETAIL_LEN: usize = 2048;
/// The most rows one listing returns, whatever the caller asks for.
const MAX_LIMIT: u32 = 1000;
const DAY_SECS: i64 = 86_400;

/// The counts of the runs the inner query `{runs}` selects (`id`, `started_at`, `has_report`
/// of the user's runs), newest first.
const RUN_SUMMARY: &str = "SELECT r.id, r.started_at, r.has_report, COUNT(j.seq) AS operations, \
     COALESCE(SUM(CASE WHEN j.status = 'bought' THEN 1 ELSE 0 END), 0) AS bought, \
     COALESCE(SUM(CASE WHEN j.status = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
     COALESCE(SUM(CASE WHEN j.status = 'unknown' THEN 1 ELSE 0 END), 0) AS unknown \
     FROM ({runs}) r \
     LEFT JOIN journal j ON j.run_id = r.id AND j.user_id = $1 \
     GROUP BY r.id, r.started_at, r.has_report ORDER BY r.id DESC";

fn run_summary_sql(runs: &str) -> String {
    RUN_SUMMARY.replace("{runs}", runs)
}

fn run_record<R: RowExt>(row: &R) -> Result<RunRecord, Error> {
    Ok(RunRecord {
        run_id: row.int("id")?,
        started_at: time("started_at", row.int("started_at")?)?,
        operations: from_db_u32("operations", row.int("operations")?)?,
        bought: from_db_u32("bought", row.int("bought")?)?,
        failed: from_db_u32("failed", row.int("failed")?)?,
        unknown: from_db_u32("unknown", row.int("unknown")?)?,
        has_report: row.flag("has_report")?,
    })
}

async fn runs(
    store: &Store,
    user: UserId,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<RunRecord>, Error> {
    let limit = i64::from(limit.min(MAX_LIMIT));
    // Run ids are positive, so "before" defaults to past every id.
    let before = before.unwrap_or(i64::MAX);
    let sql = run_summary_sql(
        "SELECT id, started_at, report IS NOT NULL AS has_report FROM runs \
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    );
    with_db!(store.db(), pool => {
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.get())
            .bind(before)
            .bind(limit)
            .fetch_all(pool)
            .await?;
        rows.iter().map(run_record).collect()
    })
}

async fn run(store: &Store, user: UserId, run_id: i64) -> Result<Option<RunRecord>, Error> {
    let sql = run_summary_sql(
        "SELECT id, started_at, report IS NOT NULL AS has_report FROM runs \
         WHERE user_id = $1 AND id = $2",
    );
    with_db!(store.db(), pool => {
        sqlx::query(AssertSqlSafe(sql))
            .bind(user.get())
            .bind(run_id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(run_record)
            .transpose()
    })
}

async fn spending_per_day(
    store: &Store,
    user: UserId,
    from_day: i64,
    to_day: i64,
) -> Result<Vec<DaySpending>, Error> {
    // Times are never negative, so days before 1970 hold nothing (and integer division in
    // SQL, which truncates, agrees with the calendar day for every stored time).
    let from = from_day.max(0).saturating_mul(DAY_SECS);
    let to = to_day.saturating_add(1).saturating_mul(DAY_SECS);
    if to <= from {
        return Ok(Vec::new());
    }
    with_db!(store.db(), pool => {
        let rows = sqlx::query(
            "SELECT updated_at / 86400 AS utc_day, CAST(SUM(price) AS BIGINT) AS stars, \
             COUNT(*) AS purchases FROM journal \
             WHERE user_id = $1 AND status = 'bought' AND updated_at >= $2 AND updated_at < $3 \
             GROUP BY updated_at / 86400 ORDER BY utc_day",
        )
        .bind(user.get())
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DaySpending {
                    day: row.int("utc_day")?,
                    stars: from_db_int("stars", row.int("stars")?)?,
                    purchases: from_db_u32("purchases", row.int("purchases")?)?,
                })
            })
            .collect()
    })
}

async fn report(store: &Store, user: UserId, run_id: i64) -> Result<Option<StoredReport>, Error> {
    with_db!(store.db(), pool => {
        sqlx::query(
            "SELECT id, report, report_at FROM runs \
             WHERE id = $1 AND user_id = $2 AND report IS NOT NULL",
        )
        .bind(run_id)
        .bind(user.get())
        .fetch_optional(pool)
        .await?
        .map(|row| {
            Ok(StoredReport {
                run_id: row.int("id")?,
                text: row.text("report")?,
                saved_at: time("report_at", row.opt_int("report_at")?.unwrap_or_default())?,
            })
        })
        .transpose()
    })
}

async fn append_audit(
    store: &Store,
    user: UserId,
    kind: &str,
    detail: &str,
    now: UnixTime,
) -> Result<(), Error> {
    check_text("audit kind", kind, MAX_KIND_LEN)?;
    check_text("audit detail", detail, MAX_DETAIL_LEN)?;
    with_db!(store.db(), pool => {
        sqlx::query("INSERT INTO audit_log (user_id, at, kind, detail) VALUES ($1, $2, $3, $4)")
            .bind(user.get())
            .bind(now.secs())
            .bind(kind)
            .bind(detail)
            .execute(pool)
            .await
            .map_err(Error::keys("audit entry", Error::NotFound { what: "user" }))?;
    });
    Ok(())
}

async fn audit_log(store: &Store, user: UserId, limit: u32) -> Result<Vec<AuditEntry>, Error> {
    let limit = i64::from(limit.min(MAX_LIMIT));
    with_db!(store.db(), pool => {
        let rows = sqlx::query(
            "SELECT id, user_id, at, kind, detail FROM audit_log WHERE user_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(user.get())
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.int("id")?,
                    user_id: UserId::new(row.int("user_id")?)
                        .map_err(|e| Error::corrupt("user id", e))?,
                    at: time("at", row.int("at")?)?,
                    kind: row.text("kind")?,
                    detail: row.text("detail")?,
                })
            })
            .collect()
    })
}

#[async_trait]
impl HistoryStore for Store {
    async fn runs(
        &self,
        user: UserId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RunRecord>, PanelStoreError> {
        Ok(runs(self, user, before, limit).await?)
    }

    async fn run(&self, user: UserId, run_id: i64) -> Result<Option<RunRecord>, PanelStoreError> {
        Ok(run(self, user, run_id).await?)
    }

    async fn spending_per_day(
        &self,
        user: UserId,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<DaySpending>, PanelStoreError> {
        Ok(spending_per_day(self, user, from_day, to_day).await?)
    }

    async fn report(
        &self,
        user: UserId,
        run_id: i64,
    ) -> Result<Option<StoredReport>, PanelStoreError> {
        Ok(report(self, user, run_id).await?)
    }

    async fn append_audit(
        &self,
        user: UserId,
        kind: &str,
        detail: &str,
        now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        Ok(append_audit(self, user, kind, detail, now).await?)
    }

    async fn audit_log(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, PanelStoreError> {
        Ok(audit_log(self, user, limit).await?)
    }
}
