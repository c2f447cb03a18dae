use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;

/// Any path the router does not know.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().not_found_title.to_string())/>
        <p>{move || i18n.t().not_found_text}</p>
        <A href="/">{move || i18n.t().back_home}</A>
    }
}
