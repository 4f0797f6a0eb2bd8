//! Instants on the wire: ISO-8601 UTC written like Java's `Instant.toString()`.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2024-05-01T08:00:00.001Z`; the fraction only when non-zero.
pub fn format_ms(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => String::new(),
    }
}

/// Parse an ISO-8601 instant (`Z` or an offset); `None` when it is not one.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.with_timezone(&Utc))
}

/// Parse an instant to epoch milliseconds.
pub fn parse_ms(s: &str) -> Option<i64> {
    parse_instant(s).map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_java_instant() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_ms(1_500), "1970-01-01T00:00:01.500Z");
        assert_eq!(format_ms(parse_ms("2022-10-26T09:39:42.195Z").unwrap()), "2022-10-26T09:39:42.195Z");
    }

    #[test]
    fn parses_offsets_and_rejects_garbage() {
        assert_eq!(parse_ms("1970-01-01T02:00:00+02:00"), Some(0));
        assert_eq!(parse_ms("yesterday"), None);
    }
}
