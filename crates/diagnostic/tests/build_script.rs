//! Tests of the TOML → JSON conversion run by build.rs: the build must fail with a message naming
//! the file, the question and the problem. The converter is compiled here exactly as in build.rs.

#[allow(dead_code)]
#[path = "../src/model.rs"]
mod model;

#[allow(dead_code)]
#[path = "../src/validate.rs"]
mod validate;

#[path = "../buildsrc/convert.rs"]
mod convert;

mod common;

use common::{MINIMAL, TEST_FILE};
use convert::{convert, french_typography};
use validate::Rules;

fn fails_with(text: &str, fragments: &[&str]) {
    let err = convert(TEST_FILE, text, &Rules::lenient()).expect_err("conversion must fail");
    assert!(err.contains(TEST_FILE), "file not named in: {err}");
    for f in fragments {
        assert!(err.contains(f), "`{f}` not in: {err}");
    }
}

#[test]
fn valid_content_converts_to_compact_json() {
    let json = convert(TEST_FILE, MINIMAL, &Rules::lenient()).unwrap();
    assert!(!json.contains('\n'));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], "test-1");
    // Authored form: default-scale questions carry no `answers` (expanded at load time).
    assert!(v["themes"][0]["questions"][0].get("answers").is_none());
    assert_eq!(
        v["themes"][0]["questions"][1]["answers"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn unparseable_toml_names_the_file_and_the_line() {
    fails_with(
        &MINIMAL.replace("version = \"test-1\"", "version = test-1\""),
        &["invalid TOML", "line 2"],
    );
}

#[test]
fn duplicate_id_names_the_question() {
    fails_with(
        &MINIMAL.replace("id = \"beta-two\"", "id = \"alpha-one\""),
        &[
            "question `alpha-one` (theme `beta`)",
            "duplicate question id `alpha-one`",
        ],
    );
}

#[test]
fn missing_field_names_the_question() {
    fails_with(
        &MINIMAL.replace("help = { fr = \"Aide deux.\", en = \"Help two.\" }\n", ""),
        &[
            "question `alpha-two` (theme `alpha`)",
            "missing field `help`",
        ],
    );
}

#[test]
fn wrong_type_names_the_question() {
    fails_with(
        &MINIMAL.replace(
            "axes = { richesses = 1 }",
            "axes = { richesses = \"high\" }",
        ),
        &["question `beta-one`", "invalid type"],
    );
}

#[test]
fn unknown_answer_kind_names_the_question() {
    fails_with(
        &MINIMAL.replace(
            "kind = \"stage-4\", label = { fr = \"Tout\"",
            "kind = \"stage-5\", label = { fr = \"Tout\"",
        ),
        &["question `alpha-two`", "unknown answer kind `stage-5`"],
    );
}

#[test]
fn misspelt_field_is_not_silently_ignored() {
    fails_with(
        &MINIMAL.replace(
            "effort = \"€€€\", poolable = false",
            "effort = \"€€€\", poolable = false, ressource_url = \"x\"",
        ),
        &[
            "question `alpha-two`",
            "unknown field `recommendations[1].ressource_url`",
        ],
    );
    fails_with(
        &MINIMAL.replace(
            "version = \"test-1\"",
            "version = \"test-1\"\nvesion = \"x\"",
        ),
        &["unknown field `vesion`"],
    );
}

#[test]
fn question_without_id_is_located_by_position() {
    fails_with(
        &MINIMAL.replace("id = \"beta-two\"\n", ""),
        &["question #2 (no id) (theme `beta`)", "missing field `id`"],
    );
}

#[test]
fn validation_errors_fail_the_conversion() {
    fails_with(
        &MINIMAL.replace("en = \"Question four?\"", "en = \"\""),
        &["question `beta-two`", "text is empty in en"],
    );
    // The strict rules apply to the real content.
    let err = convert(TEST_FILE, MINIMAL, &Rules::default()).unwrap_err();
    assert!(err.contains("at least 12 required"), "{err}");
}

#[test]
fn french_typography_uses_no_break_spaces() {
    assert_eq!(
        french_typography("Oui ? Non ! « Bien » : 3 500 habitants ; 25 % ; 40 000 € ; n° 12"),
        "Oui\u{202F}? Non\u{202F}! «\u{A0}Bien\u{A0}»\u{A0}: 3\u{202F}500 habitants\u{202F}; 25\u{A0}%\u{202F}; 40\u{202F}000\u{A0}€\u{202F}; n°\u{A0}12"
    );
    // Idempotent, and ordinary spaces elsewhere are kept.
    let once = french_typography("Le site ? Oui.");
    assert_eq!(french_typography(&once), once);
    assert!(once.starts_with("Le site"));
}

#[test]
fn typography_touches_only_the_french_half() {
    let json = convert(TEST_FILE, MINIMAL, &Rules::lenient()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = &v["themes"][0]["questions"][0]["text"];
    assert_eq!(text["fr"], "Question un\u{202F}?");
    assert_eq!(text["en"], "Question one?");
}
