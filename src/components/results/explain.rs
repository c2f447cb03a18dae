use diagnostic::{explain, questionnaire, Answers, Contribution, Target};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::flow::question_href;
use crate::i18n::use_i18n;

/// « Comprendre ce score »: for one axis or theme, the answers that raised it and the ones that
/// lowered it, most costly first, each a link to change it.
#[component]
pub fn ExplainScore(
    target: Target,
    #[prop(into)] title: Signal<String>,
    answers: Memo<Answers>,
) -> impl IntoView {
    let i18n = use_i18n();
    let explanation = Memo::new(move |_| answers.with(|a| explain(questionnaire(), a, &target)));
    let list = move |pick: fn(&Contribution) -> bool, sort_by_lost: bool| {
        let mut items: Vec<Contribution> = explanation
            .with(|e| {
                e.as_ref().map(|e| {
                    e.contributions
                        .iter()
                        .filter(|c| pick(c))
                        .cloned()
                        .collect()
                })
            })
            .unwrap_or_default();
        if sort_by_lost {
            items.sort_by(|a, b| b.lost.total_cmp(&a.lost));
        } else {
            items.sort_by(|a, b| b.earned.total_cmp(&a.earned));
        }
        items
            .into_iter()
            .map(|c| {
                let q = questionnaire();
                let question = q.question(&c.question);
                let theme = q.theme_of(&c.question).map(|t| t.id.clone()).unwrap_or_default();
                let text = question.map(|q| q.text.get(i18n.lang()).to_string()).unwrap_or(c.question.clone());
                let answer = c
                    .option
                    .as_deref()
                    .and_then(|o| question.and_then(|q| q.option(o)))
                    .map(|o| o.label.get(i18n.lang()).to_string())
                    .unwrap_or_default();
                let points = if sort_by_lost { -c.lost } else { c.earned };
                view! {
                    <li>
                        <A href=question_href(&theme, &c.question)>{text}</A>
                        " — " {answer} " "
                        <span class="points">{format!("({points:+.1} {})", i18n.t().explain_points)}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <details class="explain">
            <summary>{move || format!("{} : {}", i18n.t().explain_title, title.get())}</summary>
            <h4>{move || i18n.t().explain_raised}</h4>
            <ul>{move || list(|c| c.earned > 0.0, false)}</ul>
            <h4>{move || i18n.t().explain_lowered}</h4>
            <ul>{move || list(|c| c.lost > 0.0, true)}</ul>
        </details>
    }
}
