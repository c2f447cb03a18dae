//! Migration of answers between content versions: the mechanics against the test-only fixture
//! `apvf-2027.1` (content/fixtures/apvf-2027.1-test.toml, a hypothetical chain of its own from
//! apvf-2026.1), and the real step apvf-2026.1 → apvf-2026.2 against the archived 2026.1 content —
//! for answers stored on the phone and for operations synced from a phone still on 2026.1.

mod common;

use common::{archive_2026_1, fixture_2027};
use diagnostic::sync::{Hlc, Operation};
use diagnostic::{
    migrate, questionnaire, validate_with, Answer, AnswerKind, Answers, MigrationError, Rules,
    DONT_KNOW, NOT_APPLICABLE,
};

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(q, o)| (q.to_string(), Answer::new(*o)))
        .collect()
}

#[test]
fn fixture_is_valid_and_its_old_ids_exist_in_the_archived_2026_1_content() {
    let f = fixture_2027();
    validate_with(
        &f,
        "content/fixtures/apvf-2027.1-test.toml",
        &Rules::lenient(),
    )
    .unwrap();
    let first = &f.migrations[0];
    let old = archive_2026_1();
    assert_eq!(first.from, old.version);
    let old_ids = first
        .renamed
        .iter()
        .map(|r| &r.from)
        .chain(first.merged.iter().flat_map(|m| &m.from))
        .chain(first.removed.iter().map(|r| &r.id));
    for id in old_ids {
        assert!(
            old.question(id).is_some(),
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
        ("secu-dpo-designation", "duty-yes"),
        ("comm-fibre", "fibre-80-95"),
        ("ghost", "stage-1"),
    ]);
    let m = migrate(q, "apvf-2026.2", given).unwrap();
    assert_eq!(
        m.answers,
        answers(&[
            ("secu-dpo-designation", "duty-yes"),
            ("comm-fibre", "fibre-80-95")
        ])
    );
    assert_eq!(m.unknown.len(), 1);
    assert_eq!(m.unknown[0].question, "ghost");
}

// --- The real step apvf-2026.1 → apvf-2026.2 ---------------------------------------------------------

/// The documented mapping of a 2026.1 answer on a question that became a duty (docs/content.md):
/// stages 0–1 → « Non », 2 → « En cours », 3–4 → « Oui, c'est fait »; « Non concerné » →
/// « Ne sait pas » when the duty binds every commune, kept when it has a condition.
fn duty_option(old: &str, conditional: bool) -> &'static str {
    match old {
        "stage-0" | "stage-1" => "duty-no",
        "stage-2" => "duty-in-progress",
        "stage-3" | "stage-4" => "duty-yes",
        NOT_APPLICABLE if !conditional => DONT_KNOW,
        NOT_APPLICABLE => NOT_APPLICABLE,
        DONT_KNOW => DONT_KNOW,
        other => panic!("unexpected 2026.1 option {other}"),
    }
}

const RENAMED: [(&str, &str); 8] = [
    ("demat-sve", "demat-saisine-electronique"),
    ("demat-paiement-en-ligne", "demat-paiement-obligation"),
    ("demat-chorus-pro", "demat-factures-chorus"),
    ("demat-marches-publics", "demat-profil-acheteur"),
    ("demat-publicite-actes", "demat-publication-actes"),
    ("secu-dpo", "secu-dpo-designation"),
    ("secu-registre", "secu-registre-traitements"),
    ("secu-droits-usagers", "secu-information-personnes"),
];

/// Where the documentation says a 2026.1 answer goes.
fn documented(question: &str, option: &str) -> (String, String) {
    let q = questionnaire();
    match RENAMED.iter().find(|(from, _)| *from == question) {
        Some((_, to)) => {
            let conditional = q
                .question(to)
                .unwrap()
                .duty
                .as_ref()
                .unwrap()
                .condition
                .is_some();
            (to.to_string(), duty_option(option, conditional).to_string())
        }
        None => (question.to_string(), option.to_string()),
    }
}

/// Every (question, option) pair the 2026.1 content offered.
fn every_2026_1_answer() -> Vec<(String, String)> {
    archive_2026_1()
        .questions()
        .flat_map(|q| q.answers.iter().map(move |o| (q.id.clone(), o.id.clone())))
        .collect()
}

#[test]
fn every_2026_1_answer_survives_into_2026_2_with_the_documented_mapping() {
    let all = every_2026_1_answer();
    assert!(all.len() > 300, "{}", all.len());
    for (question, option) in &all {
        let mut given = answers(&[(question, option)]);
        given.get_mut(question.as_str()).unwrap().comment = Some("note".into());
        let m = migrate(questionnaire(), "apvf-2026.1", given).unwrap();
        assert!(
            m.removed.is_empty() && m.superseded.is_empty() && m.unknown.is_empty(),
            "{question}={option}: {m:?}"
        );
        let (to, expected) = documented(question, option);
        assert_eq!(m.answers.len(), 1, "{question}={option}");
        assert_eq!(m.answers[&to].option, expected, "{question}={option}");
        assert_eq!(m.answers[&to].comment.as_deref(), Some("note"));
    }
}

#[test]
fn a_whole_2026_1_diagnostic_migrates_without_loss() {
    // A town that answered every 2026.1 question, cycling through the options.
    let old = archive_2026_1();
    let given: Answers = old
        .questions()
        .enumerate()
        .map(|(i, q)| {
            (
                q.id.clone(),
                Answer::new(q.answers[i % q.answers.len()].id.clone()),
            )
        })
        .collect();
    let m = migrate(questionnaire(), "apvf-2026.1", given.clone()).unwrap();
    assert_eq!(m.answers.len(), given.len());
    assert!(m.removed.is_empty() && m.superseded.is_empty() && m.unknown.is_empty());
    let s = diagnostic::score(questionnaire(), &m.answers);
    assert!(s.ignored.is_empty());
    // The migrated answers are exactly the 2026.2 questions that existed in 2026.1.
    assert!(m
        .answers
        .keys()
        .all(|id| questionnaire().question(id).is_some()));
}

fn op(question: &str, option: &str) -> Operation {
    Operation {
        id: "01890a5d-ac96-774b-bcce-b302099a8057".into(),
        device: "dev-old-phone".into(),
        campaign: "2026".into(),
        question: question.into(),
        option: Some(option.into()),
        comment: None,
        clock: Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 0,
            device: "dev-old-phone".into(),
        },
        base: Vec::new(),
    }
}

#[test]
fn operations_synced_from_a_2026_1_phone_are_accepted_and_migrate_the_same_way() {
    let q = questionnaire();
    for (question, option) in every_2026_1_answer() {
        let pushed = op(&question, &option);
        // The server validates pushed operations against the current content: an older phone is
        // not refused.
        pushed
            .validate(q)
            .unwrap_or_else(|e| panic!("{question}={option} refused: {e}"));
        // A phone on 2026.2 pulling it moves it exactly where the local migration moves a stored
        // answer.
        let upgraded = pushed.clone().upgraded(q);
        let (to, expected) = documented(&question, &option);
        assert_eq!(
            (upgraded.question.as_str(), upgraded.option.as_deref()),
            (to.as_str(), Some(expected.as_str())),
            "{question}={option}"
        );
        assert_eq!(upgraded.id, pushed.id);
        upgraded.validate(q).unwrap();
    }
    // Plan entries on an old id follow too.
    let plan = op("plan:secu-dpo", "todo");
    plan.validate(q).unwrap();
    assert_eq!(plan.upgraded(q).question, "plan:secu-dpo-designation");
}

#[test]
fn operations_on_unknown_ids_or_options_are_still_refused() {
    let q = questionnaire();
    assert!(op("ghost", "stage-1").validate(q).is_err());
    // An old id with an option it never had.
    assert!(op("secu-dpo", "duty-maybe").validate(q).is_err());
    // A current duty never offers « Non concerné ».
    assert!(op("secu-dpo-designation", NOT_APPLICABLE)
        .validate(q)
        .is_err());
    assert!(op("secu-dpo-designation", "duty-no").validate(q).is_ok());
    assert_eq!(
        q.question("secu-dpo-designation")
            .unwrap()
            .option("duty-no")
            .unwrap()
            .kind,
        AnswerKind::Stage(0)
    );
}
