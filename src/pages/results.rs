use diagnostic::network::{compare, town_figures};
use diagnostic::{questionnaire, score, Answers, Localized, ScoreLine, Target};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::components::results::action_plan::ActionPlan;
use crate::components::results::baseline::{Baseline, LevelBands, TerritoryContext};
use crate::components::results::campaign::{format_date, CampaignActions, ExportButtons};
use crate::components::results::compare::ComparePanel;
use crate::components::results::explain::{ExplainLists, ExplainScore};
use crate::components::results::radar::{AxisTable, RadarAxis, RadarChart};
use crate::components::results::section::ResultsSection;
use crate::components::results::top_actions::TopActions;
use crate::flow::question_href;
use crate::i18n::{decimal, thousands, use_i18n};
use crate::stores::{use_local_store, use_network_store};
use crate::sync::network::keep_aggregates_fresh;

/// Below this share of answered questions, results are shown as provisional.
const COMPLETE_ENOUGH: f64 = 0.8;

/// Résultats: the town on the four Villes Internet axes, its @ level, what to find out, why each
/// score is what it is, the action plan, validation and the report. Everything is computed on the
/// phone by the domain crate, so it works offline and matches the server exactly.
#[component]
pub fn ResultsPage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let answers = Memo::new(move |_| store.answers());
    let scores = Memo::new(move |_| answers.with(|a| score(questionnaire(), a)));
    let previous = Memo::new(move |_| {
        store
            .previous_campaign()
            .map(|doc| score(questionnaire(), &doc.domain_answers()))
    });
    let any = move || store.campaign.with(|c| !c.answers.is_empty());
    let title = Signal::derive(move || {
        let town = store.settings.with(|s| s.town_name.clone());
        match town.is_empty() {
            true => i18n.t().results_title.to_string(),
            false => format!("{} — {town}", i18n.t().results_title),
        }
    });
    // Comparable towns: the cached figures show at once (offline too), newer ones replace them
    // when the fetch (now, and after each sync) answers.
    let network = use_network_store();
    keep_aggregates_fresh(store, network);
    let enrolled = Signal::derive(move || store.sync_info(|_| ()).is_some());
    let network_cache = Memo::new(move |_| {
        let commune = store.sync_info(|s| s.town.commune.code.clone())?;
        let campaign = store.campaign.with(|c| c.id.clone());
        network.for_town(&commune, &campaign)
    });
    let comparison = Memo::new(move |_| {
        network_cache.with(|cache| {
            let figures = cache.as_ref()?.selected_figures()?;
            let town = answers.with(|a| town_figures(questionnaire(), a));
            Some(compare(questionnaire(), &town, figures))
        })
    });
    let radar_axes = Signal::derive(move || {
        let previous = previous.get();
        let comparison = comparison.get();
        scores.with(|s| {
            s.axes
                .iter()
                .map(|line| RadarAxis {
                    title: axis_title(&line.id, i18n.lang()),
                    score: line.score,
                    previous: previous
                        .as_ref()
                        .and_then(|p| p.axes.iter().find(|a| a.id == line.id))
                        .map(|a| a.score),
                    group: comparison
                        .as_ref()
                        .and_then(|c| c.axes.iter().find(|a| a.axis == line.id))
                        .and_then(|a| a.group),
                })
                .collect()
        })
    });
    let selected_axis = RwSignal::new(None::<usize>);
    let group_label =
        Signal::derive(move || comparison.with(|c| c.as_ref().map(|c| c.group.label.clone())));
    // The first screen is what a mayor looks at: the level, the radar (each axis opens its
    // detail) and the first three actions. Everything else is a section the user opens; print
    // opens them all (see the print stylesheet).
    view! {
        <PageHeading title=title/>
        <Show when=any fallback=move || view! {
            <p>{move || i18n.t().results_intro}</p>
            <A href="/questionnaire" attr:class="button button-primary">{move || i18n.t().home_start}</A>
        }>
            <LevelSummary scores=scores/>
            <RadarChart axes=radar_axes group=group_label selected=selected_axis detail_id="axe-detail"/>
            <AxisDetail selected=selected_axis scores=scores answers=answers/>
            <TopActions answers=answers/>
            <ResultsSection
                id="scores"
                testid="scores"
                title=Signal::derive(move || i18n.t().section_scores.to_string())
                summary=Signal::derive(move || i18n.t().section_scores_summary.to_string())
            >
                <AxisTable axes=radar_axes group=group_label/>
                <ScoreTable
                    caption=Signal::derive(move || i18n.t().results_themes)
                    lines=Signal::derive(move || scores.get().themes)
                    title=theme_title
                />
            </ResultsSection>
            <ResultsSection
                id="comprendre"
                class="no-print"
                title=Signal::derive(move || i18n.t().explain_title.to_string())
                summary=Signal::derive(move || i18n.t().section_explain_summary.to_string())
            >
                <p>{move || scores.with(|s| s.level.interpretation.get(i18n.lang()).to_string())}</p>
                <p class="hint">{move || questionnaire().notice.get(i18n.lang()).to_string()}</p>
                <LevelBands scores=scores/>
                {questionnaire().axes.iter().map(|axis| view! {
                    <ExplainScore target=Target::Axis(axis.id.clone()) title=Signal::derive(move || axis.title.get(i18n.lang()).to_string()) answers=answers/>
                }).collect_view()}
                {questionnaire().themes.iter().map(|theme| view! {
                    <ExplainScore target=Target::Theme(theme.id.clone()) title=Signal::derive(move || theme.title.get(i18n.lang()).to_string()) answers=answers/>
                }).collect_view()}
            </ResultsSection>
            <ToFindOut dont_know=Signal::derive(move || scores.get().dont_know)/>
            <Baseline/>
            <TerritoryContext/>
            <ActionPlan answers=answers/>
            <CampaignActions/>
            <ComparePanel network=network enrolled=enrolled cache=network_cache comparison=comparison/>
            <ExportButtons scores=scores/>
        </Show>
    }
}

fn axis_title(id: &str, lang: diagnostic::Lang) -> String {
    questionnaire()
        .axis(id)
        .map_or(id.to_string(), |a| a.title.get(lang).to_string())
}

fn theme_title(id: &str) -> Option<&'static Localized> {
    questionnaire().theme(id).map(|t| &t.title)
}

#[component]
fn LevelSummary(scores: Memo<diagnostic::Scores>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    view! {
        <div class="level" data-testid="level-summary">
            <p class="level-at" data-testid="level">
                {move || scores.with(|s| format!("{} @", s.level.at))}
                <span class="level-label">{move || scores.with(|s| s.level.label.get(i18n.lang()).to_string())}</span>
            </p>
            // The campaign and the date (on paper) share the completeness line: the first screen
            // of a 360 × 640 phone has no line to spare.
            <p class="level-meta">
                <span>{move || format!("{} {}", i18n.t().results_campaign, store.campaign.with(|c| c.id.clone()))}</span>
                <span class="print-only">{move || format!(" · {} {}", i18n.t().report_date, format_date(js_sys::Date::now(), i18n.lang().code()))}</span>
                " · " {move || i18n.t().results_completeness} " : "
                <strong data-testid="completeness">{move || scores.with(|s| format!("{} %", decimal(s.completeness * 100.0, 0, i18n.lang())))}</strong>
            </p>
            <Show when=move || scores.with(|s| s.completeness < COMPLETE_ENOUGH)>
                <p class="alert alert-warning" role="note">{move || i18n.t().results_low_completeness}</p>
            </Show>
        </div>
    }
}

/// Under the radar, the axis whose button was tapped: its score out of 100, what it covers, and
/// what raised or lowered it (each question a link to change the answer).
#[component]
fn AxisDetail(
    selected: RwSignal<Option<usize>>,
    scores: Memo<diagnostic::Scores>,
    answers: Memo<Answers>,
) -> impl IntoView {
    let i18n = use_i18n();
    let line = move || {
        let i = selected.get()?;
        scores.with(|s| s.axes.get(i).map(|l| (l.id.clone(), l.score)))
    };
    view! {
        <div id="axe-detail" class="axis-detail no-print" data-testid="axis-detail" hidden=move || selected.get().is_none()>
            {move || line().and_then(|(id, score)| {
                let axis = questionnaire().axis(&id)?;
                Some(view! {
                    <h3>{format!("{} : {} {}", axis.title.get(i18n.lang()), decimal(score, 0, i18n.lang()), i18n.t().out_of_100)}</h3>
                    <p class="hint">{axis.description.get(i18n.lang()).to_string()}</p>
                    <ExplainLists target=Target::Axis(id.clone()) answers=answers/>
                })
            })}
        </div>
    }
}

#[component]
fn ToFindOut(dont_know: Signal<Vec<String>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || !dont_know.with(Vec::is_empty)>
            <ResultsSection
                id="a-verifier"
                class="no-print"
                title=Signal::derive(move || i18n.t().results_to_find_out.to_string())
                summary=Signal::derive(move || {
                    let n = dont_know.with(Vec::len);
                    let t = i18n.t();
                    let noun = if n == 1 { t.section_to_find_out_one } else { t.section_to_find_out_many };
                    format!("{} {noun}", thousands(n as u64, i18n.lang()))
                })
            >
                <p>{move || i18n.t().results_to_find_out_intro}</p>
                <ul data-testid="to-find-out">
                    {move || dont_know.get().into_iter().filter_map(|id| {
                        let q = questionnaire();
                        let question = q.question(&id)?;
                        let theme = q.theme_of(&id)?;
                        Some(view! { <li><A href=question_href(&theme.id, &id)>{question.text.get(i18n.lang()).to_string()}</A></li> })
                    }).collect_view()}
                </ul>
            </ResultsSection>
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
                        <td><meter min="0" max="100" value=line.score aria-hidden="true"></meter> {format!("{:.0}", line.score)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <table class="score-table" data-testid="theme-table">
            <caption>{caption}</caption>
            <thead><tr><th scope="col">{move || i18n.t().results_theme}</th><th scope="col">{move || i18n.t().results_score}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
