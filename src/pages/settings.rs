use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::i18n::{use_i18n, Lang};

/// Réglages: the interface language, and the way to « À propos ».
#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().settings_title.to_string())/>
        <fieldset class="choice-group">
            <legend>{move || i18n.t().settings_language}</legend>
            {Lang::ALL
                .into_iter()
                .map(|lang| {
                    view! {
                        <label class="choice" lang=lang.code()>
                            <input
                                type="radio"
                                name="langue"
                                value=lang.code()
                                prop:checked=move || i18n.lang.get() == lang
                                on:change=move |_| i18n.lang.set(lang)
                            />
                            <span>{lang.texts().language_name}</span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
        <p><A href="/a-propos">{move || i18n.t().nav_about}</A></p>
    }
}
