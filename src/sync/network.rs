//! Fetching the figures of comparable towns (`GET /api/network/aggregates`) into the phone's
//! cache. Never blocks a page: the cached figures show at once, newer ones replace them when
//! they arrive; offline, the cached ones stay, marked as the last saved.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api;
use crate::stores::{LocalStore, NetworkStore};

/// Fetches the town's figures for the current campaign when this phone is enrolled (and not
/// removed), in the background.
pub fn refresh_aggregates(store: LocalStore, network: NetworkStore) {
    let Some((token, commune)) = store.settings.with_untracked(|s| {
        s.sync
            .as_ref()
            .filter(|sync| sync.revoked.is_none())
            .map(|sync| (sync.token.clone(), sync.town.commune.code.clone()))
    }) else {
        return;
    };
    let campaign = store.campaign.with_untracked(|c| c.id.clone());
    if !online() {
        network.stale.set(true);
        return;
    }
    spawn_local(async move {
        match api::network_aggregates(&token, &campaign).await {
            Ok(page) => network.keep(&commune, page),
            // Unreachable or refused: the figures shown are the last saved ones.
            Err(_) => network.stale.set(true),
        }
    });
}

/// Fetches once now, then again after each successful sync of this phone (its date changes),
/// for as long as the calling page is shown.
pub fn keep_aggregates_fresh(store: LocalStore, network: NetworkStore) {
    let last_sync = Memo::new(move |_| store.sync_info(|s| s.last_sync_ms).flatten());
    Effect::new(move |_| {
        last_sync.track();
        refresh_aggregates(store, network);
    });
}

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}
