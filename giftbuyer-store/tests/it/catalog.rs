//! The known catalog: diffs identical to the in-memory store's over long generated sequences,
//! remaining-count history, sold-out times, and recorders racing on one database.

use std::collections::HashMap;

use giftbuyer_core::ports::{CatalogStore as _, EngineStore, PanelStoreError, RemainingPoint};
use giftbuyer_core::{CatalogGift, GiftAuction, GiftId, StickerRef};
use giftbuyer_engine::MemoryStore;

use crate::support::{TestDb, at, on_every_backend};

fn limited(id: i64, remaining: Option<i64>) -> CatalogGift {
    CatalogGift {
        id,
        price: 25,
        limited: true,
        supply: Some(100),
        remaining,
        title: Some(format!("gift {id}")),
        ..CatalogGift::default()
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A catalog with repeats, invalid ids, unlimited gifts, Telegram's sold-out flag and gifts
/// that come back from zero.
fn random_catalog(rng: &mut Rng) -> Vec<CatalogGift> {
    let len = rng.below(10);
    (0..len)
        .map(|_| {
            let id = match rng.below(12) {
                0 => 0,
                1 => -3,
                n => i64::try_from(n).expect("small"),
            };
            let mut gift = limited(
                id,
                [None, Some(0), Some(1), Some(2), Some(50)][rng.below(5) as usize],
            );
            gift.limited = rng.below(6) != 0;
            gift.sold_out = rng.below(8) == 0;
            if rng.below(4) == 0 {
                gift.sticker = Some(StickerRef {
                    document_id: i64::try_from(rng.below(3)).expect("small") + 1,
                    access_hash: -7,
                    file_reference: vec![1, 2, 3],
                    dc_id: 4,
                    size: 1234,
                });
            }
            gift
        })
        .collect()
}

async fn diffs_match_the_memory_store(db: &TestDb) {
    let store = db.store().await;
    let memory = MemoryStore::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // The history the store must have: a point whenever a sighting changes the count.
    let mut last: HashMap<i64, Option<i64>> = HashMap::new();
    let mut expected_history: HashMap<i64, Vec<RemainingPoint>> = HashMap::new();
    for step in 0..60 {
        let catalog = random_catalog(&mut rng);
        let seen = at(1_000 + step);
        let expected = memory.record_catalog(&catalog, seen).await.expect("memory");
        let actual = store.record_catalog(&catalog, seen).await.expect("store");
        assert_eq!(actual, expected, "step {step}: {catalog:?}");
        for gift in catalog.iter().filter(|gift| gift.id > 0) {
            let previous = last.insert(gift.id, gift.remaining);
            if let (true, Some(remaining)) = (previous != Some(gift.remaining), gift.remaining) {
                let points = expected_history.entry(gift.id).or_default();
                match points.last_mut() {
                    Some(point) if point.at == seen => point.remaining = remaining,
                    _ => points.push(RemainingPoint {
                        at: seen,
                        remaining,
                    }),
                }
            }
        }
    }
    let mut known = store.known_gifts().await.expect("known");
    known.sort_by_key(|gift| gift.gift.id);
    let ids: Vec<GiftId> = known
        .iter()
        .map(|gift| GiftId::new(gift.gift.id).expect("valid"))
        .collect();
    assert_eq!(ids, memory.known_gifts());
    for gift in ids {
        let history = store.remaining_history(gift).await.expect("history");
        let expected = expected_history.remove(&gift.get()).unwrap_or_default();
        assert_eq!(history, expected, "gift {gift}");
    }
}

async fn first_run_seeds_then_reports_changes(db: &TestDb) {
    let store = db.store().await;
    // An empty first catalog still ends the first run.
    let diff = store.record_catalog(&[], at(1)).await.expect("seed");
    assert!(diff.first_run && diff.new_gifts.is_empty());
    let diff = store
        .record_catalog(&[limited(1, Some(10))], at(2))
        .await
        .expect("second");
    assert!(!diff.first_run);
    assert_eq!(diff.new_gifts, vec![limited(1, Some(10))]);

    let sticker = StickerRef {
        document_id: 77,
        access_hash: 5,
        file_reference: vec![9, 9],
        dc_id: 2,
        size: 4096,
    };
    let with_sticker = CatalogGift {
        sticker: Some(sticker.clone()),
        ..limited(1, Some(7))
    };
    let diff = store
        .record_catalog(&[with_sticker.clone(), limited(2, Some(3))], at(3))
        .await
        .expect("third");
    assert_eq!(diff.new_gifts, vec![limited(2, Some(3))]);
    assert_eq!(diff.sold_out, vec![]);
    store
        .set_sticker_cache_path(GiftId::new(1).expect("id"), "/cache/77.tgs")
        .await
        .expect("cache path");
    let missing = store
        .set_sticker_cache_path(GiftId::new(999).expect("id"), "/x")
        .await;
    assert_eq!(missing, Err(PanelStoreError::NotFound { what: "gift" }));

    let sold = CatalogGift {
        sticker: Some(sticker),
        ..limited(1, Some(0))
    };
    let diff = store
        .record_catalog(std::slice::from_ref(&sold), at(4))
        .await
        .expect("sold");
    assert_eq!(diff.sold_out, vec![GiftId::new(1).expect("id")]);
    let diff = store.record_catalog(&[sold], at(5)).await.expect("again");
    assert_eq!(diff.sold_out, vec![], "a sold-out gift is reported once");

    let known = store.known_gifts().await.expect("known");
    let gift = known.iter().find(|g| g.gift.id == 1).expect("gift 1");
    assert_eq!((gift.first_seen, gift.last_seen), (at(2), at(5)));
    assert_eq!(gift.sold_out_at, Some(at(4)));
    assert_eq!(gift.gift.sticker, with_sticker.sticker);
    assert_eq!(gift.gift.title.as_deref(), Some("gift 1"));
    assert_eq!(gift.sticker_cache_path.as_deref(), Some("/cache/77.tgs"));
    let history = store
        .remaining_history(GiftId::new(1).expect("id"))
        .await
        .expect("history");
    let points: Vec<(i64, i64)> = history.iter().map(|p| (p.at.secs(), p.remaining)).collect();
    assert_eq!(points, vec![(2, 10), (3, 7), (4, 0)]);

    // A new sticker document invalidates the cached file.
    let resticker = CatalogGift {
        sticker: Some(StickerRef {
            document_id: 78,
            ..StickerRef::default()
        }),
        ..limited(1, Some(0))
    };
    store
        .record_catalog(&[resticker], at(6))
        .await
        .expect("restickered");
    let known = store.known_gifts().await.expect("known");
    let gift = known.iter().find(|g| g.gift.id == 1).expect("gift 1");
    assert_eq!(gift.sticker_cache_path, None);

    // Hostile titles are stored cleaned instead of failing the whole catalog.
    let hostile = CatalogGift {
        title: Some(format!("bad\0{}", "t".repeat(1000))),
        ..limited(3, Some(1))
    };
    let diff = store
        .record_catalog(&[hostile], at(7))
        .await
        .expect("hostile");
    assert_eq!(diff.new_gifts.len(), 1);
}

/// Two instances recording the same new catalog at once: each new gift is reported once.
async fn racing_recorders_report_each_gift_once(db: &TestDb) {
    let first = db.store().await;
    let second = db.store().await;
    first.record_catalog(&[], at(1)).await.expect("seed");
    let catalog: Vec<CatalogGift> = (1..=40).map(|id| limited(id, Some(5))).collect();
    let mut reported = Vec::new();
    for round in 0..5 {
        let batch: Vec<CatalogGift> = catalog[..8 * (round + 1)].to_vec();
        let (a, b) = tokio::join!(
            first.record_catalog(&batch, at(10)),
            second.record_catalog(&batch, at(10)),
        );
        for diff in [a.expect("first"), b.expect("second")] {
            reported.extend(diff.new_gifts.into_iter().map(|gift| gift.id));
        }
    }
    reported.sort_unstable();
    assert_eq!(reported, (1..=40).collect::<Vec<_>>());
}

/// A gift sold by auction stays one when read back, so a manual purchase from the stored
/// catalog refuses it like the live one; a later sighting without the auction clears it.
async fn an_auction_gift_is_remembered_as_one(db: &TestDb) {
    let store = db.store().await;
    store.record_catalog(&[], at(1)).await.expect("seed");
    let auction = GiftAuction {
        slug: "plush-pepe".into(),
        gifts_per_round: 50,
        start_date: 1_800_000_000,
    };
    let listed = CatalogGift {
        auction: Some(auction.clone()),
        ..limited(4, Some(100))
    };
    let empty_slug = CatalogGift {
        auction: Some(GiftAuction::default()),
        ..limited(5, Some(100))
    };
    store
        .record_catalog(&[listed, empty_slug, limited(6, Some(1))], at(2))
        .await
        .expect("recorded");
    let known = store.known_gifts().await.expect("known");
    let auction_of = |id: i64| {
        known
            .iter()
            .find(|gift| gift.gift.id == id)
            .map(|gift| gift.gift.auction.clone())
            .expect("known gift")
    };
    assert_eq!(auction_of(4), Some(auction));
    assert_eq!(auction_of(5), Some(GiftAuction::default()));
    assert_eq!(auction_of(6), None);

    store
        .record_catalog(&[limited(4, Some(100))], at(3))
        .await
        .expect("again");
    let known = store.known_gifts().await.expect("known");
    let gift = known.iter().find(|gift| gift.gift.id == 4).expect("gift 4");
    assert_eq!(gift.gift.auction, None);
}

/// The birthday flag, a kind exclude lists select on, is kept with the known catalog and
/// follows the latest sighting.
async fn the_birthday_flag_is_remembered(db: &TestDb) {
    let store = db.store().await;
    store.record_catalog(&[], at(1)).await.expect("seed");
    let cake = CatalogGift {
        birthday: true,
        ..limited(4, Some(100))
    };
    let diff = store
        .record_catalog(&[cake.clone(), limited(5, Some(100))], at(2))
        .await
        .expect("recorded");
    assert!(diff.new_gifts[0].birthday);
    let birthday_of = |known: &[giftbuyer_core::ports::KnownGift], id: i64| {
        known
            .iter()
            .find(|gift| gift.gift.id == id)
            .map(|gift| gift.gift.birthday)
            .expect("known gift")
    };
    let known = store.known_gifts().await.expect("known");
    assert!(birthday_of(&known, 4));
    assert!(!birthday_of(&known, 5));
    store
        .record_catalog(&[limited(4, Some(100))], at(3))
        .await
        .expect("again");
    assert!(!birthday_of(&store.known_gifts().await.expect("known"), 4));
}

on_every_backend!(
    the_birthday_flag_is_remembered,
    an_auction_gift_is_remembered_as_one,
    diffs_match_the_memory_store,
    first_run_seeds_then_reports_changes,
    racing_recorders_report_each_gift_once,
);
