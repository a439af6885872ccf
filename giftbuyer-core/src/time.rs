//! `UnixTime`, a point in time in unix seconds, and its UTC calendar rendering for reports.

use std::fmt;

use crate::ValueError;

/// Seconds since the unix epoch, never negative.
///
/// The core never reads a clock: callers pass the current time in, which keeps the planner and
/// the reports deterministic and testable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(i64);

impl UnixTime {
    pub const fn from_secs(secs: i64) -> Result<Self, ValueError> {
        if secs >= 0 {
            Ok(Self(secs))
        } else {
            Err(ValueError::UnixTime(secs))
        }
    }

    pub const fn secs(self) -> i64 {
        self.0
    }
}

/// Renders as `2025-11-24 16:00:00 UTC`.
impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs_of_day = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            secs_of_day / 3600,
            secs_of_day / 60 % 60,
            secs_of_day % 60
        )
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// This is the well-known era-based conversion: shift the epoch to 0000-03-01 so that leap days
/// fall at the end of a year, split into 400-year eras, then read the year, day of year and
/// month arithmetically.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_utc_calendar_time() {
        let cases = [
            (0, "1970-01-01 00:00:00 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (1_764_000_000, "2025-11-24 16:00:00 UTC"),
            (4_107_542_399, "2100-02-28 23:59:59 UTC"),
        ];
        for (secs, text) in cases {
            assert_eq!(UnixTime::from_secs(secs).expect("valid").to_string(), text);
        }
    }

    #[test]
    fn refuses_negative_times() {
        assert_eq!(UnixTime::from_secs(-1), Err(ValueError::UnixTime(-1)));
    }
}
