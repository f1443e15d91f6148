//! Timestamps are stored as milliseconds since the Unix epoch (UTC) and printed the ways
//! Redmine prints them.

use time::OffsetDateTime;

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn utc(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn write_seconds(ms: i64) -> String {
    let t = utc(ms);
    if !(0..=9999).contains(&t.year()) {
        let (y, mo, d) = (t.year(), t.month() as u8, t.day());
        return format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    }
    // Digit by digit: every rendered contact has several timestamps, and `format!` showed in
    // the profile of a get.
    fn two_digits(s: &mut String, n: u32) {
        s.push(char::from(b'0' + (n / 10 % 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    }
    let mut s = String::with_capacity(32);
    let year = t.year() as u32;
    two_digits(&mut s, year / 100);
    two_digits(&mut s, year % 100);
    for (separator, n) in [('-', t.month() as u32), ('-', t.day().into()), ('T', t.hour().into())] {
        s.push(separator);
        two_digits(&mut s, n);
    }
    for n in [t.minute(), t.second()] {
        s.push(':');
        two_digits(&mut s, n.into());
    }
    s
}

/// `2024-03-01T09:15:00Z`: every `created_on`/`updated_on` of the API.
pub fn iso(ms: i64) -> String {
    write_seconds(ms) + "Z"
}

/// `2024-03-01T09:15:00.123Z`: the Rails JSON form of raw record timestamps (address record).
pub fn iso_millis(ms: i64) -> String {
    let mut s = write_seconds(ms);
    let millis = ms.rem_euclid(1000) as u32;
    s.push('.');
    for digit in [millis / 100, millis / 10 % 10, millis % 10] {
        s.push(char::from(b'0' + digit as u8));
    }
    s.push('Z');
    s
}

/// `2024-03-01T09:15:00+00:00`: a note's `created_on` (in the user's zone, which is UTC here).
pub fn iso_offset(ms: i64) -> String {
    write_seconds(ms) + "+00:00"
}

/// Parses `YYYY-MM-DD` into a normalised date string, None when it is not a real date.
pub fn parse_date(s: &str) -> Option<String> {
    let s = s.trim();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s.get(..10)?, &format).ok()?;
    Some(date.format(&format).ok()?)
}

/// Parses an ISO 8601 date or date-time (as clients send `created_on`/`due_date`) into ms.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let date = parse_date(s)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(&date, &format).ok()?;
    let rest = s.get(10..).unwrap_or("").trim_start_matches(['T', ' ']);
    let (h, m, sec) = parse_hms(rest).unwrap_or((0, 0, 0));
    let t = d.with_hms(h, m, sec).ok()?.assume_utc();
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Parses a date-time as Rails reads one into a timestamp column (note `created_on`: "any
/// parseable datetime"): what [`parse_datetime`] reads, RFC 2822 (`Tue, 10 Jan 2023 11:11:00
/// +0100`, as the plugin's 4.4 prints note dates), and a date and time followed by a zone
/// (`Z`, `UTC`, `+03:00`, `+0300`, with or without a space before it).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc2822) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let (local, offset_seconds) = split_zone(s);
    parse_datetime(local).map(|ms| ms - offset_seconds * 1000)
}

/// Splits a trailing zone off a date-time: (the rest, the zone's offset in seconds).
fn split_zone(s: &str) -> (&str, i64) {
    for utc in [" UTC", "UTC", "Z"] {
        if let Some(rest) = s.strip_suffix(utc) {
            return (rest.trim_end(), 0);
        }
    }
    // The sign of an offset comes after the time (index 10 and on is the time part).
    let Some(sign_at) = s.get(11..).and_then(|t| t.rfind(['+', '-'])).map(|i| i + 11) else {
        return (s, 0);
    };
    let digits: String = s[sign_at + 1..].chars().filter(|c| *c != ':').collect();
    let (hours, minutes) = match (digits.len(), digits.chars().all(|c| c.is_ascii_digit())) {
        (2, true) => (digits.parse::<i64>().unwrap_or(0), 0),
        (4, true) => (digits[..2].parse::<i64>().unwrap_or(0), digits[2..].parse::<i64>().unwrap_or(0)),
        _ => return (s, 0),
    };
    let sign = if s.as_bytes()[sign_at] == b'-' { -1 } else { 1 };
    (s[..sign_at].trim_end(), sign * (hours * 3600 + minutes * 60))
}

/// The timestamp `ms` with its hour and minute (UTC) set, its seconds cleared: a note's
/// `note_time`, as Rails' `change(hour:, min:)`.
pub fn with_time_of_day(ms: i64, hour: u8, minute: u8) -> i64 {
    let t = utc(ms);
    let changed = t.replace_time(time::Time::from_hms(hour, minute, 0).unwrap_or(time::Time::MIDNIGHT));
    (changed.unix_timestamp_nanos() / 1_000_000) as i64
}

fn parse_hms(s: &str) -> Option<(u8, u8, u8)> {
    let mut parts = s.split(':');
    let h = parts.next()?.trim().parse().ok()?;
    let m = parts.next()?.trim().parse().ok()?;
    let sec = parts.next().and_then(|p| p.get(..2)?.parse().ok()).unwrap_or(0);
    Some((h, m, sec))
}

/// Milliseconds of the start of a `YYYY-MM-DD` day (for date filters).
pub fn day_start_ms(date: &str) -> Option<i64> {
    parse_datetime(&parse_date(date)?)
}

/// The calendar date (UTC) of a millisecond timestamp.
pub fn ymd(ms: i64) -> (i32, u8, u8) {
    let t = utc(ms);
    (t.year(), t.month() as u8, t.day())
}

/// Milliseconds of the start of a calendar day (UTC); the epoch for a date that does not exist.
pub fn ms_of_date(year: i32, month: u8, day: u8) -> i64 {
    let date = time::Month::try_from(month).ok().and_then(|m| time::Date::from_calendar_date(year, m, day).ok());
    date.map_or(0, |d| (d.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_redmine() {
        let ms = 1_709_284_500_123; // 2024-03-01T09:15:00.123Z
        assert_eq!(iso(ms), "2024-03-01T09:15:00Z");
        assert_eq!(iso_millis(ms), "2024-03-01T09:15:00.123Z");
        assert_eq!(iso_offset(ms), "2024-03-01T09:15:00+00:00");
        assert_eq!(iso(-1_000), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parses_dates_and_rejects_impossible_ones() {
        assert_eq!(parse_date("1980-05-17").as_deref(), Some("1980-05-17"));
        assert_eq!(parse_date("1980-02-30"), None);
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_datetime("2024-03-01T09:15:00Z"), Some(1_709_284_500_000));
        assert_eq!(parse_datetime("2024-03-01 09:15"), Some(1_709_284_500_000));
    }

    #[test]
    fn timestamps_with_zones() {
        let nine_fifteen = Some(1_709_284_500_000);
        for s in [
            "2024-03-01T09:15:00Z",
            "2024-03-01T12:15:00+03:00",
            "2024-03-01 12:15:00 +0300",
            "2024-03-01 04:15 -05:00",
            "2024-03-01 09:15 UTC",
            "Fri, 01 Mar 2024 10:15:00 +0100",
            "2024-03-01 09:15",
        ] {
            assert_eq!(parse_timestamp(s), nine_fifteen, "{s}");
        }
        assert_eq!(parse_timestamp("2024-03-01"), Some(1_709_251_200_000));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(with_time_of_day(1_709_284_512_345, 18, 5), 1_709_316_300_000);
    }
}
