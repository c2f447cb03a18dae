use leptos::prelude::*;

use leptos_router::components::A;

use crate::components::results::campaign::format_time;
use crate::i18n::{conflicts_count, use_i18n};
use crate::pages::conflicts::CONFLICTS_PATH;
use crate::stores::use_local_store;
use crate::sync::{use_sync, SyncStatus, SKEW_WARNING_MS};

/// « N réponses en attente d'envoi », the last successful sync, and « Synchroniser ». Quiet when
/// the server cannot be reached: the answers are safe and wait.
#[component]
pub fn SyncPanel() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let sync = use_sync();
    let last = move || {
        store.sync_info(|s| s.last_sync_ms).flatten().map_or_else(
            || i18n.t().sync_never.to_string(),
            |ms| format_time(ms, i18n.lang().code()),
        )
    };
    let pending = move || match store.pending_count() {
        0 => i18n.t().sync_all_sent.to_string(),
        n => format!("{n} {}", i18n.t().sync_pending),
    };
    let state = move || match sync.status.get() {
        SyncStatus::Syncing => Some(i18n.t().sync_running.to_string()),
        SyncStatus::Unreachable => Some(i18n.t().sync_unreachable.to_string()),
        SyncStatus::Failed(message) => Some(format!("{} {message}", i18n.t().sync_failed)),
        SyncStatus::Revoked(_) | SyncStatus::Rejected | SyncStatus::Idle => None,
    };
    view! {
        <div class="sync-panel" data-testid="sync-panel">
            <p role="status" aria-live="polite">
                <span data-testid="sync-pending">{pending}</span>
                " · "
                <span>{move || format!("{} {}", i18n.t().sync_last, last())}</span>
            </p>
            <p class="hint" aria-live="polite">{state}</p>
            <Show when=move || sync.live.get()>
                <p class="hint" data-testid="sync-live">{move || i18n.t().sync_live}</p>
            </Show>
            {move || {
                let count = store.conflicted().len();
                (count > 0).then(|| view! {
                    <p data-testid="sync-conflicts">
                        <A href=CONFLICTS_PATH>{conflicts_count(count, i18n.lang())}</A>
                    </p>
                })
            }}
            {move || {
                sync.clock_offset_ms
                    .get()
                    .filter(|offset| offset.abs() > SKEW_WARNING_MS)
                    .map(|offset| {
                        let minutes = (offset.abs() / 60_000.0).round() as u64;
                        view! {
                            <p class="alert alert-warning" role="status" data-testid="clock-skew">
                                {format!("{} {minutes} {}", i18n.t().clock_skew_before, i18n.t().clock_skew_after)}
                            </p>
                        }
                    })
            }}
            {move || {
                let set_aside = store.campaign.with(|c| c.replica.set_aside.clone());
                (!set_aside.is_empty()).then(|| view! {
                    <div class="alert alert-warning" data-testid="set-aside">
                        <p>{i18n.t().sync_set_aside}</p>
                        <ul>{set_aside.into_iter().map(|s| view! { <li>{format!("{} — {}", s.op.question, s.reason)}</li> }).collect_view()}</ul>
                    </div>
                })
            }}
            <button
                type="button"
                class="button"
                prop:disabled=move || sync.status.get() == SyncStatus::Syncing
                on:click=move |_| sync.sync_now()
            >
                {move || i18n.t().sync_button}
            </button>
        </div>
    }
}
