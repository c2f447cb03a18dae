use diagnostic::{explain, questionnaire, Answers, Contribution, Target};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::flow::question_href;
use crate::i18n::{points_out_of_100, use_i18n};

/// « Comprendre ce score »: for one axis or theme, the answers that raised it and the ones that
/// lowered it, most costly first, each a link to change it.
#[component]
pub fn ExplainScore(
    target: Target,
    #[prop(into)] title: Signal<String>,
    answers: Memo<Answers>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <details class="explain">
            <summary>{move || format!("{} : {}", i18n.t().explain_title, title.get())}</summary>
            <ExplainLists target=target answers=answers/>
        </details>
    }
}

/// Which list a contribution goes in: a partly earned answer both raised and lowered the score,
/// but a mayor reading the same question under « monter » and « baisser » cannot tell what to do,
/// so it goes where most of its weight is (lowered on a tie: there is something left to gain).
fn raised(c: &Contribution) -> bool {
    c.earned > c.lost
}

/// The two lists of [`ExplainScore`], also shown under the radar for the axis tapped.
#[component]
pub fn ExplainLists(target: Target, answers: Memo<Answers>) -> impl IntoView {
    let i18n = use_i18n();
    let explanation = Memo::new(move |_| answers.with(|a| explain(questionnaire(), a, &target)));
    let list = move |up: bool| {
        let mut items: Vec<Contribution> = explanation
            .with(|e| {
                e.as_ref().map(|e| {
                    e.contributions
                        .iter()
                        .filter(|c| c.earned + c.lost > 0.0 && raised(c) == up)
                        .cloned()
                        .collect()
                })
            })
            .unwrap_or_default();
        if up {
            items.sort_by(|a, b| b.earned.total_cmp(&a.earned));
        } else {
            items.sort_by(|a, b| b.lost.total_cmp(&a.lost));
        }
        items
            .into_iter()
            .map(|c| {
                let q = questionnaire();
                let question = q.question(&c.question);
                let theme = q
                    .theme_of(&c.question)
                    .map(|t| t.id.clone())
                    .unwrap_or_default();
                let text = question
                    .map(|q| q.text.get(i18n.lang()).to_string())
                    .unwrap_or(c.question.clone());
                let answer = c
                    .option
                    .as_deref()
                    .and_then(|o| question.and_then(|q| q.option(o)))
                    .map(|o| o.label.get(i18n.lang()).to_string())
                    .unwrap_or_default();
                let points = if up { c.earned } else { -c.lost };
                view! {
                    <li>
                        <A href=question_href(&theme, &c.question)>{text}</A>
                        " — " {answer} " "
                        <span class="points">{points_out_of_100(points, i18n.lang())}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <h4>{move || i18n.t().explain_raised}</h4>
        <ul data-testid="explain-raised">{move || list(true)}</ul>
        <h4>{move || i18n.t().explain_lowered}</h4>
        <ul data-testid="explain-lowered">{move || list(false)}</ul>
    }
}
