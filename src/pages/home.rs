use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;

/// Accueil: what Arobase does, and the way into the questionnaire.
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().home_title.to_string())/>
        <p class="lead">{move || i18n.t().home_intro}</p>
        <A href="/questionnaire" attr:class="button button-primary">{move || i18n.t().home_start}</A>
    }
}
