//! `cloudradar-agent decode` on the real recordings, run as a process.

use std::process::Command;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn decode(args: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudradar-agent"))
        .arg("decode")
        .args(args)
        .output()
        .expect("run cloudradar-agent");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect()
}

#[test]
fn long_flight_csv_gives_one_line_per_frame_in_order() {
    let lines = decode(&[&format!("{DATA}/long_flight.csv")]);
    assert_eq!(lines.len(), 172_432);
    // Line 1 of the recording is a DF4 whose address no CRC-checked message has confirmed yet.
    assert_eq!(lines[0]["raw"], "210000bd6b441a");
    assert_eq!(lines[0]["timestamp"], 1698140962.119813);
    assert_eq!(lines[0]["crc"], "bad");
    assert!(
        lines[0].get("alt_baro").is_none(),
        "a bad frame carries no decoded field"
    );
    // Line 2: DF18 from 3907db, type code 24 (pyModeS 3.6: df 18, icao 3907DB).
    assert_eq!(lines[1]["df"], 18);
    assert_eq!(lines[1]["hex"], "3907db");
    assert_eq!(lines[1]["tc"], 24);
    let times: Vec<f64> = lines
        .iter()
        .map(|l| l["timestamp"].as_f64().expect("timestamp"))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1] + 1.0),
        "input order kept"
    );
    let klm = lines.iter().filter(|l| l["flight"] == "KLM1302 ").count();
    assert!(klm > 10, "KLM1302 identified {klm} times");
    let positions = lines.iter().filter(|l| l.get("lat").is_some()).count();
    assert!(positions > 10_000, "{positions} positions");
    let comm_b = lines.iter().filter(|l| l["bds"] == "4,0").count();
    assert!(comm_b > 100, "{comm_b} BDS 4,0 replies");
    let line = |raw: &str| lines.iter().find(|l| l["raw"] == raw).expect(raw);
    // A DF20 fitting 5,0 and 6,0 from 398101 taxiing, resolved with its
    // state; pyModeS 3.6.1 PipeDecoder over the recording -> bds 6,0.
    let resolved = line("a10000bdf2d87505e02c003910f1");
    assert_eq!(resolved["bds"], "6,0");
    assert!(resolved.get("bds_candidates").is_none());
    // From 38A0DB with no speed known yet: ambiguous (pyModeS reports
    // candidates[0], 5,0, with bds_candidates ['5,0', '6,0']).
    let ambiguous = line("a10000bf805ac700200000111b6f");
    assert!(ambiguous.get("bds").is_none());
    assert_eq!(
        ambiguous["bds_candidates"],
        serde_json::json!(["5,0", "6,0"])
    );
}

#[test]
fn lax_avr_with_a_reference_position_resolves_local_positions() {
    let lines = decode(&[
        "--format",
        "avr",
        "--lat",
        "33.9425",
        "--lon",
        "-118.408",
        &format!("{DATA}/lax-messages.txt"),
    ]);
    assert_eq!(lines.len(), 215_606);
    let positions: Vec<(f64, f64)> = lines
        .iter()
        .filter_map(|l| Some((l.get("lat")?.as_f64()?, l.get("lon")?.as_f64()?)))
        .collect();
    assert!(positions.len() > 5_000, "{} positions", positions.len());
    // All within ~500 km of LAX.
    assert!(
        positions
            .iter()
            .all(|(lat, lon)| (lat - 33.94).abs() < 5.0 && (lon + 118.4).abs() < 6.0)
    );
}

/// pyModeS 3.6 (`pyModeS.decode(msg, reference=(33.9425, -118.408))`, see
/// `scripts/agreement/positions.py`) resolves all 25,542 CRC-valid
/// airborne position frames of lax-messages.txt. The file has no times, so
/// every frame must decode against the reference, not only those that
/// happen to pass a speed check at one instant.
const LAX_PYMODES_AIRBORNE_POSITIONS: usize = 25_542;

#[test]
fn lax_avr_without_times_resolves_every_airborne_position_pymodes_does() {
    let lines = decode(&[
        "--format",
        "avr",
        "--lat",
        "33.9425",
        "--lon",
        "-118.408",
        &format!("{DATA}/lax-messages.txt"),
    ]);
    let airborne = |l: &serde_json::Value| {
        matches!(l["df"].as_u64(), Some(17 | 18))
            && matches!(l["tc"].as_u64(), Some(9..=18 | 20..=22))
            && l.get("lat").is_some()
    };
    let positions = lines.iter().filter(|l| airborne(l)).count();
    assert!(
        positions * 100 >= LAX_PYMODES_AIRBORNE_POSITIONS * 99,
        "{positions} airborne positions, pyModeS {LAX_PYMODES_AIRBORNE_POSITIONS}"
    );
    // A8881E's first and last positions (lines 27245 and 215305), 179 km
    // apart, as pyModeS gives them.
    for (line, lat, lon) in [
        (27_245, 34.601349, -119.550924),
        (215_305, 33.615143, -118.017715),
    ] {
        let l = &lines[line - 1];
        assert_eq!(l["hex"], "a8881e", "line {line}");
        let (got_lat, got_lon) = (l["lat"].as_f64(), l["lon"].as_f64());
        assert!(
            got_lat.is_some_and(|v| (v - lat).abs() < 1e-5)
                && got_lon.is_some_and(|v| (v - lon).abs() < 1e-5),
            "line {line}: {got_lat:?},{got_lon:?}"
        );
    }
}

#[test]
fn lax_avr_without_times_or_reference_gives_no_position_in_a_wrong_cell() {
    let lax = format!("{DATA}/lax-messages.txt");
    let with_ref = decode(&[
        "--format", "avr", "--lat", "33.9425", "--lon", "-118.408", &lax,
    ]);
    let without = decode(&["--format", "avr", &lax]);
    let lat_lon = |l: &serde_json::Value| Some((l.get("lat")?.as_f64()?, l.get("lon")?.as_f64()?));
    let mut positions = 0;
    for (n, (a, b)) in with_ref.iter().zip(&without).enumerate() {
        let Some((lat, lon)) = lat_lon(b) else {
            continue;
        };
        positions += 1;
        // The reference run agrees with pyModeS to 0.1 m; a pair decoded
        // across a gap in reception lands hundreds of kilometres away.
        let (rlat, rlon) = lat_lon(a).unwrap_or((f64::NAN, f64::NAN));
        assert!(
            (lat - rlat).abs() < 1e-3 && (lon - rlon).abs() < 1e-3,
            "line {}: {lat},{lon} without a reference, {rlat},{rlon} with one",
            n + 1
        );
    }
    // Only each aircraft's first pair or so goes without a position
    // (measured: 25,031 of 25,542).
    assert!(
        positions * 100 >= LAX_PYMODES_AIRBORNE_POSITIONS * 97,
        "{positions} positions"
    );
}

#[test]
fn garbage_input_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("junk.csv");
    std::fs::write(&path, "1.0,zz\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_cloudradar-agent"))
        .args(["decode", "--format", "csv"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.csv:1"), "{err}");
}
