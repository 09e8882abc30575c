//! Backup object names and which backups retention keeps.
//!
//! A backup is `<prefix>/<YYYY-MM-DD>/cloudradar-<YYYYMMDD>T<HHMMSS.mmm>Z.sqlite.zst`
//! (UTC): the date folder makes a bucket listing readable, the time in the
//! name orders backups without reading their metadata.

use std::collections::BTreeSet;

/// File name suffix of every backup object.
pub const SUFFIX: &str = ".sqlite.zst";

/// A calendar date and time, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    /// Milliseconds since the Unix epoch.
    pub unix_ms: i64,
}

impl Stamp {
    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        self.unix_ms.div_euclid(86_400_000)
    }

    /// (year, month, day).
    pub fn date(self) -> (i64, u32, u32) {
        civil_from_days(self.days())
    }

    /// `YYYY-MM-DD`.
    pub fn date_string(self) -> String {
        let (y, m, d) = self.date();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `YYYYMMDDTHHMMSS.mmmZ`.
    pub fn compact(self) -> String {
        let (y, m, d) = self.date();
        let ms = self.unix_ms.rem_euclid(86_400_000);
        let s = ms / 1000;
        format!(
            "{y:04}{m:02}{d:02}T{:02}{:02}{:02}.{:03}Z",
            s / 3600,
            s % 3600 / 60,
            s % 60,
            ms % 1000
        )
    }

    /// Monday-based week number since the epoch (ISO weeks start on Monday;
    /// 1970-01-01 was a Thursday).
    pub fn week(self) -> i64 {
        (self.days() + 3).div_euclid(7)
    }
}

/// The object key for a backup taken at `at`.
pub fn key(prefix: &str, at: Stamp) -> String {
    let name = format!("{}/cloudradar-{}{SUFFIX}", at.date_string(), at.compact());
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// The time `k` names if it is exactly a key this collector writes under
/// `prefix`; a backup under a longer prefix (another deployment's
/// `prefix/staging/...`) is not ours to restore or rotate away.
pub fn ours(prefix: &str, k: &str) -> Option<Stamp> {
    parse(k).filter(|&t| key(prefix, t) == k)
}

/// The time a backup key names, if it is one of ours.
pub fn parse(key: &str) -> Option<Stamp> {
    let name = key.rsplit('/').next()?;
    let t = name.strip_prefix("cloudradar-")?.strip_suffix(SUFFIX)?;
    let b = t.as_bytes();
    if b.len() != 20
        || b.get(8) != Some(&b'T')
        || b.get(15) != Some(&b'.')
        || b.get(19) != Some(&b'Z')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { t.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s, ms) = (num(9..11)?, num(11..13)?, num(13..15)?, num(16..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(Stamp {
        unix_ms: (days * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms,
    })
}

/// Parses `YYYY-MM-DD` as the end of that day (the newest backup taken on
/// or before it is the one `restore --at` means).
pub fn parse_date_end(s: &str) -> Option<Stamp> {
    let mut parts = s.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(Stamp {
        unix_ms: days_from_civil(y, m, d) * 86_400_000 + 86_399_999,
    })
}

/// The keys retention deletes: everything except the newest backup, the
/// newest of each of the last `daily` days that have one, and the newest
/// of each of the last `weekly` weeks that have one.
pub fn expired(keys: &[String], daily: u32, weekly: u32) -> Vec<String> {
    let mut stamped: Vec<(Stamp, &String)> = keys
        .iter()
        .filter_map(|k| parse(k).map(|t| (t, k)))
        .collect();
    stamped.sort_by(|a, b| b.cmp(a));
    let mut keep: BTreeSet<&String> = BTreeSet::new();
    if let Some((_, newest)) = stamped.first() {
        keep.insert(*newest);
    }
    let mut days = BTreeSet::new();
    let mut weeks = BTreeSet::new();
    for (t, k) in &stamped {
        if days.len() < daily as usize && days.insert(t.days()) {
            keep.insert(*k);
        }
        if weeks.len() < weekly as usize && weeks.insert(t.week()) {
            keep.insert(*k);
        }
    }
    stamped
        .iter()
        .filter(|(_, k)| !keep.contains(*k))
        .map(|(_, k)| (*k).clone())
        .collect()
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_the_calendar() {
        // 2026-11-25T11:32:18Z is 1795606338 (date -d @1795606338 -u).
        let t = Stamp {
            unix_ms: 1_795_606_338_042,
        };
        assert_eq!(t.date_string(), "2026-11-25");
        assert_eq!(t.compact(), "20261125T113218.042Z");
        assert_eq!(Stamp { unix_ms: 0 }.date_string(), "1970-01-01");
        assert_eq!(
            Stamp {
                unix_ms: 951_782_400_000
            }
            .date_string(),
            "2000-02-29"
        );
    }

    #[test]
    fn keys_round_trip() {
        let t = Stamp {
            unix_ms: 1_795_606_338_042,
        };
        let k = key("prod/db", t);
        assert_eq!(
            k,
            "prod/db/2026-11-25/cloudradar-20261125T113218.042Z.sqlite.zst"
        );
        assert_eq!(parse(&k), Some(t));
        assert_eq!(parse("prod/db/2026-11-25/other.txt"), None);
        assert_eq!(parse("cloudradar-20261325T113218.000Z.sqlite.zst"), None);
        assert_eq!(parse("cloudradar-20261125T113218Z.sqlite.zst"), None);
        assert_eq!(
            parse_date_end("2026-11-25").map(|s| s.compact()),
            Some("20261125T235959.999Z".to_string())
        );
        assert_eq!(parse_date_end("2026-13-01"), None);
        assert_eq!(parse_date_end("yesterday"), None);
    }

    /// Regression: rotation and restore took backups under a longer prefix
    /// (another deployment's) for their own.
    #[test]
    fn only_keys_directly_under_the_prefix_are_ours() {
        let t = Stamp {
            unix_ms: 1_795_606_338_042,
        };
        assert_eq!(ours("collector", &key("collector", t)), Some(t));
        assert_eq!(ours("", &key("", t)), Some(t));
        assert_eq!(ours("collector", &key("collector/staging", t)), None);
        assert_eq!(ours("", &key("staging", t)), None);
        let moved = key("collector", t).replace("2026-11-25", "2026-11-24");
        assert_eq!(
            ours("collector", &moved),
            None,
            "date folder and name disagree"
        );
    }

    #[test]
    fn retention_keeps_dailies_and_weeklies() {
        let day = 86_400_000;
        // Four backups a day for 60 days, ending Wednesday 2026-11-25.
        let end = 1_795_606_338_000 - 1_795_606_338_000 % day;
        let keys: Vec<String> = (0..60)
            .flat_map(|d| (0..4).map(move |h| end - d * day + h * 6 * 3_600_000))
            .map(|ms| key("p", Stamp { unix_ms: ms }))
            .collect();
        let gone = expired(&keys, 7, 4);
        let kept: Vec<&String> = keys.iter().filter(|k| !gone.contains(k)).collect();
        // 7 dailies (Nov 19-25, newest of each day); the 4 weeklies are the
        // newest of the weeks starting Nov 23, 16, 9 and 2: Nov 25 and 22
        // are dailies already, Nov 15 and 8 are added.
        assert_eq!(kept.len(), 7 + 2, "{kept:?}");
        assert!(
            kept.iter()
                .any(|k| k.ends_with("20261125T180000.000Z.sqlite.zst"))
        );
        assert!(
            !kept
                .iter()
                .any(|k| k.ends_with("20261125T120000.000Z.sqlite.zst"))
        );
        // The weeklies are Sundays (the newest day of each earlier week).
        for w in ["20261122T180000", "20261115T180000", "20261108T180000"] {
            assert!(kept.iter().any(|k| k.contains(w)), "{w} in {kept:?}");
        }
        // Foreign objects are never deleted.
        assert!(expired(&["p/notes.txt".to_string()], 0, 0).is_empty());
        // The newest is kept even with nothing configured.
        assert_eq!(expired(&keys[..2], 0, 0).len(), 1);
    }

    /// Random names never panic, and whatever parses round-trips.
    #[test]
    fn random_names_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b"cloudradar-0123456789TZ./sqlitezst\xff";
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 48) as usize;
            let name: String = (0..len)
                .map(|i| alphabet[((x >> (i % 56)) as usize + i) % alphabet.len()] as char)
                .collect();
            if let Some(t) = parse(&name) {
                assert_eq!(parse(&key("", t)), Some(t), "{name}");
            }
            let _ = parse_date_end(&name);
        }
    }
}
