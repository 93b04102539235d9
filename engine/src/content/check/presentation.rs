//! What only players see: the art's path, the flavour text, the translations.

use super::{Checker, join};
use crate::content::load::{Located, Seg, tpath};
use crate::content::schema::{CardDef, Translation};

/// Flavour text longer than this does not fit under the rules text.
const MAX_FLAVOR_CHARS: usize = 200;
const ART_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "svg"];

/// What only players see: the art's path, the flavour text, the translations (a translated
/// rules text must say which English text, `english`, it translates).
pub(super) fn check_presentation(ck: &mut Checker<'_>, card: &Located<CardDef>, english: &str) {
    let c = &card.value;
    let f = card.file;
    let at = |more: Vec<Seg>| join(&card.path, more);
    if let Some(art) = &c.art {
        let extension = art.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let inside = !art.starts_with('/')
            && !art.contains('\\')
            && art.split('/').all(|part| !part.is_empty() && part != "..");
        if !inside {
            ck.err(
                f,
                at(tpath!["art"]),
                format!("art `{art}` is not a path inside the content directory"),
                Some(
                    "write it relative to the content directory, e.g. `art/shade_bat.png`"
                        .to_owned(),
                ),
            );
        } else if !extension.is_some_and(|e| ART_EXTENSIONS.contains(&e.as_str())) {
            ck.err(
                f,
                at(tpath!["art"]),
                format!("art `{art}` is not a picture this game shows"),
                Some(format!("use one of: {}", ART_EXTENSIONS.join(", "))),
            );
        }
    }
    let too_long = |text: &str| text.chars().count() > MAX_FLAVOR_CHARS;
    if too_long(&c.flavor) {
        ck.err(
            f,
            at(tpath!["flavor"]),
            format!("flavour text of {} characters", c.flavor.chars().count()),
            Some(format!(
                "keep it to {MAX_FLAVOR_CHARS} characters: a line under the rules text"
            )),
        );
    }
    for (tag, translation) in &c.translations {
        let here = |field: &str| at(tpath!["translations", tag.as_str(), field]);
        if !is_language_tag(tag) {
            ck.err(
                f,
                at(tpath!["translations", tag.as_str()]),
                format!("`{tag}` is not a language tag"),
                Some("use a tag like `fr`, `de` or `pt-BR`".to_owned()),
            );
        }
        if translation.name.trim().is_empty() {
            ck.err(f, here("name"), format!("the `{tag}` name is empty"), None);
        }
        if too_long(&translation.flavor) {
            ck.err(
                f,
                here("flavor"),
                format!("`{tag}` flavour text over {MAX_FLAVOR_CHARS} characters"),
                None,
            );
        }
        check_translated_text(ck, f, here("text"), tag, translation, english);
    }
}

/// A translated rules text longer than this does not fit on a card (the longest English
/// text of the shipped set is under 200 characters).
const MAX_TRANSLATED_TEXT_CHARS: usize = 400;

/// A translated rules text names the English text it was made from; when the card's
/// abilities make another text now, the translation is stale (a warning: the English text
/// is still right, the translation needs a translator).
fn check_translated_text(
    ck: &mut Checker<'_>,
    f: usize,
    at: Vec<Seg>,
    tag: &str,
    t: &Translation,
    english: &str,
) {
    let chars = t.text.chars().count();
    if chars > MAX_TRANSLATED_TEXT_CHARS {
        ck.err(
            f,
            at.clone(),
            format!("the `{tag}` rules text has {chars} characters"),
            Some(format!(
                "keep it to {MAX_TRANSLATED_TEXT_CHARS}: it has to fit on the card"
            )),
        );
    }
    match (t.text.is_empty(), t.text_from.as_str()) {
        (true, "") => {}
        (true, _) => ck.err(
            f,
            at,
            format!("the `{tag}` translation has `text_from` but no `text`"),
            Some("give the translated `text`, or remove `text_from`".to_owned()),
        ),
        (false, "") => ck.err(
            f,
            at,
            format!("the `{tag}` rules text does not say what it translates"),
            Some(format!("add `text_from = \"{english}\"`")),
        ),
        (false, from) if from != english => ck.warn(
            f,
            at,
            format!("the `{tag}` rules text is stale: the card does something else now"),
            Some(format!(
                "it translates \"{from}\", the card now says \"{english}\"; translate that and update `text_from`"
            )),
        ),
        (false, _) => {}
    }
}

/// `fr`, `fil`, `pt-BR`: a language (2 or 3 lowercase letters), maybe a region (2
/// uppercase letters).
fn is_language_tag(tag: &str) -> bool {
    let (language, region) = match tag.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (tag, None),
    };
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
}
