//! The action atlas as the phone keeps it (`arobase.atlas`): the published examples of other
//! towns and the town's own examples with their moderation status, each with the date the server
//! gave them, so the results show them offline after one online visit. A damaged or foreign copy
//! is dropped quietly: it is a cache, the server has it all.

use diagnostic::network::{AtlasExample, AtlasPage};
use serde::{Deserialize, Serialize};

use super::browser;
use super::schema::SCHEMA_VERSION;

/// Where the cache lives (under `schema::KEY_PREFIX`: erasing local data removes it).
pub const ATLAS_KEY: &str = "arobase.atlas";

/// What the phone keeps of the atlas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasCache {
    pub schema: u32,
    /// The INSEE code of the town the pages were read for: another town's copy is not ours.
    pub town: String,
    /// Published examples of other towns, comparable towns first.
    pub published: AtlasPage,
    /// The town's own examples, every status.
    pub own: AtlasPage,
}

impl AtlasCache {
    pub fn new(town: &str) -> Self {
        AtlasCache {
            schema: SCHEMA_VERSION,
            town: town.to_string(),
            ..Default::default()
        }
    }

    /// Published examples about `question`, in the server's order.
    pub fn examples_for(&self, question: &str) -> Vec<AtlasExample> {
        self.published.for_question(question).cloned().collect()
    }

    /// The town's latest example about `question`, if any.
    pub fn own_for(&self, question: &str) -> Option<AtlasExample> {
        self.own
            .examples
            .iter()
            .filter(|example| example.question == question)
            .max_by_key(|example| (example.created_ms, example.id))
            .cloned()
    }
}

/// Reads a cached copy; `None` for anything unreadable, newer, or of another town.
pub fn parse_atlas(raw: &str, town: &str) -> Option<AtlasCache> {
    let cache: AtlasCache = serde_json::from_str(raw).ok()?;
    (cache.schema <= SCHEMA_VERSION && cache.town == town).then_some(cache)
}

/// The copy on this phone for `town` (a damaged one is removed).
pub fn load(town: &str) -> AtlasCache {
    match browser::read_raw(ATLAS_KEY) {
        Some(raw) => parse_atlas(&raw, town).unwrap_or_else(|| {
            browser::remove(ATLAS_KEY);
            AtlasCache::new(town)
        }),
        None => AtlasCache::new(town),
    }
}

/// Keeps `cache`; a full storage only costs the offline copy, so the failure is not shown.
pub fn save(cache: &AtlasCache) {
    let _ = browser::write_json(ATLAS_KEY, cache);
}

#[cfg(test)]
mod tests {
    use super::*;
    use diagnostic::network::Stratum;
    use diagnostic::network::{AtlasStatus, AtlasTown, CostBand, DurationBand, PartnerType};

    fn example(id: i64, question: &str, created_ms: u64) -> AtlasExample {
        AtlasExample {
            id,
            campaign: "2026".into(),
            question: question.into(),
            what: "Fait".into(),
            partner: PartnerType::Internal,
            cost: CostBand::Free,
            duration: DurationBand::UnderMonth,
            contact_role: "Maire".into(),
            public_contact: None,
            town: AtlasTown {
                code: "29155".into(),
                name: "Plouguerneau".into(),
                departement: "29".into(),
                departement_name: None,
                stratum: Stratum::From5000To9999,
            },
            status: AtlasStatus::Published,
            refusal: None,
            created_ms,
            decided_ms: None,
        }
    }

    #[test]
    fn a_cache_round_trips_and_answers_per_question() {
        let mut cache = AtlasCache::new("77475");
        cache.published.examples = vec![example(1, "q1", 5), example(2, "q2", 6)];
        cache.own.examples = vec![example(3, "q1", 1), example(4, "q1", 9)];
        let raw = serde_json::to_string(&cache).unwrap();
        let read = parse_atlas(&raw, "77475").unwrap();
        assert_eq!(read, cache);
        assert_eq!(read.examples_for("q1").len(), 1);
        assert_eq!(read.own_for("q1").unwrap().id, 4);
        assert_eq!(read.own_for("q2"), None);
    }

    #[test]
    fn the_key_is_erased_with_the_other_local_data() {
        assert!(ATLAS_KEY.starts_with(crate::stores::schema::KEY_PREFIX));
    }

    #[test]
    fn damaged_newer_or_foreign_copies_are_dropped() {
        let cache = AtlasCache::new("77475");
        let raw = serde_json::to_string(&cache).unwrap();
        assert_eq!(parse_atlas(&raw, "29155"), None);
        assert_eq!(parse_atlas("{\"schema\":", "77475"), None);
        assert_eq!(parse_atlas("[]", "77475"), None);
        let newer = raw.replace(
            &format!("\"schema\":{SCHEMA_VERSION}"),
            &format!("\"schema\":{}", SCHEMA_VERSION + 1),
        );
        assert_eq!(parse_atlas(&newer, "77475"), None);
    }
}
