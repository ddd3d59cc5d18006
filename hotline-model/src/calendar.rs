//! The working-day calendar (工作日历): official holidays and make-up workdays, loaded as data.
//!
//! Deadlines (时限) of the hotline are counted in working days and office hours. Which days are worked is
//! decided each year by the State Council's holiday notice, so the calendar is data (see
//! `deploy/seed/calendar.toml`), never logic: a year lists its weekday holidays and its weekend make-up
//! workdays (调休上班), and the file gives the office hours and the offset of local time from UTC.
//!
//! Everything here is pure: instants come in and go out as unix milliseconds (UTC); local dates and
//! times are derived with the calendar's fixed UTC offset (no daylight saving in China).
//!
//! Rules, in one place:
//! - A date is a **workday** if its year is covered by the data and it is a make-up workday, or it is a
//!   Monday–Friday that is not a listed holiday. For a year **not covered** by the data, every
//!   Monday–Friday is a workday and every weekend day is not (callers should check [`WorkCalendar::covers`]
//!   and load the next year's notice in time).
//! - **Office time** is the union of the morning and afternoon periods of every workday, each period
//!   half-open `[open, close)`.
//! - [`TimeLimit::WorkingDays`]`(n)`: counting starts on the first workday *after* the start's local date,
//!   whatever the time of day; the order is due at the end of office hours (afternoon close) of the n-th
//!   workday after the start date. An order taken at 17:50 on the Friday before a holiday therefore counts
//!   from the first workday after the holiday. `WorkingDays(0)` behaves like [`TimeLimit::SameDay`].
//! - [`TimeLimit::SameDay`]: due at today's afternoon close if today is a workday and the start is before
//!   that close; otherwise at the afternoon close of the next workday.
//! - [`TimeLimit::WorkingHours`]`(h)`: h hours of office time are added to the start; a start outside
//!   office time begins at the next opening. When the time runs out exactly at a closing time, the due
//!   instant is that closing time (not the next opening).
//!
//! Why one file of this length: half of it is the tests of every day of the official calendars.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Date, Month, Weekday};

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_DAY: i64 = 86_400_000;
/// Julian day number of 1970-01-01, the unix epoch.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// How long a unit has for an order, as configured per request type and urgency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TimeLimit {
    /// Due at the end of office hours of the n-th workday after the start date.
    WorkingDays(u32),
    /// Due after this many hours of office time from the start.
    WorkingHours(u32),
    /// Due at the end of today's office hours, or of the next workday's when today is over or not worked.
    SameDay,
}

/// Why a calendar file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar file is not valid TOML for the calendar format: {message}")]
    Parse { message: String },
    #[error("year {year}: {text:?} is not a real date written as MM-DD")]
    BadDate { year: i32, text: String },
    #[error("year {year} is listed more than once")]
    DuplicateYear { year: i32 },
    #[error("{date} is listed twice in year {year}")]
    DuplicateDate { year: i32, date: Date },
    #[error("holiday {date} falls on a {weekday}; only weekdays are listed as holidays")]
    HolidayOnWeekend { date: Date, weekday: Weekday },
    #[error(
        "make-up workday {date} falls on a {weekday}; make-up workdays are Saturdays or Sundays"
    )]
    MakeupNotWeekend { date: Date, weekday: Weekday },
    #[error("{text:?} is not a time of day written as HH:MM")]
    BadTime { text: String },
    #[error(
        "office hours must be ordered morning open < morning close <= afternoon open < afternoon close, got {morning:?} and {afternoon:?}"
    )]
    HoursNotOrdered {
        morning: [String; 2],
        afternoon: [String; 2],
    },
    #[error("UTC offset {hours} h is outside -12..=14")]
    BadOffset { hours: i32 },
}

/// The file format of `deploy/seed/calendar.toml`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    year: Vec<YearFile>,
    office_hours: OfficeHoursFile,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    makeup_workdays: Vec<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct OfficeHoursFile {
    morning: [String; 2],
    afternoon: [String; 2],
    utc_offset_hours: i32,
}

/// Official workdays and office hours, loaded from data. See the module docs for the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeSet<i32>,
    holidays: BTreeSet<Date>,
    makeup_workdays: BTreeSet<Date>,
    /// The same dates as day numbers (days since 1970-01-01), sorted: deadline arithmetic asks about
    /// a day at every step, and a binary search over numbers beats a tree of dates.
    holiday_days: Vec<i64>,
    makeup_days: Vec<i64>,
    /// Office periods of a workday, in milliseconds after local midnight, `[open, close)`, ordered.
    periods: [(i64, i64); 2],
    offset_ms: i64,
}

impl WorkCalendar {
    /// Loads and validates a calendar in the `calendar.toml` format:
    ///
    /// ```toml
    /// [[year]]
    /// year = 2026
    /// holidays = ["01-01", "01-02"]     # weekdays off, MM-DD
    /// makeup_workdays = ["01-04"]       # weekend days worked, MM-DD
    /// [office_hours]
    /// morning = ["09:00", "12:00"]
    /// afternoon = ["13:30", "17:30"]
    /// utc_offset_hours = 8
    /// ```
    ///
    /// Rejects unknown keys, dates that do not exist, holidays on a weekend, make-up days on a weekday,
    /// a year or a date listed twice, malformed or unordered office hours and offsets outside -12..=14.
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let file: CalendarFile = toml::from_str(text).map_err(|e| CalendarError::Parse {
            message: e.to_string(),
        })?;
        let mut years = BTreeSet::new();
        let mut holidays = BTreeSet::new();
        let mut makeup_workdays = BTreeSet::new();
        for y in &file.year {
            if !years.insert(y.year) {
                return Err(CalendarError::DuplicateYear { year: y.year });
            }
            for text in &y.holidays {
                let date = parse_month_day(y.year, text)?;
                let weekday = date.weekday();
                if is_weekend(weekday) {
                    return Err(CalendarError::HolidayOnWeekend { date, weekday });
                }
                if !holidays.insert(date) {
                    return Err(CalendarError::DuplicateDate { year: y.year, date });
                }
            }
            for text in &y.makeup_workdays {
                let date = parse_month_day(y.year, text)?;
                let weekday = date.weekday();
                if !is_weekend(weekday) {
                    return Err(CalendarError::MakeupNotWeekend { date, weekday });
                }
                if !makeup_workdays.insert(date) {
                    return Err(CalendarError::DuplicateDate { year: y.year, date });
                }
            }
        }
        let hours = &file.office_hours;
        let m0 = parse_clock(&hours.morning[0])?;
        let m1 = parse_clock(&hours.morning[1])?;
        let a0 = parse_clock(&hours.afternoon[0])?;
        let a1 = parse_clock(&hours.afternoon[1])?;
        if !(m0 < m1 && m1 <= a0 && a0 < a1) {
            return Err(CalendarError::HoursNotOrdered {
                morning: hours.morning.clone(),
                afternoon: hours.afternoon.clone(),
            });
        }
        if !(-12..=14).contains(&hours.utc_offset_hours) {
            return Err(CalendarError::BadOffset {
                hours: hours.utc_offset_hours,
            });
        }
        Ok(Self {
            years,
            holiday_days: holidays.iter().map(|d| date_to_day(*d)).collect(),
            makeup_days: makeup_workdays.iter().map(|d| date_to_day(*d)).collect(),
            holidays,
            makeup_workdays,
            periods: [(m0, m1), (a0, a1)],
            offset_ms: i64::from(hours.utc_offset_hours) * MS_PER_HOUR,
        })
    }

    /// A stand-in for a node that has not received its calendar yet: no year listed, and the whole
    /// day as office hours (so no computation can stall). Nothing should be due against it.
    pub fn unloaded() -> Self {
        Self {
            years: BTreeSet::new(),
            holidays: BTreeSet::new(),
            makeup_workdays: BTreeSet::new(),
            holiday_days: Vec::new(),
            makeup_days: Vec::new(),
            periods: [(0, 12 * MS_PER_HOUR), (12 * MS_PER_HOUR, 24 * MS_PER_HOUR)],
            offset_ms: 0,
        }
    }

    /// Years whose holiday notice should be loaded by `now_ms` (unix ms) but is not: this year,
    /// and from November on (when the State Council publishes it) next year too.
    pub fn missing_years(&self, now_ms: i64) -> Vec<i32> {
        let local_day = now_ms.saturating_add(self.offset_ms).div_euclid(MS_PER_DAY);
        let Some(today) = day_to_date(local_day) else {
            return Vec::new();
        };
        let mut due = vec![today.year()];
        if today.month() >= time::Month::November {
            due.push(today.year() + 1);
        }
        due.retain(|y| !self.covers(*y));
        due
    }

    /// The local calendar month `year`-`month` as Unix ms `[from, to)`; None for an invalid month.
    pub fn month_bounds(&self, year: i32, month: u8) -> Option<(i64, i64)> {
        let m = time::Month::try_from(month).ok()?;
        let first = Date::from_calendar_date(year, m, 1).ok()?;
        let next = match m {
            time::Month::December => Date::from_calendar_date(year + 1, time::Month::January, 1),
            _ => Date::from_calendar_date(year, m.next(), 1),
        }
        .ok()?;
        let at = |d: Date| date_to_day(d) * MS_PER_DAY - self.offset_ms;
        Some((at(first), at(next)))
    }

    /// The local month (year, month) of the instant `ms`.
    pub fn month_of(&self, ms: i64) -> Option<(i32, u8)> {
        let d = day_to_date(ms.saturating_add(self.offset_ms).div_euclid(MS_PER_DAY))?;
        Some((d.year(), u8::from(d.month())))
    }

    /// Whether the data lists this year (its holidays and make-up days are known).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The years the data lists, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether `date` is worked. Covered years follow the data; in years not covered, Monday–Friday is
    /// worked and the weekend is not.
    pub fn is_workday(&self, date: Date) -> bool {
        if self.makeup_workdays.contains(&date) {
            return true;
        }
        !is_weekend(date.weekday()) && !self.holidays.contains(&date)
    }

    /// The n-th workday strictly after `date` (`n = 0` returns `date` itself, worked or not).
    /// Dates beyond the end of `time::Date`'s range saturate at its last day.
    pub fn nth_workday_after(&self, date: Date, n: u32) -> Date {
        let day = self.nth_workday_after_day(date_to_day(date), n);
        day_to_date(day).unwrap_or(Date::MAX)
    }

    /// The instant (unix ms) by which an order started at `start_ms` (unix ms) is due under `limit`.
    /// See the module docs for the exact rules.
    pub fn due_at(&self, start_ms: i64, limit: TimeLimit) -> i64 {
        let local = start_ms.saturating_add(self.offset_ms);
        let day = local.div_euclid(MS_PER_DAY);
        match limit {
            TimeLimit::WorkingDays(0) | TimeLimit::SameDay => {
                let close = self.periods[1].1;
                let due_day = if self.is_workday_day(day) && local.rem_euclid(MS_PER_DAY) < close {
                    day
                } else {
                    self.nth_workday_after_day(day, 1)
                };
                self.to_utc(due_day, close)
            }
            TimeLimit::WorkingDays(n) => {
                let due_day = self.nth_workday_after_day(day, n);
                self.to_utc(due_day, self.periods[1].1)
            }
            TimeLimit::WorkingHours(h) => {
                self.add_office_time(start_ms, i64::from(h) * MS_PER_HOUR)
            }
        }
    }

    /// Minutes of office time in one workday.
    pub fn office_minutes_per_day(&self) -> i64 {
        self.periods.iter().map(|(o, c)| c - o).sum::<i64>() / MS_PER_MINUTE
    }

    /// Whole minutes of office time elapsed between two instants (unix ms), e.g. to urge at 80 % of a
    /// limit or check a signing limit in working hours. Sub-minute remainders are dropped. The result is
    /// negative when `to_ms` is before `from_ms` (minus the minutes from `to_ms` to `from_ms`).
    pub fn working_minutes_between(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms < from_ms {
            return -self.working_minutes_between(to_ms, from_ms);
        }
        self.office_ms_between(from_ms, to_ms) / MS_PER_MINUTE
    }

    /// Milliseconds of office time in `[from_ms, to_ms)`, `from_ms <= to_ms`.
    fn office_ms_between(&self, from_ms: i64, to_ms: i64) -> i64 {
        let from = from_ms.saturating_add(self.offset_ms);
        let to = to_ms.saturating_add(self.offset_ms);
        let mut total = 0;
        let mut day = from.div_euclid(MS_PER_DAY);
        let last_day = to.div_euclid(MS_PER_DAY);
        while day <= last_day {
            if self.is_workday_day(day) {
                let midnight = day * MS_PER_DAY;
                for (open, close) in self.periods {
                    let start = from.max(midnight + open);
                    let end = to.min(midnight + close);
                    if end > start {
                        total += end - start;
                    }
                }
            }
            day += 1;
        }
        total
    }

    /// The instant reached after `amount_ms` of office time from `start_ms`; a start outside office
    /// time begins at the next opening.
    pub fn add_office_time(&self, start_ms: i64, amount_ms: i64) -> i64 {
        let mut cursor = start_ms.saturating_add(self.offset_ms);
        let mut remaining = amount_ms;
        loop {
            let day = cursor.div_euclid(MS_PER_DAY);
            let midnight = day * MS_PER_DAY;
            if self.is_workday_day(day) {
                for (open, close) in self.periods {
                    let period_end = midnight + close;
                    if cursor >= period_end {
                        continue;
                    }
                    let begin = cursor.max(midnight + open);
                    let available = period_end - begin;
                    if remaining <= available {
                        return begin + remaining - self.offset_ms;
                    }
                    remaining -= available;
                    cursor = period_end;
                }
            }
            cursor = midnight + MS_PER_DAY;
        }
    }

    /// Unix ms of `ms_after_midnight` local time on local day number `day`.
    fn to_utc(&self, day: i64, ms_after_midnight: i64) -> i64 {
        day * MS_PER_DAY + ms_after_midnight - self.offset_ms
    }

    fn nth_workday_after_day(&self, start: i64, n: u32) -> i64 {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day += 1;
            if self.is_workday_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// [`Self::is_workday`] on a day number (days since 1970-01-01); days outside `time::Date`'s range
    /// follow the Monday–Friday rule.
    fn is_workday_day(&self, day: i64) -> bool {
        // 1970-01-01 was a Thursday: day 0 has index 3 with Monday = 0. Holidays are weekdays and
        // make-up days weekend days (checked at load), so each list is asked only on its side.
        if (day + 3).rem_euclid(7) < 5 {
            self.holiday_days.binary_search(&day).is_err()
        } else {
            self.makeup_days.binary_search(&day).is_ok()
        }
    }
}

fn is_weekend(weekday: Weekday) -> bool {
    matches!(weekday, Weekday::Saturday | Weekday::Sunday)
}

fn date_to_day(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

fn day_to_date(day: i64) -> Option<Date> {
    let julian = i32::try_from(day.checked_add(UNIX_EPOCH_JULIAN_DAY)?).ok()?;
    Date::from_julian_day(julian).ok()
}

/// Parses `MM-DD` in `year` into a real date.
fn parse_month_day(year: i32, text: &str) -> Result<Date, CalendarError> {
    let bad = || CalendarError::BadDate {
        year,
        text: text.to_owned(),
    };
    let (month, day) = text.split_once('-').ok_or_else(bad)?;
    let month = parse_two_digits(month).ok_or_else(bad)?;
    let day = parse_two_digits(day).ok_or_else(bad)?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// Parses `HH:MM` into milliseconds after midnight.
fn parse_clock(text: &str) -> Result<i64, CalendarError> {
    let bad = || CalendarError::BadTime {
        text: text.to_owned(),
    };
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let hours = parse_two_digits(hours).ok_or_else(bad)?;
    let minutes = parse_two_digits(minutes).ok_or_else(bad)?;
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    Ok(i64::from(hours) * MS_PER_HOUR + i64::from(minutes) * MS_PER_MINUTE)
}

fn parse_two_digits(text: &str) -> Option<u8> {
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    const SEED: &str = include_str!("../../deploy/seed/calendar.toml");

    /// The official table, year by year (weekday holidays | make-up workdays), written out here
    /// independently of the seed file so the two are checked against each other.
    const FACTS: [(i32, &str, &str); 3] = [
        (
            2024,
            "01-01 02-12 02-13 02-14 02-15 02-16 04-04 04-05 05-01 05-02 05-03 06-10 09-16 09-17 10-01 10-02 10-03 10-04 10-07",
            "02-04 02-18 04-07 04-28 05-11 09-14 09-29 10-12",
        ),
        (
            2025,
            "01-01 01-28 01-29 01-30 01-31 02-03 02-04 04-04 05-01 05-02 05-05 06-02 10-01 10-02 10-03 10-06 10-07 10-08",
            "01-26 02-08 04-27 09-28 10-11",
        ),
        (
            2026,
            "01-01 01-02 02-16 02-17 02-18 02-19 02-20 02-23 04-06 05-01 05-04 05-05 06-19 09-25 10-01 10-02 10-05 10-06 10-07",
            "01-04 02-14 02-28 05-09 09-20 10-10",
        ),
    ];

    fn seed() -> WorkCalendar {
        WorkCalendar::from_toml(SEED).expect("the seed calendar loads")
    }

    /// Unix ms of a local (UTC+8) wall-clock time.
    fn local(dt: time::PrimitiveDateTime) -> i64 {
        let utc = dt.assume_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"));
        (utc.unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn with_years(years: &str) -> String {
        format!(
            "{years}\n[office_hours]\nmorning = [\"09:00\", \"12:00\"]\nafternoon = [\"13:30\", \"17:30\"]\nutc_offset_hours = 8\n"
        )
    }

    #[test]
    fn make_up_workdays_of_2026_are_worked() {
        let cal = seed();
        assert_eq!(date!(2026 - 01 - 04).weekday(), Weekday::Sunday);
        assert!(cal.is_workday(date!(2026 - 01 - 04)));
        assert!(
            !cal.is_workday(date!(2026 - 01 - 03)),
            "an ordinary Saturday"
        );
        assert!(!cal.is_workday(date!(2026 - 01 - 01)));
        assert!(!cal.is_workday(date!(2026 - 01 - 02)));
        assert!(
            cal.is_workday(date!(2026 - 02 - 14)),
            "Saturday before 春节"
        );
        assert!(cal.is_workday(date!(2026 - 02 - 28)));
        // New Year's Eve (a Wednesday): the next workday is the make-up Sunday.
        assert_eq!(
            cal.nth_workday_after(date!(2025 - 12 - 31), 1),
            date!(2026 - 01 - 04)
        );
    }

    #[test]
    fn national_day_2026() {
        let cal = seed();
        for day in 1..=7 {
            let d = Date::from_calendar_date(2026, Month::October, day).expect("date");
            assert!(!cal.is_workday(d), "{d} is off");
        }
        assert!(cal.is_workday(date!(2026 - 10 - 08)));
        assert!(cal.is_workday(date!(2026 - 10 - 09)));
        assert_eq!(date!(2026 - 10 - 10).weekday(), Weekday::Saturday);
        assert!(cal.is_workday(date!(2026 - 10 - 10)));
        assert!(!cal.is_workday(date!(2026 - 10 - 11)));
        assert_eq!(
            cal.nth_workday_after(date!(2026 - 09 - 30), 1),
            date!(2026 - 10 - 08)
        );
        assert_eq!(
            cal.nth_workday_after(date!(2026 - 09 - 30), 3),
            date!(2026 - 10 - 10)
        );
        assert_eq!(
            cal.nth_workday_after(date!(2026 - 09 - 30), 4),
            date!(2026 - 10 - 12)
        );
        assert_eq!(
            cal.nth_workday_after(date!(2026 - 09 - 30), 0),
            date!(2026 - 09 - 30)
        );
    }

    #[test]
    fn friday_evening_before_a_holiday_counts_from_the_next_workday() {
        let cal = seed();
        // 2026-04-03 is the Friday before 清明 (Monday 04-06 off).
        let start = local(datetime!(2026-04-03 17:50));
        assert_eq!(
            cal.due_at(start, TimeLimit::WorkingDays(2)),
            local(datetime!(2026-04-08 17:30))
        );
        // The same order earlier that Friday counts the same way: the start date is the anchor.
        assert_eq!(
            cal.due_at(
                local(datetime!(2026-04-03 10:00)),
                TimeLimit::WorkingDays(2)
            ),
            local(datetime!(2026-04-08 17:30))
        );
        // Friday before 春节 2026: Saturday 02-14 is worked, then nothing until Tuesday 02-24.
        let start = local(datetime!(2026-02-13 17:50));
        assert_eq!(
            cal.due_at(start, TimeLimit::WorkingDays(1)),
            local(datetime!(2026-02-14 17:30))
        );
        assert_eq!(
            cal.due_at(start, TimeLimit::WorkingDays(2)),
            local(datetime!(2026-02-24 17:30))
        );
        // A 15-day complaint taken on the eve of 国庆 2026.
        assert_eq!(
            cal.due_at(
                local(datetime!(2026-09-30 17:50)),
                TimeLimit::WorkingDays(15)
            ),
            local(datetime!(2026-10-27 17:30))
        );
    }

    #[test]
    fn same_day_limits() {
        let cal = seed();
        // Tuesday 2026-11-24.
        assert_eq!(
            cal.due_at(local(datetime!(2026-11-24 10:00)), TimeLimit::SameDay),
            local(datetime!(2026-11-24 17:30))
        );
        assert_eq!(
            cal.due_at(local(datetime!(2026-11-24 07:00)), TimeLimit::SameDay),
            local(datetime!(2026-11-24 17:30))
        );
        assert_eq!(
            cal.due_at(local(datetime!(2026-11-24 18:00)), TimeLimit::SameDay),
            local(datetime!(2026-11-25 17:30))
        );
        assert_eq!(
            cal.due_at(local(datetime!(2026-11-24 17:30)), TimeLimit::SameDay),
            local(datetime!(2026-11-25 17:30)),
            "closing time itself is after closing"
        );
        // After closing on the last day before 国庆: due on 10-08.
        assert_eq!(
            cal.due_at(local(datetime!(2026-09-30 19:00)), TimeLimit::SameDay),
            local(datetime!(2026-10-08 17:30))
        );
        // On a Sunday morning: Monday.
        assert_eq!(
            cal.due_at(local(datetime!(2026-11-29 09:30)), TimeLimit::SameDay),
            local(datetime!(2026-11-30 17:30))
        );
        assert_eq!(
            cal.due_at(
                local(datetime!(2026-11-24 18:00)),
                TimeLimit::WorkingDays(0)
            ),
            cal.due_at(local(datetime!(2026-11-24 18:00)), TimeLimit::SameDay)
        );
    }

    #[test]
    fn working_hours_across_lunch_night_and_weekend() {
        let cal = seed();
        let due = |start, h| cal.due_at(local(start), TimeLimit::WorkingHours(h));
        // Lunch: 11:00–12:00 then 13:30–14:30.
        assert_eq!(
            due(datetime!(2026-11-24 11:00), 2),
            local(datetime!(2026-11-24 14:30))
        );
        // Overnight: 16:30–17:30 then 09:00–11:00.
        assert_eq!(
            due(datetime!(2026-11-24 16:30), 3),
            local(datetime!(2026-11-25 11:00))
        );
        // Weekend: Friday 17:00–17:30, Monday 09:00–12:00, 13:30–14:00.
        assert_eq!(
            due(datetime!(2026-11-27 17:00), 4),
            local(datetime!(2026-11-30 14:00))
        );
        // A start outside office time begins at the next opening.
        assert_eq!(
            due(datetime!(2026-11-28 10:00), 1),
            local(datetime!(2026-11-30 10:00))
        );
        assert_eq!(
            due(datetime!(2026-11-24 12:15), 1),
            local(datetime!(2026-11-24 14:30))
        );
        assert_eq!(
            due(datetime!(2026-11-24 06:00), 2),
            local(datetime!(2026-11-24 11:00))
        );
        // Running out exactly at closing time gives the closing time.
        assert_eq!(
            due(datetime!(2026-11-24 13:30), 4),
            local(datetime!(2026-11-24 17:30))
        );
        assert_eq!(
            due(datetime!(2026-11-24 09:00), 3),
            local(datetime!(2026-11-24 12:00))
        );
        // Over 国庆 2026: Wednesday 09-30 16:30 + 2 h ends on Thursday 10-08 10:00.
        assert_eq!(
            due(datetime!(2026-09-30 16:30), 2),
            local(datetime!(2026-10-08 10:00))
        );
    }

    #[test]
    fn working_minutes_between_known_spans() {
        let cal = seed();
        let mins = |a, b| cal.working_minutes_between(local(a), local(b));
        assert_eq!(
            mins(datetime!(2026-11-24 09:00), datetime!(2026-11-24 17:30)),
            420
        );
        assert_eq!(
            mins(datetime!(2026-11-24 00:00), datetime!(2026-11-25 00:00)),
            420
        );
        assert_eq!(
            mins(datetime!(2026-11-24 11:30), datetime!(2026-11-24 14:00)),
            60
        );
        assert_eq!(
            mins(datetime!(2026-11-28 08:00), datetime!(2026-11-29 20:00)),
            0,
            "weekend"
        );
        assert_eq!(
            mins(datetime!(2026-11-27 17:00), datetime!(2026-11-30 09:10)),
            40
        );
        assert_eq!(
            mins(datetime!(2026-11-24 14:00), datetime!(2026-11-24 11:30)),
            -60
        );
        // 国庆 2026: of 10-01..10-11 only 10-08, 10-09 and Saturday 10-10 are worked.
        assert_eq!(
            mins(datetime!(2026-10-01 00:00), datetime!(2026-10-12 00:00)),
            3 * 420
        );
        // Sub-minute remainders are dropped.
        let start = local(datetime!(2026-11-24 09:00));
        assert_eq!(cal.working_minutes_between(start, start + 59_999), 0);
        assert_eq!(cal.working_minutes_between(start, start + 60_000), 1);
    }

    #[test]
    fn seed_file_matches_the_official_table() {
        let cal = seed();
        for (year, holidays, makeups) in FACTS {
            assert!(cal.covers(year));
            let mut weekday_off = 0;
            for text in holidays.split_whitespace() {
                let date = parse_month_day(year, text).expect("fact date");
                assert!(!cal.is_workday(date), "holiday {date} must be off");
                weekday_off += 1;
            }
            let mut weekend_on = 0;
            for text in makeups.split_whitespace() {
                let date = parse_month_day(year, text).expect("fact date");
                assert!(cal.is_workday(date), "make-up day {date} must be worked");
                weekend_on += 1;
            }
            // Every other day follows the weekday rule, so the year's workday count is exact.
            let mut plain_weekdays = 0;
            let mut workdays = 0;
            let mut d = Date::from_calendar_date(year, Month::January, 1).expect("date");
            while d.year() == year {
                if !is_weekend(d.weekday()) {
                    plain_weekdays += 1;
                }
                if cal.is_workday(d) {
                    workdays += 1;
                }
                d = d.next_day().expect("next day");
            }
            assert_eq!(
                workdays,
                plain_weekdays - weekday_off + weekend_on,
                "year {year}"
            );
        }
        assert!(!cal.covers(2023));
        assert!(!cal.covers(2027));
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
    }

    #[test]
    fn the_years_still_to_load_are_this_one_and_from_november_the_next() {
        let cal = WorkCalendar::from_toml(&with_years(
            "[[year]]\nyear = 2026\nholidays = []\nmakeup_workdays = []\n",
        ))
        .expect("calendar");
        // 2026-10-31 23:00 and 2026-11-01 00:30 Beijing time.
        let oct = 1_793_458_800_000;
        let nov = oct + 90 * 60_000;
        assert_eq!(cal.missing_years(oct), Vec::<i32>::new());
        assert_eq!(cal.missing_years(nov), vec![2027]);
        // 2027-03-01: this year itself is missing.
        assert_eq!(cal.missing_years(1_803_830_400_000), vec![2027]);
    }

    #[test]
    fn months_are_local_months() {
        let cal = WorkCalendar::from_toml(&with_years("")).expect("calendar");
        // November 2026 in Beijing: from 2026-10-31 16:00 UTC to 2026-11-30 16:00 UTC.
        let (from, to) = cal.month_bounds(2026, 11).expect("month");
        assert_eq!(from, 1_793_462_400_000);
        assert_eq!(to - from, 30 * MS_PER_DAY);
        assert_eq!(cal.month_of(from), Some((2026, 11)));
        assert_eq!(cal.month_of(from - 1), Some((2026, 10)));
        assert_eq!(cal.month_of(to), Some((2026, 12)));
        let (dec, next) = cal.month_bounds(2026, 12).expect("december");
        assert_eq!(dec, to);
        assert_eq!(cal.month_of(next), Some((2027, 1)));
        assert_eq!(cal.month_bounds(2026, 13), None);
    }

    #[test]
    fn uncovered_years_follow_monday_to_friday() {
        let cal = seed();
        // 2027-01-01 is a Friday: a holiday in practice, but 2027 is not in the data.
        assert!(cal.is_workday(date!(2027 - 01 - 01)));
        assert!(!cal.is_workday(date!(2027 - 01 - 02)));
        assert!(cal.is_workday(date!(2023 - 10 - 02)));
        assert_eq!(
            cal.nth_workday_after(date!(2027 - 01 - 01), 1),
            date!(2027 - 01 - 04)
        );
    }

    #[test]
    fn bad_input_is_rejected() {
        let cal = |years: &str| WorkCalendar::from_toml(&with_years(years));
        assert!(
            cal("[[year]]\nyear = 2026\nholidays = [\"01-01\"]\nmakeup_workdays = [\"01-04\"]")
                .is_ok()
        );
        for text in ["2026-01-01", "1-1", "13-01", "02-30", "0a-01", "01/01", ""] {
            let input = format!("[[year]]\nyear = 2026\nholidays = [\"{text}\"]");
            assert_eq!(
                cal(&input),
                Err(CalendarError::BadDate {
                    year: 2026,
                    text: text.to_owned()
                }),
                "{text:?}"
            );
        }
        assert!(matches!(
            cal("[[year]]\nyear = 2025\nholidays = [\"02-29\"]"),
            Err(CalendarError::BadDate { .. })
        ));
        assert_eq!(
            cal("[[year]]\nyear = 2026\nmakeup_workdays = [\"01-05\"]"),
            Err(CalendarError::MakeupNotWeekend {
                date: date!(2026 - 01 - 05),
                weekday: Weekday::Monday
            })
        );
        assert_eq!(
            cal("[[year]]\nyear = 2026\nholidays = [\"01-03\"]"),
            Err(CalendarError::HolidayOnWeekend {
                date: date!(2026 - 01 - 03),
                weekday: Weekday::Saturday
            })
        );
        assert_eq!(
            cal("[[year]]\nyear = 2026\n[[year]]\nyear = 2026"),
            Err(CalendarError::DuplicateYear { year: 2026 })
        );
        assert_eq!(
            cal("[[year]]\nyear = 2026\nholidays = [\"01-01\", \"01-01\"]"),
            Err(CalendarError::DuplicateDate {
                year: 2026,
                date: date!(2026 - 01 - 01)
            })
        );
        assert!(matches!(
            cal("[[year]]\nyear = 2026\nholiday = [\"01-01\"]"),
            Err(CalendarError::Parse { .. })
        ));
        assert!(matches!(
            WorkCalendar::from_toml("[[year]]\nyear = 2026"),
            Err(CalendarError::Parse { .. })
        ));
        let hours = |m: &str, a: &str, off: i32| {
            WorkCalendar::from_toml(&format!(
                "[office_hours]\nmorning = {m}\nafternoon = {a}\nutc_offset_hours = {off}\n"
            ))
        };
        assert!(hours("[\"09:00\", \"12:00\"]", "[\"12:00\", \"17:30\"]", 8).is_ok());
        assert!(matches!(
            hours("[\"09:00\", \"12:00\"]", "[\"11:00\", \"17:30\"]", 8),
            Err(CalendarError::HoursNotOrdered { .. })
        ));
        assert!(matches!(
            hours("[\"12:00\", \"09:00\"]", "[\"13:30\", \"17:30\"]", 8),
            Err(CalendarError::HoursNotOrdered { .. })
        ));
        assert_eq!(
            hours("[\"9:00\", \"12:00\"]", "[\"13:30\", \"17:30\"]", 8),
            Err(CalendarError::BadTime {
                text: "9:00".to_owned()
            })
        );
        assert_eq!(
            hours("[\"09:00\", \"12:60\"]", "[\"13:30\", \"17:30\"]", 8),
            Err(CalendarError::BadTime {
                text: "12:60".to_owned()
            })
        );
        assert_eq!(
            hours("[\"09:00\", \"12:00\"]", "[\"13:30\", \"17:30\"]", 15),
            Err(CalendarError::BadOffset { hours: 15 })
        );
    }

    #[test]
    fn other_offsets_shift_local_time() {
        let utc = WorkCalendar::from_toml(
            "[office_hours]\nmorning = [\"09:00\", \"12:00\"]\nafternoon = [\"13:30\", \"17:30\"]\nutc_offset_hours = 0\n",
        )
        .expect("calendar");
        let start = (datetime!(2026-11-24 10:00).assume_utc().unix_timestamp()) * 1000;
        let due = (datetime!(2026-11-24 17:30).assume_utc().unix_timestamp()) * 1000;
        assert_eq!(utc.due_at(start, TimeLimit::SameDay), due);
        // 2026-11-24 18:00 UTC is already 02:00 on the 25th in UTC+8.
        let cal = seed();
        let late = datetime!(2026-11-24 18:00).assume_utc().unix_timestamp() * 1000;
        assert_eq!(
            cal.due_at(late, TimeLimit::SameDay),
            local(datetime!(2026-11-25 17:30))
        );
    }

    #[test]
    fn time_limit_round_trips_through_json() {
        for limit in [
            TimeLimit::WorkingDays(15),
            TimeLimit::WorkingHours(2),
            TimeLimit::SameDay,
        ] {
            let json = serde_json::to_string(&limit).expect("serialize");
            assert_eq!(
                serde_json::from_str::<TimeLimit>(&json).expect("parse"),
                limit
            );
        }
    }

    proptest! {
        #[test]
        fn minutes_between_agree_with_working_hours(
            // 2023-06-01 .. 2027-06-01 UTC: covered and uncovered years, any minute and second.
            start in 1_685_577_600_000i64..1_811_808_000_000i64,
            h in 0u32..300,
        ) {
            let cal = seed();
            let due = cal.due_at(start, TimeLimit::WorkingHours(h));
            prop_assert!(due >= start);
            prop_assert_eq!(cal.working_minutes_between(start, due), 60 * i64::from(h));
        }

        #[test]
        fn working_days_due_is_a_closing_time_on_a_workday(
            start in 1_685_577_600_000i64..1_811_808_000_000i64,
            n in 1u32..40,
        ) {
            let cal = seed();
            let due = cal.due_at(start, TimeLimit::WorkingDays(n));
            let local_due = due + 8 * MS_PER_HOUR;
            prop_assert_eq!(local_due.rem_euclid(MS_PER_DAY), 17 * MS_PER_HOUR + 30 * MS_PER_MINUTE);
            let due_date = day_to_date(local_due.div_euclid(MS_PER_DAY)).expect("date");
            prop_assert!(cal.is_workday(due_date));
            // Exactly n workdays lie after the start date up to and including the due date.
            let start_day = (start + 8 * MS_PER_HOUR).div_euclid(MS_PER_DAY);
            let count = (start_day + 1..=local_due.div_euclid(MS_PER_DAY))
                .filter(|d| cal.is_workday_day(*d))
                .count();
            prop_assert_eq!(count, n as usize);
        }
    }
}
