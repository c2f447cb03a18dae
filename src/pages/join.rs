use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;
use crate::pages::town::{use_join, NameAndRole};
use crate::stores::use_local_store;

/// `/rejoindre#<secret>`: an invitation link. The secret is in the fragment, which the browser
/// never sends to any server; it goes only in the join request.
#[component]
pub fn JoinPage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let join = use_join();
    let secret = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|hash| hash.trim_start_matches('#').to_string())
        .filter(|secret| !secret.is_empty());
    let enrolled = move || store.settings.with(|s| s.sync.is_some());
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().join_page_title.to_string())/>
        <Show when=move || !enrolled() fallback=|| view! { <Redirect path="/commune"/> }>
            {match secret.clone() {
                Some(secret) => view! {
                    <form on:submit=move |ev| { ev.prevent_default(); join.submit.run((Some(secret.clone()), None)); }>
                        <NameAndRole name=join.name role=join.role prefix="lien"/>
                        <button type="submit" class="button button-primary">{move || i18n.t().town_join_button}</button>
                    </form>
                }.into_any(),
                None => view! { <p class="alert alert-warning">{move || i18n.t().join_missing}</p> }.into_any(),
            }}
            <p role="alert" class="form-error">{move || join.error.get()}</p>
        </Show>
    }
}
