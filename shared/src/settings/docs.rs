//! The settings as documentation: the README's configuration tables are
//! rendered from a binary's `clap::Command`, and checked against it, so
//! the table, `--help` and the code cannot disagree.

use clap::{Arg, ArgAction, Command};

/// The environment variable that makes [`check_readme`] rewrite the
/// README instead of failing.
pub const UPDATE_ENV: &str = "UPDATE_README";

/// A Markdown table of the settings `cmd` defines (the struct's
/// `augment_args` on an empty `Command`): TOML key, flag, environment
/// variable, default and the doc comment, one row per setting.
pub fn markdown_table(cmd: &Command) -> String {
    let mut out = String::from(
        "| key | flag | environment | default | what |\n| --- | --- | --- | --- | --- |\n",
    );
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let env = arg
            .get_env()
            .map_or("".into(), |e| format!("`{}`", e.to_string_lossy()));
        out.push_str(&format!(
            "| `{id}` | {} | {env} | {} | {} |\n",
            cell(&flag(arg)),
            cell(&default(arg)),
            cell(&help(arg)),
        ));
    }
    out
}

/// The flag as typed, with how lists are given.
fn flag(arg: &Arg) -> String {
    let Some(long) = arg.get_long() else {
        return String::new();
    };
    let mut notes = Vec::new();
    if matches!(arg.get_action(), ArgAction::Append) {
        notes.push("repeatable");
    }
    if arg.get_value_delimiter().is_some() {
        notes.push("comma-separated");
    }
    match notes.is_empty() {
        true => format!("`--{long}`"),
        false => format!("`--{long}` ({})", notes.join(", ")),
    }
}

fn default(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    match values.is_empty() {
        true => "none".into(),
        false => values.join(", "),
    }
}

/// The whole doc comment on one line.
fn help(arg: &Arg) -> String {
    let text = arg
        .get_long_help()
        .or(arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes what would end a table cell (GitHub Markdown reads `\|` as a
/// literal bar, inside code spans too).
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Every option, positional argument and subcommand of `cmd` (recursively)
/// whose help is missing or only points elsewhere ("See `...`"), named as
/// `command --flag`; empty when every one explains itself.
pub fn help_stubs(cmd: &Command) -> Vec<String> {
    let mut found = Vec::new();
    collect_stubs(cmd, cmd.get_name(), &mut found);
    found
}

fn collect_stubs(cmd: &Command, path: &str, found: &mut Vec<String>) {
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        if is_stub(&help(arg)) {
            let name = arg.get_long().map_or(id.to_string(), |l| format!("--{l}"));
            found.push(format!("{path} {name}"));
        }
    }
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{path} {}", sub.get_name());
        let about = sub
            .get_long_about()
            .or(sub.get_about())
            .map(ToString::to_string)
            .unwrap_or_default();
        if is_stub(&about) {
            found.push(name.clone());
        }
        collect_stubs(sub, &name, found);
    }
}

fn is_stub(text: &str) -> bool {
    let text = text.trim();
    text.is_empty() || text.starts_with("See ")
}

/// The text between `<!-- settings:NAME -->` and `<!-- /settings:NAME -->`
/// in `readme` replaced by `table`; an error when a marker is missing.
pub fn replace_section(readme: &str, name: &str, table: &str) -> Result<String, String> {
    let open = format!("<!-- settings:{name} -->\n");
    let close = format!("<!-- /settings:{name} -->");
    let start = readme
        .find(&open)
        .ok_or_else(|| format!("README has no `{}` marker", open.trim()))?
        + open.len();
    let end = readme[start..]
        .find(&close)
        .ok_or_else(|| format!("README has no `{close}` marker"))?
        + start;
    Ok(format!("{}{table}{}", &readme[..start], &readme[end..]))
}

/// Checks the README section `name` against `table`. With
/// `UPDATE_README=1` a differing section is rewritten instead; otherwise
/// the error holds the expected table.
pub fn check_readme(path: &std::path::Path, name: &str, table: &str) -> Result<(), String> {
    let readme = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let wanted = replace_section(&readme, name, table)?;
    if wanted == readme {
        return Ok(());
    }
    if std::env::var_os(UPDATE_ENV).is_some_and(|v| v == "1") {
        return std::fs::write(path, wanted).map_err(|e| format!("{}: {e}", path.display()));
    }
    Err(format!(
        "{}: the `{name}` settings table differs from the code; \
         run with {UPDATE_ENV}=1 to rewrite it. Expected:\n{table}",
        path.display()
    ))
}

/// For each binary's tests: the README's `name` table is the one `S`
/// renders, and every option and subcommand of `cli` says what it does.
/// Returns every problem found.
pub fn check_binary<S: clap::Args>(
    readme: &std::path::Path,
    name: &'static str,
    cli: &Command,
) -> Result<(), String> {
    let table = markdown_table(&S::augment_args(Command::new(name)));
    check_readme(readme, name, &table)?;
    let stubs = help_stubs(cli);
    if !stubs.is_empty() {
        return Err(format!("options without a real help line: {stubs:?}"));
    }
    cli.clone().debug_assert();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Command {
        Command::new("demo")
            .arg(
                Arg::new("data_dir")
                    .long("data-dir")
                    .env("DEMO_DATA_DIR")
                    .default_value("data")
                    .help("Where the data goes: `a|b`"),
            )
            .arg(Arg::new("seed").long("seed").help("See `seed`"))
            .subcommand(Command::new("run"))
            .subcommand(Command::new("stop").about("Stops it"))
    }

    #[test]
    fn table_rows_carry_key_flag_env_default_and_help() {
        let t = markdown_table(&demo());
        assert!(
            t.contains(
                "| `data_dir` | `--data-dir` | `DEMO_DATA_DIR` | `data` | Where the data goes: `a\\|b` |"
            ),
            "{t}"
        );
        assert!(
            t.contains("| `seed` | `--seed` |  | none | See `seed` |"),
            "{t}"
        );
    }

    #[test]
    fn stubs_and_undocumented_subcommands_are_found() {
        assert_eq!(help_stubs(&demo()), ["demo --seed", "demo run"]);
    }

    #[test]
    fn a_section_is_replaced_between_its_markers_only() {
        let readme = "a\n<!-- settings:x -->\nold\n<!-- /settings:x -->\nb\n";
        let new = replace_section(readme, "x", "new\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            new,
            "a\n<!-- settings:x -->\nnew\n<!-- /settings:x -->\nb\n"
        );
        assert!(replace_section(readme, "y", "new\n").is_err());
    }
}
