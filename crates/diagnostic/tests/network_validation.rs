//! Validation and release as synced town acts (`diagnostic::network::{validation, release}`).

use diagnostic::network::{
    check_network_op, record_release, record_reopening, record_validation, release_key,
    release_state, validate_network_op, validate_operation, validated_answers, validation_key,
    validation_status, NetworkError, NetworkOpError, ReleaseLevel, Snapshot, ValidationNote,
    ValidationStatus, VALIDATED,
};
use diagnostic::sync::{op_id, Operation, Replica};
use diagnostic::{questionnaire, Answers, Questionnaire};

const NOW: u64 = 1_800_000_000_000;
const CAMPAIGN: &str = "2026";

/// Fresh operation ids, increasing.
struct Ids(u8);
impl Ids {
    fn next(&mut self) -> String {
        self.0 += 1;
        op_id(NOW + u64::from(self.0), [self.0; 10])
    }
}

fn question_ids(q: &Questionnaire, n: usize) -> Vec<String> {
    q.questions().take(n).map(|x| x.id.clone()).collect()
}

/// The id of `question`'s option at `stage` (questions may have their own option ids).
fn stage(q: &Questionnaire, question: &str, stage: u8) -> String {
    let answers = &q.question(question).unwrap().answers;
    // Custom scales (content apvf-2026.2) skip some stages: the nearest one, lower first.
    answers
        .iter()
        .filter_map(|o| match o.kind {
            diagnostic::AnswerKind::Stage(s) => Some((s.abs_diff(stage), s, o)),
            _ => None,
        })
        .min_by_key(|(distance, s, _)| (*distance, *s))
        .unwrap()
        .2
        .id
        .clone()
}

fn answer(r: &mut Replica, ids: &mut Ids, question: &str, option: &str, comment: Option<&str>) {
    let id = ids.next();
    r.record(
        id,
        NOW + 10 * u64::from(ids.0),
        CAMPAIGN,
        question,
        Some(option.into()),
        comment.map(Into::into),
    );
}

fn log(r: &Replica) -> Vec<Operation> {
    r.ops.values().cloned().collect()
}

#[test]
fn a_validation_syncs_and_shows_what_changed_since() {
    let q = questionnaire();
    let mut ids = Ids(0);
    let mut maire = Replica::new("maire");
    let mut dgs = Replica::new("dgs");
    let qs = question_ids(q, 6);
    for (i, question) in qs.iter().enumerate() {
        let option = stage(q, question, (i % 5) as u8);
        answer(&mut maire, &mut ids, question, &option, None);
    }
    let validation = record_validation(&mut maire, ids.next(), NOW + 1_000, q, CAMPAIGN);
    assert_eq!(validation.question, validation_key(CAMPAIGN));
    assert_eq!(validation.option.as_deref(), Some(VALIDATED));
    assert_eq!(validate_operation(&validation, q), Ok(()));

    // The other phone receives the log: the campaign shows « validé » there too.
    dgs.receive(log(&maire), NOW + 2_000);
    let ValidationStatus::Validated {
        validation: seen,
        changed,
        changed_unknown,
    } = validation_status(&log(&dgs), q, CAMPAIGN)
    else {
        panic!("validated on the other phone");
    };
    assert_eq!(seen.by_device, "maire");
    assert_eq!(seen.note.snapshot(), Snapshot::Codes);
    assert_eq!(seen.note.answered, 6);
    assert!(changed.is_empty() && !changed_unknown);

    // A comment edit is no change; an option edit is.
    answer(
        &mut dgs,
        &mut ids,
        &qs[0],
        &stage(q, &qs[0], 0),
        Some("à revoir"),
    );
    answer(&mut dgs, &mut ids, &qs[2], &stage(q, &qs[2], 4), None);
    match validation_status(&log(&dgs), q, CAMPAIGN) {
        ValidationStatus::Validated { changed, .. } => assert_eq!(changed, vec![qs[2].clone()]),
        other => panic!("{other:?}"),
    }

    // Reopening withdraws the validation everywhere.
    record_reopening(&mut dgs, ids.next(), NOW + 5_000, CAMPAIGN);
    maire.receive(log(&dgs), NOW + 6_000);
    assert_eq!(
        validation_status(&log(&maire), q, CAMPAIGN),
        ValidationStatus::NotValidated
    );
}

/// The real content, with `extra` copies of its first question appended under new ids: a
/// questionnaire too long for one code per question in a comment.
fn long_questionnaire(extra: usize) -> Questionnaire {
    let mut q = questionnaire().clone();
    let mut theme = q.themes[0].clone();
    let model = theme.questions[0].clone();
    theme.id = "extra".into();
    theme.questions = (0..extra)
        .map(|i| {
            let mut copy = model.clone();
            copy.id = format!("extra-{i}");
            copy
        })
        .collect();
    q.themes.push(theme);
    q
}

#[test]
fn the_snapshot_fits_as_codes_for_the_real_content() {
    let q = questionnaire();
    let mut ids = Ids(0);
    let mut r = Replica::new("maire");
    for question in question_ids(q, 55) {
        answer(&mut r, &mut ids, &question, "dont-know", None);
    }
    let answers: Answers = diagnostic::network::answers_only(&r.answers()[CAMPAIGN]);
    let note = ValidationNote::new(q, &answers, vec![]);
    assert_eq!(note.snapshot(), Snapshot::Codes);
    assert!(note.to_json().chars().count() < 300, "{}", note.to_json());
    assert_eq!(note.decode(q).unwrap(), answers);
}

#[test]
fn a_long_questionnaire_falls_back_to_covered_operations_then_the_digest() {
    let q = long_questionnaire(2_100);
    let mut ids = Ids(0);
    let mut r = Replica::new("maire");
    let qs = question_ids(&q, 70);
    for question in &qs[..10] {
        answer(&mut r, &mut ids, question, "dont-know", None);
    }
    // 2 155 questions: the codes do not fit; ten operation ids do.
    let v = record_validation(&mut r, ids.next(), NOW + 9_000, &q, CAMPAIGN);
    let current = diagnostic::network::current_validation(&log(&r), CAMPAIGN).unwrap();
    assert_eq!(current.note.snapshot(), Snapshot::Covered);
    assert_eq!(current.note.covered.len(), 10);
    let validated = validated_answers(&log(&r), &q, &current).unwrap();
    assert_eq!(validated.len(), 10);
    assert_eq!(validate_operation(&v, &q), Ok(()));

    // Seventy answers: seventy ids do not fit either; the digest and the clock cut do.
    for question in &qs[10..] {
        answer(&mut r, &mut ids, question, "dont-know", None);
    }
    record_validation(&mut r, ids.next(), NOW + 99_000, &q, CAMPAIGN);
    let current = diagnostic::network::current_validation(&log(&r), CAMPAIGN).unwrap();
    assert_eq!(current.note.snapshot(), Snapshot::Digest);
    assert!(current.note.to_json().chars().count() <= diagnostic::sync::MAX_COMMENT_CHARS);
    assert_eq!(validated_answers(&log(&r), &q, &current).unwrap().len(), 70);

    // An answer given after the validation is outside the cut, and shows as a change.
    answer(&mut r, &mut ids, &qs[3], &stage(&q, &qs[3], 4), None);
    assert_eq!(validated_answers(&log(&r), &q, &current).unwrap().len(), 70);
    match validation_status(&log(&r), &q, CAMPAIGN) {
        ValidationStatus::Validated { changed, .. } => assert_eq!(changed, vec![qs[3].clone()]),
        other => panic!("{other:?}"),
    }
    // Another content version cannot rebuild it: only the digest says it changed.
    let mut other = q.clone();
    other.version = "apvf-2027.1".into();
    match validation_status(&log(&r), &other, CAMPAIGN) {
        ValidationStatus::Validated {
            changed,
            changed_unknown,
            ..
        } => assert!(changed.is_empty() && changed_unknown),
        other => panic!("{other:?}"),
    }
}

fn network_op(question: String, option: Option<&str>, comment: Option<String>) -> Operation {
    Operation {
        id: op_id(NOW, [3; 10]),
        device: "d".into(),
        campaign: CAMPAIGN.into(),
        question,
        option: option.map(Into::into),
        comment,
        clock: diagnostic::sync::Hlc {
            wall_ms: NOW,
            counter: 0,
            device: "d".into(),
        },
        base: vec![],
    }
}

#[test]
fn network_operations_are_checked() {
    let q = questionnaire();
    let note = ValidationNote::new(q, &Answers::new(), vec![]).to_json();
    let ok = [
        network_op(
            validation_key(CAMPAIGN),
            Some(VALIDATED),
            Some(note.clone()),
        ),
        network_op(validation_key(CAMPAIGN), None, None),
        network_op(release_key(CAMPAIGN), Some("anonymous"), None),
        network_op(release_key(CAMPAIGN), Some("named"), None),
        network_op(release_key(CAMPAIGN), None, None),
    ];
    for op in &ok {
        assert_eq!(validate_operation(op, q), Ok(()), "{op:?}");
    }
    let first = question_ids(q, 1)[0].clone();
    let answer = network_op(first.clone(), Some(&stage(q, &first, 1)), None);
    assert_eq!(validate_network_op(&answer), None);
    assert_eq!(validate_operation(&answer, q), Ok(()));

    let bad = [
        network_op(
            "validation:2027".into(),
            Some(VALIDATED),
            Some(note.clone()),
        ),
        network_op("release:".into(), None, None),
        network_op(validation_key(CAMPAIGN), Some("ok"), Some(note.clone())),
        network_op(validation_key(CAMPAIGN), Some(VALIDATED), None),
        network_op(validation_key(CAMPAIGN), Some(VALIDATED), Some("{}".into())),
        network_op(validation_key(CAMPAIGN), None, Some(note.clone())),
        network_op(release_key(CAMPAIGN), Some("public"), None),
        network_op(release_key(CAMPAIGN), Some("named"), Some("hi".into())),
    ];
    for op in &bad {
        assert!(validate_operation(op, q).is_err(), "{op:?}");
    }
    // The checks common to every operation still apply.
    let mut bad_clock = ok[2].clone();
    bad_clock.clock.wall_ms = 5;
    assert!(matches!(
        validate_operation(&bad_clock, q),
        Err(NetworkOpError::Op(_))
    ));
    let mut tampered = ok[0].clone();
    tampered.comment = Some(note.replace("\"digest\":\"", "\"digest\":\"zz"));
    assert!(matches!(
        validate_operation(&tampered, q),
        Err(NetworkOpError::Note { .. })
    ));
}

#[test]
fn only_a_validated_campaign_is_released_and_withdrawal_is_immediate() {
    let q = questionnaire();
    let mut ids = Ids(0);
    let mut r = Replica::new("maire");
    let first = question_ids(q, 1)[0].clone();
    answer(&mut r, &mut ids, &first, &stage(q, &first, 3), None);
    assert_eq!(
        record_release(&mut r, ids.next(), NOW, CAMPAIGN, Some(ReleaseLevel::Named)),
        Err(NetworkError::NotValidated(CAMPAIGN.into()))
    );
    let premature = network_op(release_key(CAMPAIGN), Some("named"), None);
    assert_eq!(
        check_network_op(&log(&r), &premature, true),
        Err(NetworkError::NotValidated(CAMPAIGN.into()))
    );
    // Withdrawing is always allowed.
    assert_eq!(
        check_network_op(
            &log(&r),
            &network_op(release_key(CAMPAIGN), None, None),
            true
        ),
        Ok(())
    );

    let validation = record_validation(&mut r, ids.next(), NOW + 1_000, q, CAMPAIGN);
    assert_eq!(
        check_network_op(&log(&r), &validation, false),
        Err(NetworkError::NotAdmin)
    );
    assert_eq!(NetworkError::NotAdmin.code(), "not_admin");
    let release = record_release(
        &mut r,
        ids.next(),
        NOW + 2_000,
        CAMPAIGN,
        Some(ReleaseLevel::Anonymous),
    )
    .unwrap();
    assert_eq!(check_network_op(&log(&r), &release, true), Ok(()));
    let state = release_state(&log(&r), CAMPAIGN);
    assert_eq!(state.effective, Some(ReleaseLevel::Anonymous));
    assert!(state.validation.is_some() && !state.suspended());

    // Reopened on another phone: the release no longer counts until validated again.
    record_reopening(&mut r, ids.next(), NOW + 3_000, CAMPAIGN);
    let state = release_state(&log(&r), CAMPAIGN);
    assert_eq!(state.effective, None);
    assert!(state.suspended());
    record_validation(&mut r, ids.next(), NOW + 4_000, q, CAMPAIGN);
    assert_eq!(
        release_state(&log(&r), CAMPAIGN).effective,
        Some(ReleaseLevel::Anonymous)
    );

    // The server's view: released anonymously, with the validated answers; participating.
    let commune = diagnostic::sync::Commune {
        code: "42218".into(),
        name: "Saint-Étienne".into(),
        departement: "42".into(),
        departement_name: None,
        region: "84".into(),
        postal_codes: vec![],
        population: 3_000,
        epci: None,
    };
    let (level, released) =
        diagnostic::network::released_town("t1", &commune, &log(&r), q, CAMPAIGN).unwrap();
    assert_eq!(level, ReleaseLevel::Anonymous);
    assert_eq!(released.answers.len(), 1);
    let p = diagnostic::network::TownParticipation::from_log(&commune, &log(&r), CAMPAIGN);
    assert!(p.answering && p.validated && p.released == Some(ReleaseLevel::Anonymous));

    // Withdrawn.
    record_release(&mut r, ids.next(), NOW + 5_000, CAMPAIGN, None).unwrap();
    let state = release_state(&log(&r), CAMPAIGN);
    assert_eq!(state.effective, None);
    assert!(!state.suspended());
    assert!(diagnostic::network::released_town("t1", &commune, &log(&r), q, CAMPAIGN).is_none());
    let json = serde_json::to_string(&state).unwrap();
    assert!(json.contains("\"campaign\":\"2026\""), "{json}");
    for level in ReleaseLevel::ALL {
        assert!(level.explanation_fr().contains("commune"));
        assert_eq!(ReleaseLevel::parse(level.as_str()), Some(level));
    }
}

// ------------------------------------------------------------------------------------------------
// Properties

use proptest::prelude::*;

/// Random answers: (question index, option index, with a comment?).
fn raw_answers() -> impl Strategy<Value = Vec<(usize, usize, bool)>> {
    proptest::collection::vec((0usize..64, 0usize..8, any::<bool>()), 0..70)
}

fn build(q: &Questionnaire, raw: &[(usize, usize, bool)]) -> Answers {
    let questions: Vec<_> = q.questions().collect();
    raw.iter()
        .map(|&(qi, oi, comment)| {
            let question = questions[qi % questions.len()];
            let option = &question.answers[oi % question.answers.len()];
            let mut a = diagnostic::Answer::new(option.id.clone());
            a.comment = comment.then(|| "note".to_string());
            (question.id.clone(), a)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The codes give back exactly the options validated (comments dropped), and the digest
    /// tells two snapshots apart exactly when an option differs.
    #[test]
    fn snapshots_round_trip(a in raw_answers(), b in raw_answers()) {
        let q = questionnaire();
        let (a, b) = (build(q, &a), build(q, &b));
        let note = ValidationNote::new(q, &a, vec![]);
        prop_assert_eq!(note.snapshot(), Snapshot::Codes);
        let decoded = note.decode(q).unwrap();
        prop_assert_eq!(decoded.len(), a.len());
        for (id, answer) in &a {
            prop_assert_eq!(&decoded[id].option, &answer.option);
            prop_assert_eq!(&decoded[id].comment, &None);
        }
        let other = ValidationNote::new(q, &b, vec![]);
        let same_options = diagnostic::network::changed_questions(q, &a, &b).is_empty();
        prop_assert_eq!(note.digest == other.digest, same_options);
        prop_assert_eq!(ValidationNote::parse(&note.to_json()), Ok(note));
    }

    /// Two phones answer, validate, release and reopen in any interleaving; once they have
    /// exchanged their logs they show the same validation and release state.
    #[test]
    fn validation_and_release_converge(
        steps in proptest::collection::vec((any::<bool>(), 0u8..6, 0usize..64, 0usize..8), 1..30)
    ) {
        let q = questionnaire();
        let mut phones = [Replica::new("maire"), Replica::new("adjoint")];
        let mut ids = Ids(0);
        let questions: Vec<String> = q.questions().map(|x| x.id.clone()).collect();
        for (k, &(second, action, qi, oi)) in steps.iter().enumerate() {
            let phone = &mut phones[usize::from(second)];
            let now = NOW + 1_000 * k as u64;
            match action {
                0..=2 => {
                    let question = &questions[qi % questions.len()];
                    let options = &q.question(question).unwrap().answers;
                    let option = options[oi % options.len()].id.clone();
                    answer(phone, &mut ids, question, &option, None);
                }
                3 => { record_validation(phone, ids.next(), now, q, CAMPAIGN); }
                4 => {
                    let level = [Some(ReleaseLevel::Anonymous), Some(ReleaseLevel::Named), None][oi % 3];
                    let _ = record_release(phone, ids.next(), now, CAMPAIGN, level);
                }
                _ => { record_reopening(phone, ids.next(), now, CAMPAIGN); }
            }
            if qi % 4 == 0 {
                // Sometimes they sync.
                let (a, b) = (log(&phones[0]), log(&phones[1]));
                phones[0].receive(b, now);
                phones[1].receive(a, now);
            }
        }
        let (a, b) = (log(&phones[0]), log(&phones[1]));
        phones[0].receive(b, NOW + 10_000_000);
        phones[1].receive(a, NOW + 10_000_000);
        let (a, b) = (log(&phones[0]), log(&phones[1]));
        prop_assert_eq!(validation_status(&a, q, CAMPAIGN), validation_status(&b, q, CAMPAIGN));
        let state = release_state(&a, CAMPAIGN);
        prop_assert_eq!(&state, &release_state(&b, CAMPAIGN));
        // A release counts only with a validation.
        prop_assert!(state.effective.is_none() || state.validation.is_some());
        // Every operation made is valid.
        for op in &a {
            prop_assert_eq!(validate_operation(op, q), Ok(()));
        }
    }
}
