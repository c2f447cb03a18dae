//! The action atlas in the results (issue 12, item 5; docs/network.md « L'atlas des actions »):
//! under each suggested action, « Exemples de communes comparables » — published examples of
//! other towns, comparable towns first, from the phone's copy when offline — and, on a chosen
//! priority that is done, « Publier un exemple » for the town's administrators, with where the
//! town's example stands in moderation.

use diagnostic::association::codes;
use diagnostic::network::atlas::{MAX_PUBLIC_CONTACT_CHARS, MAX_ROLE_CHARS, MAX_WHAT_CHARS};
use diagnostic::network::{
    AtlasDraft, AtlasExample, AtlasStatus, CostBand, DurationBand, PartnerType,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::results::campaign::format_time;
use crate::i18n::{use_i18n, Lang};
use crate::stores::atlas::{self as cache, AtlasCache};
use crate::stores::use_local_store;
use crate::sync::api::{self, ApiError};
use crate::sync::engine::SyncEngine;

struct AtlasTexts {
    examples_title: &'static str,
    examples_from: &'static str,
    partner: &'static str,
    cost: &'static str,
    duration: &'static str,
    contact: &'static str,
    public_contact: &'static str,
    publish: &'static str,
    form_title: &'static str,
    form_explain: &'static str,
    what: &'static str,
    what_hint: &'static str,
    role: &'static str,
    role_hint: &'static str,
    public_label: &'static str,
    public_hint: &'static str,
    send: &'static str,
    cancel: &'static str,
    sending: &'static str,
    offline: &'static str,
    sent: &'static str,
    refused: &'static str,
    own_label: &'static str,
}

const FR: AtlasTexts = AtlasTexts {
    examples_title: "Exemples de communes comparables",
    examples_from: "Exemples du {date}",
    partner: "Avec qui",
    cost: "Coût",
    duration: "Durée",
    contact: "Fonction à contacter",
    public_contact: "Contact public",
    publish: "Publier un exemple",
    form_title: "Publier un exemple pour les autres communes",
    form_explain: "Votre exemple sera montré aux autres communes avec le nom de votre commune et \
        son département, après relecture par l'association. C'est la commune qui choisit de le \
        publier. N'y mettez pas de nom de personne : indiquez une fonction.",
    what: "Ce qui a été fait",
    what_hint: "Quelques phrases (10 à 600 caractères).",
    role: "Fonction à contacter",
    role_hint: "Par exemple « Secrétaire de mairie ». Pas de nom de personne.",
    public_label: "Contact public (facultatif, déconseillé)",
    public_hint: "Visible par toutes les communes. Préférez l'adresse générique de la mairie à \
        celle d'une personne, ou laissez vide.",
    send: "Envoyer à l'association",
    cancel: "Annuler",
    sending: "Envoi…",
    offline: "Pas de connexion : réessayez une fois en ligne.",
    sent: "Exemple envoyé : il sera visible après relecture par l'association.",
    refused: "Refusé : {reason}",
    own_label: "Votre exemple :",
};

const EN: AtlasTexts = AtlasTexts {
    examples_title: "Examples from comparable towns",
    examples_from: "Examples as of {date}",
    partner: "With whom",
    cost: "Cost",
    duration: "Duration",
    contact: "Role to contact",
    public_contact: "Public contact",
    publish: "Publish an example",
    form_title: "Publish an example for other towns",
    form_explain: "Your example will be shown to other towns with your town's name and its \
        département, once the association has read it. Publishing it is the town's choice. Do \
        not write anyone's name: give a role.",
    what: "What was done",
    what_hint: "A few sentences (10 to 600 characters).",
    role: "Role to contact",
    role_hint: "For example « Secrétaire de mairie ». No one's name.",
    public_label: "Public contact (optional, discouraged)",
    public_hint: "Visible to every town. Prefer the town hall's generic address to a person's, \
        or leave empty.",
    send: "Send to the association",
    cancel: "Cancel",
    sending: "Sending…",
    offline: "No connection: try again once online.",
    sent: "Example sent: it will be visible once the association has read it.",
    refused: "Refused: {reason}",
    own_label: "Your example:",
};

fn texts(lang: Lang) -> &'static AtlasTexts {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

/// Attempts again when the server has not yet received the « done » status, and the wait
/// between them (the sync engine pushes a change 1.5 s after it is made).
const PLAN_RETRIES: usize = 3;
const PLAN_RETRY_MS: i32 = 2_000;

/// Waits `ms` milliseconds (a timer of the page, without blocking it).
async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The atlas as the results page holds it: the phone's copy, refreshed when online.
#[derive(Clone, Copy)]
pub struct Atlas {
    cache: RwSignal<AtlasCache>,
}

impl Atlas {
    fn update(&self, change: impl FnOnce(&mut AtlasCache)) {
        self.cache.update(change);
        self.cache.with_untracked(cache::save);
    }
}

/// Reads the phone's copy for the enrolled town and asks the server for fresh pages; offline,
/// the copy stays as it is. Nothing for a phone outside a town's space.
pub fn provide_atlas() -> Atlas {
    let store = use_local_store();
    let town = store
        .sync_info(|s| s.town.commune.code.clone())
        .unwrap_or_default();
    let atlas = Atlas {
        cache: RwSignal::new(if town.is_empty() {
            AtlasCache::new("")
        } else {
            cache::load(&town)
        }),
    };
    provide_context(atlas);
    if let Some(token) = store.token().filter(|_| !town.is_empty()) {
        spawn_local(async move {
            let (published, own) = (api::atlas(&token).await, api::atlas_own(&token).await);
            atlas.update(|cache| {
                if let Ok(page) = published {
                    cache.published = page;
                }
                if let Ok(page) = own {
                    cache.own = page;
                }
            });
        });
    }
    atlas
}

fn fact(label: &'static str, value: String) -> impl IntoView {
    view! { <dt>{label}</dt><dd>{value}</dd> }
}

/// « Exemples de communes comparables » for `question`: nothing at all when the town has none
/// to read (a phone outside a town's space has no atlas).
#[component]
pub fn AtlasExamples(question: String) -> impl IntoView {
    let i18n = use_i18n();
    let Some(atlas) = use_context::<Atlas>() else {
        return ().into_any();
    };
    let heading = format!("atlas-{question}");
    let examples = {
        let question = question.clone();
        Memo::new(move |_| atlas.cache.with(|c| c.examples_for(&question)))
    };
    let fetched = move || atlas.cache.with(|c| c.published.fetched_ms);
    view! {
        <Show when=move || !examples.with(Vec::is_empty)>
            <section class="atlas" aria-labelledby=heading.clone()>
                <h4 id=heading.clone()>{move || texts(i18n.lang()).examples_title}</h4>
                <p class="hint">{move || {
                    let lang = i18n.lang();
                    texts(lang).examples_from.replace("{date}", &format_time(fetched() as f64, lang.code()))
                }}</p>
                <ul class="atlas-list">
                    {move || examples.get().into_iter().map(|example| view! { <ExampleItem example=example/> }).collect_view()}
                </ul>
            </section>
        </Show>
    }
    .into_any()
}

#[component]
fn ExampleItem(example: AtlasExample) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let lang = i18n.lang();
        let t = texts(lang);
        let e = example.clone();
        view! {
            <li class="atlas-example">
                <p class="atlas-town"><strong>{e.town.display()}</strong></p>
                <p class="atlas-what">{e.what.clone()}</p>
                <dl class="facts">
                    {fact(t.partner, e.partner.label(lang).to_string())}
                    {fact(t.cost, e.cost.label(lang).to_string())}
                    {fact(t.duration, e.duration.label(lang).to_string())}
                    {fact(t.contact, e.contact_role.clone())}
                    {e.public_contact.clone().map(|contact| fact(t.public_contact, contact))}
                </dl>
            </li>
        }
    }
}

/// On a chosen priority: where the town's example stands, and « Publier un exemple » when the
/// priority is done and this phone is an administrator's.
#[component]
pub fn PublishExample(question: String, done: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let Some(atlas) = use_context::<Atlas>() else {
        return ().into_any();
    };
    let open = RwSignal::new(false);
    let announce = RwSignal::new(None::<String>);
    let own = {
        let question = question.clone();
        Memo::new(move |_| atlas.cache.with(|c| c.own_for(&question)))
    };
    // A refused example may be sent again, corrected; one waiting or published is enough.
    let may_publish = move || {
        done.get()
            && store.is_town_admin()
            && own.with(|o| o.as_ref().is_none_or(|e| e.status == AtlasStatus::Refused))
    };
    let status_line = move || {
        own.get().map(|example| {
            let lang = i18n.lang();
            let t = texts(lang);
            let status = match (&example.status, &example.refusal) {
                (AtlasStatus::Refused, Some(reason)) => t.refused.replace("{reason}", reason),
                (status, _) => status.label(lang).to_string(),
            };
            view! { <p class="atlas-own" data-testid="atlas-status">{t.own_label} " " <strong>{status}</strong></p> }
        })
    };
    let form_id = format!("atlas-form-{question}");
    let engine = use_context::<SyncEngine>();
    let open_form = move |_: leptos::ev::MouseEvent| {
        // The « done » status must reach the server before the example does: send it now,
        // while the form is filled in.
        if let Some(engine) = engine {
            engine.sync_now();
        }
        announce.set(None);
        open.set(true);
    };
    view! {
        <div class="atlas-publish">
            {status_line}
            <p role="status" class="alert alert-info" hidden=move || announce.with(Option::is_none)>{move || announce.get()}</p>
            <Show when=move || may_publish() && !open.get()>
                <button type="button" class="button"
                    on:click=open_form>{move || texts(i18n.lang()).publish}</button>
            </Show>
            <Show when=move || open.get()>
                <ExampleForm question=question.clone() form_id=form_id.clone() open=open announce=announce atlas=atlas/>
            </Show>
        </div>
    }
    .into_any()
}

#[component]
fn ExampleForm(
    question: String,
    form_id: String,
    open: RwSignal<bool>,
    announce: RwSignal<Option<String>>,
    atlas: Atlas,
) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let what = RwSignal::new(String::new());
    let partner = RwSignal::new(PartnerType::Internal);
    let cost = RwSignal::new(CostBand::Free);
    let duration = RwSignal::new(DurationBand::UnderMonth);
    let role = RwSignal::new(String::new());
    let public_contact = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let engine = use_context::<SyncEngine>();
    // The button that opened the form is gone: focus moves to the form's first field.
    let what_ref = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(field) = what_ref.get() {
            let _ = field.focus();
        }
    });
    let id = |field: &str| format!("{form_id}-{field}");
    let (what_id, partner_id, cost_id, duration_id, role_id, contact_id) = (
        id("quoi"),
        id("partenaire"),
        id("cout"),
        id("duree"),
        id("fonction"),
        id("contact"),
    );
    let title_id = id("titre");
    let submit = {
        let question = question.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(token) = store.token() else {
                return;
            };
            let lang = i18n.lang.get_untracked();
            let draft = AtlasDraft {
                campaign: store.campaign.with_untracked(|c| c.id.clone()),
                question: question.clone(),
                what: what.get_untracked(),
                partner: partner.get_untracked(),
                cost: cost.get_untracked(),
                duration: duration.get_untracked(),
                contact_role: role.get_untracked(),
                public_contact: Some(public_contact.get_untracked())
                    .filter(|c| !c.trim().is_empty()),
            };
            busy.set(true);
            spawn_local(async move {
                let mut result = api::atlas_submit(&token, &draft).await;
                // « Fait » was just chosen and may not have reached the server yet: send it and
                // try again, a few times, before saying so.
                for _ in 0..PLAN_RETRIES {
                    if !matches!(&result, Err(e) if e.is(codes::PLAN_NOT_DONE)) {
                        break;
                    }
                    if let Some(engine) = engine {
                        engine.sync_now();
                    }
                    pause(PLAN_RETRY_MS).await;
                    result = api::atlas_submit(&token, &draft).await;
                }
                match result {
                    Ok(example) => {
                        atlas.update(|cache| cache.own.examples.insert(0, example));
                        error.set(None);
                        open.set(false);
                        announce.set(Some(texts(lang).sent.to_string()));
                    }
                    Err(ApiError::Unreachable) => error.set(Some(texts(lang).offline.to_string())),
                    Err(other) => error.set(Some(other.message())),
                }
                busy.set(false);
            });
        }
    };
    let select = move |field_id: String,
                       label: fn(&AtlasTexts) -> &'static str,
                       ids: Vec<&'static str>,
                       label_of: fn(&str, Lang) -> &'static str,
                       on_pick: Callback<String>| {
        view! {
            <div class="field">
                <label for=field_id.clone()>{move || label(texts(i18n.lang()))}</label>
                <select id=field_id on:change=move |ev| on_pick.run(event_target_value(&ev))>
                    {ids.into_iter().map(|value| view! {
                        <option value=value>{move || label_of(value, i18n.lang())}</option>
                    }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <form id=form_id class="atlas-form card" aria-labelledby=title_id.clone() on:submit=submit novalidate>
            <h4 id=title_id.clone()>{move || texts(i18n.lang()).form_title}</h4>
            <p>{move || texts(i18n.lang()).form_explain}</p>
            <div class="field">
                <label for=what_id.clone()>{move || texts(i18n.lang()).what}</label>
                <textarea node_ref=what_ref id=what_id.clone() rows="4" maxlength=MAX_WHAT_CHARS.to_string() required
                    aria-describedby=format!("{what_id}-aide")
                    prop:value=move || what.get() on:input=move |ev| what.set(event_target_value(&ev))></textarea>
                <p class="hint" id=format!("{what_id}-aide")>{move || texts(i18n.lang()).what_hint}</p>
            </div>
            {select(partner_id, |t| t.partner, PartnerType::ALL.iter().map(|c| c.id()).collect(),
                |id, lang| PartnerType::parse(id).map_or("", |c| c.label(lang)),
                Callback::new(move |v: String| if let Some(p) = PartnerType::parse(&v) { partner.set(p) }))}
            {select(cost_id, |t| t.cost, CostBand::ALL.iter().map(|c| c.id()).collect(),
                |id, lang| CostBand::parse(id).map_or("", |c| c.label(lang)),
                Callback::new(move |v: String| if let Some(c) = CostBand::parse(&v) { cost.set(c) }))}
            {select(duration_id, |t| t.duration, DurationBand::ALL.iter().map(|c| c.id()).collect(),
                |id, lang| DurationBand::parse(id).map_or("", |c| c.label(lang)),
                Callback::new(move |v: String| if let Some(d) = DurationBand::parse(&v) { duration.set(d) }))}
            <div class="field">
                <label for=role_id.clone()>{move || texts(i18n.lang()).role}</label>
                <input id=role_id.clone() type="text" maxlength=MAX_ROLE_CHARS.to_string() required
                    aria-describedby=format!("{role_id}-aide")
                    prop:value=move || role.get() on:input=move |ev| role.set(event_target_value(&ev))/>
                <p class="hint" id=format!("{role_id}-aide")>{move || texts(i18n.lang()).role_hint}</p>
            </div>
            <div class="field">
                <label for=contact_id.clone()>{move || texts(i18n.lang()).public_label}</label>
                <input id=contact_id.clone() type="text" maxlength=MAX_PUBLIC_CONTACT_CHARS.to_string()
                    aria-describedby=format!("{contact_id}-aide")
                    prop:value=move || public_contact.get() on:input=move |ev| public_contact.set(event_target_value(&ev))/>
                <p class="hint" id=format!("{contact_id}-aide")>{move || texts(i18n.lang()).public_hint}</p>
            </div>
            <p role="alert" class="form-error">{move || error.get()}</p>
            <div class="atlas-actions">
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {move || if busy.get() { texts(i18n.lang()).sending } else { texts(i18n.lang()).send }}
                </button>
                <button type="button" class="button" on:click=move |_| open.set(false)>{move || texts(i18n.lang()).cancel}</button>
            </div>
        </form>
    }
}
