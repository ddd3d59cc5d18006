//! The monthly report (月度统计报表): on the first working day of a month (Beijing time, by the
//! centre's calendar: a month opening with a holiday waits for the first workday), the previous
//! month's figures go to the centre's leaders. Pure: the calendar and `now` are passed in.

use time::Duration;

use crate::calendar::WorkCalendar;
use crate::period::{Period, PeriodKind, beijing_date};

/// The month whose report is due at `now_ms`: the previous month, from the first working day of
/// this one on. Before that day, none (the report of the month before that went out last month).
pub fn due_month(calendar: &WorkCalendar, now_ms: i64) -> Option<Period> {
    let today = beijing_date(now_ms);
    let this_month = Period::new(PeriodKind::Month, today, None).ok()?;
    let mut first_workday = this_month.first;
    // A month always has a workday within its first fortnight (the longest holiday is 8 days).
    for _ in 0..14 {
        if calendar.is_workday(first_workday) {
            break;
        }
        first_workday += Duration::days(1);
    }
    (today >= first_workday).then(|| this_month.previous())
}

/// The month as used in the report's key and file name: `2026-10`.
pub fn month_code(p: &Period) -> String {
    format!("{}-{:02}", p.first.year(), u8::from(p.first.month()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn calendar() -> WorkCalendar {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/seed/calendar.toml"
        ))
        .expect("the seed calendar");
        WorkCalendar::from_toml(&text).expect("calendar")
    }

    fn noon(d: time::Date) -> i64 {
        Period::new(PeriodKind::Day, d, None)
            .expect("day")
            .range_ms()
            .0
            + 4 * 3_600_000
    }

    #[test]
    fn the_report_is_due_from_the_first_workday_of_the_month_every_day_of_two_years() {
        let cal = calendar();
        let mut d = date!(2025 - 01 - 01);
        while d <= date!(2026 - 12 - 31) {
            let due = due_month(&cal, noon(d));
            let month_start = d.replace_day(1).expect("first");
            let workdays_before = (0..(d.day() - 1))
                .filter(|k| cal.is_workday(month_start + Duration::days(i64::from(*k))))
                .count();
            if workdays_before > 0 || cal.is_workday(d) {
                let p = due.unwrap_or_else(|| panic!("due on {d}"));
                assert_eq!(p.last, month_start - Duration::days(1), "{d}");
                assert_eq!(p.first.day(), 1);
            } else {
                assert!(due.is_none(), "{d}: not before the month's first workday");
            }
            d = d.next_day().expect("next");
        }
        // 2026-10-01 to 10-07 is the National Day holiday: September's report goes on the 8th.
        assert!(due_month(&cal, noon(date!(2026 - 10 - 07))).is_none());
        assert_eq!(
            due_month(&cal, noon(date!(2026 - 10 - 08))).map(|p| month_code(&p)),
            Some("2026-09".to_owned())
        );
    }
}
