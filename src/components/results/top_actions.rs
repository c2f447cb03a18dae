use diagnostic::{prioritise, questionnaire, ActionKind, Answers};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::flow::question_href;
use crate::i18n::use_i18n;

/// How many actions the first screen shows: what a mayor can take in at a glance; the plan
/// section lists more and lets the town choose.
const FIRST_SCREEN: usize = 3;

/// « Vos trois premières actions »: the domain crate's first priorities, each a link to its
/// question (where the answer changes once the action is done).
#[component]
pub fn TopActions(answers: Memo<Answers>) -> impl IntoView {
    let i18n = use_i18n();
    let actions = Memo::new(move |_| {
        answers.with(|a| {
            let mut all = prioritise(questionnaire(), a);
            all.truncate(FIRST_SCREEN);
            all
        })
    });
    view! {
        <section class="top-actions" aria-labelledby="premieres-actions" data-testid="top-actions">
            <h2 id="premieres-actions">{move || i18n.t().results_top_actions}</h2>
            <Show
                when=move || !actions.with(Vec::is_empty)
                fallback=move || view! { <p>{move || i18n.t().results_top_actions_none}</p> }
            >
                <ol>
                    {move || actions.get().into_iter().map(|action| {
                        let kind = matches!(action.kind, ActionKind::FindOut).then(|| i18n.t().plan_find_out);
                        view! {
                            <li>
                                <A href=question_href(&action.theme, &action.question)>
                                    {kind.map(|k| format!("{k} : "))}
                                    {action.text.get(i18n.lang()).to_string()}
                                </A>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </Show>
        </section>
    }
}
