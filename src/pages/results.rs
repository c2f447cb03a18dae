use leptos::prelude::*;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;

/// Résultats: the town on the four Villes Internet axes.
#[component]
pub fn ResultsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().results_title.to_string())/>
        <p>{move || i18n.t().results_intro}</p>
    }
}
