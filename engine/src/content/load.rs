//! Reading content: files from disk, then each file parsed item by item so one
//! broken card does not hide the problems of the next.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostics::{
    CheckReport, Diagnostic, Severity, explain_serde_message, line_col, names_hint,
};
use super::schema::{CardDef, DeckDef, RulesDef};

/// One content file's text and the name diagnostics use for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// Shown in diagnostics, e.g. `content/cards/tide.toml`.
    pub name: String,
    /// Path relative to the content directory, `/`-separated; hashed into the version.
    pub rel: String,
    /// The file's text.
    pub text: String,
}

/// A step of a path into a file's TOML tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Shorthand for building paths: `tpath!["card", 3, "cost"]`.
macro_rules! tpath {
    ($($seg:expr),* $(,)?) => { vec![$($crate::content::load::Seg::from($seg)),*] };
}
pub(crate) use tpath;

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_owned())
    }
}
impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// An item found in a file, with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Located<T> {
    pub file: usize,
    /// Path to the item, e.g. `["card", 3]`.
    pub path: Vec<Seg>,
    pub value: T,
}

/// What parsing all files produced (items that deserialised cleanly).
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub rules: Vec<Located<RulesDef>>,
    pub cards: Vec<Located<CardDef>>,
    pub decks: Vec<Located<DeckDef>>,
}

/// Reads every `.toml` file under `dir` (recursively), sorted by relative path so
/// the content version does not depend on directory iteration order.
pub(crate) fn read_dir(dir: &Path, report: &mut CheckReport) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                report.push(error_at(&d, format!("cannot read directory: {e}"), None));
                continue;
            }
        };
        for entry in entries.flatten() {
            let p = entry.path();
            // `file_type` does not follow symlinks, so a link loop cannot recurse forever.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                paths.push(p);
            }
        }
    }
    let mut files: Vec<SourceFile> = Vec::new();
    for p in paths {
        let rel = p
            .strip_prefix(dir)
            .unwrap_or(&p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        match std::fs::read_to_string(&p) {
            Ok(text) => files.push(SourceFile {
                name: p.display().to_string(),
                rel,
                text,
            }),
            Err(e) => report.push(error_at(&p, format!("cannot read file: {e}"), None)),
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    files
}

fn error_at(p: &Path, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic {
        file: p.display().to_string(),
        line: 1,
        col: 1,
        severity: Severity::Error,
        message,
        hint,
    }
}

/// The content version: SHA-256 over every file's relative path and bytes, hex.
pub(crate) fn version_of(files: &[SourceFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update((f.rel.len() as u64).to_le_bytes());
        h.update(f.rel.as_bytes());
        h.update((f.text.len() as u64).to_le_bytes());
        h.update(f.text.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds a diagnostic at a byte span of a file.
pub(crate) fn diag(
    file: &SourceFile,
    span: Range<usize>,
    severity: Severity,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    let (line, col) = line_col(&file.text, span.start);
    Diagnostic {
        file: file.name.clone(),
        line,
        col,
        severity,
        message,
        hint,
    }
}

/// Parses every file: syntax errors (all of them, recovered), unknown top-level
/// tables, and each `[rules]`/`[[card]]`/`[[deck]]` item deserialised on its own.
pub(crate) fn parse_files(files: &[SourceFile], report: &mut CheckReport) -> Parsed {
    let mut parsed = Parsed::default();
    for (fi, file) in files.iter().enumerate() {
        let (root, errors) = DeTable::parse_recoverable(&file.text);
        if !errors.is_empty() {
            for e in errors {
                let span = e.span().unwrap_or(0..0);
                report.push(diag(
                    file,
                    span,
                    Severity::Error,
                    format!("TOML syntax: {}", e.message().trim()),
                    Some(
                        "see https://toml.io; strings need quotes, tables need [brackets]"
                            .to_owned(),
                    ),
                ));
            }
            // Items of a file that does not parse would be reported against a
            // guessed tree; the syntax errors are what the designer must fix first.
            continue;
        }
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "rules" => {
                    if let Some(v) = item(file, value, report) {
                        parsed.rules.push(Located {
                            file: fi,
                            path: tpath!["rules"],
                            value: v,
                        });
                    }
                }
                "card" => each_item(file, fi, "card", value, report, &mut parsed.cards),
                "deck" => each_item(file, fi, "deck", value, report, &mut parsed.decks),
                other => report.push(diag(
                    file,
                    key.span(),
                    Severity::Error,
                    format!("unknown table `{other}`"),
                    Some(names_hint(other, "tables", &["rules", "card", "deck"])),
                )),
            }
        }
    }
    parsed
}

fn each_item<T: DeserializeOwned>(
    file: &SourceFile,
    fi: usize,
    key: &str,
    value: &Spanned<DeValue<'_>>,
    report: &mut CheckReport,
    out: &mut Vec<Located<T>>,
) {
    let Some(items) = value.get_ref().as_array() else {
        report.push(diag(
            file,
            value.span(),
            Severity::Error,
            format!("`{key}` must be an array of tables"),
            Some(format!("write each one under a `[[{key}]]` header")),
        ));
        return;
    };
    for (i, v) in items.iter().enumerate() {
        if let Some(parsed) = item(file, v, report) {
            out.push(Located {
                file: fi,
                path: tpath![key, i],
                value: parsed,
            });
        }
    }
}

/// Deserialises one item; on failure reports where and why.
fn item<T: DeserializeOwned>(
    file: &SourceFile,
    value: &Spanned<DeValue<'_>>,
    report: &mut CheckReport,
) -> Option<T> {
    let de = ValueDeserializer::from(value.clone());
    match T::deserialize(de) {
        Ok(v) => Some(v),
        Err(e) => {
            let span = e.span().unwrap_or_else(|| value.span());
            let (message, hint) = explain_serde_message(e.message());
            report.push(diag(file, span, Severity::Error, message, hint));
            None
        }
    }
}

/// The byte span of the deepest existing node along `path` in `file`.
pub(crate) fn span_of(file: &SourceFile, path: &[Seg]) -> Range<usize> {
    let Ok(root) = DeTable::parse(&file.text) else {
        return 0..0;
    };
    let mut span = 0..0;
    let mut cur: Option<&Spanned<DeValue<'_>>> = None;
    for (i, seg) in path.iter().enumerate() {
        let next = match (i, seg, cur) {
            (0, Seg::Key(k), _) => root.get_ref().get(k.as_str()),
            (_, Seg::Key(k), Some(v)) => v.get_ref().get(k.as_str()),
            (_, Seg::Index(n), Some(v)) => v.get_ref().get(*n),
            _ => None,
        };
        match next {
            Some(v) => {
                span = v.span();
                cur = Some(v);
            }
            None => break,
        }
    }
    span
}
