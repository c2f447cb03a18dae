use leptos::prelude::*;

use crate::components::page_heading::PageHeading;
use crate::components::theme_list::ThemeList;
use crate::i18n::use_i18n;

/// The questionnaire's overview: the four APVF themes with their progress.
#[component]
pub fn QuestionnairePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().questionnaire_title.to_string())/>
        <p>{move || i18n.t().questionnaire_intro}</p>
        <ThemeList/>
    }
}
