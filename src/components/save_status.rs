use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::stores::{use_local_store, SaveFailure, SaveState};

/// The quiet « Enregistré sur ce téléphone » line, announced politely to screen readers, and the
/// loud alert when the last change could not be saved.
#[component]
pub fn SaveStatus() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let failure = move || match store.save_state.get() {
        SaveState::Failed(failure) => Some(match failure {
            SaveFailure::QuotaExceeded => i18n.t().save_failed_quota,
            SaveFailure::Unavailable(_) => i18n.t().save_failed_unavailable,
            SaveFailure::Protected => i18n.t().save_failed_protected,
        }),
        _ => None,
    };
    view! {
        <p class="save-status" role="status" aria-live="polite" data-testid="save-status">
            {move || (store.save_state.get() == SaveState::Saved).then(|| i18n.t().saved)}
        </p>
        <div role="alert" class="alert-slot">
            {move || failure().map(|text| view! { <p class="alert alert-error">{text}</p> })}
        </div>
    }
}
