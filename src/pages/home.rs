use diagnostic::outline;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::components::theme_list::ThemeList;
use crate::flow::resume_point;
use crate::i18n::{conflicts_count, use_i18n};
use crate::pages::conflicts::CONFLICTS_PATH;
use crate::stores::use_local_store;

/// Accueil: the town, the four themes with their progress, and the way to start or resume.
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let title = Signal::derive(move || {
        let town = store.settings.with(|s| s.town_name.clone());
        if town.is_empty() {
            i18n.t().home_title.to_string()
        } else {
            format!("{} {town}", i18n.t().town_title_prefix)
        }
    });
    let any_answer = move || store.campaign.with(|c| !c.answers.is_empty());
    let all_answered = move || {
        let total = outline().questions().count();
        store.campaign.with(|c| c.answers.len() >= total)
    };
    let resume_href = move || {
        let last = store.settings.with(|s| s.last_question.clone());
        store.campaign.with(|c| {
            resume_point(outline(), last.as_deref(), |id| c.answers.contains_key(id))
                .map(|p| p.href())
                .unwrap_or_else(|| "/questionnaire".into())
        })
    };
    view! {
        <PageHeading title=title/>
        <p class="lead">{move || i18n.t().home_intro}</p>
        <div class="actions">
            {move || {
                if all_answered() {
                    view! { <A href="/resultats" attr:class="button button-primary">{i18n.t().home_done}</A> }.into_any()
                } else if any_answer() {
                    view! { <A href=resume_href() attr:class="button button-primary">{i18n.t().home_resume}</A> }.into_any()
                } else {
                    view! { <A href=resume_href() attr:class="button button-primary">{i18n.t().home_start}</A> }.into_any()
                }
            }}
        </div>
        <ConflictsLink/>
        <TownField/>
        <p><A href="/commune">{move || i18n.t().town_page_title}</A></p>
        <h2>{move || i18n.t().themes_heading}</h2>
        <ThemeList/>
    }
}

/// « 2 réponses à départager », a link to their list; nothing when every phone agrees.
#[component]
pub fn ConflictsLink() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    move || {
        let count = store.conflicted().len();
        (count > 0).then(|| {
            view! {
                <p class="alert alert-warning" data-testid="conflicts-link">
                    <A href=CONFLICTS_PATH>{conflicts_count(count, i18n.lang())}</A>
                </p>
            }
        })
    }
}

/// The town's name, kept locally until enrolment provides the official one.
#[component]
fn TownField() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    view! {
        <div class="field">
            <label for="commune">{move || i18n.t().town_label}</label>
            <input
                id="commune"
                type="text"
                autocomplete="address-level2"
                aria-describedby="commune-aide"
                prop:value=move || store.settings.with(|s| s.town_name.clone())
                on:change=move |ev| store.set_town_name(&event_target_value(&ev))
            />
            <p id="commune-aide" class="hint">{move || i18n.t().town_hint}</p>
        </div>
    }
}
