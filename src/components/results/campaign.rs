use diagnostic::network::{ReleaseLevel, ValidationStatus};
use diagnostic::{outline, questionnaire, Lang, Scores};
use leptos::prelude::*;

use super::section::ResultsSection;
use crate::i18n::{use_i18n, I18n};
use crate::report::export::{file_name, to_csv, to_json, ExportInput};
use crate::stores::{use_local_store, LocalStore};

/// A date as the user's language writes it.
pub fn format_date(ms: f64, locale: &str) -> String {
    js_sys::Date::new(&ms.into())
        .to_locale_date_string(locale, &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

/// A date with its month in words, as the user's language writes it: « 2 décembre 2026 »,
/// « 2 December 2026 » (for a sentence such as « Chiffres du … »).
pub fn format_long_date(ms: f64, locale: &str) -> String {
    let options = js_sys::Object::new();
    for (key, value) in [("day", "numeric"), ("month", "long"), ("year", "numeric")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    js_sys::Date::new(&ms.into())
        .to_locale_date_string(locale, &options)
        .into()
}

/// A time of day (and the date when not today) as the user's language writes it.
pub fn format_time(ms: f64, locale: &str) -> String {
    let date = js_sys::Date::new(&ms.into());
    let today = js_sys::Date::new_0().to_date_string() == date.to_date_string();
    let time: String = date.to_locale_time_string(locale).into();
    let time = time
        .rsplit_once(':')
        .map_or(time.clone(), |(hm, _seconds)| hm.to_string());
    if today {
        time
    } else {
        format!("{} {time}", format_date(ms, locale))
    }
}

/// « Valider le diagnostic », the sharing choice and « nouvelle campagne ». In a town's space the
/// validation and the release are the town's synced acts ([`TownValidation`]); a phone on its own
/// keeps its local snapshot and sharing switch.
#[component]
pub fn CampaignActions() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let in_town_space = move || store.sync_info(|_| ()).is_some();
    view! {
        <ResultsSection
            id="valider-titre"
            class="no-print"
            title=Signal::derive(move || i18n.t().validate_title.to_string())
            summary=Signal::derive(move || i18n.t().section_validate_summary.to_string())
        >
            <Show when=in_town_space fallback=|| view! { <LocalValidation/> }>
                <TownValidation/>
            </Show>
            <h3>{move || i18n.t().campaign_new}</h3>
            <p>{move || i18n.t().campaign_new_hint}</p>
            <button type="button" class="button" on:click=move |_| { store.start_new_campaign(); }>
                {move || i18n.t().campaign_new}
            </button>
        </ResultsSection>
    }
}

/// The per-phone validation of a phone that is not in a town's space: a dated local snapshot.
#[component]
fn LocalValidation() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let validated = move || {
        store
            .campaign
            .with(|c| c.validated.as_ref().map(|s| s.validated_ms))
    };
    let draft = move || store.campaign.with(|c| c.edited_since_validation());
    view! {
        {move || validated().map(|ms| view! {
            <p data-testid="validated">{format!("{} {}", i18n.t().validated_on, format_date(ms, i18n.lang().code()))}</p>
        })}
        <Show when=draft>
            <p class="alert alert-warning">{move || i18n.t().validated_draft}</p>
        </Show>
        <p>{move || i18n.t().validate_intro}</p>
        <button type="button" class="button button-primary" on:click=move |_| store.validate_campaign()>
            {move || i18n.t().validate_button}
        </button>
        <div class="field checkbox-field">
            <input
                id="partage"
                type="checkbox"
                aria-describedby="partage-aide"
                prop:checked=move || store.campaign.with(|c| c.share_beyond_town)
                on:change=move |ev| store.set_share_beyond_town(event_target_checked(&ev))
            />
            <label for="partage">{move || i18n.t().share_label}</label>
            <p id="partage-aide" class="hint">{move || i18n.t().share_hint}</p>
        </div>
    }
}

/// The town's validation, read from its synced log: who validated and when, the questions
/// answered differently since, and the button for an administrator only (the server refuses the
/// operation from any other device).
#[component]
fn TownValidation() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let status = Memo::new(move |_| store.campaign.with(|c| c.town_validation(outline())));
    let who = move |device: &str| who(store, i18n, device);
    let question_title = move |id: &str| {
        questionnaire()
            .question(id)
            .map_or_else(|| id.to_string(), |q| q.text.get(i18n.lang()).to_string())
    };
    let shown = move || match status.get() {
        ValidationStatus::NotValidated => None,
        ValidationStatus::Validated {
            validation,
            changed,
            changed_unknown,
        } => {
            let line = format!(
                "{} {} {} {}",
                i18n.t().validated_on,
                format_date(validation.at_ms as f64, i18n.lang().code()),
                i18n.t().validated_by,
                who(&validation.by_device),
            );
            let changes = (!changed.is_empty()).then(|| {
                let items = changed
                    .iter()
                    .map(|id| view! { <li>{question_title(id)}</li> })
                    .collect_view();
                view! {
                    <div class="alert alert-warning" role="status" data-testid="validation-changed">
                        <p><strong>{i18n.t().validated_changed}</strong></p>
                        <ul>{items}</ul>
                    </div>
                }
            });
            let unknown = changed_unknown.then(|| {
                view! {
                    <p class="alert alert-warning" role="status" data-testid="validation-changed">
                        <strong>{i18n.t().validated_changed}</strong>" — "{i18n.t().validated_changed_unknown}
                    </p>
                }
            });
            Some(view! {
                <p data-testid="validated">{line}</p>
                {changes}
                {unknown}
            })
        }
    };
    let is_admin = move || store.is_town_admin();
    view! {
        {shown}
        <p>{move || i18n.t().validate_town_intro}</p>
        <Show
            when=is_admin
            fallback=move || view! { <p class="hint">{move || i18n.t().validate_admin_only}</p> }
        >
            <button type="button" class="button button-primary" on:click=move |_| store.validate_campaign()>
                {move || i18n.t().validate_button}
            </button>
        </Show>
        <TownRelease/>
    }
}

/// « Marie Dupont (maire) », « ce téléphone » or « un administrateur de la commune » for the
/// device that made a town's act.
fn who(store: LocalStore, i18n: I18n, device: &str) -> String {
    let this_phone = store.settings.with(|s| s.device_id == device);
    if this_phone {
        return i18n.t().validated_by_this_phone.to_string();
    }
    store
        .sync_info(|s| s.who(device))
        .flatten()
        .unwrap_or_else(|| i18n.t().validated_by_someone.to_string())
}

/// The town's sharing choice after validation: « Ne pas partager », « Partager anonymement »,
/// « Partager avec le nom de la commune », each with what it shows to whom. An administrator
/// chooses (choosing « Ne pas partager » after sharing withdraws); the other phones see the
/// choice. Recorded as synced `release:<campaign>` operations.
#[component]
fn TownRelease() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let state = Memo::new(move |_| store.campaign.with(|c| c.town_release()));
    let validated = move || state.with(|s| s.validation.is_some());
    let suspended = move || state.with(|s| s.suspended());
    let chosen = move || state.with(|s| s.effective);
    let refused = RwSignal::new(false);
    let explanation = move |level: Option<ReleaseLevel>| match (level, i18n.lang()) {
        (None, _) => i18n.t().release_none_hint,
        (Some(level), Lang::Fr) => level.explanation_fr(),
        (Some(level), _) => level.explanation_en(),
    };
    let label = move |level: Option<ReleaseLevel>| match level {
        None => i18n.t().release_none,
        Some(ReleaseLevel::Anonymous) => i18n.t().release_anonymous,
        Some(ReleaseLevel::Named) => i18n.t().release_named,
    };
    let choices = move || {
        let levels = [
            None,
            Some(ReleaseLevel::Anonymous),
            Some(ReleaseLevel::Named),
        ];
        levels
            .into_iter()
            .map(|level| {
                let value = level.map_or("none", ReleaseLevel::as_str);
                let id = format!("partage-{value}");
                let hint = format!("{id}-aide");
                let label_for = id.clone();
                view! {
                    <label class="choice" for=label_for>
                        <input
                            type="radio"
                            id=id
                            name="partage-commune"
                            value=value
                            aria-describedby=hint.clone()
                            disabled=move || !store.is_town_admin() || (level.is_some() && !validated())
                            prop:checked=move || chosen() == level
                            on:change=move |_| refused.set(!store.release_campaign(level))
                        />
                        <span>{move || label(level)}</span>
                    </label>
                    <p id=hint class="hint">{move || explanation(level)}</p>
                }
            })
            .collect_view()
    };
    let last_choice = move || {
        state.with(|s| {
            s.choice.as_ref().map(|c| {
                format!(
                    "{} {} {} {} : {}",
                    i18n.t().release_chosen_by,
                    format_date(c.at_ms as f64, i18n.lang().code()),
                    i18n.t().validated_by,
                    who(store, i18n, &c.by_device),
                    label(c.level),
                )
            })
        })
    };
    view! {
        <Show when=move || validated() || suspended()>
            <fieldset class="choice-group" data-testid="release">
                <legend>{move || i18n.t().release_legend}</legend>
                <p>{move || i18n.t().release_intro}</p>
                <Show when=suspended>
                    <p class="alert alert-warning" role="status">{move || i18n.t().release_suspended}</p>
                </Show>
                {choices}
                <p class="hint">{move || i18n.t().release_withdrawal}</p>
                <p data-testid="release-choice">{last_choice}</p>
                <p class="alert alert-warning" role="alert" hidden=move || !refused.get()>
                    {move || i18n.t().release_refused}
                </p>
            </fieldset>
        </Show>
    }
}

/// Print (one A4 page, see the print stylesheet) and the CSV and JSON downloads, all offline.
#[component]
pub fn ExportButtons(scores: Memo<Scores>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let export = move |json: bool| {
        let campaign = store.campaign.get_untracked();
        let town = store.settings.with_untracked(|s| s.town_name.clone());
        let scores = scores.get_untracked();
        let input = ExportInput {
            questionnaire: questionnaire(),
            campaign: &campaign,
            scores: &scores,
            town: &town,
            lang: i18n.lang.get_untracked(),
        };
        let (text, mime, ext) = if json {
            (to_json(&input), "application/json", "json")
        } else {
            (to_csv(&input), "text/csv;charset=utf-8", "csv")
        };
        crate::stores::browser::download(&file_name(&town, &campaign.id, ext), mime, &text);
    };
    view! {
        <ResultsSection
            id="export-titre"
            class="no-print"
            title=Signal::derive(move || i18n.t().export_title.to_string())
            summary=Signal::derive(move || i18n.t().section_export_summary.to_string())
        >
            <div class="export-buttons">
                <button type="button" class="button" on:click=move |_| print()>{move || i18n.t().export_print}</button>
                <button type="button" class="button" on:click=move |_| export(false)>{move || i18n.t().export_csv}</button>
                <button type="button" class="button" on:click=move |_| export(true)>{move || i18n.t().export_json}</button>
            </div>
        </ResultsSection>
    }
}

fn print() {
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}
