//! Competing buyers: how fast the rest of Telegram empties a limited drop, calibrated on real
//! drops.

use std::time::Duration;

/// How the other buyers behave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompetitorConfig {
    /// How long after a release the first competing purchases land.
    pub reaction: Duration,
    /// The shape of the sales curve: the share sold after a fraction `x` of the selling window
    /// is `1 - (1 - x)^curve`. At least 1; 1 is a steady pace, 2 (the default) starts at twice
    /// the average pace and slows to nothing, as the rush of a real drop does.
    pub curve: f64,
}

impl Default for CompetitorConfig {
    fn default() -> Self {
        Self {
            reaction: Duration::from_millis(300),
            curve: 2.0,
        }
    }
}

impl CompetitorConfig {
    /// Whether the curve is a number the drain can use.
    pub fn curve_is_valid(&self) -> bool {
        self.curve.is_finite() && (1.0..=16.0).contains(&self.curve)
    }
}

/// Real drops: (copies, seconds until the last copy sold). The prices were 30000, 10000, 5000,
/// 1000 and 200 stars; cheaper gifts come in larger supplies and draw more buyers, which is why
/// the time grows faster than the supply.
const REAL_DROPS: [(f64, f64); 5] = [
    (5_000.0, 12.0),
    (12_000.0, 30.0),
    (15_000.0, 48.0),
    (120_000.0, 300.0),
    (600_000.0, 2_220.0),
];

/// The shortest and longest sell-out the extrapolation may give: a handful of copies is gone in
/// well under a second, and no realistic drop lasts longer than a day.
const FASTEST: Duration = Duration::from_millis(200);
const SLOWEST: Duration = Duration::from_secs(86_400);

/// How long a drop of `supply` copies takes to sell out, from its release.
///
/// The real drops lie close to a power law, so this interpolates linearly between them in
/// log-log space, and extrapolates outside them with the slope of the nearest segment. The
/// result is rounded to the millisecond; the table's supplies give the table's times exactly.
pub fn sellout_time(supply: u64) -> Duration {
    if supply == 0 {
        return Duration::ZERO;
    }
    let supply_f = supply as f64;
    if let Some(&(_, secs)) = REAL_DROPS.iter().find(|&&(copies, _)| copies == supply_f) {
        return Duration::from_secs_f64(secs);
    }
    // The segment that contains the supply, or the first or last one to extrapolate.
    let index = REAL_DROPS
        .windows(2)
        .position(|pair| supply_f < pair[1].0)
        .unwrap_or(REAL_DROPS.len() - 2);
    let (x0, y0) = REAL_DROPS[index];
    let (x1, y1) = REAL_DROPS[index + 1];
    let slope = (y1.ln() - y0.ln()) / (x1.ln() - x0.ln());
    let secs = (y0.ln() + slope * (supply_f.ln() - x0.ln())).exp();
    let millis = (secs * 1000.0).round();
    Duration::from_millis(millis as u64).clamp(FASTEST, SLOWEST)
}

/// The competitors' purchases of one gift over time: nothing before `start`, then a concave
/// curve that reaches `copies` at `end` exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Drain {
    pub(crate) start: Duration,
    pub(crate) end: Duration,
    pub(crate) copies: u64,
    pub(crate) curve: f64,
}

impl Drain {
    /// How many copies competitors want by `now`; the market caps it by what is left.
    ///
    /// When the reaction comes after the sell-out time, `end` equals `start` and everything
    /// goes at once when the competitors arrive.
    pub(crate) fn demand_at(&self, now: Duration) -> u64 {
        if now < self.start {
            return 0;
        }
        if now >= self.end {
            return self.copies;
        }
        let window = (self.end - self.start).as_secs_f64();
        let x = (now - self.start).as_secs_f64() / window;
        let share = 1.0 - (1.0 - x).powf(self.curve);
        // Before the end the floor keeps at least one copy back, so the last copy goes at
        // exactly `end` and not a rounding error earlier.
        ((self.copies as f64 * share).floor() as u64).min(self.copies.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_gives_the_real_drops_exactly() {
        let cases = [
            (5_000, 12),
            (12_000, 30),
            (15_000, 48),
            (120_000, 300),
            (600_000, 37 * 60),
        ];
        for (supply, secs) in cases {
            assert_eq!(sellout_time(supply), Duration::from_secs(secs), "{supply}");
        }
    }

    #[test]
    fn calibration_grows_with_supply_between_and_beyond_the_table() {
        let supplies = [
            1, 10, 100, 1_000, 4_999, 5_001, 8_000, 13_000, 50_000, 300_000, 600_001, 2_000_000,
        ];
        let times: Vec<Duration> = supplies.iter().map(|&s| sellout_time(s)).collect();
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
        assert!(sellout_time(8_000) > Duration::from_secs(12));
        assert!(sellout_time(8_000) < Duration::from_secs(30));
        assert_eq!(sellout_time(1), FASTEST);
        assert_eq!(sellout_time(0), Duration::ZERO);
        assert!(sellout_time(u64::MAX) <= SLOWEST);
    }

    #[test]
    fn the_drain_is_fast_first_then_slow_and_ends_on_time() {
        let drain = Drain {
            start: Duration::from_secs(1),
            end: Duration::from_secs(11),
            copies: 1000,
            curve: 2.0,
        };
        let at = |ms| drain.demand_at(Duration::from_millis(ms));
        assert_eq!(at(999), 0);
        assert_eq!(at(1000), 0);
        assert_eq!(at(6000), 750);
        assert!(at(2000) - at(1000) > at(11000) - at(10000));
        assert_eq!(at(10_999), 999);
        assert_eq!(at(11_000), 1000);
        assert_eq!(at(50_000), 1000);
        let mut previous = 0;
        for ms in (0..12_000).step_by(7) {
            let now = at(ms);
            assert!(now >= previous);
            previous = now;
        }
    }

    #[test]
    fn a_late_reaction_sells_everything_at_once() {
        let drain = Drain {
            start: Duration::from_secs(5),
            end: Duration::from_secs(5),
            copies: 10,
            curve: 2.0,
        };
        assert_eq!(drain.demand_at(Duration::from_millis(4999)), 0);
        assert_eq!(drain.demand_at(Duration::from_secs(5)), 10);
    }
}
