//! The figures of comparable towns kept on the phone ([`NetworkCache`] under `arobase.network`):
//! the results page and the question page read them offline, with their date. Only a cache: an
//! unreadable copy is dropped quietly (the next visit online fetches it again), and a full
//! storage keeps the figures in memory for this visit instead of failing.

use diagnostic::network::AggregatesPage;
use leptos::prelude::*;

use super::browser;
use super::schema::{parse_network_cache, NetworkCache, NETWORK_KEY};

/// The cached figures and how fresh they are; cheap to copy (signals are handles).
#[derive(Clone, Copy)]
pub struct NetworkStore {
    pub cache: RwSignal<Option<NetworkCache>>,
    /// The last attempt to fetch newer figures failed (offline, server unreachable): the figures
    /// shown are the last saved ones.
    pub stale: RwSignal<bool>,
}

impl NetworkStore {
    /// Reads the cache; an unreadable or newer copy is removed, never shown.
    pub fn load() -> Self {
        let cache = browser::read_raw(NETWORK_KEY).and_then(|raw| {
            let cache = parse_network_cache(&raw);
            if cache.is_none() {
                browser::remove(NETWORK_KEY);
            }
            cache
        });
        NetworkStore {
            cache: RwSignal::new(cache),
            stale: RwSignal::new(false),
        }
    }

    /// The cached figures when they are `commune`'s for `campaign` (reactive).
    pub fn for_town(&self, commune: &str, campaign: &str) -> Option<NetworkCache> {
        self.cache
            .with(|c| c.as_ref().filter(|c| c.is_for(commune, campaign)).cloned())
    }

    /// Keeps a freshly fetched page for `commune`, with the group picked before (if any).
    pub fn keep(&self, commune: &str, page: AggregatesPage) {
        let picked = self
            .cache
            .with_untracked(|c| c.as_ref().and_then(|c| c.group.clone()));
        self.save(NetworkCache::new(commune.to_string(), page, picked));
        self.stale.set(false);
    }

    /// Remembers the group picked in « Groupe de comparaison ».
    pub fn pick(&self, slug: &str) {
        if let Some(mut cache) = self.cache.get_untracked() {
            cache.group = Some(slug.to_string());
            self.save(cache);
        }
    }

    fn save(&self, cache: NetworkCache) {
        // A full or disabled storage only loses the copy for the next visit; this one goes on.
        let _ = browser::write_json(NETWORK_KEY, &cache);
        self.cache.set(Some(cache));
    }
}

/// The page's network store: the one already provided under this owner, else a fresh one read
/// from the phone and provided for the page's components.
pub fn use_network_store() -> NetworkStore {
    use_context::<NetworkStore>().unwrap_or_else(|| {
        let store = NetworkStore::load();
        provide_context(store);
        store
    })
}
