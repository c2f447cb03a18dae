//! The association's console (`/association`): its operators verify the towns' spaces, decide
//! access requests, remove phones, issue recovery invitations and read the audit log. In the
//! `association` chunk of its own (src/chunks.rs), which a town's phone never downloads: it is
//! neither prefetched nor precached. The operator token lives under its own key
//! (`stores::schema::OPERATOR_KEY`) and is only ever sent to `/api/operator/…`.

mod atlas;
mod dashboard;
mod map;
mod map_texts;
mod texts;

use diagnostic::association::{
    codes, AccessRequest, AuditEntry, DecisionKind, RequestStatus, TownDetail, TownStatus,
    TownSummary,
};
use diagnostic::sync::{Device, Invite};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::invite_card::InviteCard;
use crate::components::page_heading::PageHeading;
use crate::components::results::campaign::format_time;
use crate::i18n::thousands;
use crate::i18n::{role_label, use_i18n, Lang};
use crate::stores::schema::OperatorSettings;
use crate::stores::use_local_store;
use crate::sync::api::{self, ApiError};
pub use texts::{action_label, console_texts, fill, status_label, ConsoleTexts};

/// What every part of the console shares: the operator's token, and the way to say it was refused.
#[derive(Clone, Copy)]
struct Console {
    token: StoredValue<String>,
    /// Set on a 401: the operator was removed or is unknown; the console gives way to a message.
    lost: RwSignal<bool>,
    /// Bumped after each decision, so every list reads the server again.
    version: RwSignal<u32>,
    /// The town whose detail is open.
    town: RwSignal<Option<i64>>,
    /// The act waiting for confirmation, and the sentence said once it is done.
    action: RwSignal<Option<Action>>,
    done: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
}

impl Console {
    fn token(&self) -> String {
        self.token.get_value()
    }

    /// The sentence for a failed call; a 401 ends the session.
    fn failed(&self, error: &ApiError, lang: Lang) -> String {
        if error.is_revoked() {
            self.lost.set(true);
        }
        match error {
            ApiError::Unreachable => console_texts(lang).offline.to_string(),
            other => other.message(),
        }
    }
}

fn texts() -> &'static ConsoleTexts {
    console_texts(use_i18n().lang.get())
}

fn date(ms: u64, lang: Lang) -> String {
    format_time(ms as f64, lang.code())
}

/// `/association`: the console, or why it cannot be shown.
#[component]
pub fn ConsolePage() -> impl IntoView {
    let store = use_local_store();
    let operator = RwSignal::new(store.operator());
    let lost = RwSignal::new(false);
    Effect::new(move |_| {
        if lost.get() {
            store.forget_operator();
            operator.set(None);
        }
    });
    view! {
        <PageHeading title=Signal::derive(move || texts().title.to_string())/>
        {move || match operator.get() {
            Some(settings) => view! {
                <ConsoleBody settings=settings lost=lost
                    sign_out=Callback::new(move |()| { store.forget_operator(); operator.set(None); })/>
            }.into_any(),
            None => view! {
                <div class="card" data-testid="console-closed">
                    {move || if lost.get() {
                        view! {
                            <p class="alert alert-error" role="alert">{texts().lost}</p>
                            <p>{texts().enrol_again}</p>
                        }.into_any()
                    } else {
                        view! { <p>{texts().not_enrolled}</p> }.into_any()
                    }}
                </div>
            }.into_any(),
        }}
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Decide,
    Towns,
    Journal,
    Dashboard,
    Atlas,
}

#[component]
fn ConsoleBody(
    settings: OperatorSettings,
    lost: RwSignal<bool>,
    sign_out: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let console = Console {
        token: StoredValue::new(settings.token.clone()),
        lost,
        version: RwSignal::new(0),
        town: RwSignal::new(None),
        action: RwSignal::new(None),
        done: RwSignal::new(None),
        error: RwSignal::new(None),
    };
    provide_context(console);
    // Is the operator still known? A removed one is told at once, not at the first act.
    spawn_local(async move {
        if let Err(e) = api::operator_me(&console.token()).await {
            console.failed(&e, i18n.lang.get_untracked());
        }
    });
    let section = RwSignal::new(Section::Decide);
    let tab = move |which: Section, label: fn(&ConsoleTexts) -> &'static str| {
        view! {
            <li><button type="button" class="button" aria-pressed=move || (section.get() == which).to_string()
                on:click=move |_| { section.set(which); console.town.set(None); }>{move || label(texts())}</button></li>
        }
    };
    view! {
        <p>{move || texts().intro}</p>
        <p class="hint">{move || texts().signed_in_as} " " <strong>{settings.operator.name.clone()}</strong>
            " (" {settings.device_name.clone()} ") "
            <button type="button" class="button" on:click=move |_| sign_out.run(())>{move || texts().sign_out}</button>
        </p>
        <nav aria-label=move || texts().sections class="console-nav">
            <ul>
                {tab(Section::Decide, |t| t.to_decide)}
                {tab(Section::Towns, |t| t.towns)}
                {tab(Section::Journal, |t| t.journal)}
                <li><button type="button" class="button" aria-pressed=move || (section.get() == Section::Dashboard).to_string()
                    on:click=move |_| { section.set(Section::Dashboard); console.town.set(None); }>
                    {move || texts::dashboard_texts(i18n.lang.get()).tab}</button></li>
                <li><button type="button" class="button" aria-pressed=move || (section.get() == Section::Atlas).to_string()
                    on:click=move |_| { section.set(Section::Atlas); console.town.set(None); }>
                    {move || atlas::atlas_texts(i18n.lang.get()).tab}</button></li>
            </ul>
        </nav>
        <p role="status" class="alert alert-info" data-testid="console-done" hidden=move || console.done.with(Option::is_none)>
            {move || console.done.get()}
        </p>
        <p role="alert" class="form-error">{move || console.error.get()}</p>
        {move || match (console.town.get(), section.get()) {
            (Some(town), _) => view! { <TownView town=town/> }.into_any(),
            (None, Section::Decide) => view! { <DecideView/> }.into_any(),
            (None, Section::Towns) => view! { <TownsView/> }.into_any(),
            (None, Section::Journal) => view! { <JournalView/> }.into_any(),
            (None, Section::Dashboard) => view! { <dashboard::DashboardView/> }.into_any(),
            (None, Section::Atlas) => view! { <atlas::AtlasView/> }.into_any(),
        }}
        <ActionDialog/>
    }
}

// ------------------------------------------------------------------------------------------------
// Acts, each confirmed in a dialog that says what it does

#[derive(Clone, PartialEq)]
enum Action {
    Verify(TownSummary),
    Reject(TownSummary),
    Decide(AccessRequest, DecisionKind),
    RemoveDevice(TownSummary, Device),
}

impl Action {
    /// Title, explanation, confirming button, and the sentence once done.
    fn words(&self, lang: Lang) -> (String, String, String, String) {
        let t = console_texts(lang);
        match self {
            Action::Verify(town) => {
                let v = [("commune", town.commune.name.as_str())];
                (
                    fill(t.confirm_verify_title, &v),
                    fill(t.confirm_verify, &v),
                    t.verify.into(),
                    fill(t.done_verify, &v),
                )
            }
            Action::Reject(town) => {
                let v = [("commune", town.commune.name.as_str())];
                (
                    fill(t.confirm_reject_title, &v),
                    fill(t.confirm_reject, &v),
                    t.reject.into(),
                    fill(t.done_reject, &v),
                )
            }
            Action::Decide(request, kind) => {
                let v = [
                    ("commune", request.commune.name.as_str()),
                    ("name", request.name.as_str()),
                    ("role", role_label(request.role, lang)),
                ];
                let (title, explain, confirm, done) = match kind {
                    DecisionKind::Join => {
                        (t.confirm_join_title, t.confirm_join, t.join, t.done_join)
                    }
                    DecisionKind::Replace => (
                        t.confirm_replace_title,
                        t.confirm_replace,
                        t.replace,
                        t.done_replace,
                    ),
                    DecisionKind::Refuse => (
                        t.confirm_refuse_title,
                        t.confirm_refuse,
                        t.refuse,
                        t.done_refuse,
                    ),
                };
                (
                    fill(title, &v),
                    fill(explain, &v),
                    confirm.into(),
                    fill(done, &v),
                )
            }
            Action::RemoveDevice(town, device) => {
                let v = [
                    ("commune", town.commune.name.as_str()),
                    ("name", device.name.as_str()),
                ];
                (
                    fill(t.confirm_remove_title, &v),
                    fill(t.confirm_remove, &v),
                    t.remove.into(),
                    fill(t.done_remove, &v),
                )
            }
        }
    }

    async fn run(&self, token: &str) -> Result<(), ApiError> {
        match self {
            Action::Verify(town) => api::operator_verify(token, town.id).await.map(|_| ()),
            Action::Reject(town) => api::operator_reject(token, town.id).await.map(|_| ()),
            Action::Decide(request, kind) => api::operator_decide(token, request.id, *kind)
                .await
                .map(|_| ()),
            Action::RemoveDevice(town, device) => {
                api::operator_remove_device(token, town.id, &device.id).await
            }
        }
    }
}

#[component]
fn ActionDialog() -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    // The dialog opens when an act is chosen, and the act is dropped when the dialog closes
    // (confirmed, cancelled or Escape). Each side writes only on a change: a signal notifies
    // even when set to the value it has, and the two would wake each other forever.
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let chosen = console.action.with(Option::is_some);
        if chosen != open.get_untracked() {
            open.set(chosen);
        }
    });
    Effect::new(move |_| {
        if !open.get() && console.action.with_untracked(Option::is_some) {
            console.action.set(None);
        }
    });
    let words = move |pick: fn((String, String, String, String)) -> String| {
        console
            .action
            .with(|a| a.as_ref().map(|a| pick(a.words(i18n.lang()))))
            .unwrap_or_default()
    };
    let confirm = Callback::new(move |()| {
        let Some(action) = console.action.get_untracked() else {
            return;
        };
        let lang = i18n.lang.get_untracked();
        spawn_local(async move {
            match action.run(&console.token()).await {
                Ok(()) => {
                    console.error.set(None);
                    console.done.set(Some(action.words(lang).3));
                }
                Err(e) => {
                    console.done.set(None);
                    console.error.set(Some(console.failed(&e, lang)));
                }
            }
            console.version.update(|v| *v += 1);
        });
    });
    let danger = Signal::derive(move || {
        console.action.with(|a| {
            !matches!(
                a,
                Some(Action::Verify(_)) | Some(Action::Decide(_, DecisionKind::Join))
            )
        })
    });
    view! {
        <ConfirmDialog open=open id="console-action".to_string()
            title=Signal::derive(move || words(|w| w.0))
            explain=Signal::derive(move || words(|w| w.1))
            confirm=Signal::derive(move || words(|w| w.2))
            cancel=Signal::derive(move || texts().cancel.to_string())
            on_confirm=confirm danger=danger/>
    }
}

// ------------------------------------------------------------------------------------------------
// À décider

/// Reads with `fetch` each time the console's version changes; `None` while loading.
fn fetched<T, F, Fut>(fetch: F) -> RwSignal<Option<T>>
where
    T: Send + Sync + 'static,
    F: Fn(String) -> Fut + Copy + 'static,
    Fut: std::future::Future<Output = Result<T, ApiError>> + 'static,
{
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let value = RwSignal::new(None);
    Effect::new(move |_| {
        console.version.track();
        let token = console.token();
        spawn_local(async move {
            match fetch(token).await {
                Ok(v) => value.set(Some(v)),
                Err(e) => console
                    .error
                    .set(Some(console.failed(&e, i18n.lang.get_untracked()))),
            }
        });
    });
    value
}

#[component]
fn DecideView() -> impl IntoView {
    let pending = fetched(|token| async move {
        api::operator_towns(&token, "", "", Some(TownStatus::Pending), 100).await
    });
    let requests = fetched(|token| async move { api::operator_requests(&token).await });
    view! {
        <section aria-labelledby="a-verifier" class="card" data-testid="pending-spaces">
            <h2 id="a-verifier">{move || texts().pending_spaces}</h2>
            {move || match pending.get() {
                None => view! { <p>{texts().loading}</p> }.into_any(),
                Some(list) if list.towns.is_empty() => view! { <p>{texts().no_pending_spaces}</p> }.into_any(),
                Some(list) => view! {
                    <ul class="console-list">
                        {list.towns.into_iter().map(|town| view! { <TownItem town=town decide=true/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
        <section aria-labelledby="demandes" class="card" data-testid="access-requests">
            <h2 id="demandes">{move || texts().requests}</h2>
            {move || match requests.get() {
                None => view! { <p>{texts().loading}</p> }.into_any(),
                Some(list) if list.requests.is_empty() => view! { <p>{texts().no_requests}</p> }.into_any(),
                Some(list) => view! {
                    <ul class="console-list">
                        {list.requests.into_iter().map(|request| view! { <RequestItem request=request/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn RequestItem(request: AccessRequest) -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let line = {
        let request = request.clone();
        move || {
            let lang = i18n.lang();
            fill(
                texts().request_line,
                &[
                    ("name", &request.name),
                    ("role", role_label(request.role, lang)),
                    (
                        "commune",
                        &format!("{} ({})", request.commune.name, request.commune.departement),
                    ),
                    ("date", &date(request.created_ms, lang)),
                ],
            )
        }
    };
    let town = request.town_id;
    let decide = move |kind: DecisionKind,
                       label: fn(&ConsoleTexts) -> &'static str,
                       class: &'static str| {
        let request = request.clone();
        view! {
            <button type="button" class=class
                on:click=move |_| console.action.set(Some(Action::Decide(request.clone(), kind)))>{move || label(texts())}</button>
        }
    };
    view! {
        <li class="console-item">
            <p>{line}</p>
            <div class="console-actions">
                {decide(DecisionKind::Join, |t| t.join, "button button-primary")}
                {decide(DecisionKind::Replace, |t| t.replace, "button button-danger")}
                {decide(DecisionKind::Refuse, |t| t.refuse, "button")}
                <button type="button" class="button" on:click=move |_| console.town.set(Some(town))>
                    {move || texts().claimed_space}
                </button>
            </div>
        </li>
    }
}

/// One town in a list: status, inhabitants, devices, last seen; « Ouvrir », and when `decide`,
/// « Vérifier » and « Refuser ».
#[component]
fn TownItem(town: TownSummary, #[prop(optional)] decide: bool) -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let id = town.id;
    let name = town.commune.name.clone();
    let facts = {
        let town = town.clone();
        move || {
            let lang = i18n.lang();
            let t = texts();
            format!(
                "{} {} · {} {} · {} : {}",
                thousands(town.commune.population, lang),
                t.inhabitants,
                town.active_devices,
                t.devices_count,
                t.last_seen,
                town.last_seen_ms
                    .map_or_else(|| t.never.to_string(), |ms| date(ms, lang)),
            )
        }
    };
    let status = town.status;
    let verify = town.clone();
    let reject = town.clone();
    view! {
        <li class="console-item" data-testid="town-item">
            <h3>{format!("{} ({}, {})", town.commune.name, town.commune.code, town.commune.departement)}</h3>
            <p><span class=format!("badge status-{}", status.as_str())>{move || status_label(status, i18n.lang())}</span>
                " " {move || format!("{} {}", texts().created, date(town.created_ms, i18n.lang()))}</p>
            <p class="hint">{facts}</p>
            <div class="console-actions">
                {(decide && status == TownStatus::Pending).then(|| view! {
                    <button type="button" class="button button-primary"
                        on:click=move |_| console.action.set(Some(Action::Verify(verify.clone())))>{move || texts().verify}</button>
                    <button type="button" class="button button-danger"
                        on:click=move |_| console.action.set(Some(Action::Reject(reject.clone())))>{move || texts().reject}</button>
                })}
                <button type="button" class="button" aria-label=move || format!("{} {name}", texts().open)
                    on:click=move |_| console.town.set(Some(id))>{move || texts().open}</button>
            </div>
        </li>
    }
}

// ------------------------------------------------------------------------------------------------
// Communes

#[component]
fn TownsView() -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let query = RwSignal::new(String::new());
    let departement = RwSignal::new(String::new());
    let status = RwSignal::new(None::<TownStatus>);
    let asked = RwSignal::new((String::new(), String::new(), None::<TownStatus>));
    let list = RwSignal::new(None);
    Effect::new(move |_| {
        console.version.track();
        let (q, d, s) = asked.get();
        let token = console.token();
        spawn_local(async move {
            match api::operator_towns(&token, &q, &d, s, 100).await {
                Ok(found) => list.set(Some(found)),
                Err(e) => console
                    .error
                    .set(Some(console.failed(&e, i18n.lang.get_untracked()))),
            }
        });
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        asked.set((
            query.get_untracked(),
            departement.get_untracked(),
            status.get_untracked(),
        ));
    };
    view! {
        <section aria-labelledby="communes" class="card">
            <h2 id="communes">{move || texts().towns}</h2>
            <form role="search" on:submit=submit class="console-search">
                <div class="field">
                    <label for="console-recherche">{move || texts().search_label}</label>
                    <input id="console-recherche" type="search" prop:value=move || query.get()
                        on:input=move |ev| query.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="console-departement">{move || texts().departement_filter}</label>
                    <input id="console-departement" type="text" inputmode="text" maxlength="3" autocomplete="off"
                        prop:value=move || departement.get() on:input=move |ev| departement.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="console-etat">{move || texts().status_filter}</label>
                    <select id="console-etat" on:change=move |ev| status.set(TownStatus::parse(&event_target_value(&ev)))>
                        <option value="">{move || texts().all_statuses}</option>
                        {[TownStatus::Pending, TownStatus::Verified, TownStatus::Rejected].into_iter().map(|s| view! {
                            <option value=s.as_str()>{move || status_label(s, i18n.lang())}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button button-primary">{move || texts().search}</button>
            </form>
            {move || match list.get() {
                None => view! { <p>{texts().loading}</p> }.into_any(),
                Some(found) if found.towns.is_empty() => view! { <p role="status">{texts().no_town}</p> }.into_any(),
                Some(found) => view! {
                    <p role="status">{format!("{} {}", thousands(found.total, i18n.lang()), texts().found)}</p>
                    <ul class="console-list" data-testid="towns">
                        {found.towns.into_iter().map(|town| view! { <TownItem town=town decide=true/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

// ------------------------------------------------------------------------------------------------
// A town's detail

#[component]
fn TownView(town: i64) -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let detail = fetched(move |token| async move { api::operator_town(&token, town).await });
    let invite = RwSignal::new(None::<Invite>);
    let recovery = move |_| {
        let token = console.token();
        spawn_local(async move {
            match api::operator_recovery(&token, town).await {
                Ok(created) => {
                    console.error.set(None);
                    invite.set(Some(created));
                    console.version.update(|v| *v += 1);
                }
                Err(e) => console
                    .error
                    .set(Some(console.failed(&e, i18n.lang.get_untracked()))),
            }
        });
    };
    view! {
        <p><button type="button" class="button" on:click=move |_| console.town.set(None)>{move || texts().back}</button></p>
        {move || match detail.get() {
            None => view! { <p>{texts().loading}</p> }.into_any(),
            Some(TownDetail { town: summary, devices, requests }) => {
                let lang = i18n.lang();
                let t = texts();
                let status = summary.status;
                let verify = summary.clone();
                let reject = summary.clone();
                view! {
                    <section aria-labelledby="commune-detail" class="card" data-testid="town-detail">
                        <h2 id="commune-detail">{summary.commune.name.clone()}</h2>
                        <dl class="facts">
                            <dt>{t.status}</dt>
                            <dd data-testid="town-detail-status">{status_label(status, lang)}</dd>
                            <dt>{t.insee}</dt>
                            <dd>{summary.commune.code.clone()}</dd>
                            <dt>{t.departement}</dt>
                            <dd>{format!("{}{}", summary.commune.departement,
                                summary.commune.departement_name.clone().map(|n| format!(" — {n}")).unwrap_or_default())}</dd>
                            <dt>{t.inhabitants}</dt>
                            <dd>{format!("{} {}", thousands(summary.commune.population, lang), t.inhabitants)}</dd>
                            <dt>{t.created}</dt>
                            <dd>{date(summary.created_ms, lang)}</dd>
                        </dl>
                        {(status == TownStatus::Pending).then(|| view! {
                            <div class="console-actions">
                                <button type="button" class="button button-primary"
                                    on:click=move |_| console.action.set(Some(Action::Verify(verify.clone())))>{t.verify}</button>
                                <button type="button" class="button button-danger"
                                    on:click=move |_| console.action.set(Some(Action::Reject(reject.clone())))>{t.reject}</button>
                            </div>
                        })}
                    </section>
                    <section aria-labelledby="commune-telephones" class="card">
                        <h2 id="commune-telephones">{t.devices}</h2>
                        {devices.is_empty().then(|| view! { <p>{t.no_devices}</p> })}
                        <ul class="device-list" data-testid="town-devices">
                            {devices.into_iter().map(|device| {
                                let seen = device.last_seen_ms.map_or_else(|| t.never.to_string(), |ms| date(ms, lang));
                                let removed = device.revoked_ms.map(|ms| format!(" — {} {}", t.removed, date(ms, lang)));
                                let active = device.revoked_ms.is_none();
                                let admin = device.admin && active;
                                let name = device.name.clone();
                                let act = Action::RemoveDevice(summary.clone(), device.clone());
                                view! {
                                    <li>
                                        <span>{format!("{} — {}", device.name, role_label(device.role, lang))}</span>
                                        {admin.then(|| view! { <span class="badge">{t.admin}</span> })}
                                        <span class="hint">{format!(" · {} : {seen}", t.last_seen)}{removed}</span>
                                        {active.then(|| view! {
                                            <button type="button" class="button button-danger" aria-label=format!("{} {name}", t.remove)
                                                on:click=move |_| console.action.set(Some(act.clone()))>{t.remove}</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                    {(!requests.is_empty()).then(|| view! {
                        <section aria-labelledby="commune-demandes" class="card">
                            <h2 id="commune-demandes">{t.town_requests}</h2>
                            <ul>
                                {requests.into_iter().map(|r| {
                                    let state = match r.status {
                                        RequestStatus::Pending => t.request_pending,
                                        RequestStatus::Joined => t.request_joined,
                                        RequestStatus::Replaced => t.request_replaced,
                                        RequestStatus::Refused => t.request_refused,
                                    };
                                    view! { <li>{format!("{} ({}) — {} — {state}", r.name, role_label(r.role, lang), date(r.created_ms, lang))}</li> }
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                }.into_any()
            }
        }}
        <section aria-labelledby="secours" class="card">
            <h2 id="secours">{move || texts().recovery}</h2>
            <p>{move || texts().recovery_explain}</p>
            <button type="button" class="button button-primary" on:click=recovery>{move || texts().recovery_button}</button>
            {move || invite.get().map(|invite| view! { <InviteCard invite=invite/> })}
        </section>
    }
}

// ------------------------------------------------------------------------------------------------
// Journal

const JOURNAL_PAGE: u32 = 50;

#[component]
fn JournalView() -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<i64>);
    let loaded = RwSignal::new(false);
    let load = move |before: Option<i64>| {
        let token = console.token();
        spawn_local(async move {
            match api::operator_audit(&token, before, JOURNAL_PAGE).await {
                Ok(page) => {
                    if before.is_none() {
                        entries.set(page.entries);
                    } else {
                        entries.update(|e| e.extend(page.entries));
                    }
                    next.set(page.next_before);
                    loaded.set(true);
                }
                Err(e) => console
                    .error
                    .set(Some(console.failed(&e, i18n.lang.get_untracked()))),
            }
        });
    };
    load(None);
    view! {
        <section aria-labelledby="journal" class="card">
            <h2 id="journal">{move || texts().journal}</h2>
            <Show when=move || loaded.get() && entries.with(Vec::is_empty)>
                <p>{move || texts().journal_empty}</p>
            </Show>
            <ol class="journal" data-testid="journal">
                {move || entries.get().into_iter().map(|entry| {
                    let lang = i18n.lang();
                    let commune = match (&entry.commune_name, &entry.commune_code) {
                        (Some(name), Some(code)) => format!(" — {name} ({code})"),
                        (Some(name), None) => format!(" — {name}"),
                        (None, Some(code)) => format!(" — {code}"),
                        (None, None) => String::new(),
                    };
                    view! {
                        <li>
                            <time>{date(entry.at_ms, lang)}</time> " · "
                            <strong>{action_label(entry.action, lang)}</strong>{commune}
                            " · " {entry.actor.clone()}
                            {entry.detail.clone().map(|d| format!(" · {d}"))}
                        </li>
                    }
                }).collect_view()}
            </ol>
            <Show when=move || next.get().is_some()>
                <button type="button" class="button" on:click=move |_| load(next.get_untracked())>{move || texts().journal_more}</button>
            </Show>
        </section>
    }
}

// ------------------------------------------------------------------------------------------------
// Enrolment

/// `/association/inscription#<secret>`: names this browser and enrols it as an operator.
#[component]
pub fn EnrolPage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let navigate = use_navigate();
    let secret = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|hash| hash.trim_start_matches('#').to_string())
        .filter(|s| !s.is_empty());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let has_secret = secret.is_some();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(secret) = secret.clone() else {
            return;
        };
        let device_name = name.get_untracked().trim().to_string();
        let navigate = navigate.clone();
        spawn_local(async move {
            let t = console_texts(i18n.lang.get_untracked());
            match api::operator_enrol(&secret, &device_name).await {
                Ok(enrolment) => {
                    let settings = OperatorSettings::new(enrolment, device_name);
                    if store.set_operator(&settings).is_err() {
                        error.set(Some(t.enrol_storage.to_string()));
                        return;
                    }
                    // The secret is spent: it leaves the address bar and the history.
                    navigate(
                        diagnostic::association::CONSOLE_PATH,
                        leptos_router::NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(e) if e.is(codes::ENROLMENT_INVALID) => {
                    error.set(Some(t.enrol_invalid.to_string()))
                }
                Err(ApiError::Unreachable) => error.set(Some(t.offline.to_string())),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    view! {
        <PageHeading title=Signal::derive(move || texts().enrol_title.to_string())/>
        <Show when=move || has_secret fallback=move || view! {
            <p class="alert alert-error" role="alert">{move || texts().enrol_missing}</p>
        }>
            <p>{move || texts().enrol_intro}</p>
            <form on:submit=submit.clone() class="card">
                <div class="field">
                    <label for="nom-navigateur">{move || texts().enrol_name}</label>
                    <input id="nom-navigateur" type="text" required maxlength="60"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="button button-primary">{move || texts().enrol_button}</button>
            </form>
        </Show>
        <p role="alert" class="form-error">{move || error.get()}</p>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_router_serves_the_console_where_the_protocol_says() {
        let app = include_str!("../app.rs");
        for path in [
            diagnostic::association::CONSOLE_PATH,
            diagnostic::association::OPERATOR_ENROL_PATH,
        ] {
            assert!(app.contains(&format!("path!(\"{path}\")")), "{path}");
        }
    }
}
