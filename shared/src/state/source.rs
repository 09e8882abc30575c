//! Where a field's value came from: readsb's `datasource_t` (`readsb.h`)
//! for the sources we have, in readsb's order (worse first), so that
//! aircraft.json can list the fields from MLAT and TIS-B (`json_out.c`
//! `append_flags`) and a worse source can be kept from overriding a
//! better current one (`track.c` `accept_data`).

use crate::decode::AddressKind;

/// readsb's `TRACK_STALE` (`track.h`): for this long after a field was
/// set, a worse source does not replace it.
pub(crate) const TRACK_STALE_MS: u64 = 15_000;

/// The source of a field, ordered as readsb ranks them (worse < better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Multilaterated (`SOURCE_MLAT`).
    Mlat,
    /// A Mode S reply or all-call without ADS-B (`SOURCE_MODE_S`).
    ModeS,
    /// DF18 TIS-B (`SOURCE_TISB`).
    Tisb,
    /// DF18 ADS-R rebroadcast (`SOURCE_ADSR`).
    Adsr,
    /// DF17 or DF18 ADS-B (`SOURCE_ADSB`).
    Adsb,
}

impl Source {
    /// The source of a message whose address is of `kind` (readsb's
    /// `mode_s.c` sets TIS-B and ADS-R sources for DF18 by CF).
    pub fn of(kind: AddressKind) -> Self {
        match kind {
            AddressKind::AdsbIcao | AddressKind::AdsbIcaoNt | AddressKind::AdsbOther => Self::Adsb,
            AddressKind::AdsrIcao | AddressKind::AdsrOther => Self::Adsr,
            AddressKind::TisbIcao | AddressKind::TisbTrackfile | AddressKind::TisbOther => {
                Self::Tisb
            }
            AddressKind::ModeS => Self::ModeS,
            AddressKind::Mlat => Self::Mlat,
        }
    }

    /// The stored name of a position's source: `adsb`, `adsr`, `tisb`,
    /// `mlat` (`mode_s` never gives a position).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mlat => "mlat",
            Self::ModeS => "mode_s",
            Self::Tisb => "tisb",
            Self::Adsr => "adsr",
            Self::Adsb => "adsb",
        }
    }

    /// readsb's `will_accept_data` for a field last set by `current` at
    /// `updated_ms`: a worse source waits until the field is stale.
    pub(crate) fn may_replace(self, current: Option<Source>, updated_ms: u64, now_ms: u64) -> bool {
        match current {
            Some(c) if self < c => now_ms >= updated_ms.saturating_add(TRACK_STALE_MS),
            _ => true,
        }
    }
}

/// readsb's order of `append_flags` (`json_out.c`), by which the `mlat`
/// and `tisb` lists are sorted.
pub(crate) const FLAG_ORDER: &[&str] = &[
    "callsign",
    "altitude",
    "alt_geom",
    "gs",
    "ias",
    "tas",
    "mach",
    "track",
    "track_rate",
    "roll",
    "mag_heading",
    "true_heading",
    "baro_rate",
    "geom_rate",
    "squawk",
    "emergency",
    "nav_qnh",
    "nav_altitude_mcp",
    "nav_altitude_fms",
    "nav_heading",
    "nav_modes",
    "lat",
    "lon",
    "nic",
    "rc",
    "nic_baro",
    "nac_p",
    "nac_v",
    "sil",
    "sil_type",
    "gva",
    "sda",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worse_source_waits_until_the_field_is_stale() {
        let t = 1_000_000;
        assert!(!Source::Mlat.may_replace(Some(Source::Adsb), t, t + 14_999));
        assert!(Source::Mlat.may_replace(Some(Source::Adsb), t, t + 15_000));
        assert!(Source::Adsb.may_replace(Some(Source::Mlat), t, t));
        assert!(Source::Mlat.may_replace(Some(Source::Mlat), t, t));
        assert!(Source::Mlat.may_replace(None, 0, t));
    }

    #[test]
    fn tis_b_and_ads_r_have_sources_of_their_own() {
        assert_eq!(Source::of(AddressKind::TisbIcao), Source::Tisb);
        assert_eq!(Source::of(AddressKind::AdsrIcao), Source::Adsr);
        assert_eq!(Source::of(AddressKind::AdsbIcaoNt), Source::Adsb);
        assert!(Source::Mlat < Source::ModeS && Source::Tisb < Source::Adsb);
    }
}
