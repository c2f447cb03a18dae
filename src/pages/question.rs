use diagnostic::{questionnaire, Question};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::page_heading::{static_shell_choice, PageHeading};
use crate::components::results::campaign::format_long_date;
use crate::components::results::compare::in_place_sentence;
use crate::components::save_status::SaveStatus;
use crate::flow::{locate, neighbours, next_unanswered, Place};
use crate::i18n::use_i18n;
use crate::stores::browser::mark_tap;
use crate::stores::{use_local_store, use_network_store};
use crate::sync::network::refresh_aggregates;

/// One question (`/questionnaire/:theme/:question`): a deep link an official can come back to.
/// Rebuilt whenever the route's parameters change, so focus moves to the new question.
#[component]
pub fn QuestionPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let route = Memo::new(move |_| {
        let p = params.read();
        (
            p.get("theme").unwrap_or_default(),
            p.get("question").unwrap_or_default(),
        )
    });
    move || {
        let (theme, question) = route.get();
        match locate(questionnaire(), &theme, &question) {
            Some(place) => view! { <QuestionScreen place=place/> }.into_any(),
            None => view! {
                <PageHeading title=Signal::derive(move || i18n.t().not_found_title.to_string())/>
                <p>{move || i18n.t().question_not_found}</p>
                <p><A href="/questionnaire">{move || i18n.t().back_to_questionnaire}</A></p>
            }
            .into_any(),
        }
    }
}

#[component]
fn QuestionScreen(place: Place<'static>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let question = place.question;
    store.set_last_question(&question.id);
    // Opened from a link, the question was on screen (the server's copy) before the app ran, and
    // the official may already have tapped an option there: that tap is an answer, kept as such.
    if let Some(option) = static_shell_choice(&question.id) {
        let known = question.answers.iter().any(|o| o.id == option);
        if known && store.answer(&question.id).map(|a| a.option) != Some(option.clone()) {
            store.choose(&question.id, &option);
        }
    }
    let total = place.theme.questions.len();
    let position = place.index + 1;
    let (previous, next) = neighbours(questionnaire(), &question.id);
    let next_open = move || {
        store.campaign.with(|c| {
            next_unanswered(questionnaire(), Some(&question.id), |id| {
                c.answers.contains_key(id)
            })
            .map(|p| p.href())
        })
    };
    view! {
        <p class="question-position">
            <A href=format!("/questionnaire/{}", place.theme.id)>
                {move || place.theme.title.get(i18n.lang()).to_string()}
            </A>
            " · "
            <span data-testid="question-position">
                {move || diagnostic::pages::question_position(i18n.lang(), position, total)}
            </span>
        </p>
        <progress class="theme-progress-bar" max=total value=position aria-label=move || i18n.t().progress_label></progress>
        <form class="question" on:submit=|ev| ev.prevent_default()>
            <fieldset class="choice-group">
                <legend>
                    <PageHeading title=Signal::derive(move || question.text.get(i18n.lang()).to_string())/>
                </legend>
                <details class="help">
                    <summary>{move || i18n.t().help_toggle}</summary>
                    <p>{move || question.help.get(i18n.lang()).to_string()}</p>
                </details>
                <AnswerChoices question=question/>
            </fieldset>
            <PeerShare question=question/>
            <Glossary question=question/>
            <ConflictPanel question=question/>
            <CommentField question=question/>
            <Show when=move || store.answer(&question.id).is_some()>
                <button type="button" class="button button-quiet" on:click=move |_| store.clear(&question.id)>
                    {move || i18n.t().clear_answer}
                </button>
            </Show>
        </form>
        // The way on sits in a bar held just above the bottom navigation, with the save
        // confirmation: after a tap both are in view on a 360 × 640 phone, with no scroll. It
        // comes after the form in the DOM, so keyboard and screen-reader order stay « question,
        // options, help, comment, then on ». No advance on its own after a tap: a change of
        // context on input is what WCAG 3.2.2 rules out, and a mayor may want to add a comment.
        <nav class="answer-bar" aria-label=move || i18n.t().answer_bar_label data-testid="answer-bar">
            <SaveStatus/>
            <div class="answer-bar-links">
                // « Précédente » on screen (one line next to « Question suivante » at 360 px), the
                // full name for screen readers, which contains the visible word (WCAG 2.5.3).
                {previous.map(|p| view! {
                    <A href=p.href() attr:class="button button-back" attr:rel="prev" attr:aria-label=move || i18n.t().previous>
                        {move || i18n.t().previous_short}
                    </A>
                })}
                {next.map(|p| view! { <A href=p.href() attr:class="button button-primary" attr:rel="next">{move || i18n.t().next}</A> })}
            </div>
        </nav>
        <p class="question-more">
            {move || match next_open() {
                Some(href) => view! { <A href=href>{i18n.t().next_unanswered}</A> }.into_any(),
                None => view! { <A href="/resultats" attr:class="all-answered">{i18n.t().all_answered}</A> }.into_any(),
            }}
        </p>
    }
}

/// The options as real radio buttons: arrow keys move between them, each change is saved at once.
#[component]
fn AnswerChoices(question: &'static Question) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let chosen = Memo::new(move |_| store.answer(&question.id).map(|a| a.option));
    question
        .answers
        .iter()
        .map(|option| {
            let id = format!("{}--{}", question.id, option.id);
            view! {
                <label class="choice choice-large" for=id.clone()>
                    <input
                        type="radio"
                        id=id.clone()
                        name=question.id.clone()
                        value=option.id.clone()
                        prop:checked=move || chosen.get().as_deref() == Some(option.id.as_str())
                        on:change=move |_| {
                            mark_tap();
                            store.choose(&question.id, &option.id);
                        }
                    />
                    <span>{move || option.label.get(i18n.lang()).to_string()}</span>
                </label>
            }
        })
        .collect_view()
}

/// « 62 % des communes comparables ont ceci en place », next to the answer: the group picked on
/// the results page (the first shown one, the stratum, by default), from the phone's cache, so it
/// shows offline too. Nothing when not enrolled or the group does not show this question.
#[component]
fn PeerShare(question: &'static Question) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let network = use_network_store();
    let cached = move || {
        let commune = store.sync_info(|s| s.town.commune.code.clone())?;
        let campaign = store.campaign.with(|c| c.id.clone());
        network.for_town(&commune, &campaign)
    };
    // A phone that never fetched the figures (enrolled since its last visit to the results)
    // fetches them once; otherwise the cache is enough here.
    if store.sync_info(|_| ()).is_some() && cached().is_none() {
        refresh_aggregates(store, network);
    }
    move || {
        let cache = cached()?;
        let figures = cache.selected_figures()?;
        let pct = figures.in_place_pct(&question.id)?;
        let source = i18n
            .n()
            .question_source
            .replace("{group}", &figures.group.label)
            .replace(
                "{date}",
                &format_long_date(cache.page.fetched_ms as f64, i18n.lang().code()),
            );
        Some(view! {
            <div class="peer" data-testid="peer-share">
                <p class="peer-share">{in_place_sentence(i18n, pct)}</p>
                <p class="hint">{source}</p>
            </div>
        })
    }
}

#[component]
fn CommentField(question: &'static Question) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let id = format!("{}--commentaire", question.id);
    let hint_id = format!("{id}-aide");
    view! {
        <div class="field">
            <label for=id.clone()>{move || i18n.t().comment_label}</label>
            <textarea
                id=id
                rows="3"
                maxlength="2000"
                aria-describedby=hint_id.clone()
                prop:disabled=move || store.answer(&question.id).is_none()
                // Set once: the screen is rebuilt per question, and re-setting the value while
                // the user types would fight their caret.
                prop:value=store.answer(&question.id).and_then(|a| a.comment).unwrap_or_default()
                on:input=move |ev| store.set_comment(&question.id, &event_target_value(&ev))
            ></textarea>
            <p id=hint_id class="hint">{move || i18n.t().comment_hint}</p>
        </div>
    }
}

/// « Aussi répondu par … : … — garder / remplacer »: shown when officials answered this question
/// differently without seeing each other's answer. Either choice is itself an operation, whose
/// base names every answer shown, so it settles the question for everyone.
#[component]
fn ConflictPanel(question: &'static Question) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let conflict = Memo::new(move |_| {
        store.campaign.with(|c| {
            c.conflicts()
                .into_iter()
                .find(|conflict| conflict.question == question.id)
        })
    });
    let label = move |option: &Option<String>| match option {
        Some(id) => question
            .option(id)
            .map_or(id.clone(), |o| o.label.get(i18n.lang()).to_string()),
        None => i18n.t().conflict_cleared.to_string(),
    };
    let who = move |device: &str| {
        store
            .sync_info(|s| s.who_in(device, i18n.lang()))
            .flatten()
            .unwrap_or_else(|| i18n.t().conflict_someone.to_string())
    };
    move || {
        conflict.get().map(|conflict| {
            let winner = conflict.winner().clone();
            let keep = conflict.clone();
            let others: Vec<_> = conflict.ops.iter().skip(1).cloned().collect();
            view! {
                <div class="alert alert-warning conflict" role="group" aria-labelledby="conflit" data-testid="conflict">
                    <h2 id="conflit">{i18n.t().conflict_heading}</h2>
                    <p>{format!("{} {} — {}", i18n.t().conflict_shown, label(&winner.option), who(&winner.device))}</p>
                    <button type="button" class="button" on:click=move |_| {
                        store.resolve(&keep, winner.option.clone(), winner.comment.clone());
                    }>{i18n.t().conflict_keep}</button>
                    <ul>
                        {others.into_iter().map(|op| {
                            let settle = conflict.clone();
                            let text = format!("{} {} : {}", i18n.t().conflict_also, who(&op.device), label(&op.option));
                            view! {
                                <li>
                                    <p>{text}</p>
                                    {op.comment.clone().map(|c| view! { <p class="hint">{c}</p> })}
                                    <button type="button" class="button" on:click=move |_| {
                                        store.resolve(&settle, op.option.clone(), op.comment.clone());
                                    }>{i18n.t().conflict_replace}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

/// The glossary, reachable from every question: the terms this question uses come first, then
/// the others, so a mayor meeting « PLAT'AU » or « 3-2-1 » finds it without leaving the page.
#[component]
fn Glossary(question: &'static Question) -> impl IntoView {
    let i18n = use_i18n();
    let glossary = &questionnaire().glossary;
    let uses = move |term: &str| {
        let texts = [&question.text, &question.help];
        term.split(", ").any(|part| {
            texts
                .iter()
                .any(|t| t.fr.contains(part) || t.en.contains(part))
                || question.answers.iter().any(|o| o.label.fr.contains(part))
        })
    };
    let mut ordered: Vec<_> = glossary.iter().collect();
    ordered.sort_by_key(|entry| !uses(&entry.term));
    (!glossary.is_empty()).then(|| {
        view! {
            <details class="help glossary" data-testid="glossary">
                <summary>{move || i18n.t().glossary_title}</summary>
                <dl>
                    {ordered.into_iter().map(|entry| view! {
                        <dt lang="fr">{entry.term.clone()}</dt>
                        <dd>{move || entry.definition.get(i18n.lang()).to_string()}</dd>
                    }).collect_view()}
                </dl>
            </details>
        }
    })
}
