//! How much working time is left before a deadline, as staff see it: in working days and hours
//! (holidays and make-up days counted), marked near-due within the last working day and overdue
//! after it. Shown with words, so colour is never the only signal.

use crate::calendar::WorkCalendar;

/// Where an order stands against its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// More than one working day left.
    OnTime,
    /// One working day or less left.
    Near,
    /// Past the deadline.
    Overdue,
}

impl Mark {
    /// The CSS class of the mark (empty when on time).
    pub fn class(self) -> &'static str {
        match self {
            Mark::OnTime => "",
            Mark::Near => "near",
            Mark::Overdue => "overdue",
        }
    }
}

/// Working time left before a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Countdown {
    /// Office minutes from now to the deadline; negative once past it.
    pub minutes_left: i64,
    /// Office minutes in a workday.
    pub per_day: i64,
    /// The mark.
    pub mark: Mark,
}

/// The countdown to `due_ms` at `now_ms`.
pub fn countdown(calendar: &WorkCalendar, now_ms: i64, due_ms: i64) -> Countdown {
    let per_day = calendar.office_minutes_per_day().max(1);
    let minutes_left = if now_ms >= due_ms {
        // Past it: at least one minute over, even outside office time.
        (-calendar.working_minutes_between(due_ms, now_ms)).min(-1)
    } else {
        calendar.working_minutes_between(now_ms, due_ms)
    };
    let mark = if minutes_left < 0 {
        Mark::Overdue
    } else if minutes_left <= per_day {
        Mark::Near
    } else {
        Mark::OnTime
    };
    Countdown {
        minutes_left,
        per_day,
        mark,
    }
}

impl Countdown {
    /// 剩余 2 个工作日 3 小时 / 剩余 45 分钟 / 逾期 1 个工作日 2 小时.
    pub fn text_zh(&self) -> String {
        let m = self.minutes_left.abs();
        let (days, rest) = (m / self.per_day, m % self.per_day);
        let (hours, minutes) = (rest / 60, rest % 60);
        let amount = if days > 0 {
            if hours > 0 {
                format!("{days} 个工作日 {hours} 小时")
            } else {
                format!("{days} 个工作日")
            }
        } else if hours > 0 {
            format!("{hours} 小时 {minutes} 分钟")
        } else {
            format!("{minutes} 分钟")
        };
        if self.minutes_left < 0 {
            format!("逾期 {amount}")
        } else {
            format!("剩余 {amount}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> WorkCalendar {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/seed/calendar.toml"
        ))
        .expect("seed calendar");
        WorkCalendar::from_toml(&text).expect("calendar")
    }

    /// Beijing time → Unix ms.
    fn at(y: i32, mo: u8, d: u8, h: u8, mi: u8) -> i64 {
        let m = time::Month::try_from(mo).expect("month");
        let date = time::Date::from_calendar_date(y, m, d).expect("date");
        let t = time::Time::from_hms(h, mi, 0).expect("time");
        (time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp()
            - 8 * 3600)
            * 1000
    }

    #[test]
    fn counts_working_time_and_marks_the_last_day() {
        let c = cal();
        let per_day = c.office_minutes_per_day();
        assert!(per_day >= 420, "{per_day}");
        // Tuesday 10:00 to Friday 10:00: three working days.
        let k = countdown(&c, at(2026, 11, 24, 10, 0), at(2026, 11, 27, 10, 0));
        assert_eq!(k.minutes_left, 3 * per_day);
        assert_eq!(k.mark, Mark::OnTime);
        assert_eq!(k.text_zh(), "剩余 3 个工作日");
        // Friday 17:00 to Monday 10:00: the weekend does not count.
        let k = countdown(&c, at(2026, 11, 27, 16, 0), at(2026, 11, 30, 10, 0));
        assert_eq!(k.mark, Mark::Near);
        assert!(k.minutes_left < per_day);
        // Over by an hour of office time.
        let k = countdown(&c, at(2026, 11, 24, 11, 0), at(2026, 11, 24, 10, 0));
        assert_eq!(k.mark, Mark::Overdue);
        assert_eq!(k.text_zh(), "逾期 1 小时 0 分钟");
        // Over at night, outside office time: still overdue.
        let k = countdown(&c, at(2026, 11, 24, 23, 0), at(2026, 11, 24, 22, 0));
        assert_eq!(k.mark, Mark::Overdue);
    }

    #[test]
    fn every_day_of_two_years_marks_consistently() {
        let c = cal();
        let start = at(2026, 1, 1, 9, 30);
        for day in 0..730 {
            let now = start + day * 86_400_000;
            for due_in_hours in [-30, -1, 1, 5, 30, 100] {
                let due = now + due_in_hours * 3_600_000;
                let k = countdown(&c, now, due);
                assert_eq!(
                    k.mark == Mark::Overdue,
                    due <= now,
                    "day {day} {due_in_hours}h"
                );
                assert!(k.mark != Mark::OnTime || k.minutes_left > k.per_day);
                assert!(!k.text_zh().is_empty());
            }
        }
    }
}
