use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;

/// One question (`/questionnaire/:theme/:question`): a deep link an official can return to.
#[component]
pub fn QuestionPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let question = move || params.read().get("question").unwrap_or_default();
    view! {
        <PageHeading title=Signal::derive(move || format!("{} : {}", i18n.t().question_title, question()))/>
        <A href="/questionnaire">{move || i18n.t().back_to_questionnaire}</A>
    }
}
