//! Wall-clock stamps (UTC, RFC 3339) and the test-only time scale.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now as `2026-11-21T10:00:01Z`.
pub fn now() -> String {
    stamp(SystemTime::now())
}

/// A time as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, whole seconds; before 1970 reads as 1970).
pub fn stamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t.max(UNIX_EPOCH)).to_string()
}

/// `TUNNELSMITH_TIME_SCALE` (default 1): multiplies every wait of the executor's own (poll
/// intervals, retry back-off, timeouts), so that tests and benchmarks can run a 45-minute
/// gateway in seconds against stand-in CLIs. Never set it against real clouds.
pub fn scale() -> f64 {
    std::env::var("TUNNELSMITH_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(1.0)
}

/// `secs` seconds, scaled.
pub fn scaled(secs: f64, scale: f64) -> Duration {
    Duration::from_secs_f64((secs * scale).max(0.0))
}

/// `1h02m`, `3m05s`, `12s`, `0.4s`.
pub fn human(secs: f64) -> String {
    if secs < 10.0 {
        return format!("{secs:.1}s");
    }
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_rfc3339() {
        assert_eq!(stamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(stamp(UNIX_EPOCH + Duration::from_secs(1_795_000_000)), "2026-11-18T11:06:40Z");
        assert_eq!(stamp(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn durations_read_like_a_person_would_write_them() {
        assert_eq!(human(0.42), "0.4s");
        assert_eq!(human(42.0), "42s");
        assert_eq!(human(185.0), "3m05s");
        assert_eq!(human(3720.0), "1h02m");
    }
}
