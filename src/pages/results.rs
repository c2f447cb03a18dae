use diagnostic::{questionnaire, score, Localized, ScoreLine};
use leptos::prelude::*;

use crate::components::page_heading::PageHeading;
use crate::i18n::use_i18n;
use crate::stores::use_local_store;

/// Résultats: the @ level, the completeness, and the scores per theme and per axis, computed on
/// the phone by the domain crate (so they work offline and match the server exactly).
#[component]
pub fn ResultsPage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let scores = Memo::new(move |_| score(questionnaire(), &store.answers()));
    let any = move || store.campaign.with(|c| !c.answers.is_empty());
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().results_title.to_string())/>
        <Show when=any fallback=move || view! { <p>{move || i18n.t().results_intro}</p> }>
            <dl class="facts">
                <dt>{move || i18n.t().results_level}</dt>
                <dd data-testid="level">
                    {move || scores.with(|s| format!("{} @ — {}", s.level.at, s.level.label.get(i18n.lang())))}
                </dd>
                <dt>{move || i18n.t().results_completeness}</dt>
                <dd data-testid="completeness">{move || scores.with(|s| format!("{:.0} %", s.completeness * 100.0))}</dd>
            </dl>
            <p>{move || scores.with(|s| s.level.interpretation.get(i18n.lang()).to_string())}</p>
            <ScoreTable
                caption=Signal::derive(move || i18n.t().results_themes)
                lines=Signal::derive(move || scores.get().themes)
                title=|id| questionnaire().theme(id).map(|t| &t.title)
            />
            <ScoreTable
                caption=Signal::derive(move || i18n.t().results_axes)
                lines=Signal::derive(move || scores.get().axes)
                title=|id| questionnaire().axis(id).map(|a| &a.title)
            />
        </Show>
    }
}

#[component]
fn ScoreTable(
    caption: Signal<&'static str>,
    lines: Signal<Vec<ScoreLine>>,
    title: fn(&str) -> Option<&'static Localized>,
) -> impl IntoView {
    let i18n = use_i18n();
    let rows = move || {
        lines
            .get()
            .into_iter()
            .map(|line| {
                let name = title(&line.id).map_or(line.id.clone(), |t| t.get(i18n.lang()).to_string());
                view! {
                    <tr>
                        <th scope="row">{name}</th>
                        <td>{format!("{:.0} / 100", line.score)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <table class="score-table">
            <caption>{caption}</caption>
            <tbody>{rows}</tbody>
        </table>
    }
}
