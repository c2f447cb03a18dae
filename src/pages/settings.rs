use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::i18n::{texts, use_i18n, Lang};
use crate::stores::use_local_store;

/// Réglages: language, what the phone holds and whether the browser keeps it, and erasing it.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().settings_title.to_string())/>
        <p><A href="/commune" attr:class="button">{move || i18n.t().town_page_title}</A></p>
        <LanguageChoice/>
        <StorageStatusSection/>
        <crate::pwa::InstallSection/>
        <EraseSection/>
        <p><A href="/a-propos">{move || i18n.t().nav_about}</A></p>
        <crate::pages::legal::LegalLinks/>
    }
}

#[component]
fn LanguageChoice() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let choose = move |lang: Lang| {
        i18n.lang.set(lang);
        store.set_lang(lang);
    };
    view! {
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
                                prop:checked=move || i18n.lang() == lang
                                on:change=move |_| choose(lang)
                            />
                            <span>{texts(lang).language_name}</span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

fn format_bytes(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} Mo", bytes / (1024.0 * 1024.0))
    } else {
        format!("{:.1} ko", bytes / 1024.0)
    }
}

#[component]
fn StorageStatusSection() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    store.refresh_storage_status();
    let persisted = move || match store.storage_status.get().persisted {
        Some(true) => i18n.t().storage_persisted_yes,
        Some(false) => i18n.t().storage_persisted_no,
        None => i18n.t().storage_persisted_unknown,
    };
    // Re-read when the data changes, so the figure follows the answers.
    let own = move || {
        store.campaign.track();
        format_bytes(store.own_bytes() as f64)
    };
    view! {
        <section aria-labelledby="stockage">
            <h2 id="stockage">{move || i18n.t().storage_heading}</h2>
            <dl class="facts">
                <dt>{move || i18n.t().storage_persisted}</dt>
                <dd data-testid="storage-persisted">{persisted}</dd>
                <dt>{move || i18n.t().storage_used}</dt>
                <dd data-testid="storage-used">{own}</dd>
                {move || store.storage_status.get().quota_bytes.map(|quota| view! {
                    <dt>{i18n.t().storage_quota}</dt>
                    <dd>{format_bytes(quota)}</dd>
                })}
            </dl>
        </section>
    }
}

#[component]
fn EraseSection() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let confirming = RwSignal::new(false);
    let erased = RwSignal::new(false);
    view! {
        <section aria-labelledby="effacer">
            <h2 id="effacer">{move || i18n.t().erase_heading}</h2>
            <p>{move || i18n.t().erase_explain}</p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="button button-danger" on:click=move |_| { erased.set(false); confirming.set(true); }>
                        {move || i18n.t().erase_button}
                    </button>
                }
            >
                <div role="group" aria-labelledby="effacer-question" class="confirm">
                    <p id="effacer-question"><strong>{move || i18n.t().erase_question}</strong></p>
                    <button type="button" class="button button-danger" on:click=move |_| {
                        store.erase_all();
                        i18n.lang.set(Lang::default());
                        confirming.set(false);
                        erased.set(true);
                    }>{move || i18n.t().erase_confirm}</button>
                    <button type="button" class="button" on:click=move |_| confirming.set(false)>
                        {move || i18n.t().erase_cancel}
                    </button>
                </div>
            </Show>
            <p role="status">{move || erased.get().then(|| i18n.t().erase_done)}</p>
        </section>
    }
}
