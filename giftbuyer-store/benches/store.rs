//! Criterion benchmarks of the store's two hot write paths, on SQLite (a temporary file) and,
//! when `GIFTBUYER_TEST_PG_URL` names a server, on a fresh PostgreSQL database:
//!
//! - journal append: `begin_run` with a plan of N operations, alone and followed by the two
//!   transitions (`planned -> sending -> bought`) of every operation, which is what an autobuy
//!   run writes;
//! - catalog upsert: `record_catalog` of a catalog of N gifts whose remaining counts all moved
//!   since the last recording, so every gift row is rewritten and a history point appended.
//!
//! Each iteration writes new rows (runs accumulate, and the catalog's history grows), as in a
//! long-running deployment. The database is created before timing and dropped after.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use giftbuyer_core::ports::{EngineStore, JournalKey, JournalStatus, UserId, UserStore, Username};
use giftbuyer_core::{
    AccountId, CatalogGift, ChannelId, GiftId, Operation, Recipient, Stars, UnixTime,
};
use giftbuyer_store::{MasterKey, Store};
use sqlx::Connection as _;

const PG_URL_ENV: &str = "GIFTBUYER_TEST_PG_URL";
const OPERATIONS: [u32; 2] = [10, 100];
const GIFTS: [usize; 2] = [20, 200];

/// A database for the benchmark's lifetime.
struct BenchDb {
    name: &'static str,
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, database name) of a PostgreSQL database to drop at the end.
    postgres: Option<(String, String)>,
}

impl BenchDb {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            name: "sqlite",
            url: format!("sqlite://{}", dir.path().join("bench.db").display()),
            _dir: Some(dir),
            postgres: None,
        }
    }

    async fn postgres() -> Option<Self> {
        let admin = std::env::var(PG_URL_ENV)
            .ok()
            .filter(|url| !url.is_empty())?;
        let name = format!("giftbuyer_bench_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("admin");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let _ = conn.close().await;
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        Some(Self {
            name: "postgres",
            url: format!("{base}/{name}"),
            _dir: None,
            postgres: Some((admin.clone(), name)),
        })
    }

    async fn drop_database(&self) {
        if let Some((admin, name)) = &self.postgres {
            let mut conn = sqlx::PgConnection::connect(admin).await.expect("admin");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop database");
            let _ = conn.close().await;
        }
    }
}

fn operation(seq: u32) -> Operation {
    Operation {
        account_id: AccountId::new(1 + i64::from(seq % 4)).expect("account"),
        recipient: Recipient::Channel(ChannelId::new(-1001000000001).expect("channel")),
        gift_id: GiftId::new(1 + i64::from(seq % 7)).expect("gift"),
        price: Stars::new(25),
        supply: 10_000,
    }
}

fn catalog(len: usize, round: i64) -> Vec<CatalogGift> {
    (1..=len)
        .map(|id| CatalogGift {
            id: i64::try_from(id).expect("small"),
            price: 25,
            limited: true,
            supply: Some(1_000_000),
            remaining: Some(1_000_000 - round),
            title: Some(format!("Gift {id}")),
            ..CatalogGift::default()
        })
        .collect()
}

fn bench_backend(c: &mut Criterion, runtime: &tokio::runtime::Runtime, db: &BenchDb) {
    let store = runtime.block_on(async {
        Store::connect(&db.url, MasterKey::from_bytes([7; 32]))
            .await
            .expect("connect")
    });
    let user: UserId = runtime.block_on(async {
        store
            .create_user(
                &Username::new("bench").expect("name"),
                "hash",
                UnixTime::default(),
            )
            .await
            .expect("user")
    });
    let now = UnixTime::from_secs(1_764_000_000).expect("time");

    let mut group = c.benchmark_group(format!("journal/{}", db.name));
    for n in OPERATIONS {
        let ops: Vec<Operation> = (0..n).map(operation).collect();
        group.throughput(Throughput::Elements(u64::from(n)));
        group.bench_with_input(BenchmarkId::new("begin_run", n), &ops, |b, ops| {
            b.iter(|| {
                runtime
                    .block_on(store.begin_run(user, black_box(ops), now))
                    .expect("begin run")
            });
        });
        group.bench_with_input(
            BenchmarkId::new("run_with_transitions", n),
            &ops,
            |b, ops| {
                b.iter(|| {
                    runtime.block_on(async {
                        let run_id = store.begin_run(user, ops, now).await.expect("begin run");
                        for seq in 0..n {
                            let key = JournalKey { run_id, seq };
                            for (from, to) in [
                                (JournalStatus::Planned, JournalStatus::Sending),
                                (JournalStatus::Sending, JournalStatus::Bought),
                            ] {
                                let moved = store.transition(key, from, to, None, now).await;
                                assert_eq!(moved, Ok(true));
                            }
                        }
                    })
                });
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group(format!("catalog/{}", db.name));
    let mut round: i64 = 0;
    for n in GIFTS {
        runtime.block_on(async {
            store
                .record_catalog(&catalog(n, round), now)
                .await
                .expect("seed")
        });
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("record_catalog", n), |b| {
            b.iter_batched(
                || {
                    round += 1;
                    (
                        catalog(n, round),
                        UnixTime::from_secs(now.secs() + round).expect("time"),
                    )
                },
                |(gifts, seen)| {
                    runtime
                        .block_on(store.record_catalog(&gifts, seen))
                        .expect("record")
                },
                criterion::BatchSize::SmallInput,
            );
        });
    }
    group.finish();
    runtime.block_on(store.close());
}

fn bench_store(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sqlite = BenchDb::sqlite();
    bench_backend(c, &runtime, &sqlite);
    if let Some(postgres) = runtime.block_on(BenchDb::postgres()) {
        bench_backend(c, &runtime, &postgres);
        runtime.block_on(postgres.drop_database());
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_store
}
criterion_main!(benches);
