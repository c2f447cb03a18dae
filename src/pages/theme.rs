use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;

/// One theme of the questionnaire (`/questionnaire/:theme`).
#[component]
pub fn ThemePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let theme = move || params.read().get("theme").unwrap_or_default();
    view! {
        <PageHeading title=Signal::derive(move || format!("{} : {}", i18n.t().theme_title, theme()))/>
        <A href="/questionnaire">{move || i18n.t().back_to_questionnaire}</A>
    }
}
