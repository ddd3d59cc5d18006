//! Times in the words users read: Beijing local time for staff, the date for citizens.

use hotline_model::number::LOCAL_OFFSET_HOURS;

/// `2026-11-24 10:05` in Beijing time.
pub fn local_time(ms: i64) -> String {
    let t = local(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2026年11月24日` in Beijing time (what citizens read).
pub fn local_date(ms: i64) -> String {
    let t = local(ms);
    format!("{}年{}月{}日", t.year(), u8::from(t.month()), t.day())
}

fn local(ms: i64) -> time::OffsetDateTime {
    let offset =
        time::UtcOffset::from_hms(LOCAL_OFFSET_HOURS, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset)
}
