//! The parts of the results screen that sit apart from the @ level: the « Socle réglementaire »
//! (legal duties, met or not, with their source and whom they bind), the unscored « Contexte du
//! territoire » (network coverage), and how to read the level bands. Each is a section the user
//! opens, so the page stays short on a 360 px phone.

use diagnostic::{baseline, questionnaire, BaselineItem, DutyStatus, Scores};
use leptos::prelude::*;
use leptos_router::components::A;

use super::section::ResultsSection;
use crate::flow::question_href;
use crate::i18n::{thousands, use_i18n};
use crate::stores::use_local_store;

/// « Socle réglementaire »: one line per legal duty. The commune's population comes from its
/// record when the phone is enrolled in the town's space; otherwise the user may type it, and
/// until then a duty with a population threshold says from which size it binds.
#[component]
pub fn Baseline() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let enrolled_population = move || {
        store
            .sync_info(|s| s.town.commune.population)
            .filter(|p| *p > 0)
    };
    // Typed by the user when the phone is not enrolled; not stored (the commune record is the
    // reference once the town has its space).
    let typed = RwSignal::new(None::<u64>);
    let population = Memo::new(move |_| enrolled_population().or(typed.get()));
    let answers = Memo::new(move |_| store.answers());
    let items =
        Memo::new(move |_| answers.with(|a| baseline(questionnaire(), a, population.get())));
    let counts = move || {
        items.with(|items| {
            let applicable = items
                .iter()
                .filter(|i| i.applies != Some(false) && i.status != DutyStatus::NotApplicable);
            let (met, total) = applicable.fold((0, 0), |(m, t), i| {
                (m + usize::from(i.status == DutyStatus::Met), t + 1)
            });
            format!("{met} / {total} {}", i18n.t().baseline_met_count)
        })
    };
    // On paper the report keeps to one A4 page: the heading and the count only.
    view! {
        <ResultsSection
            id="socle"
            testid="baseline"
            title=Signal::derive(move || i18n.t().baseline_title.to_string())
            summary=Signal::derive(counts)
        >
            <p class="no-print">{move || i18n.t().baseline_intro}</p>
            <p class="baseline-summary" data-testid="baseline-summary"><strong>{counts}</strong></p>
            <div class="no-print">
                {move || match enrolled_population() {
                    Some(p) => view! {
                        <p class="hint" data-testid="baseline-population">{format!("{} {} {}", i18n.t().baseline_population_known, thousands(p, i18n.lang()), i18n.t().inhabitants)}</p>
                    }.into_any(),
                    None => view! {
                        <div class="field">
                            <label for="population-commune">{i18n.t().baseline_population_label}</label>
                            <input
                                id="population-commune"
                                type="number"
                                inputmode="numeric"
                                min="0"
                                aria-describedby="population-aide"
                                on:input=move |ev| typed.set(event_target_value(&ev).trim().parse::<u64>().ok())
                            />
                            <p id="population-aide" class="hint">{i18n.t().baseline_population_hint}</p>
                        </div>
                    }.into_any(),
                }}
                <ul class="baseline-list">
                    {move || items.get().into_iter().map(|item| view! { <BaselineLine item=item/> }).collect_view()}
                </ul>
            </div>
        </ResultsSection>
    }
}

#[component]
fn BaselineLine(item: BaselineItem) -> impl IntoView {
    let i18n = use_i18n();
    let q = questionnaire();
    let question = q.question(&item.question);
    let text = question.map_or(item.question.clone(), |x| {
        x.text.get(i18n.lang()).to_string()
    });
    let source = question
        .and_then(|x| x.duty.as_ref())
        .map(|d| d.source.get(i18n.lang()).to_string())
        .unwrap_or_default();
    let condition = question
        .and_then(|x| x.duty.as_ref())
        .and_then(|d| d.condition.as_ref())
        .map(|c| c.get(i18n.lang()).to_string());
    let t = i18n.t();
    let (mark, class, status) = match (item.applies, item.status) {
        (Some(false), _) => (
            "—",
            "duty-na",
            format!(
                "{} {} {}",
                t.baseline_below_threshold,
                thousands(item.min_population.unwrap_or(0), i18n.lang()),
                t.inhabitants
            ),
        ),
        (_, DutyStatus::NotApplicable) => ("—", "duty-na", t.baseline_not_applicable.to_string()),
        (_, DutyStatus::Met) => ("✓", "duty-met", t.baseline_met.to_string()),
        (_, DutyStatus::NotMet) => ("✗", "duty-not-met", t.baseline_not_met.to_string()),
        (_, DutyStatus::DontKnow) => ("?", "duty-unknown", t.baseline_to_check.to_string()),
        (_, DutyStatus::Unanswered) => ("?", "duty-unknown", t.baseline_unanswered.to_string()),
    };
    let threshold = match (item.applies, item.min_population) {
        (None, Some(min)) => Some(format!(
            "{} {} {}",
            t.baseline_applies_from,
            thousands(min, i18n.lang()),
            t.inhabitants
        )),
        _ => None,
    };
    view! {
        <li class=format!("baseline-item {class}") data-testid="baseline-item" data-question=item.question.clone()>
            <span class="duty-mark" aria-hidden="true">{mark}</span>
            <div>
                <A href=question_href(&item.theme, &item.question)>{text}</A>
                <p class="duty-status"><strong>{status}</strong>{threshold.map(|x| format!(" · {x}"))}</p>
                {condition.map(|c| view! { <p class="hint">{format!("{} {c}", t.baseline_condition)}</p> })}
                <p class="hint">{format!("{} {source}", t.baseline_source)}</p>
            </div>
        </li>
    }
}

/// « Contexte du territoire »: the answers that describe the territory rather than the town's
/// action (fibre, mobile coverage), shown as they are and never scored.
#[component]
pub fn TerritoryContext() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let q = questionnaire();
    let lines = move || {
        q.themes
            .iter()
            .flat_map(|theme| theme.questions.iter().map(move |x| (theme, x)))
            .filter(|(_, x)| x.context)
            .map(|(theme, x)| {
                let answer = store
                    .answer(&x.id)
                    .and_then(|a| x.option(&a.option).map(|o| o.label.get(i18n.lang()).to_string()))
                    .unwrap_or_else(|| i18n.t().baseline_unanswered.to_string());
                view! {
                    <div>
                        <dt><A href=question_href(&theme.id, &x.id)>{x.text.get(i18n.lang()).to_string()}</A></dt>
                        <dd>{answer}</dd>
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <ResultsSection
            id="contexte"
            class="no-print"
            testid="territory-context"
            title=Signal::derive(move || i18n.t().context_title.to_string())
            summary=Signal::derive(move || i18n.t().section_context_summary.to_string())
        >
            <p>{move || i18n.t().context_intro}</p>
            <dl class="context-list">{lines}</dl>
        </ResultsSection>
    }
}

/// How to read the @ level: the weighting in two sentences, every band with its range, and how
/// many points the town needs for the next one.
#[component]
pub fn LevelBands(scores: Memo<Scores>) -> impl IntoView {
    let i18n = use_i18n();
    let levels = &questionnaire().levels;
    let next = move || {
        scores.with(|s| {
            levels.iter().find(|l| l.at == s.level.at + 1).map(|l| {
                let missing = (l.min_score - s.overall).max(0.0);
                format!(
                    "{} {} @ : {:.1} {}",
                    i18n.t().levels_next,
                    l.at,
                    missing,
                    i18n.t().explain_points
                )
            })
        })
    };
    view! {
        <details class="explain no-print" data-testid="level-bands">
            <summary>{move || i18n.t().levels_title}</summary>
            <p>{move || i18n.t().levels_weighting}</p>
            <p data-testid="level-next"><strong>{next}</strong></p>
            <dl class="level-bands">
                {levels.iter().enumerate().map(|(i, l)| {
                    let upper = levels.get(i + 1).map(|n| n.min_score);
                    view! {
                        <div>
                            <dt>{move || format!("{} @ — {}", l.at, l.label.get(i18n.lang()))}</dt>
                            <dd>
                                <p class="hint">{move || match upper {
                                    Some(u) => format!("{} {} {} {}", i18n.t().levels_from, l.min_score, i18n.t().levels_to, u),
                                    None => format!("{} {} {} 100", i18n.t().levels_from, l.min_score, i18n.t().levels_to),
                                }}</p>
                                <p>{move || l.interpretation.get(i18n.lang()).to_string()}</p>
                            </dd>
                        </div>
                    }
                }).collect_view()}
            </dl>
        </details>
    }
}
