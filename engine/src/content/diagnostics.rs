//! Compiler-style diagnostics for content: `file:line:col: error: message` and a hint line.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::schema::{
    AURA_NAMES, CARD_KIND_NAMES, CONDITION_NAMES, COUNTER_NAMES, EFFECT_NAMES, KEYWORD_NAMES,
    PICK_NAMES, RARITY_NAMES, SIDE_NAMES, TARGET_KIND_NAMES, TRIGGER_NAMES,
};

/// Error or warning. Only errors make a report fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Content is unusable.
    Error,
    /// Probably a mistake, but the content loads.
    Warning,
}

/// One problem, located in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Path as given to the checker (relative to the content dir's parent when possible).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it (did-you-mean, valid names), if we know.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.col, sev, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Everything the checker found, errors and warnings, in file/line order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Problems that make the content unusable.
    pub errors: Vec<Diagnostic>,
    /// Suspicious things that do not stop loading.
    pub warnings: Vec<Diagnostic>,
}

impl CheckReport {
    /// True when there are no errors (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.errors.push(d),
            Severity::Warning => self.warnings.push(d),
        }
    }

    pub(crate) fn sort(&mut self) {
        let key = |d: &Diagnostic| (d.file.clone(), d.line, d.col);
        self.errors.sort_by_key(key);
        self.warnings.sort_by_key(key);
        self.errors.dedup();
        self.warnings.dedup();
    }
}

impl fmt::Display for CheckReport {
    /// Every diagnostic (errors first), then a one-line summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.errors.iter().chain(&self.warnings) {
            writeln!(f, "{d}")?;
        }
        write!(
            f,
            "{} error(s), {} warning(s)",
            self.errors.len(),
            self.warnings.len()
        )
    }
}

/// 1-based (line, column) of a byte offset; columns count characters.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    // Step back to a char boundary so slicing cannot panic.
    let mut at = offset;
    while at > 0 && !src.is_char_boundary(at) {
        at -= 1;
    }
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Levenshtein distance, small and allocation-light (names are short).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate, if it is close enough to be a plausible typo.
pub(crate) fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_owned())
}

/// A hint naming the closest valid name and listing them all.
pub(crate) fn names_hint(name: &str, what: &str, valid: &[&str]) -> String {
    let list = valid
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match did_you_mean(name, valid.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? valid {what}: {list}"),
        None => format!("valid {what}: {list}"),
    }
}

/// Turns serde's message for a deserialisation error into ours: names the
/// vocabulary category ("unknown effect" rather than "unknown variant") and adds
/// a did-you-mean hint.
pub(crate) fn explain_serde_message(msg: &str) -> (String, Option<String>) {
    let msg = msg.trim();
    let first_tick = |s: &str| -> Option<String> {
        let start = s.find('`')? + 1;
        let len = s[start..].find('`')?;
        Some(s[start..start + len].to_owned())
    };
    // serde lists the valid names after "expected" as `a`, `b` or `c`.
    let expected: Vec<String> = msg
        .split_once("expected")
        .map(|(_, rest)| {
            rest.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let same = |names: &[&str]| {
        expected.len() == names.len() && names.iter().all(|n| expected.iter().any(|e| e == n))
    };
    let category = if same(EFFECT_NAMES) {
        "effect"
    } else if same(KEYWORD_NAMES) {
        "keyword"
    } else if same(TRIGGER_NAMES) {
        "trigger"
    } else if same(PICK_NAMES) {
        "pick"
    } else if same(SIDE_NAMES) {
        "side"
    } else if same(TARGET_KIND_NAMES) {
        "target kind"
    } else if same(CONDITION_NAMES) {
        "condition"
    } else if same(RARITY_NAMES) {
        "rarity"
    } else if same(CARD_KIND_NAMES) {
        "card kind"
    } else if same(AURA_NAMES) {
        "aura"
    } else if same(COUNTER_NAMES) {
        "count"
    } else {
        ""
    };
    let expected_refs: Vec<&str> = expected.iter().map(String::as_str).collect();
    if msg.starts_with("unknown variant")
        && let Some(name) = first_tick(msg)
    {
        let what = if category.is_empty() {
            "name"
        } else {
            category
        };
        let hint = names_hint(&name, &format!("{what}s"), &expected_refs);
        return (format!("unknown {what} `{name}`"), Some(hint));
    }
    if msg.starts_with("unknown field")
        && let Some(name) = first_tick(msg)
    {
        let hint = if expected_refs.is_empty() {
            "this table takes no fields".to_owned()
        } else {
            names_hint(&name, "fields", &expected_refs)
        };
        return (format!("unknown field `{name}`"), Some(hint));
    }
    if msg.starts_with("missing field")
        && let Some(name) = first_tick(msg)
    {
        let hint = match name.as_str() {
            "effect" => names_hint("", "effects", EFFECT_NAMES),
            "check" => names_hint("", "conditions", CONDITION_NAMES),
            _ => format!("add `{name} = ...` to this table"),
        };
        return (format!("missing field `{name}`"), Some(hint));
    }
    if msg.contains("untagged enum Amount") {
        return (
            "`amount` is neither a number nor a count".to_owned(),
            Some(format!(
                "write a number (`amount = 3`) or a count (`amount = {{ count = \"units\", side = \"own\" }}`); counts: {}",
                COUNTER_NAMES.join(", ")
            )),
        );
    }
    if msg.starts_with("invalid type") {
        return (
            msg.to_owned(),
            Some("check the value's type (quotes for names, no quotes for numbers)".to_owned()),
        );
    }
    (msg.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let s = "ab\ncé d\n";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 3), (2, 1));
        assert_eq!(line_col(s, 6), (2, 3));
        assert_eq!(line_col(s, 1000), (3, 1));
    }

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(
            did_you_mean("damge", EFFECT_NAMES.iter().copied()).as_deref(),
            Some("damage")
        );
        assert_eq!(
            did_you_mean("gaurd", KEYWORD_NAMES.iter().copied()).as_deref(),
            Some("guard")
        );
        assert_eq!(did_you_mean("xyzzy", KEYWORD_NAMES.iter().copied()), None);
    }

    #[test]
    fn serde_messages_are_named() {
        let (m, h) = explain_serde_message(
            "unknown variant `gaurd`, expected one of `guard`, `swift`, `shield`, `lifesteal`, `venom`, `stealth`",
        );
        assert_eq!(m, "unknown keyword `gaurd`");
        assert!(h.unwrap_or_default().contains("did you mean `guard`?"));
    }
}
