use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use diagnostic::sync::{Clamped, Hlc};
use diagnostic::{questionnaire, MigrationStep, Renamed};

/// Operation ids for tests: unique, readable.
fn next_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("op-{:04}", N.fetch_add(1, Ordering::Relaxed))
}

/// Questions on the default scale (custom scales have other option ids).
fn some_question_ids(n: usize) -> Vec<String> {
    questionnaire()
        .questions()
        .filter(|q| (0..=4).all(|stage| q.option(&format!("stage-{stage}")).is_some()))
        .take(n)
        .map(|q| q.id.clone())
        .collect()
}

fn answer(
    doc: &mut CampaignDoc,
    device: &str,
    time: u64,
    question: &str,
    option: Option<&str>,
) -> Operation {
    doc.record(
        next_id(),
        device,
        time,
        question,
        option.map(Into::into),
        None,
    )
}

#[test]
fn a_campaign_round_trips_through_json() {
    let q = questionnaire();
    let ids = some_question_ids(3);
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 1.0);
    answer(&mut doc, "a", 2, &ids[0], Some("stage-2"));
    answer(&mut doc, "a", 3, &ids[1], Some("dont-know"));
    let raw = serde_json::to_string(&doc).unwrap();
    let loaded = parse_campaign(&raw, q);
    assert_eq!(loaded.doc.as_ref(), Some(&doc));
    assert_eq!(loaded.damage, None);
    assert!(!loaded.upgraded);
    assert_eq!(doc.answers[&ids[0]].option, "stage-2");
    assert_eq!(doc.answers[&ids[1]].updated_ms, 3.0);
}

#[test]
fn consecutive_changes_to_one_question_fold_into_one_operation() {
    let ids = some_question_ids(2);
    let mut doc = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    answer(&mut doc, "a", 1, &ids[0], Some("stage-1"));
    let second = answer(&mut doc, "a", 2, &ids[0], Some("stage-3"));
    let third = answer(&mut doc, "a", 3, &ids[1], Some("stage-0"));
    let fourth = answer(&mut doc, "a", 4, &ids[0], None);
    assert_eq!(doc.replica.outbox, [second.id.clone(), third.id, fourth.id]);
    assert!(
        second.base.is_empty(),
        "the folded first answer's base (none) carries over"
    );
    assert_eq!(
        fourth.base,
        [second.id],
        "a later change replaces the sent-or-not head"
    );
    assert!(!doc.answers.contains_key(&ids[0]), "cleared answer is gone");
    assert_eq!(doc.answers[&ids[1]].option, "stage-0");
    assert_eq!(doc.replica.ops.len(), 3);
}

#[test]
fn acknowledged_operations_leave_the_outbox_and_clamped_clocks_are_taken() {
    let ids = some_question_ids(2);
    let mut doc = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    let first = answer(&mut doc, "a", 10, &ids[0], Some("stage-1"));
    let second = answer(&mut doc, "a", 11, &ids[1], Some("stage-2"));
    let server = Hlc {
        wall_ms: 50,
        counter: 0,
        device: "server".into(),
    };
    let clamped = Hlc {
        wall_ms: 9,
        counter: 0,
        device: "a".into(),
    };
    doc.acknowledge(
        &PushAck {
            acknowledged: vec![first.id.clone()],
            clamped: vec![Clamped {
                id: first.id.clone(),
                clock: clamped.clone(),
            }],
            clock: server.clone(),
            epoch: String::new(),
        },
        20,
    );
    assert_eq!(doc.replica.outbox, [second.id]);
    assert_eq!(doc.replica.ops[&first.id].clock, clamped);
    assert!(
        doc.replica.clock.wall_ms >= 50,
        "the server's clock was observed"
    );
    let next = answer(&mut doc, "a", 12, &ids[0], Some("stage-4"));
    assert!(
        next.clock > server,
        "what is recorded next orders after what was seen"
    );
}

#[test]
fn concurrent_answers_from_two_phones_are_a_conflict_until_resolved() {
    let ids = some_question_ids(1);
    let mut mine = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    let mut theirs = mine.clone();
    let a = answer(&mut mine, "phone-a", 100, &ids[0], Some("stage-1"));
    let b = answer(&mut theirs, "phone-b", 200, &ids[0], Some("stage-3"));
    mine.receive([b.clone()], 300);
    assert_eq!(
        mine.answers[&ids[0]].option, "stage-3",
        "last writer wins meanwhile"
    );
    let conflicts = mine.conflicts();
    assert_eq!(conflicts.len(), 1);
    let ids_in_conflict: Vec<_> = conflicts[0].ops.iter().map(|o| o.id.clone()).collect();
    assert_eq!(
        ids_in_conflict,
        [b.id.clone(), a.id.clone()],
        "winner first"
    );

    let resolution = mine.resolve(
        next_id(),
        "phone-a",
        400,
        &conflicts[0],
        Some("stage-1".into()),
        None,
    );
    assert!(mine.conflicts().is_empty());
    assert_eq!(mine.answers[&ids[0]].option, "stage-1");
    theirs.receive([a, resolution], 500);
    assert!(theirs.conflicts().is_empty());
    assert_eq!(theirs.answers, mine.answers, "both phones agree");
}

#[test]
fn pulling_back_an_operation_of_the_outbox_delivers_it() {
    let ids = some_question_ids(1);
    let mut doc = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    let op = answer(&mut doc, "a", 1, &ids[0], Some("stage-1"));
    doc.receive([op], 2);
    assert!(doc.replica.outbox.is_empty());
    assert_eq!(doc.replica.pending(), []);
}

#[test]
fn enrolment_gives_unsent_operations_the_server_device_id() {
    let ids = some_question_ids(1);
    let mut doc = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    answer(&mut doc, "local-1", 1, &ids[0], Some("stage-1"));
    doc.replica.adopt_device("server-device");
    let pending = doc.replica.pending();
    assert_eq!(pending[0].device, "server-device");
    assert_eq!(pending[0].clock.device, "server-device");
}

#[test]
fn schema_1_is_upgraded_and_its_answers_enter_the_outbox() {
    let q = questionnaire();
    let ids = some_question_ids(2);
    let raw = serde_json::json!({
        "schema": 1,
        "id": "2026",
        "content_version": q.version,
        "created_ms": 5.0,
        "answers": { ids[0].clone(): "stage-4", ids[1].clone(): "not-applicable" }
    })
    .to_string();
    let loaded = parse_campaign(&raw, q);
    let doc = loaded.doc.expect("upgraded");
    assert!(loaded.upgraded);
    assert_eq!(loaded.damage, None);
    assert_eq!(doc.schema, CAMPAIGN_SCHEMA);
    assert_eq!(doc.answers[&ids[0]].option, "stage-4");
    assert_eq!(doc.answers[&ids[1]].option, "not-applicable");
    assert_eq!(doc.replica.outbox.len(), 2);
    assert!(doc
        .replica
        .outbox
        .iter()
        .all(|id| diagnostic::sync::is_uuid_v7(id)));
}

/// A read that is not written back (another tab, `previous_campaign`) must not give the same
/// answer a second id: upgrades and reconciliations derive theirs from the stored data.
#[test]
fn reading_never_mints_operation_ids() {
    let q = questionnaire();
    let ids = some_question_ids(2);
    let v1 = serde_json::json!({
        "schema": 1,
        "id": "2026",
        "content_version": q.version,
        "created_ms": 1_800_000_000_000.0,
        "answers": { ids[0].clone(): "stage-4" }
    })
    .to_string();
    let first = parse_campaign(&v1, q).doc.unwrap();
    assert_eq!(parse_campaign(&v1, q).doc.unwrap(), first);

    // Schema 2 with an answer its log does not explain (written by another tool).
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 1_800_000_000_000.0);
    answer(&mut doc, "a", 1_800_000_000_001, &ids[0], Some("stage-1"));
    let mut value = serde_json::to_value(&doc).unwrap();
    value["answers"][&ids[1]] =
        serde_json::json!({"option": "stage-2", "updated_ms": 1_800_000_000_002.0});
    let raw = value.to_string();
    let one = parse_campaign(&raw, q);
    assert!(one.upgraded);
    let one = one.doc.unwrap();
    assert_eq!(one.answers[&ids[1]].option, "stage-2");
    assert_eq!(one.replica.outbox.len(), 2);
    assert_eq!(parse_campaign(&raw, q).doc.unwrap(), one);
    // Written back, it reads as it is: nothing more recorded.
    let again = parse_campaign(&serde_json::to_string(&one).unwrap(), q);
    assert!(!again.upgraded);
    assert_eq!(again.doc.unwrap(), one);
}

#[test]
fn answers_on_an_older_questionnaire_follow_the_migration_map() {
    let old = questionnaire();
    let ids = some_question_ids(2);
    // A next content version that renames the first question.
    let mut next = old.clone();
    next.version = "apvf-2027.1".into();
    let renamed_to = format!("{}-v2", ids[0]);
    for theme in &mut next.themes {
        for question in &mut theme.questions {
            if question.id == ids[0] {
                question.id = renamed_to.clone();
            }
        }
    }
    next.migrations.push(MigrationStep {
        from: old.version.clone(),
        to: next.version.clone(),
        renamed: vec![Renamed {
            from: ids[0].clone(),
            to: renamed_to.clone(),
            options: Default::default(),
        }],
        ..Default::default()
    });

    let mut doc = CampaignDoc::new("2026".into(), old.version.clone(), 0.0);
    answer(&mut doc, "a", 1, &ids[0], Some("stage-3"));
    let kept = answer(&mut doc, "a", 2, &ids[1], Some("stage-1"));
    answer(
        &mut doc,
        "a",
        3,
        "question-that-never-existed",
        Some("stage-2"),
    );
    let loaded = parse_campaign(&serde_json::to_string(&doc).unwrap(), &next);
    let migrated = loaded.doc.unwrap();
    assert!(loaded.upgraded);
    assert_eq!(migrated.content_version, "apvf-2027.1");
    assert_eq!(migrated.answers[&renamed_to].option, "stage-3");
    assert_eq!(migrated.answers[&ids[1]].option, "stage-1");
    assert_eq!(
        migrated.retired.len(),
        1,
        "the unknown answer is kept aside, not dropped"
    );
    assert_eq!(migrated.retired[0].question, "question-that-never-existed");
    let pending: Vec<_> = migrated
        .replica
        .pending()
        .into_iter()
        .map(|op| op.question)
        .collect();
    assert_eq!(
        pending,
        [ids[1].clone(), renamed_to.clone()],
        "only current question ids are sent"
    );
    assert!(migrated.replica.ops.contains_key(&kept.id));
}

#[test]
fn a_questionnaire_version_the_map_does_not_know_retires_answers_instead_of_losing_them() {
    let q = questionnaire();
    let ids = some_question_ids(1);
    let mut doc = CampaignDoc::new("2026".into(), "apvf-1999.1".into(), 0.0);
    answer(&mut doc, "a", 1, &ids[0], Some("stage-3"));
    let loaded = parse_campaign(&serde_json::to_string(&doc).unwrap(), q);
    let doc = loaded.doc.unwrap();
    assert!(doc.answers.is_empty());
    assert_eq!(doc.retired.len(), 1);
    assert_eq!(doc.retired[0].content_version, "apvf-1999.1");
    assert_eq!(doc.retired[0].answer.option, "stage-3");
}

#[test]
fn unreadable_text_is_reported_not_guessed() {
    let loaded = parse_campaign("{\"schema\":2,\"id\":\"2026\",\"answ", questionnaire());
    assert_eq!(loaded.doc, None);
    assert!(matches!(loaded.damage, Some(Damage::Unreadable(_))));
}

#[test]
fn a_newer_schema_is_left_alone() {
    let loaded = parse_campaign(r#"{"schema":99,"id":"2026"}"#, questionnaire());
    assert_eq!(loaded.doc, None);
    assert_eq!(loaded.damage, Some(Damage::NewerSchema(99)));
}

#[test]
fn a_partly_damaged_document_keeps_every_operation_that_still_reads() {
    let q = questionnaire();
    let ids = some_question_ids(2);
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 0.0);
    let good = answer(&mut doc, "a", 1, &ids[0], Some("stage-2"));
    let mut value = serde_json::to_value(&doc).unwrap();
    value["log"]["op-broken"] = serde_json::json!({ "id": "op-broken", "question": 42 });
    value["outbox"] = serde_json::json!([good.id, "op-broken"]);
    let loaded = parse_campaign(&value.to_string(), q);
    let doc = loaded.doc.unwrap();
    assert!(matches!(loaded.damage, Some(Damage::Partial(_))));
    assert_eq!(doc.answers[&ids[0]].option, "stage-2");
    assert_eq!(doc.replica.outbox, [good.id]);
}

#[test]
fn settings_read_back_and_reject_newer_schemas() {
    let settings = Settings::new("device".into(), "2026".into());
    let raw = serde_json::to_string(&settings).unwrap();
    assert_eq!(parse_settings(&raw), Ok(settings));
    assert_eq!(
        parse_settings(r#"{"schema":7}"#),
        Err(Damage::NewerSchema(7))
    );
    assert!(matches!(parse_settings("nope"), Err(Damage::Unreadable(_))));
}

#[test]
fn settings_without_a_claim_read_as_none_and_a_claim_round_trips() {
    // A schema-2 document written before claims existed.
    let older = r#"{"schema":2,"device_id":"d","current_campaign":"2026"}"#;
    assert_eq!(parse_settings(older).unwrap().access_request, None);

    let mut settings = Settings::new("device".into(), "2026".into());
    let raw = serde_json::to_string(&settings).unwrap();
    assert!(
        !raw.contains("access_request"),
        "absent when there is no claim: {raw}"
    );
    settings.access_request = Some(PendingAccess {
        token: "arobase_request".into(),
        request: diagnostic::association::AccessRequest {
            id: 7,
            town_id: 3,
            commune: diagnostic::sync::Commune {
                code: "77475".into(),
                name: "Trilport".into(),
                departement: "77".into(),
                departement_name: None,
                region: "11".into(),
                postal_codes: vec!["77470".into()],
                population: 5_000,
                epci: None,
            },
            name: "Marie".into(),
            role: diagnostic::sync::Role::Maire,
            created_ms: 1,
            status: diagnostic::association::RequestStatus::Pending,
            decided_ms: None,
        },
    });
    let raw = serde_json::to_string(&settings).unwrap();
    assert_eq!(parse_settings(&raw), Ok(settings));
}

#[test]
fn the_operator_document_keeps_only_an_operator_token() {
    let operator = diagnostic::association::Operator {
        id: 1,
        name: "Claire".into(),
        email: None,
        created_ms: 1,
        removed_ms: None,
    };
    let enrolment = diagnostic::association::OperatorEnrolment {
        token: "arobase_op_secret".into(),
        operator: operator.clone(),
    };
    let settings = OperatorSettings::new(enrolment, "Ordinateur du siège".into());
    let raw = serde_json::to_string(&settings).unwrap();
    assert_eq!(parse_operator(&raw), Some(settings.clone()));
    // A device token under this key is never taken for an operator's.
    let device = serde_json::to_string(&OperatorSettings {
        token: "arobase_device".into(),
        ..settings.clone()
    })
    .unwrap();
    assert_eq!(parse_operator(&device), None);
    let newer = serde_json::to_string(&OperatorSettings {
        schema: SCHEMA_VERSION + 1,
        ..settings
    })
    .unwrap();
    assert_eq!(parse_operator(&newer), None);
    assert_eq!(parse_operator("nope"), None);
}

#[test]
fn backup_keys_are_recognised_and_never_collide_with_documents() {
    let key = backup_key(&campaign_key("2026"), 1_700_000_000_123.0);
    assert_eq!(key, "arobase.backup.campaign.2026.1700000000123");
    assert!(is_backup_key(&key));
    assert!(!is_backup_key(&campaign_key("2026")));
    assert!(key.starts_with(KEY_PREFIX));
    assert_eq!(campaign_of_key(&campaign_key("2027")), Some("2027"));
}

#[test]
fn operations_the_server_would_refuse_are_set_aside_not_sent_not_lost() {
    let q = questionnaire();
    let ids = some_question_ids(1);
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 0.0);
    let now = 1_800_000_000_000;
    let good = doc.record(
        diagnostic::sync::op_id(now, [1; 10]),
        "device",
        now,
        &ids[0],
        Some("stage-2".into()),
        None,
    );
    let bad = doc.record(
        diagnostic::sync::op_id(now, [2; 10]),
        "device",
        now,
        "no-such-question",
        Some("stage-2".into()),
        None,
    );
    assert_eq!(doc.replica.set_aside_invalid(q), 1);
    assert_eq!(doc.replica.pending(), [good]);
    assert_eq!(doc.replica.set_aside[0].op, bad);
    assert!(
        doc.replica.set_aside[0].reason.contains("no-such-question"),
        "{}",
        doc.replica.set_aside[0].reason
    );
    assert_eq!(doc.replica.set_aside_invalid(q), 0, "nothing twice");
}

#[test]
fn the_action_plan_is_made_of_operations_and_merges_like_answers() {
    use diagnostic::sync::{plan_key, PlanNote};
    let ids = some_question_ids(3);
    let mut mine = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    let mut theirs = mine.clone();
    answer(&mut mine, "a", 1, &ids[0], Some("stage-1"));
    mine.record(
        next_id(),
        "a",
        2,
        &plan_key(&ids[2]),
        Some("todo".into()),
        None,
    );
    mine.record(
        next_id(),
        "a",
        3,
        &plan_key(&ids[1]),
        Some("todo".into()),
        None,
    );
    let note = PlanNote {
        owner: "DGS".into(),
        notes: "budget 2027".into(),
    };
    let comment = serde_json::to_string(&note).unwrap();
    mine.record(
        next_id(),
        "a",
        4,
        &plan_key(&ids[2]),
        Some("doing".into()),
        Some(comment),
    );

    assert_eq!(mine.answers.len(), 1, "plan entries are not answers");
    let plan: Vec<_> = mine
        .plan
        .iter()
        .map(|p| (p.question.clone(), p.status))
        .collect();
    assert_eq!(
        plan,
        [
            (ids[2].clone(), PlanStatus::Doing),
            (ids[1].clone(), PlanStatus::Todo)
        ],
        "in the order chosen"
    );
    assert_eq!(mine.plan[0].owner, "DGS");
    assert_eq!(mine.plan[0].notes, "budget 2027");

    // Another phone receives it, then takes one priority out.
    theirs.receive(mine.replica.ops.values().cloned(), 10);
    assert_eq!(theirs.plan, mine.plan);
    theirs.record(next_id(), "b", 20, &plan_key(&ids[1]), None, None);
    mine.receive(theirs.replica.ops.values().cloned(), 30);
    assert_eq!(mine.plan.len(), 1);
    assert_eq!(mine.plan, theirs.plan);
}

#[test]
fn answers_without_the_operations_that_explain_them_become_operations() {
    let q = questionnaire();
    let ids = some_question_ids(2);
    let raw = serde_json::json!({
        "schema": 2, "id": "2026", "content_version": q.version, "created_ms": 1.0,
        "answers": {
            ids[0].clone(): { "option": "stage-1", "updated_ms": 1.0 },
            ids[1].clone(): { "option": "dont-know", "comment": "à voir", "updated_ms": 1.0 }
        }
    })
    .to_string();
    let loaded = parse_campaign(&raw, q);
    assert!(loaded.upgraded, "written back with its log");
    let mut doc = loaded.doc.unwrap();
    assert_eq!(doc.replica.outbox.len(), 2, "they will sync");
    assert_eq!(doc.answers[&ids[1]].comment.as_deref(), Some("à voir"));
    // A later change keeps them.
    doc.record(
        next_id(),
        "local",
        9_000,
        &diagnostic::sync::plan_key(&ids[0]),
        Some("todo".into()),
        None,
    );
    assert_eq!(doc.answers.len(), 2);
}

/// apvf-2026.1 → apvf-2026.2 on the phone: a stored 2026.1 answer and the same answer synced
/// from another phone still on 2026.1 end on the same question with the same option.
#[test]
fn answers_stored_or_synced_on_2026_1_migrate_the_same_way() {
    let current = diagnostic::outline();
    assert_eq!(current.version, "apvf-2026.2");
    let cases = [
        ("secu-dpo", "stage-4", "secu-dpo-designation", "duty-yes"),
        (
            "demat-sve",
            "stage-1",
            "demat-saisine-electronique",
            "duty-no",
        ),
        (
            "demat-chorus-pro",
            "not-applicable",
            "demat-factures-chorus",
            "dont-know",
        ),
        (
            "secu-sauvegardes",
            "sauvegarde-locale",
            "secu-sauvegardes",
            "sauvegarde-locale",
        ),
    ];
    for (old_id, old_option, new_id, new_option) in cases {
        // Stored on this phone, on 2026.1: migrated when the document is read.
        let mut stored = CampaignDoc::new("2026".into(), "apvf-2026.1".into(), 0.0);
        answer(&mut stored, "a", 1, old_id, Some(old_option));
        let loaded = parse_campaign(&serde_json::to_string(&stored).unwrap(), current);
        let migrated = loaded.doc.unwrap();
        assert_eq!(
            migrated.answers[new_id].option, new_option,
            "{old_id} stored"
        );
        assert!(migrated.retired.is_empty());

        // Synced from another phone still on 2026.1: moved when received.
        let mut other = CampaignDoc::new("2026".into(), "apvf-2026.1".into(), 0.0);
        let op = answer(&mut other, "old-phone", 10, old_id, Some(old_option));
        let mut mine = CampaignDoc::new("2026".into(), current.version.clone(), 0.0);
        mine.receive([op], 20);
        assert_eq!(mine.answers[new_id].option, new_option, "{old_id} synced");
        assert!(!mine.answers.contains_key(old_id) || old_id == new_id);
        // Nothing for this phone to send back.
        assert!(mine.replica.pending().is_empty());
    }
}

#[test]
fn a_town_validation_is_an_operation_of_the_outbox_and_not_an_answer() {
    let q = questionnaire();
    let ids = some_question_ids(3);
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 1.0);
    answer(&mut doc, "admin", 2, &ids[0], Some("stage-2"));
    answer(&mut doc, "admin", 3, &ids[1], Some("stage-4"));
    assert!(matches!(
        doc.town_validation(q),
        diagnostic::network::ValidationStatus::NotValidated
    ));
    let validation = doc.record_town_validation(next_id(), "admin", 4, q);
    assert_eq!(validation.question, "validation:2026");
    assert_eq!(doc.replica.outbox.last(), Some(&validation.id));
    assert_eq!(
        diagnostic::network::validate_network_op(&validation),
        Some(Ok(())),
        "the server's check of a validation passes"
    );
    assert_eq!(doc.answers.len(), 2, "the validation is not an answer");
    let diagnostic::network::ValidationStatus::Validated {
        validation: current,
        changed,
        ..
    } = doc.town_validation(q)
    else {
        panic!("validated");
    };
    assert_eq!((current.by_device.as_str(), current.at_ms), ("admin", 4));
    assert!(changed.is_empty());

    answer(&mut doc, "maire", 5, &ids[1], Some("stage-1"));
    answer(&mut doc, "maire", 6, &ids[2], Some("stage-0"));
    let diagnostic::network::ValidationStatus::Validated { changed, .. } = doc.town_validation(q)
    else {
        panic!("still validated");
    };
    let mut expected = vec![ids[1].clone(), ids[2].clone()];
    let order: Vec<&String> = q.questions().map(|question| &question.id).collect();
    expected.sort_by_key(|id| order.iter().position(|o| *o == id));
    assert_eq!(changed, expected, "edited and newly answered questions");
}

#[test]
fn a_town_release_needs_a_current_validation_and_can_be_withdrawn() {
    use diagnostic::network::{NetworkError, ReleaseLevel};
    let q = questionnaire();
    let ids = some_question_ids(1);
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 1.0);
    answer(&mut doc, "admin", 2, &ids[0], Some("stage-2"));
    assert_eq!(
        doc.record_town_release(next_id(), "admin", 3, Some(ReleaseLevel::Anonymous)),
        Err(NetworkError::NotValidated("2026".into()))
    );
    assert_eq!(doc.replica.outbox.len(), 1, "nothing recorded");

    doc.record_town_validation(next_id(), "admin", 4, q);
    let release = doc
        .record_town_release(next_id(), "admin", 5, Some(ReleaseLevel::Named))
        .unwrap();
    assert_eq!(release.question, "release:2026");
    assert_eq!(
        diagnostic::network::validate_network_op(&release),
        Some(Ok(()))
    );
    assert_eq!(doc.replica.outbox.last(), Some(&release.id));
    assert_eq!(doc.answers.len(), 1, "the release is not an answer");
    assert_eq!(doc.town_release().effective, Some(ReleaseLevel::Named));

    doc.record_town_release(next_id(), "admin", 6, None)
        .unwrap();
    let state = doc.town_release();
    assert_eq!(state.effective, None, "withdrawn");
    assert_eq!(state.choice.map(|c| c.level), Some(None));
}

#[test]
fn refused_network_operations_are_set_aside_and_answers_stay_in_the_outbox() {
    use diagnostic::network::ReleaseLevel;
    let q = questionnaire();
    let ids = some_question_ids(2);
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 1.0);
    answer(&mut doc, "admin", 2, &ids[0], Some("stage-2"));
    let validation = doc.record_town_validation(next_id(), "admin", 3, q);
    let release = doc
        .record_town_release(next_id(), "admin", 4, Some(ReleaseLevel::Anonymous))
        .unwrap();
    let later = answer(&mut doc, "admin", 5, &ids[1], Some("stage-1"));

    assert_eq!(
        doc.replica.set_aside_network(true, "pas validé"),
        1,
        "the release only"
    );
    assert!(!doc.replica.outbox.contains(&release.id));
    assert!(doc.replica.outbox.contains(&validation.id));
    assert_eq!(
        doc.replica.set_aside_network(false, "pas administrateur"),
        1
    );
    assert_eq!(doc.replica.outbox.len(), 2, "the answers are still to send");
    assert!(doc.replica.outbox.contains(&later.id));
    assert_eq!(doc.replica.set_aside.len(), 2);
    assert_eq!(
        doc.replica.set_aside_network(false, "encore"),
        0,
        "nothing left to set aside"
    );
}

fn aggregates_page() -> network::AggregatesPage {
    use diagnostic::network::{GroupAggregate, GroupFigures, GroupKey, GroupKind, Withheld};
    let shown = |key: GroupKey, towns: u32| {
        GroupAggregate::Shown(GroupFigures {
            group: key,
            campaign: "2026".into(),
            towns,
            computed_ms: 1_796_212_800_000,
            overall: None,
            axes: Vec::new(),
            levels: Vec::new(),
            questions: Vec::new(),
        })
    };
    network::AggregatesPage {
        campaign: "2026".into(),
        fetched_ms: 1_796_212_800_000,
        groups: vec![
            GroupAggregate::Withheld(Withheld {
                group: GroupKey::new(GroupKind::Strate, "2500-3499", "2 500 à 3 499 habitants"),
                campaign: "2026".into(),
                needed: Some(3),
            }),
            shown(
                GroupKey::new(GroupKind::Departement, "77", "Seine-et-Marne (77)"),
                12,
            ),
            shown(GroupKey::national(), 40),
        ],
    }
}

#[test]
fn the_network_cache_round_trips_and_picks_the_first_shown_group_by_default() {
    let cache = NetworkCache::new("77475".into(), aggregates_page(), None);
    let raw = serde_json::to_string(&cache).unwrap();
    let loaded = parse_network_cache(&raw).expect("readable");
    assert_eq!(loaded, cache);
    assert!(loaded.is_for("77475", "2026"));
    assert!(
        !loaded.is_for("77475", "2027"),
        "another campaign's figures"
    );
    assert!(!loaded.is_for("42218", "2026"), "another town's figures");
    // The stratum is withheld: the département, the first shown group, is compared with.
    assert_eq!(loaded.selected().unwrap().group().slug(), "departement:77");
    assert_eq!(loaded.selected_figures().unwrap().towns, 12);
}

#[test]
fn the_picked_group_is_kept_even_when_withheld_and_forgotten_when_the_town_lost_it() {
    let withheld = NetworkCache::new(
        "77475".into(),
        aggregates_page(),
        Some("strate:2500-3499".into()),
    );
    assert_eq!(
        withheld.selected().unwrap().group().slug(),
        "strate:2500-3499"
    );
    assert_eq!(
        withheld.selected_figures(),
        None,
        "a withheld group shows no figures"
    );
    let national = NetworkCache::new(
        "77475".into(),
        aggregates_page(),
        Some("national:fr".into()),
    );
    assert_eq!(national.selected_figures().unwrap().towns, 40);
    let gone = NetworkCache::new(
        "77475".into(),
        aggregates_page(),
        Some("epci:200072130".into()),
    );
    assert_eq!(gone.selected().unwrap().group().slug(), "departement:77");
}

#[test]
fn an_unreadable_or_newer_network_cache_is_dropped() {
    assert_eq!(parse_network_cache("{not json"), None);
    assert_eq!(parse_network_cache("{\"schema\":2}"), None);
    let mut newer = NetworkCache::new("77475".into(), aggregates_page(), None);
    newer.schema = SCHEMA_VERSION + 1;
    assert_eq!(
        parse_network_cache(&serde_json::to_string(&newer).unwrap()),
        None
    );
    let mut nameless = NetworkCache::new(String::new(), aggregates_page(), None);
    nameless.schema = SCHEMA_VERSION;
    assert_eq!(
        parse_network_cache(&serde_json::to_string(&nameless).unwrap()),
        None
    );
}

/// Roles read the same on every screen: « Maire », never « (maire) ».
#[test]
fn who_names_the_role_as_the_role_list_does() {
    let device = |id: &str, name: &str, role| diagnostic::sync::Device {
        id: id.into(),
        name: name.into(),
        role,
        created_ms: 1,
        last_seen_ms: None,
        revoked_ms: None,
        current: false,
        admin: false,
    };
    let sync: SyncSettings = serde_json::from_value(serde_json::json!({
        "token": "t", "cursor": 0,
        "device": device("a", "Marie Dupont", diagnostic::sync::Role::Maire),
        "town": {"commune": {"code": "77475", "name": "Trilport", "departement": "77",
                 "region": "11", "postal_codes": [], "population": 1}, "created_ms": 1, "status": "verified"},
        "devices": [device("a", "Marie Dupont", diagnostic::sync::Role::Maire),
                    device("b", "Paul Martin", diagnostic::sync::Role::Adjoint)],
    }))
    .unwrap();
    assert_eq!(sync.who("a").as_deref(), Some("Marie Dupont — Maire"));
    assert_eq!(
        sync.who_in("b", Lang::En).as_deref(),
        Some("Paul Martin — Deputy mayor")
    );
    assert_eq!(sync.who("z"), None);
}

/// A pull page's clock moves the campaign's clock forward, never back.
#[test]
fn a_received_server_clock_is_observed() {
    let mut doc = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    let ahead = Hlc {
        wall_ms: 1_900_000_000_000,
        counter: 3,
        device: "server".into(),
    };
    doc.replica.observe(&ahead, 1_800_000_000_000);
    assert!(doc.replica.clock > ahead);
}
