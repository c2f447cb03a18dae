use diagnostic::questionnaire;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::flow::places;
use crate::i18n::use_i18n;
use crate::stores::use_local_store;

/// The route of the list (linked from the home page and the sync panel).
pub const CONFLICTS_PATH: &str = "/a-departager";

/// « Réponses à départager » (`/a-departager`): every question whose answers officials gave
/// differently without seeing each other's, each a link to the question, where one is kept.
#[component]
pub fn ConflictsPage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let items = move || {
        let conflicted = store.conflicted();
        places(questionnaire())
            .filter(|place| conflicted.contains(&place.question.id))
            .map(|place| {
                let href = place.href();
                view! {
                    <li class="question-item">
                        <A href=href>
                            <span class="question-text">{move || place.question.text.get(i18n.lang()).to_string()}</span>
                            <span class="question-state">{move || place.theme.title.get(i18n.lang()).to_string()}</span>
                        </A>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().conflicts_title.to_string())/>
        {move || if store.conflicted().is_empty() {
            view! { <p data-testid="conflicts-none">{i18n.t().conflicts_none}</p> }.into_any()
        } else {
            view! {
                <p>{i18n.t().conflicts_intro}</p>
                <ul class="question-list" data-testid="conflicts-list">{items}</ul>
            }.into_any()
        }}
        <p><A href="/questionnaire">{move || i18n.t().back_to_questionnaire}</A></p>
    }
}
