use diagnostic::questionnaire;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::page_heading::PageHeading;
use crate::flow::question_href;
use crate::i18n::use_i18n;
use crate::stores::use_local_store;

/// One theme (`/questionnaire/:theme`): its questions, each with its current answer.
#[component]
pub fn ThemePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let theme_id = move || params.read().get("theme").unwrap_or_default();
    move || {
        match questionnaire().theme(&theme_id()) {
        Some(theme) => view! {
            <PageHeading title=Signal::derive(move || theme.title.get(i18n.lang()).to_string())/>
            <p>{move || theme.description.get(i18n.lang()).to_string()}</p>
            <h2 class="visually-hidden">{move || i18n.t().theme_questions}</h2>
            <ol class="question-list">
                {theme.questions.iter().map(|question| view! { <QuestionItem theme_id=theme.id.clone() question=question/> }).collect_view()}
            </ol>
            <p><A href="/questionnaire">{move || i18n.t().back_to_questionnaire}</A></p>
        }
        .into_any(),
        None => view! {
            <PageHeading title=Signal::derive(move || i18n.t().not_found_title.to_string())/>
            <p>{move || i18n.t().theme_not_found}</p>
            <p><A href="/questionnaire">{move || i18n.t().back_to_questionnaire}</A></p>
        }
        .into_any(),
    }
    }
}

#[component]
fn QuestionItem(theme_id: String, question: &'static diagnostic::Question) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let state = move || match store.answer(&question.id) {
        Some(answer) => question
            .option(&answer.option)
            .map(|o| o.label.get(i18n.lang()).to_string())
            .unwrap_or(answer.option),
        None => i18n.t().unanswered.to_string(),
    };
    let answered = move || store.answer(&question.id).is_some();
    let to_settle = move || store.is_conflicted(&question.id);
    view! {
        <li class="question-item" class:answered=answered>
            <A href=question_href(&theme_id, &question.id)>
                <span class="question-text">{move || question.text.get(i18n.lang()).to_string()}</span>
                <span class="question-state">{state}</span>
                <Show when=to_settle>
                    <span class="badge badge-conflict" data-testid=format!("conflict-badge-{}", question.id)>
                        {move || i18n.t().conflict_badge}
                    </span>
                </Show>
            </A>
        </li>
    }
}
