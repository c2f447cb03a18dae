use diagnostic::{prioritise, questionnaire, ActionKind, Answers};
use leptos::prelude::*;

use super::atlas::{provide_atlas, AtlasExamples, PublishExample};
use super::section::ResultsSection;
use crate::i18n::use_i18n;
use crate::stores::local::MAX_PRIORITIES;
use crate::stores::schema::{PlanStatus, PlanStatusLabel};
use crate::stores::use_local_store;

/// How many suggested actions are listed: enough to choose from, few enough to read.
const SUGGESTIONS: usize = 8;

/// The prioritised actions from the domain crate, and the two or three the town picks, each with
/// its status, owner and notes.
#[component]
pub fn ActionPlan(answers: Memo<Answers>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let full_warning = RwSignal::new(false);
    // The examples of other towns, and the town's own, for every action below (offline: the
    // phone's copy).
    provide_atlas();
    let actions = Memo::new(move |_| answers.with(|a| prioritise(questionnaire(), a)));
    let is_chosen = move |question: &str| {
        store
            .campaign
            .with(|c| c.plan.iter().any(|p| p.question == question))
    };
    let suggestions = move || {
        actions
            .get()
            .into_iter()
            .take(SUGGESTIONS)
            .map(|action| {
                let question = action.question.clone();
                let q = questionnaire().question(&action.question);
                let title = q.map(|q| q.text.get(i18n.lang()).to_string()).unwrap_or_default();
                let kind = match action.kind {
                    ActionKind::FindOut => Some(i18n.t().plan_find_out),
                    _ => None,
                };
                let toggle_question = question.clone();
                view! {
                    <li class="action" class:chosen=move || is_chosen(&question)>
                        <p class="action-question">{title}</p>
                        <p class="action-text">{kind.map(|k| view! { <strong>{k} " : "</strong> })}{action.text.get(i18n.lang()).to_string()}</p>
                        <dl class="facts action-facts">
                            <dt>{move || i18n.t().plan_effort}</dt>
                            <dd>{action.effort.symbol()}</dd>
                            <dt>{move || i18n.t().plan_resource}</dt>
                            <dd>{action.resource.get(i18n.lang()).to_string()}</dd>
                            {action.poolable.then(|| view! { <dt>{move || i18n.t().plan_poolable}</dt><dd>"✓"</dd> })}
                        </dl>
                        <AtlasExamples question=toggle_question.clone()/>
                        <button
                            type="button"
                            class="button"
                            aria-pressed={
                                let question = toggle_question.clone();
                                move || is_chosen(&question).to_string()
                            }
                            on:click={
                                let question = toggle_question.clone();
                                move |_| full_warning.set(!store.toggle_priority(&question))
                            }
                        >
                            {
                                let question = toggle_question.clone();
                                move || if is_chosen(&question) { i18n.t().plan_unchoose } else { i18n.t().plan_choose }
                            }
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <ResultsSection
            id="plan-titre"
            class="plan"
            title=Signal::derive(move || i18n.t().plan_title.to_string())
            summary=Signal::derive(move || {
                let chosen = store.campaign.with(|c| c.plan.len());
                format!("{} {chosen} {} {MAX_PRIORITIES}", i18n.t().section_plan_summary, i18n.t().of)
            })
        >
            <h3>{move || i18n.t().plan_chosen}</h3>
            <ChosenPriorities/>
            <p class="alert alert-warning" role="status" hidden=move || !full_warning.get()>
                {move || i18n.t().plan_full}
            </p>
            <p class="no-print">{move || i18n.t().plan_intro}</p>
            <ol class="actions-list no-print">{suggestions}</ol>
        </ResultsSection>
    }
}

#[component]
fn ChosenPriorities() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let items = Memo::new(move |_| store.campaign.with(|c| c.plan.clone()));
    view! {
        <Show when=move || !items.with(Vec::is_empty) fallback=move || view! { <p>{move || i18n.t().plan_none_chosen}</p> }>
            <ol class="priorities" data-testid="priorities">
                // Keyed by question: editing one priority never rebuilds the fields being typed in.
                <For each=move || items.get() key=|item| item.question.clone() let:item>
                {{
                    let question = item.question.clone();
                    let title = questionnaire().question(&question).map(|q| q.text.get(i18n.lang()).to_string()).unwrap_or_default();
                    let id = |field: &str| format!("priorite-{question}-{field}");
                    let (status_id, owner_id, notes_id) = (id("statut"), id("pilote"), id("notes"));
                    let (q1, q2, q3) = (question.clone(), question.clone(), question.clone());
                    // Read live: the row is kept while its status changes.
                    let done = {
                        let question = question.clone();
                        Signal::derive(move || store.campaign.with(|c| {
                            c.plan.iter().any(|p| p.question == question && p.status == PlanStatus::Done)
                        }))
                    };
                    view! {
                        <li class="priority">
                            <p class="priority-title">{title}</p>
                            <div class="priority-fields">
                                <label for=status_id.clone()>{move || i18n.t().plan_status}</label>
                                <select id=status_id on:change=move |ev| {
                                    let value = event_target_value(&ev);
                                    if let Some(status) = PlanStatus::ALL.into_iter().find(|s| s.code() == value) {
                                        store.update_priority(&q1, |p| p.status = status);
                                    }
                                }>
                                    {PlanStatus::ALL.into_iter().map(|status| view! {
                                        <option value=status.code() selected=item.status == status>{move || status.label(i18n.lang())}</option>
                                    }).collect_view()}
                                </select>
                                <label for=owner_id.clone()>{move || i18n.t().plan_owner}</label>
                                <input id=owner_id type="text" prop:value=item.owner.clone()
                                    on:change=move |ev| { let v = event_target_value(&ev); store.update_priority(&q2, |p| p.owner = v); }/>
                                <label for=notes_id.clone()>{move || i18n.t().plan_notes}</label>
                                <textarea id=notes_id rows="2" prop:value=item.notes.clone()
                                    on:change=move |ev| { let v = event_target_value(&ev); store.update_priority(&q3, |p| p.notes = v); }></textarea>
                            </div>
                            <PublishExample question=question.clone() done=done/>
                        </li>
                    }
                }}
                </For>
            </ol>
        </Show>
    }
}
