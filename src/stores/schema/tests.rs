use super::*;
use diagnostic::{questionnaire, MigrationStep, Renamed};

fn op(id: &str, question: &str, option: Option<&str>, time_ms: f64) -> Operation {
    Operation {
        id: id.into(),
        device: "device-a".into(),
        campaign: "2026".into(),
        question: question.into(),
        option: option.map(Into::into),
        comment: None,
        time_ms,
    }
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

#[test]
fn a_campaign_round_trips_through_json() {
    let q = questionnaire();
    let ids = some_question_ids(3);
    let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 1.0);
    doc.apply(op("op-1", &ids[0], Some("stage-2"), 2.0));
    doc.apply(op("op-2", &ids[1], Some("dont-know"), 3.0));
    let raw = serde_json::to_string(&doc).unwrap();
    let loaded = parse_campaign(&raw, q);
    assert_eq!(loaded.doc.as_ref(), Some(&doc));
    assert_eq!(loaded.damage, None);
    assert!(!loaded.upgraded);
}

#[test]
fn consecutive_changes_to_one_question_fold_into_one_operation() {
    let ids = some_question_ids(2);
    let mut doc = CampaignDoc::new("2026".into(), "v".into(), 0.0);
    doc.apply(op("op-1", &ids[0], Some("stage-1"), 1.0));
    doc.apply(op("op-2", &ids[0], Some("stage-3"), 2.0));
    doc.apply(op("op-3", &ids[1], Some("stage-0"), 3.0));
    doc.apply(op("op-4", &ids[0], None, 4.0));
    let outbox: Vec<_> = doc.outbox.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(outbox, ["op-2", "op-3", "op-4"]);
    assert!(!doc.answers.contains_key(&ids[0]), "cleared answer is gone");
    assert_eq!(doc.answers[&ids[1]].option, "stage-0");
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
    assert_eq!(doc.schema, SCHEMA_VERSION);
    assert_eq!(doc.answers[&ids[0]].option, "stage-4");
    assert_eq!(doc.answers[&ids[1]].option, "not-applicable");
    assert_eq!(doc.outbox.len(), 2);
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
    doc.apply(op("op-1", &ids[0], Some("stage-3"), 1.0));
    doc.apply(op("op-2", &ids[1], Some("stage-1"), 2.0));
    doc.answers.insert(
        "question-that-never-existed".into(),
        StoredAnswer { option: "stage-2".into(), comment: None, updated_ms: 3.0 },
    );
    let loaded = parse_campaign(&serde_json::to_string(&doc).unwrap(), &next);
    let migrated = loaded.doc.unwrap();
    assert!(loaded.upgraded);
    assert_eq!(migrated.content_version, "apvf-2027.1");
    assert_eq!(migrated.answers[&renamed_to].option, "stage-3");
    assert_eq!(migrated.answers[&renamed_to].updated_ms, 1.0);
    assert_eq!(migrated.answers[&ids[1]].option, "stage-1");
    assert_eq!(migrated.retired.len(), 1, "the unknown answer is kept aside, not dropped");
    assert_eq!(migrated.retired[0].question, "question-that-never-existed");
}

#[test]
fn a_questionnaire_version_the_map_does_not_know_retires_answers_instead_of_losing_them() {
    let q = questionnaire();
    let ids = some_question_ids(1);
    let mut doc = CampaignDoc::new("2026".into(), "apvf-1999.1".into(), 0.0);
    doc.apply(op("op-1", &ids[0], Some("stage-3"), 1.0));
    let loaded = parse_campaign(&serde_json::to_string(&doc).unwrap(), q);
    let doc = loaded.doc.unwrap();
    assert!(doc.answers.is_empty());
    assert_eq!(doc.retired.len(), 1);
    assert_eq!(doc.retired[0].content_version, "apvf-1999.1");
    assert_eq!(doc.outbox.len(), 1, "the operation still goes to the server");
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
fn a_partly_damaged_document_keeps_every_answer_that_still_reads() {
    let q = questionnaire();
    let ids = some_question_ids(2);
    let raw = serde_json::json!({
        "schema": 2, "id": "2026", "content_version": q.version, "created_ms": 0.0,
        "answers": {
            ids[0].clone(): { "option": "stage-2", "updated_ms": 1.0 },
            ids[1].clone(): { "option": 42 }
        },
        "outbox": [ { "id": "op-1" }, { "id": "op-2", "device": "d", "campaign": "2026",
            "question": ids[0].clone(), "option": "stage-2", "time_ms": 1.0 } ]
    })
    .to_string();
    let loaded = parse_campaign(&raw, q);
    let doc = loaded.doc.unwrap();
    assert!(matches!(loaded.damage, Some(Damage::Partial(_))));
    assert_eq!(doc.answers.len(), 1);
    assert_eq!(doc.answers[&ids[0]].option, "stage-2");
    assert_eq!(doc.outbox.len(), 1);
    assert_eq!(doc.outbox[0].id, "op-2");
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
fn backup_keys_are_recognised_and_never_collide_with_documents() {
    let key = backup_key(&campaign_key("2026"), 1_700_000_000_123.0);
    assert_eq!(key, "arobase.backup.campaign.2026.1700000000123");
    assert!(is_backup_key(&key));
    assert!(!is_backup_key(&campaign_key("2026")));
    assert!(key.starts_with(KEY_PREFIX));
}
