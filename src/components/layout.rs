use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::components::save_status::SaveStatus;
use crate::components::storage_notices::StorageNotices;
use crate::i18n::use_i18n;

/// The frame around every page: a skip link, the header, the page itself in `<main>`, and the
/// navigation at the bottom where a thumb reaches it on a phone.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    // A question page holds the save status in its own bar, next to « Question suivante »: one
    // live region per page, so a screen reader hears « Enregistré » once.
    let location = use_location();
    // The served page's static shell shows the page at the address the browser opened. A link
    // followed before that page has drawn its heading (tapped in the shell itself, which the
    // router handles once mounted) leaves it describing another page: it goes, and the frame
    // (with « Chargement… » while a chunk loads) shows instead.
    let opened = location.pathname.get_untracked();
    Effect::new(move |_| {
        if location.pathname.with(|path| *path != opened) {
            crate::components::page_heading::remove_static_shell();
        }
    });
    let page_has_status = move || {
        location.pathname.with(|path| {
            path.trim_matches('/').split('/').count() == 3 && path.starts_with("/questionnaire/")
        })
    };
    view! {
        <a class="skip-link" href="#contenu">{move || i18n.t().skip_to_content}</a>
        <header class="app-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"@"</span>
                <span class="brand-name">{move || i18n.t().app_name}</span>
            </A>
            <span class="tagline">{move || i18n.t().tagline}</span>
        </header>
        <main id="contenu" class="page">
            <crate::pwa::PwaStatus/>
            <StorageNotices/>
            {children()}
            <crate::pwa::InstallBanner/>
            <Show when=move || !page_has_status()>
                <SaveStatus/>
            </Show>
        </main>
        <MainNav/>
    }
}

#[component]
fn MainNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="main-nav" aria-label=move || i18n.t().nav_label>
            <ul>
                <li><A href="/" exact=true>{move || i18n.t().nav_home}</A></li>
                <li><A href="/questionnaire">{move || i18n.t().nav_questionnaire}</A></li>
                <li><A href="/resultats">{move || i18n.t().nav_results}</A></li>
                <li><A href="/reglages">{move || i18n.t().nav_settings}</A></li>
            </ul>
        </nav>
    }
}
