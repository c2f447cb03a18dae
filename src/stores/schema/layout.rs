//! Schema 3: a campaign in localStorage as a small **head** and its log in bounded **segments**,
//! so that a tap appends instead of rewriting the log.
//!
//! * `arobase.campaign.<id>` — the head: what the screens paint without reading the log (the
//!   derived answers and plan, the validated snapshot, retired answers, the sharing choice), the
//!   replica's clock, outbox (ids), sent mark and set-aside operations, the **tail** (below) and
//!   the list of segments with the number of entries each holds (`segments: [{"n": 0, "count":
//!   200}, …]`).
//! * `arobase.campaign.<id>.log.<n>` — a segment: a JSON array of at most [`SEGMENT_OPS`]
//!   operations, in the order they were written. A later entry with the id of an earlier one
//!   (a clamped clock from an acknowledgement, the server's copy of a pulled-back operation, a
//!   new device id at enrolment) replaces it: reading replays the entries in order.
//!
//! # The tail, or why folding never rewrites a segment
//!
//! Only the last operation of the outbox, while it was never handed to a push, can still fold
//! ([`diagnostic::sync::Replica::change`]); every other operation is final. That one, the
//! *tail*, is kept in the head, never in a segment; it goes to the open segment once it is final
//! (another question was answered, or it was sent). Folding a comment typed letter by letter
//! therefore rewrites only the head, and no segment ever holds an operation that may vanish. The
//! alternative (a tombstone and the new operation appended, segments compacted later) writes
//! more per tap and needs a compaction rule; this one needs none. An operation of a segment that
//! does leave the log (only [`diagnostic::sync::Replica::retain`] does it: a content migration
//! while reading) makes the next write lay the whole log out again (below).
//!
//! # One tap, and what a crash leaves
//!
//! A change writes, in this order: the open segment (rewritten whole: at most 200 entries), any
//! new segment when it fills, then the head. **The head is the commit point**: what it lists is
//! what was saved. New data of this phone (an answer, a resolution) is only ever in the head (it
//! is the tail); a segment only receives operations the head already holds (the previous tail),
//! operations from the server, and new versions of stored ones. So a crash between the segment
//! and the head leaves entries past the count the head has for that segment, or a segment
//! numbered after its last one: they are the crash's, and reading **keeps them** (they apply
//! after the head's own, as the newest), adopts them into the layout and writes the head again.
//! Nothing the user saw is lost and nothing is applied twice (ids are unique: a replayed entry
//! replaces the same operation).
//!
//! Reading order, last wins per id: every segment's counted entries, then the head's tail, then
//! the crash's entries. (The tail can be newer than a counted entry with its id — an operation
//! set aside makes an earlier one the tail again, and enrolment renames its device — while an
//! entry past the counts is newer than anything the head has.)
//!
//! # Laying the whole log out again
//!
//! When a campaign was read from schema 1 or 2, damaged, or an operation in a segment left the
//! log, the next write lays every operation but the tail into **new** segments numbered after
//! the old ones, writes the head listing them, then removes the old ones. A crash before the head
//! leaves the old layout whole (the new segments then read as a crash's entries: copies of
//! operations the log has). A crash before the removals leaves unlisted old segments numbered
//! before the head's: never read, and removed with « Effacer les données ».
//!
//! # Damage
//!
//! A segment that is missing or does not read is salvaged entry by entry (every entry that still
//! decodes as an operation is kept), its raw text is backed up like any damaged document, and the
//! user is told; outbox ids whose operation is gone leave the outbox, and answers the head has
//! without their operation are recorded again as this phone's (`reconcile`), so nothing else is
//! lost. A head that is not JSON at all keeps the segments' operations: the campaign is rebuilt
//! from them, this phone's operations back in the outbox (the server acknowledges again those it
//! already has).

use std::collections::{BTreeMap, BTreeSet};

use diagnostic::sync::{Hlc, SetAside};
use diagnostic::Questionnaire;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    campaign_key, read_document, CampaignDoc, Damage, LoadedCampaign, Operation, PlanItem,
    RetiredAnswer, Snapshot, StoredAnswer,
};

/// The schema of a campaign's head (settings and caches stay at [`super::SCHEMA_VERSION`]).
pub const CAMPAIGN_SCHEMA: u32 = 3;
/// At most this many entries per segment: what a tap rewrites at worst.
pub const SEGMENT_OPS: usize = 200;

/// The key of segment `n` of campaign `campaign_id`.
pub fn segment_key(campaign_id: &str, n: u64) -> String {
    format!("{}.log.{n}", campaign_key(campaign_id))
}

/// The segment number a key holds for `campaign_id`, if it is one of its segments.
pub fn segment_of_key(campaign_id: &str, key: &str) -> Option<u64> {
    key.strip_prefix(&campaign_key(campaign_id))?
        .strip_prefix(".log.")?
        .parse()
        .ok()
}

/// The numbers of the segments of campaign `id` present in storage, in order.
fn stored_segments(storage: &impl StorageRead, id: &str) -> Vec<u64> {
    let mut found: Vec<u64> = storage
        .keys()
        .iter()
        .filter_map(|k| segment_of_key(id, k))
        .collect();
    found.sort_unstable();
    found
}

/// What the store reads from: localStorage in the app, a map in the tests.
pub trait StorageRead {
    fn read(&self, key: &str) -> Option<String>;
    /// Every key (only used to find segments a damaged head no longer lists).
    fn keys(&self) -> Vec<String>;
}

impl StorageRead for BTreeMap<String, String> {
    fn read(&self, key: &str) -> Option<String> {
        self.get(key).cloned()
    }

    fn keys(&self) -> Vec<String> {
        BTreeMap::keys(self).cloned().collect()
    }
}

/// A segment as the head lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub n: u64,
    /// Entries written in it when the head was (see the module doc).
    pub count: usize,
}

/// Where a campaign held in memory is stored, to write only what changed.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Whether the stored layout can be appended to; when not, the next write lays the whole log
    /// out again (read from an older schema, damaged, new).
    stored: bool,
    segments: Vec<Segment>,
    /// The last segment's entries as written (one operation's JSON each), to append to.
    open: Vec<String>,
    /// The id of the operation kept in the head.
    tail: Option<String>,
}

/// Where a campaign is stored says nothing of what it holds: two documents with the same
/// content are equal whatever their layout.
impl PartialEq for Layout {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The writes that store a change, in order: `set` ends with the head (the commit point);
/// `remove` comes after, once the head no longer lists those keys. [`CampaignDoc::stored`]
/// takes `layout` once every `set` succeeded.
#[derive(Debug)]
pub struct Writes {
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
    pub layout: Layout,
}

/// The head as written: the document without its log (see [`CampaignDoc`] for each field; the
/// names are the ones schema 2 used, so one reader serves both).
#[derive(Serialize)]
struct HeadOut<'a> {
    schema: u32,
    id: &'a str,
    content_version: &'a str,
    created_ms: f64,
    answers: &'a BTreeMap<String, StoredAnswer>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    plan: &'a [PlanItem],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    retired: &'a [RetiredAnswer],
    #[serde(skip_serializing_if = "Option::is_none")]
    validated: Option<&'a Snapshot>,
    share_beyond_town: bool,
    clock: &'a Hlc,
    outbox: &'a [String],
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    sent: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    set_aside: &'a [SetAside],
    #[serde(skip_serializing_if = "Option::is_none")]
    tail: Option<&'a Operation>,
    segments: &'a [Segment],
    #[serde(skip_serializing_if = "Option::is_none")]
    resend: Option<&'a String>,
}

impl Layout {
    /// Appends `entries` from segment `first_n` on (or after the last one), starting a new
    /// segment when one is full; returns the segments to write.
    fn append(
        &mut self,
        campaign_id: &str,
        entries: impl IntoIterator<Item = String>,
        first_n: u64,
    ) -> Vec<(String, String)> {
        let mut writes = Vec::new();
        let mut touched = false;
        for entry in entries {
            if self.segments.last().is_none_or(|s| s.count >= SEGMENT_OPS) {
                if touched {
                    writes.push(self.open_write(campaign_id));
                }
                let n = self.segments.last().map_or(first_n, |s| s.n + 1);
                self.segments.push(Segment { n, count: 0 });
                self.open.clear();
            }
            self.open.push(entry);
            if let Some(last) = self.segments.last_mut() {
                last.count = self.open.len();
            }
            touched = true;
        }
        if touched {
            writes.push(self.open_write(campaign_id));
        }
        writes
    }

    fn open_write(&self, campaign_id: &str) -> (String, String) {
        let n = self.segments.last().map_or(0, |s| s.n);
        let text = format!("[{}]", self.open.join(","));
        (segment_key(campaign_id, n), text)
    }
}

impl CampaignDoc {
    /// The writes that store this campaign as it is now: the operations changed since the last
    /// write appended to the open segment, then the head (see the module doc).
    pub fn writes(&mut self) -> Result<Writes, serde_json::Error> {
        let changes = self.replica.ops.take_changes();
        let replica = &self.replica;
        let ops = &replica.ops;
        let tail = replica
            .outbox
            .last()
            .filter(|id| !replica.sent.contains(*id) && ops.contains_key(*id))
            .cloned();
        let old = &self.layout;
        let left_a_segment = changes
            .iter()
            .any(|id| !ops.contains_key(id) && old.tail.as_ref() != Some(id));
        let mut next = old.clone();
        next.tail = tail.clone();
        next.stored = true;
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let entry = |op: &Operation| serde_json::to_string(op);
        if !old.stored || left_a_segment {
            let first_n = old.segments.iter().map(|s| s.n + 1).max().unwrap_or(0);
            next.segments.clear();
            next.open.clear();
            let entries = ops
                .values()
                .filter(|op| Some(&op.id) != tail.as_ref())
                .map(entry)
                .collect::<Result<Vec<_>, _>>()?;
            set.extend(next.append(&self.id, entries, first_n));
            remove.extend(old.segments.iter().map(|s| segment_key(&self.id, s.n)));
        } else {
            let mut ids: Vec<&String> = Vec::new();
            if let Some(old_tail) = &old.tail {
                if Some(old_tail) != tail.as_ref()
                    && ops.contains_key(old_tail)
                    && !changes.contains(old_tail)
                {
                    ids.push(old_tail);
                }
            }
            ids.extend(
                changes
                    .iter()
                    .filter(|id| ops.contains_key(*id) && Some(*id) != tail.as_ref()),
            );
            let entries = ids
                .into_iter()
                .map(|id| entry(&ops[id]))
                .collect::<Result<Vec<_>, _>>()?;
            let first_n = old.segments.last().map_or(0, |s| s.n + 1);
            set.extend(next.append(&self.id, entries, first_n));
        }
        let head = HeadOut {
            schema: CAMPAIGN_SCHEMA,
            id: &self.id,
            content_version: &self.content_version,
            created_ms: self.created_ms,
            answers: &self.answers,
            plan: &self.plan,
            retired: &self.retired,
            validated: self.validated.as_ref(),
            share_beyond_town: self.share_beyond_town,
            clock: &replica.clock,
            outbox: &replica.outbox,
            sent: &replica.sent,
            set_aside: &replica.set_aside,
            tail: tail.as_ref().map(|id| &ops[id]),
            segments: &next.segments,
            resend: replica.resend.as_ref(),
        };
        set.push((campaign_key(&self.id), serde_json::to_string(&head)?));
        Ok(Writes {
            set,
            remove,
            layout: next,
        })
    }

    /// Every write of [`Self::writes`] succeeded: this is now how the campaign is stored.
    pub fn stored(&mut self, layout: Layout) {
        self.layout = layout;
    }

    /// The next write lays the whole log out again (a campaign copied or rebuilt in memory).
    pub fn forget_layout(&mut self) {
        self.layout.stored = false;
    }
}

/// A segment as read: its entries (JSON of each), and whether some did not read.
fn read_segment(raw: Option<&str>) -> (Vec<Value>, Option<String>) {
    let Some(raw) = raw else {
        return (Vec::new(), Some("missing".into()));
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(entries)) => (entries, None),
        Ok(_) => (Vec::new(), Some("not a list of operations".into())),
        // Truncated or damaged text: keep every complete operation before the damage.
        Err(e) => (salvage_entries(raw), Some(e.to_string())),
    }
}

/// The entries of a damaged segment's text that still read, in order: each top-level object of
/// the array, as far as the text goes.
fn salvage_entries(raw: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut rest = raw.trim_start().strip_prefix('[').unwrap_or(raw);
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                entries.push(value);
                rest = &rest[stream.byte_offset()..];
            }
            _ => return entries,
        }
    }
}

/// Reads campaign `id` as stored (any schema), with its segments from `storage`; `None` when it
/// has no head. `device` is this phone's id: when the head is lost, its operations go back to the
/// outbox.
pub fn load_campaign(
    storage: &impl StorageRead,
    id: &str,
    current: &Questionnaire,
    device: &str,
) -> Option<LoadedCampaign> {
    let raw = storage.read(&campaign_key(id))?;
    Some(read_campaign(&raw, id, storage, current, device))
}

/// [`load_campaign`] for a head already read.
pub fn read_campaign(
    raw: &str,
    id: &str,
    storage: &impl StorageRead,
    current: &Questionnaire,
    device: &str,
) -> LoadedCampaign {
    let mut value: Value = match serde_json::from_str(raw) {
        Ok(value) => value,
        Err(e) => return rebuild_from_segments(id, storage, current, device, e.to_string()),
    };
    let schema = value.get("schema").and_then(Value::as_u64).unwrap_or(0);
    if schema != u64::from(CAMPAIGN_SCHEMA) {
        // Schema 1 or 2 (one document), or newer: read as before; the next write lays it out.
        let mut loaded = read_document(value);
        if loaded.doc.is_some() {
            loaded.upgraded = true;
        }
        return finish(loaded, current);
    }
    let mut damage: Vec<String> = Vec::new();
    let mut damaged_keys = Vec::new();
    let listed: Option<Vec<Segment>> = value
        .get("segments")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    let listed = listed.unwrap_or_else(|| {
        damage.push("the list of segments does not read".into());
        // Counts unknown: every entry counts as saved.
        stored_segments(storage, id)
            .into_iter()
            .map(|n| Segment {
                n,
                count: usize::MAX,
            })
            .collect()
    });
    let mut counted: Vec<Value> = Vec::new();
    let mut extras: Vec<Value> = Vec::new();
    let mut segments: Vec<Segment> = Vec::new();
    let mut open: Vec<Value> = Vec::new();
    let mut adopted = false;
    let mut read_one = |n: u64, count: usize, raw: Option<String>| {
        let (entries, error) = read_segment(raw.as_deref());
        if let Some(error) = error {
            damage.push(format!("segment {n}: {error}"));
            if raw.is_some() {
                damaged_keys.push(segment_key(id, n));
            }
        }
        // Entries past the head's count are the crash's (see the module doc).
        adopted |= entries.len() > count;
        let saved = count.min(entries.len());
        segments.push(Segment {
            n,
            count: entries.len(),
        });
        counted.extend(entries[..saved].iter().cloned());
        extras.extend(entries[saved..].iter().cloned());
        open = entries;
    };
    for s in &listed {
        read_one(s.n, s.count, storage.read(&segment_key(id, s.n)));
    }
    // Segments written after the last listed one, by a crash before the head.
    let mut next = listed.last().map_or(0, |s| s.n + 1);
    while let Some(raw) = storage.read(&segment_key(id, next)) {
        read_one(next, 0, Some(raw));
        next += 1;
    }
    let tail: Option<Operation> = value
        .get("tail")
        .and_then(|t| serde_json::from_value(t.clone()).ok());
    let mut log: serde_json::Map<String, Value> = serde_json::Map::new();
    let mut undecoded = 0;
    let mut put = |entry: Value| match serde_json::from_value::<Operation>(entry.clone()) {
        Ok(op) => {
            log.insert(op.id, entry);
        }
        Err(_) => undecoded += 1,
    };
    counted.into_iter().for_each(&mut put);
    if let Some(tail) = value.get("tail") {
        put(tail.clone());
    }
    extras.into_iter().for_each(&mut put);
    if undecoded > 0 {
        damage.push(format!("{undecoded} entries are not operations"));
    }
    let tail = tail.map(|t| t.id);
    if let Some(object) = value.as_object_mut() {
        object.insert("log".into(), Value::Object(log));
    }
    let mut loaded = read_document(value);
    if !damage.is_empty() {
        let said = damage.join("; ");
        loaded.damage = Some(match loaded.damage.take() {
            Some(Damage::Partial(e)) => Damage::Partial(format!("{e}; {said}")),
            _ => Damage::Partial(said),
        });
    }
    loaded.damaged_keys = damaged_keys;
    if let Some(doc) = loaded.doc.as_mut() {
        doc.layout = Layout {
            stored: loaded.damage.is_none(),
            segments,
            open: open
                .iter()
                .filter_map(|e| serde_json::to_string(e).ok())
                .collect(),
            tail,
        };
        if adopted {
            loaded.upgraded = true;
        }
    }
    finish(loaded, current)
}

/// A head that is not JSON: the campaign is rebuilt from its segments, if any.
fn rebuild_from_segments(
    id: &str,
    storage: &impl StorageRead,
    current: &Questionnaire,
    device: &str,
    error: String,
) -> LoadedCampaign {
    let found = stored_segments(storage, id);
    let mut ops: BTreeMap<String, Operation> = BTreeMap::new();
    for n in &found {
        let (entries, _) = read_segment(storage.read(&segment_key(id, *n)).as_deref());
        for entry in entries {
            if let Ok(op) = serde_json::from_value::<Operation>(entry) {
                ops.insert(op.id.clone(), op);
            }
        }
    }
    let damage = Some(Damage::Unreadable(error));
    let campaign_ops: Vec<&Operation> = ops.values().filter(|op| op.campaign == id).collect();
    if campaign_ops.is_empty() {
        return LoadedCampaign {
            doc: None,
            damage,
            upgraded: false,
            damaged_keys: Vec::new(),
        };
    }
    let created_ms = campaign_ops
        .iter()
        .map(|op| op.clock.wall_ms)
        .min()
        .unwrap_or(0);
    // The content version is unknown: the operations say the current one's ids (the server
    // validates them anyway, and an older one's are carried over when received).
    let mut doc = CampaignDoc::new(id.to_string(), current.version.clone(), created_ms as f64);
    let mut mine: Vec<&Operation> = ops.values().filter(|op| op.device == device).collect();
    mine.sort_by(|a, b| a.clock.cmp(&b.clock));
    let outbox = mine.iter().map(|op| op.id.clone()).collect();
    let clock = ops
        .values()
        .map(|op| op.clock.clone())
        .max()
        .map(|mut c| {
            c.device = device.to_string();
            c
        })
        .unwrap_or_else(|| Hlc::zero(device));
    doc.replica = diagnostic::sync::Replica::from_log(
        clock,
        ops.into_values(),
        outbox,
        BTreeSet::new(),
        vec![],
    );
    doc.refresh();
    doc.layout.segments = found.iter().map(|&n| Segment { n, count: 0 }).collect();
    LoadedCampaign {
        doc: Some(doc),
        damage,
        upgraded: true,
        damaged_keys: Vec::new(),
    }
}

/// Reconciles and migrates a document read (as every schema is).
fn finish(mut loaded: LoadedCampaign, current: &Questionnaire) -> LoadedCampaign {
    if let Some(doc) = loaded.doc.as_mut() {
        if super::settle(doc, current) {
            loaded.upgraded = true;
        }
        doc.schema = CAMPAIGN_SCHEMA;
    }
    loaded
}

// Native only: the fuzz needs proptest (see Cargo.toml).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
