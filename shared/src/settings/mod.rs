//! Layered settings for the binaries: one struct per binary derives
//! `clap::Args` (its doc comments are the `--help` text, its
//! `#[arg(default_value…)]` the defaults) and `serde` (its field names are
//! the TOML keys). This module layers them without a per-field copy:
//! default → TOML file → `CLOUDRADAR_*` environment → command-line flag.
//! [`docs`] renders the same `clap::Command` as the README's tables.
//!
//! The struct's `Default` is [`defaults`], so the attribute is the only
//! place a default is written.

pub mod docs;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Command, FromArgMatches, Parser};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why the layers could not be combined. The file's own errors (unknown
/// key, wrong type) come from parsing it alone, before layering, so they
/// name the key and the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// A value has no TOML form (an integer above `i64::MAX`).
    #[error("settings from the command line or environment: {0}")]
    Serialize(#[from] toml::ser::Error),
    /// The combined settings do not read back (a bug in the struct's derives).
    #[error("combined settings: {0}")]
    Deserialize(#[from] toml::de::Error),
    /// The command line did not parse into the struct.
    #[error("command line: {0}")]
    Clap(#[from] clap::Error),
}

/// The process's command line as `C`, with the matches the layering
/// reads; prints usage and exits when it is wrong (or asks for `--help`).
pub fn parse<C: Parser>() -> (C, ArgMatches) {
    let matches = C::command().get_matches();
    match C::from_arg_matches(&matches) {
        Ok(cli) => (cli, matches),
        Err(e) => e.exit(),
    }
}

/// `args` (the program name first) parsed as the command line `C`.
pub fn try_parse_from<C, I, T>(args: I) -> Result<(C, ArgMatches), clap::Error>
where
    C: Parser,
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = C::command().try_get_matches_from(args)?;
    Ok((C::from_arg_matches(&matches)?, matches))
}

/// The settings struct with every field at its `#[arg]` default, the
/// environment ignored: what `Default::default()` returns.
///
/// # Panics
/// When a default does not parse as its field's type, a mistake in the
/// struct's attributes that each binary's `defaults_parse` test catches.
pub fn defaults<T: Args + FromArgMatches>() -> T {
    let cmd = T::augment_args(Command::new("defaults").no_binary_name(true))
        .mut_args(|a| a.env(None::<&str>));
    let parsed = cmd
        .try_get_matches_from(std::iter::empty::<&str>())
        .and_then(|m| T::from_arg_matches(&m));
    match parsed {
        Ok(t) => t,
        Err(e) => panic!("a settings default does not parse: {e}"),
    }
}

/// Whether the argument `id` was given on the command line or through its
/// environment variable (not left at its default).
pub fn explicit(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// `base` (the defaults, or the file read over them) with every setting
/// given on the command line or in the environment replaced by that value.
/// List values given there drop empty items, so `CLOUDRADAR_X=` or a
/// trailing comma means "none", not one empty entry.
pub fn layer<T>(base: &T, matches: &ArgMatches) -> Result<T, LayerError>
where
    T: Serialize + DeserializeOwned + FromArgMatches,
{
    let mut merged = toml::Table::try_from(base)?;
    let given = toml::Table::try_from(T::from_arg_matches(matches)?)?;
    for id in matches.ids().map(|id| id.as_str()) {
        if !explicit(matches, id) {
            continue;
        }
        if let Some(value) = given.get(id) {
            merged.insert(id.to_string(), without_empty_strings(value.clone()));
        }
    }
    Ok(merged.try_into()?)
}

fn without_empty_strings(value: toml::Value) -> toml::Value {
    match value {
        toml::Value::Array(items) => toml::Value::Array(
            items
                .into_iter()
                .filter(|v| v.as_str() != Some(""))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// A settings struct shaped like the binaries' ones.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Parser)]
    #[serde(default, deny_unknown_fields)]
    struct Demo {
        /// A number.
        #[arg(long, env = "SETTINGS_TEST_NUMBER", default_value_t = 7)]
        number: u64,
        /// A name.
        #[arg(long, default_value = "x")]
        name: String,
        /// An optional port.
        #[arg(long)]
        port: Option<u16>,
        /// A list.
        #[arg(long, value_delimiter = ',')]
        items: Vec<String>,
    }

    impl Default for Demo {
        fn default() -> Self {
            defaults()
        }
    }

    fn layered(file: &str, args: &[&str]) -> Demo {
        use clap::CommandFactory;
        let base: Demo = toml::from_str(file).unwrap_or_else(|e| panic!("{e}"));
        let m = Demo::command()
            .no_binary_name(true)
            .try_get_matches_from(args)
            .unwrap_or_else(|e| panic!("{e}"));
        layer(&base, &m).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults_come_from_the_attributes() {
        let d = Demo::default();
        assert_eq!((d.number, d.name.as_str(), d.port), (7, "x", None));
        assert!(d.items.is_empty());
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_the_defaults() {
        let c = layered("number = 3\nname = \"file\"\n", &["--name", "flag"]);
        assert_eq!((c.number, c.name.as_str()), (3, "flag"));
        let c = layered("", &["--port", "80"]);
        assert_eq!((c.number, c.port), (7, Some(80)));
        let c = layered("port = 81\n", &[]);
        assert_eq!(c.port, Some(81));
    }

    #[test]
    fn a_flag_equal_to_the_default_still_overrides_the_file() {
        let c = layered("number = 3\n", &["--number", "7"]);
        assert_eq!(c.number, 7);
    }

    #[test]
    fn empty_list_items_from_the_command_line_are_dropped() {
        let c = layered("items = [\"a\"]\n", &["--items", "b,,c,"]);
        assert_eq!(c.items, ["b", "c"]);
    }
}
