//! The checks of [`Config::validate`] that span several settings.

use super::Config;

impl Config {
    pub(super) fn validate_site(&self) -> Result<(), String> {
        match (self.site_lat, self.site_lon) {
            (None, None) => Ok(()),
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Ok(())
            }
            (Some(_), Some(_)) => {
                Err("site_lat/site_lon: latitude -90 to 90, longitude -180 to 180".into())
            }
            _ => Err("site_lat/site_lon: set both or neither".into()),
        }
    }

    pub(super) fn validate_archive(&self) -> Result<(), String> {
        if !self.archive {
            return Ok(());
        }
        if self.backup_bucket.is_none() {
            return Err(
                "archive: needs backup_bucket (the archive goes to the same bucket)".into(),
            );
        }
        let p = &self.archive_prefix;
        if p.is_empty() || p.starts_with('/') || p.ends_with('/') || *p == self.backup_prefix {
            return Err(
                "archive_prefix: not empty, no leading or trailing '/', not backup_prefix".into(),
            );
        }
        let shard = &self.archive_shard;
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
        if shard.is_empty() || !shard.chars().all(plain) {
            return Err("archive_shard: letters, digits, '_' and '.' only".into());
        }
        if self.archive_interval_s == 0 {
            return Err("archive_interval_s: at least 1".into());
        }
        Ok(())
    }
}
