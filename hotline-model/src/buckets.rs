//! The buckets the running totals of facts are kept in: Beijing days and Beijing months (hours
//! are numbered too, for ranges given in hours). A fact is added to its day and its month, so
//! that the sum over any range of whole days is read from a handful of rows: whole months, then
//! the whole days around them ([`cover`]; [`whole_days`] widens a range). A year's figures are
//! twelve rows per key, not 365.

use time::{Date, Month};

/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 3_600_000;

/// Beijing is eight hours ahead of UTC all year (no daylight saving time).
const BEIJING_HOURS: i64 = 8;

/// How coarse a bucket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    /// One UTC hour, numbered from the Unix epoch.
    Hour = 0,
    /// One Beijing day, numbered from 1970-01-01 (Beijing).
    Day = 1,
    /// One Beijing month, numbered as `year * 12 + month - 1`.
    Month = 2,
}

impl Grain {
    /// The grain's number as stored.
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// The hour a Unix ms time falls in.
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

/// The Beijing day an hour falls in.
pub fn day_of_hour(hour: i64) -> i64 {
    (hour + BEIJING_HOURS).div_euclid(24)
}

/// The first hour of a Beijing day.
pub fn day_start(day: i64) -> i64 {
    day * 24 - BEIJING_HOURS
}

fn date_of_day(day: i64) -> Date {
    // Day 0 is 1970-01-01; clamped to what `time` can represent.
    let jd = 2_440_588 + day;
    Date::from_julian_day(i32::try_from(jd).unwrap_or(i32::MAX)).unwrap_or(if jd < 0 {
        Date::MIN
    } else {
        Date::MAX
    })
}

/// The Beijing month a day falls in.
pub fn month_of_day(day: i64) -> i64 {
    let d = date_of_day(day);
    i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1
}

/// The first day of a month.
pub fn month_start(month: i64) -> i64 {
    let (y, m) = (month.div_euclid(12), month.rem_euclid(12) + 1);
    let d = Date::from_calendar_date(
        i32::try_from(y).unwrap_or(i32::MAX),
        Month::try_from(m as u8).unwrap_or(Month::January),
        1,
    )
    .unwrap_or(Date::MAX);
    i64::from(d.to_julian_day()) - 2_440_588
}

/// The bucket of `grain` holding `hour`.
pub fn bucket(grain: Grain, hour: i64) -> i64 {
    match grain {
        Grain::Hour => hour,
        Grain::Day => day_of_hour(hour),
        Grain::Month => month_of_day(day_of_hour(hour)),
    }
}

/// `[from_hour, to_hour)` widened to whole Beijing days: from the start of the day holding
/// `from_hour` to the end of the day holding the hour before `to_hour`.
pub fn whole_days(from_hour: i64, to_hour: i64) -> (i64, i64) {
    let from = day_start(day_of_hour(from_hour));
    let last = day_of_hour(to_hour - 1);
    (from, day_start(last + 1).max(from))
}

/// One piece of a cover: the buckets `[from, to)` of one grain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The grain.
    pub grain: Grain,
    /// First bucket.
    pub from: i64,
    /// End bucket (exclusive).
    pub to: i64,
}

/// The fewest buckets whose hours are exactly `[from_hour, to_hour)`: whole months in the middle,
/// whole days around them, hours at the ends. At most five pieces, none empty.
pub fn cover(from_hour: i64, to_hour: i64) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut push = |grain, from, to| {
        if from < to {
            out.push(Piece { grain, from, to });
        }
    };
    if from_hour >= to_hour {
        return out;
    }
    // Whole days: from the first day starting at or after `from_hour` to the day holding `to_hour`.
    let mut first_day = day_of_hour(from_hour);
    if day_start(first_day) < from_hour {
        first_day += 1;
    }
    let end_day = day_of_hour(to_hour);
    if first_day >= end_day {
        push(Grain::Hour, from_hour, to_hour);
        return out;
    }
    push(Grain::Hour, from_hour, day_start(first_day));
    let mut first_month = month_of_day(first_day);
    if month_start(first_month) < first_day {
        first_month += 1;
    }
    let end_month = month_of_day(end_day);
    if first_month < end_month {
        push(Grain::Day, first_day, month_start(first_month));
        push(Grain::Month, first_month, end_month);
        push(Grain::Day, month_start(end_month), end_day);
    } else {
        push(Grain::Day, first_day, end_day);
    }
    push(Grain::Hour, day_start(end_day), to_hour);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::{Period, PeriodKind};
    use time::macros::date;

    /// The hours a piece stands for.
    fn hours(p: &Piece) -> (i64, i64) {
        match p.grain {
            Grain::Hour => (p.from, p.to),
            Grain::Day => (day_start(p.from), day_start(p.to)),
            Grain::Month => (day_start(month_start(p.from)), day_start(month_start(p.to))),
        }
    }

    fn check(from: i64, to: i64) {
        let pieces = cover(from, to);
        assert!(pieces.len() <= 5, "{from}..{to}: {pieces:?}");
        let mut at = from;
        for p in &pieces {
            let (a, b) = hours(p);
            assert!(a < b, "empty piece {p:?}");
            assert_eq!(a, at, "{from}..{to}: {pieces:?}");
            at = b;
            // Every hour of the piece lies in the piece's buckets.
            assert_eq!(bucket(p.grain, a), p.from);
            assert_eq!(bucket(p.grain, b - 1), p.to - 1);
        }
        assert_eq!(at, to.max(from), "{from}..{to}: {pieces:?}");
    }

    #[test]
    fn a_cover_tiles_exactly_the_hours_asked_for_over_every_day_of_three_years() {
        let start = hour_of(
            Period::new(PeriodKind::Day, date!(2025 - 01 - 01), None)
                .expect("day")
                .range_ms()
                .0,
        );
        // Every start hour over three years, with ends a few hours, days, months and a year on.
        for h in (start..start + 3 * 366 * 24).step_by(5) {
            for len in [
                0,
                1,
                7,
                23,
                24,
                25,
                24 * 3 + 5,
                24 * 31,
                24 * 62 + 11,
                24 * 366,
            ] {
                check(h, h + len);
            }
        }
    }

    #[test]
    fn every_standard_period_is_covered_by_whole_days_or_months() {
        let mut d = date!(2025 - 01 - 01);
        while d <= date!(2027 - 12 - 31) {
            for kind in [
                PeriodKind::Day,
                PeriodKind::Week,
                PeriodKind::Month,
                PeriodKind::Year,
            ] {
                let (from, to) = Period::new(kind, d, None).expect("period").range_ms();
                let pieces = cover(hour_of(from), hour_of(to));
                assert!(
                    pieces.iter().all(|p| p.grain != Grain::Hour),
                    "{kind:?} {d}"
                );
                if matches!(kind, PeriodKind::Month | PeriodKind::Year) {
                    assert_eq!(pieces.len(), 1, "{kind:?} {d}: {pieces:?}");
                    assert_eq!(pieces[0].grain, Grain::Month);
                }
            }
            d = d.next_day().expect("next day");
        }
    }

    #[test]
    fn ranges_widen_to_whole_beijing_days() {
        let d = day_start(20_000);
        assert_eq!(whole_days(d, d + 24), (d, d + 24));
        assert_eq!(whole_days(d + 3, d + 5), (d, d + 24));
        assert_eq!(whole_days(d + 23, d + 25), (d, d + 48));
        assert_eq!(whole_days(d, d), (d, d));
        assert!(
            cover(
                whole_days(d + 5, d + 24 * 40 + 3).0,
                whole_days(d + 5, d + 24 * 40 + 3).1
            )
            .iter()
            .all(|p| p.grain != Grain::Hour)
        );
    }

    #[test]
    fn months_and_days_number_as_documented() {
        let (from, _) = Period::new(PeriodKind::Day, date!(1970 - 01 - 01), None)
            .expect("day")
            .range_ms();
        assert_eq!(day_of_hour(hour_of(from)), 0);
        assert_eq!(month_of_day(0), 1970 * 12);
        assert_eq!(month_start(1970 * 12 + 1), 31);
        assert_eq!(month_of_day(month_start(2028 * 12 + 1) + 28), 2028 * 12 + 1); // 29 Feb 2028
    }
}
