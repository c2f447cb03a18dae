use leptos::prelude::*;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;
use crate::APP_VERSION;

/// À propos: what Arobase is, its promise on data, and the version running.
#[component]
pub fn AboutPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().about_title.to_string())/>
        <p>{move || i18n.t().about_text}</p>
        <p>{move || i18n.t().about_privacy}</p>
        <dl class="facts">
            <dt>{move || i18n.t().about_version}</dt>
            <dd data-testid="app-version">{APP_VERSION}</dd>
            <dt>{move || i18n.t().about_content_version}</dt>
            <dd data-testid="content-version">{diagnostic::CONTENT_VERSION}</dd>
        </dl>
        <crate::pages::legal::LegalLinks/>
    }
}
