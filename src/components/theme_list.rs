use diagnostic::outline;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{answered_of, conflicts_count, use_i18n};
use crate::stores::use_local_store;

/// The four themes with their progress (answered / total), each a link to its questions.
#[component]
pub fn ThemeList() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let themes = outline().themes.iter().map(|theme| {
        let total = theme.questions.len();
        let answered = move || store.answered_count(theme.questions.iter().map(|q| q.id.as_str()));
        let to_settle = move || {
            theme
                .questions
                .iter()
                .filter(|q| store.is_conflicted(&q.id))
                .count()
        };
        view! {
            <li class="theme-card">
                <A href=format!("/questionnaire/{}", theme.id)>
                    <span class="theme-title">{move || theme.title.get(i18n.lang()).to_string()}</span>
                    <span class="theme-progress" data-testid=format!("progress-{}", theme.id)>
                        {move || answered_of(answered(), total, i18n.lang())}
                    </span>
                    {move || (to_settle() > 0).then(|| view! {
                        <span class="badge badge-conflict" data-testid=format!("conflicts-{}", theme.id)>
                            {conflicts_count(to_settle(), i18n.lang())}
                        </span>
                    })}
                    <progress max=total value=answered aria-hidden="true"></progress>
                </A>
                <p class="theme-description">{move || theme.description.get(i18n.lang()).to_string()}</p>
            </li>
        }
    });
    view! { <ul class="theme-list">{themes.collect_view()}</ul> }
}
