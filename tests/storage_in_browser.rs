//! The storage layer against the real localStorage of a headless Chromium: round trip, schema
//! migration, recovery of corrupt data, and a full storage.
#![cfg(target_arch = "wasm32")]

use arobase::stores::schema::{
    campaign_key, is_backup_key, segment_key, CampaignDoc, Damage, Operation, NETWORK_KEY,
    SETTINGS_KEY,
};
use arobase::stores::{LocalStore, NetworkStore, Notice, SaveFailure, SaveState};
use diagnostic::questionnaire;
use diagnostic::sync::Hlc;
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// Starts every test from an empty localStorage.
fn reset() {
    storage().clear().unwrap();
    any_spawner::Executor::init_wasm_bindgen().ok();
}

fn keys() -> Vec<String> {
    let s = storage();
    (0..s.length().unwrap())
        .filter_map(|i| s.key(i).unwrap())
        .collect()
}

/// Questions on the default scale (custom scales have other option ids).
fn question_ids(n: usize) -> Vec<String> {
    questionnaire()
        .questions()
        .filter(|q| (0..=4).all(|stage| q.option(&format!("stage-{stage}")).is_some()))
        .take(n)
        .map(|q| q.id.clone())
        .collect()
}

/// Fills localStorage until the browser refuses, with pieces down to 256 characters, so that no
/// campaign document fits any more. Returns the filler keys.
fn fill_storage() -> Vec<String> {
    let s = storage();
    let mut fillers = Vec::new();
    let mut size = 1 << 20;
    while size >= 256 {
        let chunk = "x".repeat(size);
        loop {
            let key = format!("filler.{}", fillers.len());
            if s.set_item(&key, &chunk).is_err() {
                break;
            }
            fillers.push(key);
        }
        size /= 4;
    }
    fillers
}

fn free(fillers: &[String]) {
    for key in fillers {
        storage().remove_item(key).unwrap();
    }
}

#[wasm_bindgen_test]
fn answers_round_trip_through_local_storage() {
    reset();
    let ids = question_ids(3);
    let store = LocalStore::load();
    store.choose(&ids[0], "stage-3");
    store.choose(&ids[1], "dont-know");
    store.set_comment(&ids[1], "Demander à la DGS ; voir le budget 2027");
    store.choose(&ids[2], "stage-1");
    store.clear(&ids[2]);
    assert_eq!(store.save_state.get_untracked(), SaveState::Saved);

    let reloaded = LocalStore::load();
    let answer = |id: &str| {
        reloaded
            .campaign
            .with_untracked(|c| c.answers.get(id).cloned())
    };
    assert_eq!(answer(&ids[0]).unwrap().option, "stage-3");
    let second = answer(&ids[1]).unwrap();
    assert_eq!(second.option, "dont-know");
    assert_eq!(
        second.comment.as_deref(),
        Some("Demander à la DGS ; voir le budget 2027")
    );
    assert!(answer(&ids[2]).is_none(), "a cleared answer stays cleared");
    let outbox = reloaded
        .campaign
        .with_untracked(|c| c.replica.outbox.clone());
    assert_eq!(
        outbox.len(),
        3,
        "one operation per question, folded: {outbox:?}"
    );
    assert!(reloaded.notices.get_untracked().is_empty());
}

#[wasm_bindgen_test]
fn a_schema_1_campaign_is_upgraded_and_the_original_kept() {
    reset();
    let ids = question_ids(2);
    let raw_settings = serde_json::json!({
        "schema": 1, "device_id": "old-phone", "current_campaign": "2025", "lang": "en"
    });
    storage()
        .set_item(SETTINGS_KEY, &raw_settings.to_string())
        .unwrap();
    let raw_campaign = serde_json::json!({
        "schema": 1, "id": "2025", "content_version": questionnaire().version, "created_ms": 1.0,
        "answers": { ids[0].clone(): "stage-2", ids[1].clone(): "not-applicable" }
    })
    .to_string();
    storage()
        .set_item(&campaign_key("2025"), &raw_campaign)
        .unwrap();

    let store = LocalStore::load();
    assert_eq!(store.settings.get_untracked().device_id, "old-phone");
    let doc = store.campaign.get_untracked();
    assert_eq!(doc.schema, 3);
    assert_eq!(doc.answers[&ids[0]].option, "stage-2");
    assert_eq!(doc.answers[&ids[1]].option, "not-applicable");

    let stored = storage().get_item(&campaign_key("2025")).unwrap().unwrap();
    assert!(
        stored.contains("\"schema\":3"),
        "rewritten in the current schema"
    );
    let backups: Vec<_> = keys().into_iter().filter(|k| is_backup_key(k)).collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        storage().get_item(&backups[0]).unwrap().unwrap(),
        raw_campaign
    );
}

#[wasm_bindgen_test]
fn corrupt_data_is_backed_up_reported_and_the_app_carries_on() {
    reset();
    let ids = question_ids(1);
    let settings = serde_json::json!({ "schema": 2, "device_id": "d", "current_campaign": "2026" });
    storage()
        .set_item(SETTINGS_KEY, &settings.to_string())
        .unwrap();
    let garbage = "{\"schema\":2,\"id\":\"2026\",\"answers\":{\"dem";
    storage().set_item(&campaign_key("2026"), garbage).unwrap();

    let store = LocalStore::load();
    let notices = store.notices.get_untracked();
    let Some(Notice::Recovered { backup, damage }) = notices.first() else {
        panic!("expected a recovery notice, got {notices:?}");
    };
    assert!(matches!(damage, Damage::Unreadable(_)));
    assert_eq!(
        storage().get_item(backup).unwrap().as_deref(),
        Some(garbage)
    );

    store.choose(&ids[0], "stage-4");
    assert_eq!(store.save_state.get_untracked(), SaveState::Saved);
    assert_eq!(
        storage().get_item(backup).unwrap().as_deref(),
        Some(garbage),
        "backup untouched"
    );
}

#[wasm_bindgen_test]
fn a_full_storage_says_the_last_answer_was_not_saved_and_keeps_the_others() {
    reset();
    let ids = question_ids(2);
    let store = LocalStore::load();
    store.choose(&ids[0], "stage-2");
    let before = storage().get_item(&campaign_key(
        &store.settings.get_untracked().current_campaign,
    ));

    let fillers = fill_storage();
    assert!(!fillers.is_empty());
    store.choose(&ids[1], "stage-4");
    assert_eq!(
        store.save_state.get_untracked(),
        SaveState::Failed(SaveFailure::QuotaExceeded)
    );
    let shown = |id: &str| {
        store
            .campaign
            .with_untracked(|c| c.answers.get(id).cloned())
    };
    assert!(
        shown(&ids[1]).is_none(),
        "the screen shows only what is saved"
    );
    assert_eq!(shown(&ids[0]).unwrap().option, "stage-2");
    let key = campaign_key(&store.settings.get_untracked().current_campaign);
    assert_eq!(
        storage().get_item(&key).unwrap(),
        before.unwrap(),
        "stored data unchanged"
    );

    free(&fillers);
    store.choose(&ids[1], "stage-4");
    assert_eq!(store.save_state.get_untracked(), SaveState::Saved);
    let reloaded = LocalStore::load();
    assert_eq!(
        reloaded
            .campaign
            .with_untracked(|c| c.answers[&ids[1]].option.clone()),
        "stage-4"
    );
}

#[wasm_bindgen_test]
fn corrupt_data_that_cannot_be_backed_up_is_never_overwritten() {
    reset();
    let ids = question_ids(1);
    let settings = serde_json::json!({ "schema": 2, "device_id": "d", "current_campaign": "2026" });
    storage()
        .set_item(SETTINGS_KEY, &settings.to_string())
        .unwrap();
    // Bigger than what a full storage has left, so the backup cannot be written.
    let garbage = "not json at all ".repeat(1000);
    let garbage = garbage.as_str();
    storage().set_item(&campaign_key("2026"), garbage).unwrap();
    let fillers = fill_storage();

    let store = LocalStore::load();
    assert!(matches!(
        store.notices.get_untracked().first(),
        Some(Notice::Untouched { .. })
    ));
    free(&fillers);
    store.choose(&ids[0], "stage-1");
    assert_eq!(
        store.save_state.get_untracked(),
        SaveState::Failed(SaveFailure::Protected)
    );
    assert_eq!(
        storage()
            .get_item(&campaign_key("2026"))
            .unwrap()
            .as_deref(),
        Some(garbage)
    );
}

#[wasm_bindgen_test]
fn erasing_removes_only_arobase_keys() {
    reset();
    storage().set_item("another-app", "keep me").unwrap();
    let store = LocalStore::load();
    store.choose(&question_ids(1)[0], "stage-0");
    store.erase_all();
    assert!(store.campaign.with_untracked(|c| c.answers.is_empty()));
    let left: Vec<_> = keys().into_iter().filter(|k| k != SETTINGS_KEY).collect();
    assert_eq!(
        left,
        ["another-app"],
        "only the new settings and the foreign key remain"
    );
}

#[wasm_bindgen_test]
fn an_operator_token_lives_under_its_own_key_and_a_claim_in_the_settings() {
    use arobase::stores::schema::{OperatorSettings, PendingAccess, OPERATOR_KEY};
    use diagnostic::association::{AccessRequest, Operator, OperatorEnrolment, RequestStatus};
    reset();
    let store = LocalStore::load();
    assert_eq!(store.operator(), None);
    let enrolment = OperatorEnrolment {
        token: "arobase_op_browser".into(),
        operator: Operator {
            id: 1,
            name: "Claire".into(),
            email: None,
            created_ms: 1,
            removed_ms: None,
        },
    };
    let operator = OperatorSettings::new(enrolment, "Ordinateur du siège".into());
    store.set_operator(&operator).unwrap();
    // Its own key: the settings (and any device token in them) never carry it.
    let settings = storage().get_item(SETTINGS_KEY).unwrap().unwrap();
    assert!(!settings.contains("arobase_op_"), "{settings}");
    assert_eq!(LocalStore::load().operator(), Some(operator));

    // A claim waiting for the association is kept in the settings, and read back.
    let claim = PendingAccess {
        token: "arobase_request".into(),
        request: AccessRequest {
            id: 3,
            town_id: 1,
            commune: serde_json::from_str(
                r#"{"code":"77382","name":"Quincy-Voisins","departement":"77","region":"11","postal_codes":["77860"],"population":5547}"#,
            )
            .unwrap(),
            name: "Paul".into(),
            role: diagnostic::sync::Role::Adjoint,
            created_ms: 2,
            status: RequestStatus::Pending,
            decided_ms: None,
        },
    };
    store.set_access_request(Some(claim.clone()));
    assert_eq!(LocalStore::load().access_request(), Some(claim));

    store.forget_operator();
    assert!(storage().get_item(OPERATOR_KEY).unwrap().is_none());
    assert!(keys().iter().all(|k| k != OPERATOR_KEY));
}

/// A page of figures as the server sends it: the stratum shown, the département withheld.
fn aggregates_page(fetched_ms: u64) -> diagnostic::network::AggregatesPage {
    use diagnostic::network::{GroupAggregate, GroupFigures, GroupKey, GroupKind, Withheld};
    diagnostic::network::AggregatesPage {
        campaign: "2026".into(),
        fetched_ms,
        groups: vec![
            GroupAggregate::Shown(GroupFigures {
                group: GroupKey::new(GroupKind::Strate, "3500-4999", "3 500 à 4 999 habitants"),
                campaign: "2026".into(),
                towns: 6,
                computed_ms: fetched_ms,
                overall: None,
                axes: Vec::new(),
                levels: Vec::new(),
                questions: Vec::new(),
            }),
            GroupAggregate::Withheld(Withheld {
                group: GroupKey::new(GroupKind::Departement, "14", "Calvados (14)"),
                campaign: "2026".into(),
                needed: Some(5),
            }),
        ],
    }
}

#[wasm_bindgen_test]
fn the_network_figures_and_the_picked_group_are_kept_on_the_phone() {
    reset();
    let network = NetworkStore::load();
    assert_eq!(network.cache.get_untracked(), None);
    network.keep("14117", aggregates_page(1_000));
    network.pick("departement:14");
    // A newer page keeps the group picked before.
    network.keep("14117", aggregates_page(2_000));

    let reloaded = NetworkStore::load();
    let cache = reloaded
        .for_town("14117", "2026")
        .expect("kept on the phone");
    assert_eq!(cache.page.fetched_ms, 2_000);
    assert_eq!(cache.group.as_deref(), Some("departement:14"));
    assert_eq!(
        cache.selected_figures(),
        None,
        "the picked group is withheld"
    );
    assert!(
        reloaded.for_town("42218", "2026").is_none(),
        "another town's figures are not shown"
    );
    assert!(
        reloaded.for_town("14117", "2027").is_none(),
        "nor another campaign's"
    );
}

#[wasm_bindgen_test]
fn a_corrupt_network_cache_is_dropped_quietly() {
    reset();
    storage()
        .set_item(NETWORK_KEY, "{\"schema\":2,\"commune\":")
        .unwrap();
    let network = NetworkStore::load();
    assert_eq!(network.cache.get_untracked(), None);
    assert_eq!(storage().get_item(NETWORK_KEY).unwrap(), None, "removed");
    assert!(
        !keys().iter().any(|k| is_backup_key(k)),
        "only a cache: never backed up"
    );
    // And the answers' store has nothing to report about it.
    assert!(LocalStore::load().notices.get_untracked().is_empty());
}

#[wasm_bindgen_test]
fn a_full_storage_keeps_the_figures_for_this_visit() {
    reset();
    let network = NetworkStore::load();
    let fillers = fill_storage();
    network.keep("14117", aggregates_page(3_000));
    let in_memory = network.for_town("14117", "2026");
    let on_phone = storage().get_item(NETWORK_KEY).unwrap();
    free(&fillers);
    assert_eq!(
        in_memory.map(|c| c.page.fetched_ms),
        Some(3_000),
        "shown all the same"
    );
    assert_eq!(on_phone, None, "nothing could be written");
}

/// Another phone's operations on `ids`, as a pull brings them.
fn theirs(ids: &[String], from: u64, count: u64) -> Vec<Operation> {
    (from..from + count)
        .map(|n| Operation {
            id: diagnostic::sync::op_id(1_700_000_000_000 + n, [n as u8; 10]),
            device: "phone-b".into(),
            campaign: "2026".into(),
            question: ids[n as usize % ids.len()].clone(),
            option: Some("stage-1".into()),
            comment: None,
            clock: Hlc {
                wall_ms: 1_700_000_000_000 + n,
                counter: 0,
                device: "phone-b".into(),
            },
            base: vec![],
        })
        .collect()
}

/// A schema-2 campaign "2026" of `count` operations of another phone, stored as one document,
/// with settings pointing at it.
fn store_schema_2(ids: &[String], count: u64) -> String {
    let settings = serde_json::json!({ "schema": 2, "device_id": "d", "current_campaign": "2026" });
    storage()
        .set_item(SETTINGS_KEY, &settings.to_string())
        .unwrap();
    let mut doc = CampaignDoc::new("2026".into(), questionnaire().version.clone(), 1.0);
    doc.receive(theirs(ids, 0, count), 1_800_000_000_000);
    doc.schema = 2;
    let raw = serde_json::to_string(&doc).unwrap();
    storage().set_item(&campaign_key("2026"), &raw).unwrap();
    raw
}

fn segment(n: u64) -> Option<String> {
    storage().get_item(&segment_key("2026", n)).unwrap()
}

fn op_count(store: &LocalStore) -> usize {
    store.campaign.with_untracked(|c| c.replica.ops.len())
}

#[wasm_bindgen_test]
fn a_schema_2_campaign_is_laid_out_in_segments_and_its_original_kept() {
    reset();
    let ids = question_ids(5);
    let raw = store_schema_2(&ids, 450);
    let store = LocalStore::load();
    assert!(store.notices.get_untracked().is_empty());
    assert_eq!(op_count(&store), 450);
    let head = storage().get_item(&campaign_key("2026")).unwrap().unwrap();
    assert!(head.contains("\"schema\":3") && head.contains("\"segments\""));
    assert!(
        head.len() < raw.len() / 10,
        "the head is small: {}",
        head.len()
    );
    for n in 0..3 {
        assert!(segment(n).is_some(), "segment {n}");
    }
    let backups: Vec<_> = keys().into_iter().filter(|k| is_backup_key(k)).collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(storage().get_item(&backups[0]).unwrap().unwrap(), raw);

    // A tap writes the head; the next one appends the first to the open segment.
    store.choose(&ids[0], "stage-3");
    store.choose(&ids[1], "stage-4");
    assert_eq!(store.save_state.get_untracked(), SaveState::Saved);
    let open: Vec<serde_json::Value> = serde_json::from_str(&segment(2).unwrap()).unwrap();
    assert_eq!(open.len(), 51);
    let reloaded = LocalStore::load();
    assert!(reloaded.notices.get_untracked().is_empty());
    assert_eq!(op_count(&reloaded), 452);
    assert_eq!(
        reloaded
            .campaign
            .with_untracked(|c| c.answers[&ids[1]].option.clone()),
        "stage-4"
    );
}

#[wasm_bindgen_test]
fn a_damaged_segment_is_backed_up_salvaged_and_reported() {
    reset();
    let ids = question_ids(5);
    store_schema_2(&ids, 450);
    // The first start lays the schema-2 document out in segments.
    let _ = LocalStore::load();
    let text = segment(1).unwrap();
    let damaged = text[..text.len() / 2].to_string();
    storage()
        .set_item(&segment_key("2026", 1), &damaged)
        .unwrap();

    let store = LocalStore::load();
    let notices = store.notices.get_untracked();
    let backup = notices
        .iter()
        .find_map(|n| match n {
            Notice::Recovered { backup, .. } if backup.contains(".log.1.") => Some(backup.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the damaged segment is reported: {notices:?}"));
    assert_eq!(
        storage().get_item(&backup).unwrap().as_deref(),
        Some(damaged.as_str())
    );
    let kept = op_count(&store);
    assert!(
        (340..=350).contains(&kept),
        "segments 0 and 2 whole, half of 1: {kept}"
    );
    store.choose(&ids[0], "stage-2");
    assert_eq!(store.save_state.get_untracked(), SaveState::Saved);
    let reloaded = LocalStore::load();
    assert!(
        reloaded.notices.get_untracked().is_empty(),
        "laid out whole again"
    );
    assert_eq!(op_count(&reloaded), kept + 1);
}

#[wasm_bindgen_test]
fn operations_a_crash_left_past_the_heads_count_are_kept() {
    reset();
    let ids = question_ids(5);
    store_schema_2(&ids, 250);
    // The first start lays the schema-2 document out in segments.
    let _ = LocalStore::load();
    // A pull written to the open segment, the head never written (the phone died between).
    let mut open: Vec<serde_json::Value> = serde_json::from_str(&segment(1).unwrap()).unwrap();
    assert_eq!(open.len(), 50);
    for op in theirs(&ids, 1_000, 3) {
        open.push(serde_json::to_value(&op).unwrap());
    }
    storage()
        .set_item(
            &segment_key("2026", 1),
            &serde_json::to_string(&open).unwrap(),
        )
        .unwrap();

    let store = LocalStore::load();
    assert!(store.notices.get_untracked().is_empty(), "nothing was lost");
    assert_eq!(op_count(&store), 253);
    let head = storage().get_item(&campaign_key("2026")).unwrap().unwrap();
    assert!(
        head.contains("\"count\":53"),
        "the head now counts them: {head:.300}"
    );
}

#[wasm_bindgen_test]
fn a_full_storage_on_a_tap_with_a_long_log_keeps_everything_saved() {
    reset();
    let ids = question_ids(5);
    store_schema_2(&ids, 450);
    let store = LocalStore::load();
    store.choose(&ids[0], "stage-3");
    let fillers = fill_storage();
    store.choose(&ids[1], "stage-4");
    store.choose(&ids[2], "stage-4");
    assert_eq!(
        store.save_state.get_untracked(),
        SaveState::Failed(SaveFailure::QuotaExceeded)
    );
    let shown = |id: &str| {
        store
            .campaign
            .with_untracked(|c| c.answers.get(id).map(|a| a.option.clone()))
    };
    assert_eq!(shown(&ids[0]).as_deref(), Some("stage-3"));
    assert_eq!(
        shown(&ids[2]).as_deref(),
        Some("stage-1"),
        "only what is saved"
    );
    assert_eq!(op_count(&store), 451);
    free(&fillers);
    store.choose(&ids[2], "stage-4");
    assert_eq!(store.save_state.get_untracked(), SaveState::Saved);
    let reloaded = LocalStore::load();
    assert_eq!(op_count(&reloaded), 452);
    assert_eq!(
        reloaded
            .campaign
            .with_untracked(|c| c.answers[&ids[2]].option.clone()),
        "stage-4"
    );
}
