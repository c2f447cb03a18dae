//! A replica's operations by id, with what they say per question kept up to date (see the
//! module doc of [`super`]: "The derived view is kept, not recomputed").

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sync::{heads_of, Hlc, Operation};

/// Every operation a replica knows, by id — read like a `BTreeMap` (it derefs to one) — plus,
/// per `(campaign, question)`, its operations' ids, heads, latest wall time and earliest clock.
/// Every change goes through [`Log::insert`] or [`Log::remove`], which re-derive only the
/// question they touch, and is noted for [`Log::take_changes`].
#[derive(Debug, Clone, Default)]
pub struct Log {
    ops: BTreeMap<String, Operation>,
    derived: BTreeMap<(String, String), Derived>,
    changes: BTreeSet<String>,
}

/// What one question's operations say.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Derived {
    ids: BTreeSet<String>,
    /// The heads, winner first (see [`heads_of`]).
    pub(super) heads: Vec<Operation>,
    /// The greatest wall time of the question's operations (its answer's `updated_ms`).
    pub(super) latest_ms: u64,
    /// The earliest clock (a priority's place in the plan).
    pub(super) first: Hlc,
}

type Key = (String, String);

fn key_of(op: &Operation) -> Key {
    (op.campaign.clone(), op.question.clone())
}

impl Deref for Log {
    type Target = BTreeMap<String, Operation>;

    fn deref(&self) -> &Self::Target {
        &self.ops
    }
}

/// Equal when they hold the same operations: the rest derives from them, or is bookkeeping.
impl PartialEq for Log {
    fn eq(&self, other: &Self) -> bool {
        self.ops == other.ops
    }
}

impl Eq for Log {}

impl Serialize for Log {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.ops.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Log {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, Operation>::deserialize(deserializer).map(Log::from)
    }
}

impl From<BTreeMap<String, Operation>> for Log {
    /// Indexes stored operations; none counts as changed.
    fn from(ops: BTreeMap<String, Operation>) -> Self {
        let mut log = Log {
            ops,
            ..Log::default()
        };
        for (id, op) in &log.ops {
            log.derived
                .entry(key_of(op))
                .or_insert_with(|| Derived::empty(&op.clock))
                .ids
                .insert(id.clone());
        }
        let keys: Vec<Key> = log.derived.keys().cloned().collect();
        for key in keys {
            log.touch(&key);
        }
        log
    }
}

impl<'a> IntoIterator for &'a Log {
    type Item = (&'a String, &'a Operation);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Operation>;

    fn into_iter(self) -> Self::IntoIter {
        self.ops.iter()
    }
}

impl FromIterator<Operation> for Log {
    fn from_iter<I: IntoIterator<Item = Operation>>(ops: I) -> Self {
        Log::from(
            ops.into_iter()
                .map(|op| (op.id.clone(), op))
                .collect::<BTreeMap<_, _>>(),
        )
    }
}

impl Derived {
    fn empty(clock: &Hlc) -> Self {
        Derived {
            ids: BTreeSet::new(),
            heads: Vec::new(),
            latest_ms: 0,
            first: clock.clone(),
        }
    }
}

impl Log {
    /// Adds `op` under `id` (or replaces the operation there) and re-derives its question (and
    /// the replaced one's, should it name another). Returns the replaced operation.
    pub fn insert(&mut self, id: String, op: Operation) -> Option<Operation> {
        let key = key_of(&op);
        let old = self.ops.insert(id.clone(), op);
        if let Some(old) = &old {
            let old_key = key_of(old);
            if old_key != key {
                self.unindex(&old_key, &id);
            }
        }
        let clock = &self.ops[&id].clock;
        self.derived
            .entry(key.clone())
            .or_insert_with(|| Derived::empty(clock))
            .ids
            .insert(id.clone());
        self.touch(&key);
        self.changes.insert(id);
        old
    }

    /// Removes the operation `id` and re-derives its question.
    pub fn remove(&mut self, id: &str) -> Option<Operation> {
        let op = self.ops.remove(id)?;
        self.unindex(&key_of(&op), id);
        self.changes.insert(id.to_string());
        Some(op)
    }

    /// Keeps only the operations `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Operation) -> bool) {
        let dropped: Vec<String> = self
            .ops
            .iter()
            .filter(|(_, op)| !keep(op))
            .map(|(id, _)| id.clone())
            .collect();
        for id in dropped {
            self.remove(&id);
        }
    }

    /// The ids whose operation was added, replaced or removed since the last call (or since the
    /// log was read), forgotten here: what a store must write.
    pub fn take_changes(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.changes)
    }

    /// The heads of `(campaign, question)`, the current answer first; empty without operations.
    pub fn heads(&self, campaign: &str, question: &str) -> &[Operation] {
        self.derived
            .get(&(campaign.to_string(), question.to_string()))
            .map_or(&[], |d| d.heads.as_slice())
    }

    /// What each question says, by `(campaign, question)`.
    pub(super) fn derived(&self) -> &BTreeMap<Key, Derived> {
        &self.derived
    }

    fn unindex(&mut self, key: &Key, id: &str) {
        if let Some(derived) = self.derived.get_mut(key) {
            derived.ids.remove(id);
        }
        self.touch(key);
    }

    /// Re-derives one question from its own operations: the incremental entry point.
    fn touch(&mut self, key: &Key) {
        let Some(derived) = self.derived.get_mut(key) else {
            return;
        };
        let ops: Vec<&Operation> = derived
            .ids
            .iter()
            .filter_map(|id| self.ops.get(id))
            .collect();
        let (Some(latest_ms), Some(first)) = (
            ops.iter().map(|op| op.clock.wall_ms).max(),
            ops.iter().map(|op| &op.clock).min(),
        ) else {
            self.derived.remove(key);
            return;
        };
        derived.latest_ms = latest_ms;
        derived.first = first.clone();
        derived.heads = heads_of(&ops).into_iter().cloned().collect();
    }
}
