//! TOML content → compact JSON, with structural checks. Used by `build.rs` and by the
//! `build_script` integration test (both include this file with `#[path]`, next to
//! `src/model.rs` and `src/validate.rs`), so the messages the build prints are tested.
//!
//! Each failure is reported as one message naming the file, the place (question id where there
//! is one) and the problem: unparseable TOML, a field missing or of the wrong type, an unknown
//! field (a typo such as `hepl` would otherwise be silently ignored), then everything
//! `validate_with` checks (duplicate ids, missing translations, …).

use serde_json::Value as Json;

use crate::model::{Question, Questionnaire};
use crate::validate::{validate_with, Rules};

/// Parses, checks and converts one content file. Returns the compact JSON of the questionnaire
/// *as authored* (default scale not yet expanded into each question, which keeps the embedded
/// text small; the crate expands it once at load time).
pub fn convert(file: &str, text: &str, rules: &Rules) -> Result<String, String> {
    let doc: toml::Table = toml::from_str(text)
        .map_err(|e| format!("{file}: invalid TOML: {}", e.to_string().trim_end()))?;

    // Question by question first, so an error names the question rather than a position.
    let mut errors = Vec::new();
    let themes = doc.get("themes").and_then(|t| t.as_array());
    for (ti, theme) in themes.into_iter().flatten().enumerate() {
        let theme_id = theme
            .get("id")
            .and_then(|v| v.as_str())
            .map(|s| format!("`{s}`"))
            .unwrap_or_else(|| format!("#{}", ti + 1));
        let questions = theme.get("questions").and_then(|q| q.as_array());
        for (qi, question) in questions.into_iter().flatten().enumerate() {
            let question_id = question
                .get("id")
                .and_then(|v| v.as_str())
                .map(|s| format!("`{s}`"))
                .unwrap_or_else(|| format!("#{} (no id)", qi + 1));
            let place = format!("{file}: question {question_id} (theme {theme_id})");
            match question.clone().try_into::<Question>() {
                Err(e) => errors.push(format!("{place}: {}", e.to_string().trim_end())),
                Ok(parsed) => {
                    for field in unknown_fields(question, &parsed) {
                        errors.push(format!("{place}: unknown field `{field}`"));
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }

    let q: Questionnaire =
        toml::from_str(text).map_err(|e| format!("{file}: {}", e.to_string().trim_end()))?;
    let unknown = unknown_fields(&doc, &q);
    if !unknown.is_empty() {
        return Err(unknown
            .iter()
            .map(|f| format!("{file}: unknown field `{f}`"))
            .collect::<Vec<_>>()
            .join("\n"));
    }

    let mut loaded = q.clone();
    loaded.normalise();
    validate_with(&loaded, file, rules).map_err(|e| e.to_string())?;

    let mut json =
        serde_json::to_value(&q).map_err(|e| format!("{file}: cannot serialise to JSON: {e}"))?;
    french_typography_in(&mut json);
    serde_json::to_string(&json).map_err(|e| format!("{file}: cannot serialise to JSON: {e}"))
}

/// Applies [`french_typography`] to the `fr` half of every bilingual text (any object holding
/// exactly the keys `fr` and `en`).
fn french_typography_in(value: &mut Json) {
    match value {
        Json::Object(map) => {
            let bilingual = map.len() == 2 && map.contains_key("fr") && map.contains_key("en");
            if bilingual {
                if let Some(Json::String(fr)) = map.get_mut("fr") {
                    *fr = french_typography(fr);
                }
            } else {
                map.values_mut().for_each(french_typography_in);
            }
        }
        Json::Array(items) => items.iter_mut().for_each(french_typography_in),
        _ => {}
    }
}

/// French typography, so authors can type ordinary spaces: a narrow no-break space before
/// `?`, `!`, `;` and between groups of digits (`3 500`), a no-break space before `:`, `»`, `%`,
/// `€`, after `«` and after `n°`. Without it a phone screen may wrap a lone `?` or `»` onto the
/// next line.
pub fn french_typography(s: &str) -> String {
    const NNBSP: char = '\u{202F}';
    const NBSP: char = '\u{00A0}';
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if c != ' ' {
            out.push(c);
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let replacement = match (prev, next) {
            (_, Some('?' | '!' | ';')) => NNBSP,
            (Some(p), Some(n)) if p.is_ascii_digit() && n.is_ascii_digit() => NNBSP,
            (_, Some(':' | '»' | '%' | '€')) | (Some('«' | '°'), _) => NBSP,
            _ => ' ',
        };
        out.push(replacement);
    }
    out
}

/// Keys present in the authored TOML but absent once parsed and serialised back: fields serde
/// ignored. (An explicitly empty list that serialises to nothing is not reported.)
fn unknown_fields<T: serde::Serialize, S: serde::Serialize>(input: &S, parsed: &T) -> Vec<String> {
    let (Ok(input), Ok(output)) = (serde_json::to_value(input), serde_json::to_value(parsed))
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk(&input, &output, "", &mut found);
    found
}

fn walk(input: &Json, output: &Json, path: &str, found: &mut Vec<String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (input, output) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => walk(v, w, &join(k), found),
                    None if v.as_array().is_some_and(|x| x.is_empty()) => {}
                    None => found.push(join(k)),
                }
            }
        }
        (Json::Array(a), Json::Array(b)) => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                walk(v, w, &format!("{path}[{}]", i + 1), found);
            }
        }
        _ => {}
    }
}
