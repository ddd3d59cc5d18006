//! Ticket numbers and citizen query codes: both exist the moment a ticket is created, even offline.
//!
//! A number is `YYYYMMDD-NODE-SEQ`: the local (UTC+8) date, the creating node's code and that node's
//! sequence for the day, so nodes never need to agree on anything to issue unique numbers. The query
//! code is random (55 bits) and only its salted hash is stored in the ticket.

use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, UtcOffset};

/// The city's local offset (Beijing time).
pub const LOCAL_OFFSET_HOURS: i8 = 8;

/// The local date of a Unix-millisecond instant.
pub fn local_date(ms: i64) -> Date {
    let offset = UtcOffset::from_hms(LOCAL_OFFSET_HOURS, 0, 0).unwrap_or(UtcOffset::UTC);
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.to_offset(offset).date()
}

/// Formats a ticket number, e.g. `20261124-D01-00037`.
pub fn ticket_number(date: Date, node_code: &str, seq: u32) -> String {
    format!(
        "{:04}{:02}{:02}-{}-{:05}",
        date.year(),
        u8::from(date.month()),
        date.day(),
        node_code,
        seq
    )
}

/// The alphabet of query codes: digits and capitals without 0/O and 1/I (easy to read out on the phone).
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Length of a query code: 11 characters of 5 bits = 55 bits.
pub const QUERY_CODE_LEN: usize = 11;

/// Makes a query code from random bytes supplied by the caller.
pub fn query_code(random: [u8; 8]) -> String {
    let mut v = u64::from_le_bytes(random);
    let mut out = String::with_capacity(QUERY_CODE_LEN);
    for _ in 0..QUERY_CODE_LEN {
        out.push(char::from(ALPHABET[(v & 31) as usize]));
        v >>= 5;
    }
    out
}

/// Normalises what a citizen typed: upper case, no spaces or hyphens.
pub fn normalize_query_code(input: &str) -> String {
    halfwidth(input)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Full-width ASCII (what a Chinese IME types: `２０２６`, `Ｃ`, `－`) made plain ASCII, and the
/// ideographic space a plain space.
pub fn halfwidth(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

/// A ticket number as a citizen may type it (full-width, lower case, spaces around) made the
/// stored form.
pub fn normalize_ticket_number(input: &str) -> String {
    halfwidth(input).trim().to_ascii_uppercase()
}

/// The stored form of a query code: SHA-256 over the ticket id and the code, hex.
pub fn query_code_hash(ticket_id: &str, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(ticket_id.as_bytes());
    h.update(b":");
    h.update(normalize_query_code(code).as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_the_local_date() {
        // 2026-11-23 16:30 UTC is 2026-11-24 00:30 in Beijing.
        let ms = 1_795_451_400_000;
        assert_eq!(
            ticket_number(local_date(ms), "D01", 37),
            "20261124-D01-00037"
        );
    }

    #[test]
    fn query_codes_are_readable_and_verifiable() {
        let code = query_code([7, 1, 2, 3, 4, 5, 6, 200]);
        assert_eq!(code.len(), QUERY_CODE_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        let h = query_code_hash("t1", &code);
        let typed = format!(" {}-{} ", &code[..5], &code[5..]).to_lowercase();
        assert_eq!(query_code_hash("t1", &typed), h);
        assert_ne!(query_code_hash("t2", &code), h);
    }
}
