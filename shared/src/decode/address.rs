//! Whose message it is: the 24-bit address and what kind of address it is
//! (readsb's `addrtype`, DO-260B §2.2.3.2.1.4 and table 2-9 for DF18 CF).

/// The kind of address a message carries, from most to least trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// DF17 ADS-B from a transponder with an ICAO 24-bit address.
    AdsbIcao,
    /// DF18 CF=0: ADS-B from a non-transponder device, ICAO address.
    AdsbIcaoNt,
    /// DF18 CF=6 IMF=0: ADS-R rebroadcast of an ICAO address.
    AdsrIcao,
    /// DF18 CF=2/3 IMF=0: TIS-B for an ICAO address.
    TisbIcao,
    /// DF18 CF=1: ADS-B with an anonymous / non-ICAO address.
    AdsbOther,
    /// DF18 CF=6 IMF=1: ADS-R of a non-ICAO address.
    AdsrOther,
    /// DF18 CF=2/3 IMF=1: TIS-B track file number.
    TisbTrackfile,
    /// DF18 CF=5 or other TIS-B with a non-ICAO address.
    TisbOther,
    /// Recovered from the parity of a Mode S reply (DF0/4/5/16/20/21) or an
    /// all-call (DF11): not verifiable from the message alone.
    ModeS,
    /// A position multilaterated from the arrival times of replies at
    /// several receivers; never decoded from a message, set only by the
    /// tracker when it accepts a multilaterated position.
    Mlat,
}

impl AddressKind {
    /// readsb's `type` string for aircraft.json.
    pub fn readsb_name(self) -> &'static str {
        match self {
            Self::AdsbIcao => "adsb_icao",
            Self::AdsbIcaoNt => "adsb_icao_nt",
            Self::AdsrIcao => "adsr_icao",
            Self::TisbIcao => "tisb_icao",
            Self::AdsbOther => "adsb_other",
            Self::AdsrOther => "adsr_other",
            Self::TisbTrackfile => "tisb_trackfile",
            Self::TisbOther => "tisb_other",
            Self::ModeS => "mode_s",
            Self::Mlat => "mlat",
        }
    }

    /// `true` for addresses that are not ICAO 24-bit aircraft addresses;
    /// readsb prints those with a leading `~`.
    pub fn is_non_icao(self) -> bool {
        matches!(
            self,
            Self::AdsbOther | Self::AdsrOther | Self::TisbTrackfile | Self::TisbOther
        )
    }
}

/// A 24-bit address with its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    /// The 24-bit value.
    pub icao: u32,
    /// What kind of address it is.
    pub kind: AddressKind,
}

impl Address {
    /// readsb's `hex` form: six lowercase hex digits, `~` first for non-ICAO.
    pub fn hex(&self) -> String {
        if self.kind.is_non_icao() {
            format!("~{:06x}", self.icao)
        } else {
            format!("{:06x}", self.icao)
        }
    }
}
