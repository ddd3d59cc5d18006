//! Statistics periods (统计周期) in Beijing time: a day, a week (Monday to Sunday), a month, a
//! quarter or a year around an anchor date, or a custom range of whole days; each as `[from, to)`
//! in Unix ms, with the period before it (环比) and the same period a year earlier (同比).

use time::{Date, Duration, Month, PrimitiveDateTime, Time, UtcOffset};

/// What kind of period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    /// 日.
    Day,
    /// 周 (Monday to Sunday).
    Week,
    /// 月.
    Month,
    /// 季度.
    Quarter,
    /// 年.
    Year,
    /// 自定义: whole days from the anchor to the end date.
    Custom,
}

impl PeriodKind {
    /// Parses `day`, `week`, `month`, `quarter`, `year`, `custom`.
    pub fn parse(s: &str) -> Option<PeriodKind> {
        Some(match s {
            "day" => PeriodKind::Day,
            "week" => PeriodKind::Week,
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            "year" => PeriodKind::Year,
            "custom" => PeriodKind::Custom,
            _ => return None,
        })
    }

    /// The code [`PeriodKind::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::Custom => "custom",
        }
    }

    /// 日 / 周 / 月 / 季度 / 年 / 自定义.
    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::Day => "日",
            PeriodKind::Week => "周",
            PeriodKind::Month => "月",
            PeriodKind::Quarter => "季度",
            PeriodKind::Year => "年",
            PeriodKind::Custom => "自定义",
        }
    }

    /// Every kind, in picker order.
    pub const ALL: [PeriodKind; 6] = [
        PeriodKind::Day,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
        PeriodKind::Custom,
    ];
}

/// A period: its first and last day, and `[from, to)` in Unix ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// The kind.
    pub kind: PeriodKind,
    /// The first day.
    pub first: Date,
    /// The last day (inclusive).
    pub last: Date,
}

const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The Beijing date of a Unix ms time.
pub fn beijing_date(ms: i64) -> Date {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.to_offset(BEIJING).date())
        .unwrap_or(Date::MIN)
}

fn start_ms(d: Date) -> i64 {
    PrimitiveDateTime::new(d, Time::MIDNIGHT)
        .assume_offset(BEIJING)
        .unix_timestamp()
        * 1000
}

fn quarter_start(d: Date) -> Date {
    let m = (u8::from(d.month()) - 1) / 3 * 3 + 1;
    Date::from_calendar_date(d.year(), Month::try_from(m).unwrap_or(Month::January), 1).unwrap_or(d)
}

fn add_months(d: Date, months: i32) -> Date {
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    Date::from_calendar_date(y, Month::try_from(m as u8).unwrap_or(Month::January), 1).unwrap_or(d)
}

/// Longest custom range, in days.
pub const MAX_CUSTOM_DAYS: i64 = 3 * 366;

impl Period {
    /// The period of `kind` holding `anchor` (for [`PeriodKind::Custom`]: `anchor` to `end`).
    pub fn new(kind: PeriodKind, anchor: Date, end: Option<Date>) -> Result<Period, String> {
        let (first, last) = match kind {
            PeriodKind::Day => (anchor, anchor),
            PeriodKind::Week => {
                let first =
                    anchor - Duration::days(i64::from(anchor.weekday().number_days_from_monday()));
                (first, first + Duration::days(6))
            }
            PeriodKind::Month => {
                let first = anchor.replace_day(1).map_err(|e| e.to_string())?;
                (first, add_months(first, 1) - Duration::days(1))
            }
            PeriodKind::Quarter => {
                let first = quarter_start(anchor);
                (first, add_months(first, 3) - Duration::days(1))
            }
            PeriodKind::Year => {
                let first = Date::from_calendar_date(anchor.year(), Month::January, 1)
                    .map_err(|e| e.to_string())?;
                (first, add_months(first, 12) - Duration::days(1))
            }
            PeriodKind::Custom => {
                let end = end.ok_or("自定义周期须给出截止日期")?;
                if end < anchor {
                    return Err("截止日期不能早于起始日期".into());
                }
                if (end - anchor).whole_days() >= MAX_CUSTOM_DAYS {
                    return Err("自定义周期不能超过三年".into());
                }
                (anchor, end)
            }
        };
        Ok(Period { kind, first, last })
    }

    /// `[from, to)` in Unix ms (Beijing midnights).
    pub fn range_ms(&self) -> (i64, i64) {
        (
            start_ms(self.first),
            start_ms(self.last + Duration::days(1)),
        )
    }

    /// Days in the period.
    pub fn days(&self) -> i64 {
        (self.last - self.first).whole_days() + 1
    }

    /// The period just before (环比): the previous day, week, month, quarter or year; for a custom
    /// range, as many days ending the day before.
    pub fn previous(&self) -> Period {
        let (first, last) = match self.kind {
            PeriodKind::Month => (add_months(self.first, -1), self.first - Duration::days(1)),
            PeriodKind::Quarter => (add_months(self.first, -3), self.first - Duration::days(1)),
            PeriodKind::Year => (add_months(self.first, -12), self.first - Duration::days(1)),
            _ => (
                self.first - Duration::days(self.days()),
                self.first - Duration::days(1),
            ),
        };
        Period {
            kind: self.kind,
            first,
            last,
        }
    }

    /// The same period a year earlier (同比): the same dates (a 29 February falls back to the 28th).
    pub fn year_before(&self) -> Period {
        let back = |d: Date| {
            d.replace_year(d.year() - 1)
                .or_else(|_| Date::from_calendar_date(d.year() - 1, d.month(), 28))
                .unwrap_or(d)
        };
        let (first, mut last) = (back(self.first), back(self.last));
        // A month or year ends on its own last day a year earlier too.
        if matches!(
            self.kind,
            PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year
        ) {
            let months = match self.kind {
                PeriodKind::Month => 1,
                PeriodKind::Quarter => 3,
                _ => 12,
            };
            last = add_months(first, months) - Duration::days(1);
        }
        Period {
            kind: self.kind,
            first,
            last,
        }
    }

    /// In words: 2026年11月, 2026年第4季度, 2026-11-23 至 2026-11-29 …
    pub fn label(&self) -> String {
        let d = ymd;
        match self.kind {
            PeriodKind::Day => d(self.first),
            PeriodKind::Month => {
                format!("{}年{}月", self.first.year(), u8::from(self.first.month()))
            }
            PeriodKind::Quarter => format!(
                "{}年第{}季度",
                self.first.year(),
                (u8::from(self.first.month()) - 1) / 3 + 1
            ),
            PeriodKind::Year => format!("{}年", self.first.year()),
            PeriodKind::Week | PeriodKind::Custom => {
                format!("{} 至 {}", d(self.first), d(self.last))
            }
        }
    }
}

/// A date as `YYYY-MM-DD` (what [`parse_date`] reads).
pub fn ymd(d: Date) -> String {
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &f).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn every_day_of_three_years_lies_in_each_of_its_periods_and_the_periods_tile() {
        let mut d = date!(2025 - 01 - 01);
        while d <= date!(2027 - 12 - 31) {
            for kind in [
                PeriodKind::Day,
                PeriodKind::Week,
                PeriodKind::Month,
                PeriodKind::Quarter,
                PeriodKind::Year,
            ] {
                let p = Period::new(kind, d, None).expect("period");
                assert!(p.first <= d && d <= p.last, "{kind:?} {d}");
                let (from, to) = p.range_ms();
                assert_eq!(
                    to - from,
                    p.days() * 86_400_000,
                    "no DST in Beijing: {kind:?} {d}"
                );
                // The one before ends the day before this one starts; the one after it is this.
                let prev = p.previous();
                assert_eq!(prev.last + Duration::days(1), p.first, "{kind:?} {d}");
                assert_eq!(
                    Period::new(kind, prev.first, None).expect("prev"),
                    prev,
                    "{kind:?} {d}"
                );
                let ya = p.year_before();
                assert_eq!(ya.first.year(), p.first.year() - 1);
                if kind != PeriodKind::Week {
                    assert_eq!(
                        Period::new(kind, ya.first, None).expect("ya"),
                        ya,
                        "{kind:?} {d}"
                    );
                }
                // A time inside the period maps back to a date inside it.
                assert!(p.first <= beijing_date(from) && beijing_date(to - 1) <= p.last);
            }
            assert_eq!(beijing_date(start_ms(d)), d);
            assert_eq!(beijing_date(start_ms(d) - 1), d - Duration::days(1));
            d += Duration::days(1);
        }
    }

    #[test]
    fn labels_custom_ranges_and_refusals() {
        let p = Period::new(PeriodKind::Month, date!(2026 - 11 - 28), None).unwrap();
        assert_eq!(p.label(), "2026年11月");
        assert_eq!(
            (p.first, p.last),
            (date!(2026 - 11 - 01), date!(2026 - 11 - 30))
        );
        assert_eq!(
            Period::new(PeriodKind::Quarter, date!(2026 - 11 - 28), None)
                .unwrap()
                .label(),
            "2026年第4季度"
        );
        let w = Period::new(PeriodKind::Week, date!(2026 - 11 - 28), None).unwrap();
        assert_eq!(w.label(), "2026-11-23 至 2026-11-29");
        let feb = Period::new(PeriodKind::Month, date!(2028 - 02 - 10), None).unwrap();
        assert_eq!(feb.last, date!(2028 - 02 - 29));
        assert_eq!(feb.year_before().last, date!(2027 - 02 - 28));
        let c = Period::new(
            PeriodKind::Custom,
            date!(2026 - 11 - 01),
            Some(date!(2026 - 11 - 10)),
        )
        .unwrap();
        assert_eq!(c.days(), 10);
        assert_eq!(c.previous().first, date!(2026 - 10 - 22));
        assert!(
            Period::new(
                PeriodKind::Custom,
                date!(2026 - 11 - 10),
                Some(date!(2026 - 11 - 01))
            )
            .is_err()
        );
        assert!(
            Period::new(
                PeriodKind::Custom,
                date!(2020 - 01 - 01),
                Some(date!(2026 - 11 - 01))
            )
            .is_err()
        );
        assert!(Period::new(PeriodKind::Custom, date!(2026 - 11 - 10), None).is_err());
        assert_eq!(parse_date("2026-11-28"), Some(date!(2026 - 11 - 28)));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(beijing_date(1_795_485_600_000), date!(2026 - 11 - 24));
    }
}
