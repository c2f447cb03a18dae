//! Schema 3 natively: what a tap writes, what a crash between the segment and the head leaves,
//! damaged and missing segments, the upgrade from one document, and a fuzz of the decoders.

use std::collections::{BTreeMap, BTreeSet};

use diagnostic::sync::{Hlc, Operation};
use diagnostic::{questionnaire, Questionnaire};
use proptest::prelude::*;

use super::*;
use crate::stores::schema::{campaign_of_key, parse_campaign};

const ID: &str = "2026";
const DEVICE: &str = "phone-a";

type Map = BTreeMap<String, String>;

fn q() -> &'static Questionnaire {
    questionnaire()
}

fn question_ids() -> Vec<String> {
    q().questions()
        .filter(|q| q.option("stage-1").is_some() && q.option("stage-2").is_some())
        .map(|q| q.id.clone())
        .collect()
}

fn op_id(n: u64) -> String {
    diagnostic::sync::op_id(1_800_000_000_000 + n, [n as u8; 10])
}

fn new_doc() -> CampaignDoc {
    CampaignDoc::new(ID.into(), q().version.clone(), 1.0)
}

/// Stores `doc` in `map` as the app does: every write in order, then the removals.
fn store(map: &mut Map, doc: &mut CampaignDoc) -> Writes {
    let writes = doc.writes().expect("serialises");
    apply(map, &writes);
    doc.stored(writes.layout.clone());
    writes
}

fn apply(map: &mut Map, writes: &Writes) {
    for (key, text) in &writes.set {
        map.insert(key.clone(), text.clone());
    }
    for key in &writes.remove {
        map.remove(key);
    }
}

fn load(map: &Map) -> LoadedCampaign {
    load_campaign(map, ID, q(), DEVICE).expect("a head")
}

/// Another phone's operations, as a pull brings them (one per question, then replacing).
fn theirs(from: u64, count: u64) -> Vec<Operation> {
    let ids = question_ids();
    (from..from + count)
        .map(|n| Operation {
            id: op_id(n),
            device: "phone-b".into(),
            campaign: ID.into(),
            question: ids[n as usize % ids.len()].clone(),
            option: Some("stage-1".into()),
            comment: Some("plus ancienne".into()),
            clock: Hlc {
                wall_ms: 1_700_000_000_000 + n,
                counter: 0,
                device: "phone-b".into(),
            },
            base: vec![],
        })
        .collect()
}

fn tap(doc: &mut CampaignDoc, n: u64, question: &str, option: &str) {
    doc.record(
        op_id(1_000_000 + n),
        DEVICE,
        1_800_000_000_000 + n,
        question,
        Some(option.into()),
        None,
    );
}

#[test]
fn a_tap_writes_the_open_segment_then_the_head_and_reads_back_equal() {
    let ids = question_ids();
    let mut map = Map::new();
    let mut doc = new_doc();
    doc.receive(theirs(0, 450), 1_800_000_000_000);
    let writes = store(&mut map, &mut doc);
    // The whole log laid out: three segments (200, 200, 50), then the head.
    assert_eq!(writes.set.len(), 4);
    assert_eq!(writes.set.last().unwrap().0, campaign_key(ID));
    for n in 0..2 {
        let entries: Vec<Value> = serde_json::from_str(&map[&segment_key(ID, n)]).unwrap();
        assert_eq!(entries.len(), SEGMENT_OPS);
    }
    for (i, question) in ids.iter().take(5).enumerate() {
        tap(&mut doc, i as u64, question, "stage-2");
        let writes = store(&mut map, &mut doc);
        let keys: Vec<&str> = writes.set.iter().map(|(k, _)| k.as_str()).collect();
        if i == 0 {
            // The new answer is the tail: only the head.
            assert_eq!(keys, [campaign_key(ID)]);
        } else {
            // The previous answer is final now: appended to the open segment, then the head.
            assert_eq!(keys, [segment_key(ID, 2), campaign_key(ID)]);
        }
        let loaded = load(&map);
        assert_eq!(loaded.damage, None);
        assert!(!loaded.upgraded, "a clean layout reads without rewriting");
        assert_eq!(loaded.doc.as_ref(), Some(&doc));
    }
    let entries: Vec<Value> = serde_json::from_str(&map[&segment_key(ID, 2)]).unwrap();
    assert_eq!(entries.len(), 54);
}

/// A re-send to a restored server under way is in the head: a reload goes on from where it was.
#[test]
fn a_resend_under_way_survives_a_reload() {
    let mut map = Map::new();
    let mut doc = new_doc();
    doc.receive(theirs(0, 30), 1_800_000_000_000);
    doc.replica.start_resend();
    let first = doc.replica.next_resend(10, q(), true);
    doc.replica.resend_past(&first.last().unwrap().id);
    store(&mut map, &mut doc);
    let mut loaded = load(&map).doc.expect("a campaign");
    assert_eq!(loaded.replica.resend, doc.replica.resend);
    assert_eq!(loaded.replica.next_resend(100, q(), true).len(), 20);
}

#[test]
fn folding_rewrites_only_the_head_and_no_segment_holds_a_folded_operation() {
    let ids = question_ids();
    let mut map = Map::new();
    let mut doc = new_doc();
    doc.receive(theirs(0, 10), 1_800_000_000_000);
    store(&mut map, &mut doc);
    for i in 0..20 {
        let option = if i % 2 == 0 { "stage-1" } else { "stage-2" };
        tap(&mut doc, i, &ids[0], option);
        let writes = store(&mut map, &mut doc);
        assert_eq!(writes.set.len(), 1, "a fold writes the head only");
    }
    assert_eq!(
        doc.replica.outbox.len(),
        1,
        "twenty changes folded into one"
    );
    let loaded = load(&map).doc.unwrap();
    assert_eq!(loaded, doc);
    let in_segments: usize = (0..3)
        .filter_map(|n| map.get(&segment_key(ID, n)))
        .map(|t| serde_json::from_str::<Vec<Value>>(t).unwrap().len())
        .sum();
    assert_eq!(
        in_segments, 10,
        "only the received operations are in segments"
    );
}

/// The cost of a tap: what it writes does not grow with the log.
#[test]
fn what_a_tap_writes_does_not_grow_with_the_log() {
    let ids = question_ids();
    let written = |log: u64| {
        let mut map = Map::new();
        let mut doc = new_doc();
        doc.receive(theirs(0, log), 1_800_000_000_000);
        store(&mut map, &mut doc);
        let mut most = 0;
        for i in 0..50 {
            tap(&mut doc, i, &ids[i as usize % 7], "stage-2");
            let writes = store(&mut map, &mut doc);
            most = most.max(writes.set.iter().map(|(_, t)| t.len()).sum::<usize>());
        }
        most
    };
    let (short, long) = (written(70), written(10_000));
    // The head and one segment of at most 200 operations, whatever the log.
    assert!(
        long < 2 * short + 200 * 400,
        "{long} chars for 10,000 vs {short} for 70"
    );
    assert!(long < 150_000, "{long} chars");
}

#[test]
fn a_crash_between_the_segment_and_the_head_keeps_the_crashs_operations() {
    let ids = question_ids();
    let mut map = Map::new();
    let mut doc = new_doc();
    doc.receive(theirs(0, 190), 1_800_000_000_000);
    tap(&mut doc, 0, &ids[0], "stage-2");
    store(&mut map, &mut doc);
    let before = map.clone();
    // A pull of 30 operations: it fills segment 0 and starts segment 1; the head is not written.
    doc.receive(theirs(500, 30), 1_800_000_000_100);
    let writes = doc.writes().unwrap();
    assert_eq!(writes.set.len(), 3);
    for (key, text) in &writes.set[..2] {
        map.insert(key.clone(), text.clone());
    }
    assert_eq!(map[&campaign_key(ID)], before[&campaign_key(ID)]);
    let loaded = load(&map);
    assert_eq!(loaded.damage, None);
    assert!(
        loaded.upgraded,
        "the head is written again with the crash's entries"
    );
    let mut recovered = loaded.doc.unwrap();
    for op in theirs(500, 30) {
        assert!(recovered.replica.ops.contains_key(&op.id), "kept");
    }
    assert_eq!(recovered.replica.ops.len(), 221);
    assert_eq!(recovered.replica.outbox, doc.replica.outbox);
    assert_eq!(recovered.answers, doc.answers);
    // Written again, it reads back the same, with nothing left over.
    store(&mut map, &mut recovered);
    let again = load(&map);
    assert!(!again.upgraded);
    assert_eq!(again.doc.unwrap(), recovered);
}

#[test]
fn a_crash_after_the_tail_moved_to_a_segment_loses_nothing_and_duplicates_nothing() {
    let ids = question_ids();
    let mut map = Map::new();
    let mut doc = new_doc();
    tap(&mut doc, 0, &ids[0], "stage-1");
    store(&mut map, &mut doc);
    let saved = load(&map).doc.unwrap();
    // The next answer makes the first one final: the segment gets it, the head does not follow.
    tap(&mut doc, 1, &ids[1], "stage-2");
    let writes = doc.writes().unwrap();
    map.insert(writes.set[0].0.clone(), writes.set[0].1.clone());
    let loaded = load(&map).doc.unwrap();
    assert_eq!(loaded, saved, "exactly the state before the tap");
    assert_eq!(loaded.replica.outbox.len(), 1);
}

#[test]
fn a_missing_or_truncated_segment_keeps_everything_else_and_says_so() {
    let mut map = Map::new();
    let mut doc = new_doc();
    doc.receive(theirs(0, 500), 1_800_000_000_000);
    store(&mut map, &mut doc);
    // Segment 1 is gone; segment 2 is cut in the middle of an operation.
    map.remove(&segment_key(ID, 1));
    let text = map[&segment_key(ID, 2)].clone();
    let cut = text.len() / 2;
    map.insert(segment_key(ID, 2), text[..cut].to_string());
    let loaded = load(&map);
    assert!(
        matches!(loaded.damage, Some(Damage::Partial(_))),
        "{:?}",
        loaded.damage
    );
    assert_eq!(loaded.damaged_keys, [segment_key(ID, 2)]);
    let doc = loaded.doc.unwrap();
    let kept: BTreeSet<&String> = doc.replica.ops.keys().collect();
    for op in theirs(0, 200) {
        assert!(kept.contains(&op.id), "segment 0 is whole");
    }
    let survived = theirs(400, 100)
        .iter()
        .filter(|op| kept.contains(&op.id))
        .count();
    assert!(
        (40..=50).contains(&survived),
        "{survived} of segment 2's first half"
    );
    // Answers the head had for operations that were lost are recorded again, not lost.
    let mut map2 = map.clone();
    let mut doc = doc;
    store(&mut map2, &mut doc);
    assert_eq!(load(&map2).damage, None, "laid out again whole");
    assert!(
        !map2.contains_key(&segment_key(ID, 0)),
        "old segments removed"
    );
}

#[test]
fn schema_2_is_laid_out_in_segments_on_its_first_write() {
    let ids = question_ids();
    let mut doc = new_doc();
    doc.receive(theirs(0, 450), 1_800_000_000_000);
    tap(&mut doc, 0, &ids[0], "stage-2");
    doc.schema = 2;
    let mut map = Map::new();
    map.insert(campaign_key(ID), serde_json::to_string(&doc).unwrap());
    let loaded = load(&map);
    assert!(loaded.upgraded);
    assert_eq!(loaded.damage, None);
    let mut upgraded = loaded.doc.unwrap();
    assert_eq!(upgraded.schema, CAMPAIGN_SCHEMA);
    store(&mut map, &mut upgraded);
    assert!(map[&campaign_key(ID)].len() < 40_000, "the head is small");
    assert!(map.contains_key(&segment_key(ID, 2)));
    let again = load(&map);
    assert!(!again.upgraded);
    doc.schema = CAMPAIGN_SCHEMA;
    assert_eq!(again.doc.unwrap(), doc);
}

#[test]
fn a_head_that_is_not_json_is_rebuilt_from_its_segments() {
    let ids = question_ids();
    let mut map = Map::new();
    let mut doc = new_doc();
    doc.receive(theirs(0, 300), 1_800_000_000_000);
    tap(&mut doc, 0, &ids[0], "stage-2");
    tap(&mut doc, 1, &ids[1], "stage-3");
    store(&mut map, &mut doc);
    map.insert(campaign_key(ID), "{\"schema\":3,\"id\":".into());
    let loaded = load(&map);
    assert!(matches!(loaded.damage, Some(Damage::Unreadable(_))));
    let rebuilt = loaded.doc.unwrap();
    // Every operation of the segments is there; this phone's are back in the outbox.
    assert_eq!(
        rebuilt.replica.ops.len(),
        301,
        "the tail was in the lost head only"
    );
    assert_eq!(rebuilt.replica.outbox.len(), 1);
    let mut rebuilt = rebuilt;
    store(&mut map, &mut rebuilt);
    assert!(
        !map.contains_key(&segment_key(ID, 0)),
        "laid out after the old ones"
    );
    assert_eq!(load(&map).doc.unwrap().replica.ops.len(), 301);
}

#[test]
fn segment_keys_are_not_campaigns() {
    assert_eq!(campaign_of_key(&segment_key(ID, 3)), None);
    assert_eq!(campaign_of_key(&campaign_key(ID)), Some(ID));
    assert_eq!(segment_of_key(ID, &segment_key(ID, 12)), Some(12));
    assert_eq!(segment_of_key(ID, &campaign_key(ID)), None);
}

/// A stored campaign with a head, three segments and a tail, for the fuzz.
fn stored_campaign() -> (Map, CampaignDoc) {
    let ids = question_ids();
    let mut map = Map::new();
    let mut doc = new_doc();
    doc.receive(theirs(0, 420), 1_800_000_000_000);
    tap(&mut doc, 0, &ids[0], "stage-2");
    tap(&mut doc, 1, &ids[1], "stage-3");
    store(&mut map, &mut doc);
    (map, doc)
}

/// Changes `text` at `at` (a fraction of its length): cut it, drop a character, or put another.
fn mutate(text: &str, at: f64, how: u8, with: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let i = ((chars.len() as f64 * at) as usize).min(chars.len().saturating_sub(1));
    match how % 3 {
        0 => chars.truncate(i),
        1 => {
            chars.remove(i);
        }
        _ => chars[i] = with,
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random text under any key never panics the reader.
    #[test]
    fn random_text_never_panics(head in ".{0,200}", segment in ".{0,200}") {
        let mut map = Map::new();
        map.insert(campaign_key(ID), head.clone());
        map.insert(segment_key(ID, 0), segment);
        let _ = load(&map);
        let _ = parse_campaign(&head, q());
    }

    /// A mutated head, segment or schema-2 document never panics the reader, and a damaged
    /// segment costs only its own damaged entries: every operation of the other segments and
    /// the tail are kept.
    #[test]
    fn mutated_documents_never_panic_and_salvage_keeps_what_decodes(
        target in 0..4usize, at in 0.0..1.0f64, how in any::<u8>(), with in any::<char>(),
    ) {
        let (mut map, doc) = stored_campaign();
        let key = match target {
            0 => campaign_key(ID),
            n => segment_key(ID, n as u64 - 1),
        };
        let damaged = mutate(&map[&key], at, how, with);
        map.insert(key.clone(), damaged);
        let loaded = load(&map);
        if target > 0 {
            let kept = loaded.doc.expect("the head reads");
            for (id, op) in doc.replica.ops.iter() {
                let in_other = (0..3u64)
                    .filter(|n| segment_key(ID, *n) != key)
                    .any(|n| map[&segment_key(ID, n)].contains(&format!("\"id\":\"{id}\"")));
                if in_other || doc.replica.outbox.last() == Some(id) {
                    prop_assert_eq!(kept.replica.ops.get(id), Some(op));
                }
            }
        }
        // The same mutation of the whole document in schema 2.
        let mut one = doc.clone();
        one.schema = 2;
        let text = serde_json::to_string(&one).unwrap();
        let _ = parse_campaign(&mutate(&text, at, how, with), q());
    }
}
