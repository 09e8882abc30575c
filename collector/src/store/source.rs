//! Where a stored position came from, the `source` column of `positions`
//! (migration 0008): an extended squitter (ADS-B, ADS-R, TIS-B) decoded
//! from one receiver's frame, or a position multilaterated from several.

use cloudradar_shared::state::Source;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Serialize, Serializer};

/// The source of one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PositionSource {
    /// DF17 or DF18 ADS-B.
    #[default]
    Adsb,
    /// DF18 ADS-R rebroadcast.
    Adsr,
    /// DF18 TIS-B.
    Tisb,
    /// Multilaterated.
    Mlat,
}

impl PositionSource {
    /// The stored name: `adsb`, `adsr`, `tisb` or `mlat`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adsb => "adsb",
            Self::Adsr => "adsr",
            Self::Tisb => "tisb",
            Self::Mlat => "mlat",
        }
    }

    /// The source named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Adsb, Self::Adsr, Self::Tisb, Self::Mlat]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// The position source of a tracker source; `None` for Mode S, which
    /// carries no position.
    pub fn of(source: Source) -> Option<Self> {
        match source {
            Source::Adsb => Some(Self::Adsb),
            Source::Adsr => Some(Self::Adsr),
            Source::Tisb => Some(Self::Tisb),
            Source::Mlat => Some(Self::Mlat),
            Source::ModeS => None,
        }
    }
}

impl Serialize for PositionSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl ToSql for PositionSource {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for PositionSource {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Self::parse(text)
            .ok_or_else(|| FromSqlError::Other(format!("position source {text:?}").into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_reads_back_by_its_name() {
        for s in [
            PositionSource::Adsb,
            PositionSource::Adsr,
            PositionSource::Tisb,
            PositionSource::Mlat,
        ] {
            assert_eq!(PositionSource::parse(s.as_str()), Some(s));
        }
        assert_eq!(PositionSource::parse("mode_s"), None);
        assert_eq!(PositionSource::of(Source::ModeS), None);
        assert_eq!(PositionSource::of(Source::Tisb), Some(PositionSource::Tisb));
    }
}
