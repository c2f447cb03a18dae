//! Migration of answers between content versions, against the test-only fixture `apvf-2027.1`
//! (content/fixtures/apvf-2027.1-test.toml), whose map goes apvf-2026.1 → apvf-2026.2 →
//! apvf-2027.1.

mod common;

use common::fixture_2027;
use diagnostic::{
    migrate, questionnaire, validate_with, Answer, Answers, MigrationError, Rules, DONT_KNOW,
    NOT_APPLICABLE,
};

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(q, o)| (q.to_string(), Answer::new(*o)))
        .collect()
}

#[test]
fn fixture_is_valid_and_its_old_ids_exist_in_the_real_content() {
    let f = fixture_2027();
    validate_with(
        &f,
        "content/fixtures/apvf-2027.1-test.toml",
        &Rules::lenient(),
    )
    .unwrap();
    let first = &f.migrations[0];
    assert_eq!(first.from, questionnaire().version);
    let old_ids = first
        .renamed
        .iter()
        .map(|r| &r.from)
        .chain(first.merged.iter().flat_map(|m| &m.from))
        .chain(first.removed.iter().map(|r| &r.id));
    for id in old_ids {
        assert!(
            questionnaire().question(id).is_some(),
            "{id} is not an apvf-2026.1 question"
        );
    }
}

#[test]
fn renamed_keeps_the_answer_under_the_new_id_across_two_steps() {
    let mut given = answers(&[("demat-sve", "stage-2"), ("demat-chorus-pro", "stage-3")]);
    given.get_mut("demat-sve").unwrap().comment = Some("formulaire en test".into());
    let m = migrate(&fixture_2027(), "apvf-2026.1", given).unwrap();
    assert_eq!(m.to, "apvf-2027.1");
    assert_eq!(m.answers["demat-saisine"].option, "stage-2");
    assert_eq!(
        m.answers["demat-saisine"].comment.as_deref(),
        Some("formulaire en test")
    );
    assert_eq!(m.answers["demat-chorus-pro"].option, "stage-3");
    assert!(m.removed.is_empty() && m.superseded.is_empty() && m.unknown.is_empty());
}

#[test]
fn renamed_options_are_mapped() {
    let m = migrate(
        &fixture_2027(),
        "apvf-2026.1",
        answers(&[("comm-conseil-video", "conseil-parfois")]),
    )
    .unwrap();
    assert_eq!(m.answers["comm-seances-video"].option, "stage-2");
}

#[test]
fn merged_keeps_a_real_stage_over_dont_know_and_the_lowest_stage() {
    let f = fixture_2027();
    let m = migrate(
        &f,
        "apvf-2026.1",
        answers(&[("secu-mfa", "stage-3"), ("secu-comptes-acces", "stage-1")]),
    )
    .unwrap();
    assert_eq!(m.answers["secu-acces"].option, "stage-1");
    assert_eq!(m.superseded.len(), 1);
    assert_eq!(m.superseded[0].question, "secu-mfa");
    assert_eq!(m.superseded[0].target.as_deref(), Some("secu-acces"));

    let m = migrate(
        &f,
        "apvf-2026.1",
        answers(&[("secu-mfa", DONT_KNOW), ("secu-comptes-acces", "stage-4")]),
    )
    .unwrap();
    assert_eq!(m.answers["secu-acces"].option, "stage-4");

    let m = migrate(
        &f,
        "apvf-2026.1",
        answers(&[
            ("secu-mfa", DONT_KNOW),
            ("secu-comptes-acces", NOT_APPLICABLE),
        ]),
    )
    .unwrap();
    assert_eq!(m.answers["secu-acces"].option, NOT_APPLICABLE);

    // A merge whose target is one of its sources.
    let m = migrate(
        &f,
        "apvf-2026.1",
        answers(&[("secu-dpo", "stage-4"), ("secu-registre", "stage-2")]),
    )
    .unwrap();
    assert_eq!(m.answers["secu-dpo"].option, "stage-2");
    assert_eq!(m.superseded[0].question, "secu-dpo");
}

#[test]
fn removed_answers_are_returned_not_dropped() {
    let m = migrate(
        &fixture_2027(),
        "apvf-2026.1",
        answers(&[
            ("comm-wifi-public", "stage-3"),
            ("mediation-jeunes", "stage-1"),
        ]),
    )
    .unwrap();
    assert!(m.answers.is_empty());
    let removed: Vec<(&str, &str)> = m
        .removed
        .iter()
        .map(|d| (d.question.as_str(), d.answer.option.as_str()))
        .collect();
    assert_eq!(
        removed,
        [
            ("comm-wifi-public", "stage-3"),
            ("mediation-jeunes", "stage-1")
        ]
    );
}

#[test]
fn questions_absent_without_a_map_entry_are_reported_unknown() {
    let m = migrate(
        &fixture_2027(),
        "apvf-2026.1",
        answers(&[
            ("comm-fibre", "fibre-25-50"),
            ("secu-sauvegardes", "no-such-option"),
        ]),
    )
    .unwrap();
    assert!(m.answers.is_empty());
    assert_eq!(m.unknown.len(), 2);
    assert_eq!(
        m.unknown
            .iter()
            .find(|d| d.question == "secu-sauvegardes")
            .unwrap()
            .target
            .as_deref(),
        Some("secu-sauvegardes")
    );
}

#[test]
fn migration_can_start_from_an_intermediate_version() {
    let m = migrate(
        &fixture_2027(),
        "apvf-2026.2",
        answers(&[
            ("demat-saisine-electronique", "stage-1"),
            ("secu-acces", "stage-2"),
        ]),
    )
    .unwrap();
    assert_eq!(m.from, "apvf-2026.2");
    assert_eq!(m.answers["demat-saisine"].option, "stage-1");
    assert_eq!(m.answers["secu-acces"].option, "stage-2");
}

#[test]
fn unknown_version_is_an_error() {
    let err = migrate(&fixture_2027(), "apvf-2019.0", Answers::new()).unwrap_err();
    assert_eq!(
        err,
        MigrationError::UnknownVersion {
            version: "apvf-2019.0".into(),
            current: "apvf-2027.1".into()
        }
    );
    assert!(err.to_string().contains("apvf-2019.0"));
}

#[test]
fn current_version_is_checked_but_not_changed() {
    let q = questionnaire();
    let given = answers(&[
        ("secu-dpo", "stage-3"),
        ("comm-fibre", "fibre-80-95"),
        ("ghost", "stage-1"),
    ]);
    let m = migrate(q, "apvf-2026.1", given).unwrap();
    assert_eq!(
        m.answers,
        answers(&[("secu-dpo", "stage-3"), ("comm-fibre", "fibre-80-95")])
    );
    assert_eq!(m.unknown.len(), 1);
    assert_eq!(m.unknown[0].question, "ghost");
}
