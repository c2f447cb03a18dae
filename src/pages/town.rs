use diagnostic::association::{codes, RequestStatus, TownStatus};
use diagnostic::sync::{CommuneMatch, CreateTown, Device, Enrolment, Invite, Join, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::confirm_dialog::{on_return, ConfirmDialog};
use crate::components::invite_card::InviteCard;
use crate::components::page_heading::PageHeading;
use crate::components::sync_status::SyncPanel;
use crate::i18n::{refusal, role_label, thousands, use_i18n};
use crate::stores::schema::PendingAccess;
use crate::stores::{use_local_store, LocalStore};
use crate::sync::api::{self, ApiError, Created};
use crate::sync::use_sync;

/// The error sentence to show for a failed call: the app's own for a refusal it knows, else the
/// server's (in French), or the offline one.
fn error_text(error: &ApiError, offline: &str) -> String {
    let lang = use_i18n().lang.get_untracked();
    match error {
        ApiError::Unreachable => offline.to_string(),
        other => other
            .code()
            .and_then(|code| refusal(code, lang))
            .map_or_else(|| other.message(), str::to_string),
    }
}

/// « Espace de la commune »: create or join the town's space (or follow a claim the association
/// decides); once in, see its status, invite, see the phones, sync, export or erase.
#[component]
pub fn TownPage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    // Why this phone is no longer in a space, said once it has left (removed itself, erased).
    let left = RwSignal::new(None::<String>);
    let enrolled = move || store.settings.with(|s| s.sync.is_some());
    let claiming = move || store.settings.with(|s| s.access_request.is_some());
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().town_page_title.to_string())/>
        <Show when=enrolled fallback=move || view! {
            {move || left.get().map(|message| view! {
                <p class="alert alert-info" role="status" data-testid="left-space">{message}</p>
            })}
            <Show when=claiming fallback=move || view! {
                <p>{move || i18n.t().town_intro}</p>
                <CreateSpace/>
                <JoinWithCode/>
            }>
                <ClaimStatus/>
            </Show>
        }>
            <EnrolledTown left=left/>
        </Show>
    }
}

/// Enrols this phone with a token the server now takes as a device token (a claim let in).
async fn enrol_with(store: LocalStore, token: String) -> Result<(), ApiError> {
    let me = api::me(&token).await?;
    store.enrol(Enrolment {
        token,
        device: me.device,
        town: me.town,
    });
    Ok(())
}

/// « Demande envoyée à l'association… »: the claim's state, read again on open, when the page
/// is shown again and when the network comes back; once let in, the phone enrols and syncs.
#[component]
fn ClaimStatus() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let sync = use_sync();
    let error = RwSignal::new(None::<String>);
    let refresh = move || {
        let Some(claim) = store.settings.with_untracked(|s| s.access_request.clone()) else {
            return;
        };
        if claim.request.status == RequestStatus::Refused {
            return;
        }
        spawn_local(async move {
            let refused = |claim: PendingAccess| PendingAccess {
                request: diagnostic::association::AccessRequest {
                    status: RequestStatus::Refused,
                    ..claim.request
                },
                ..claim
            };
            match api::access_request(&claim.token).await {
                Ok(request) => match request.status {
                    RequestStatus::Joined | RequestStatus::Replaced => {
                        match enrol_with(store, claim.token.clone()).await {
                            Ok(()) => sync.sync_now(),
                            Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
                        }
                    }
                    _ => {
                        error.set(None);
                        store.set_access_request(Some(PendingAccess { request, ..claim }));
                    }
                },
                Err(e) if e.is(codes::ACCESS_REFUSED) => {
                    store.set_access_request(Some(refused(claim)))
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    };
    refresh();
    on_return(refresh);
    let claim = move || store.access_request();
    let refused = move || claim().is_some_and(|c| c.request.status == RequestStatus::Refused);
    view! {
        <section aria-labelledby="demande" class="card" data-testid="access-request">
            <h2 id="demande">{move || if refused() { i18n.a().claim_status } else { i18n.a().claim_title }}</h2>
            {move || claim().map(|c| view! {
                <dl class="facts">
                    <dt>{i18n.t().town_chosen}</dt>
                    <dd>{format!("{} ({})", c.request.commune.name, c.request.commune.departement)}</dd>
                    <dt>{i18n.a().claim_by}</dt>
                    <dd>{format!("{} — {}", c.request.name, role_label(c.request.role, i18n.lang()))}</dd>
                </dl>
            })}
            <Show when=refused fallback=move || view! {
                <p>{move || i18n.a().claim_explain}</p>
                <p role="status" data-testid="access-request-status"><strong>{move || i18n.a().claim_status}</strong>
                    " : " {move || i18n.a().claim_pending}</p>
                <button type="button" class="button" on:click=move |_| refresh()>{move || i18n.a().claim_refresh}</button>
                <button type="button" class="button" on:click=move |_| store.set_access_request(None)>{move || i18n.a().claim_forget}</button>
            }>
                <p class="alert alert-error" role="alert" data-testid="access-request-status">{move || i18n.a().claim_refused}</p>
                <button type="button" class="button" on:click=move |_| store.set_access_request(None)>{move || i18n.a().claim_dismiss}</button>
            </Show>
            <p role="alert" class="form-error">{move || error.get()}</p>
        </section>
    }
}

/// Name and role, asked when creating or joining.
#[component]
pub fn NameAndRole(
    name: RwSignal<String>,
    role: RwSignal<Role>,
    prefix: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let name_id = format!("{prefix}-nom");
    let role_id = format!("{prefix}-role");
    view! {
        <div class="field">
            <label for=name_id.clone()>{move || i18n.t().town_name_label}</label>
            <input id=name_id type="text" required maxlength="60" autocomplete="name"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
        </div>
        <div class="field">
            <label for=role_id.clone()>{move || i18n.t().town_role_label}</label>
            <select id=role_id on:change=move |ev| {
                if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }
            }>
                {Role::ALL.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=move || role.get() == r>{move || role_label(r, i18n.lang())}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn CreateSpace() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let sync = use_sync();
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(None::<Vec<CommuneMatch>>);
    let chosen = RwSignal::new(None::<CommuneMatch>);
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Maire);
    let error = RwSignal::new(None::<String>);
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = query.get_untracked();
        spawn_local(async move {
            match api::search_communes(&q).await {
                Ok(found) => {
                    error.set(None);
                    results.set(Some(found.communes));
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(commune) = chosen.get_untracked() else {
            return;
        };
        let request = CreateTown {
            commune: commune.commune.code,
            name: name.get_untracked(),
            role: role.get_untracked(),
        };
        spawn_local(async move {
            match api::create_town(&request).await {
                Ok(Created::Enrolled(enrolment)) => {
                    store.enrol(enrolment);
                    sync.sync_now();
                }
                // The commune has a space: the claim waits for the association, token kept.
                Ok(Created::Requested(requested)) => {
                    store.set_access_request(Some(PendingAccess {
                        token: requested.token,
                        request: requested.request,
                    }))
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    };
    view! {
        <section aria-labelledby="creer" class="card">
            <h2 id="creer">{move || i18n.t().town_create_heading}</h2>
            <form on:submit=search role="search">
                <div class="field">
                    <label for="recherche-commune">{move || i18n.t().town_search_label}</label>
                    <input id="recherche-commune" type="search" required
                        prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="button">{move || i18n.t().town_search_button}</button>
            </form>
            {move || results.get().map(|list| if list.is_empty() {
                view! { <p role="status">{i18n.t().town_search_none}</p> }.into_any()
            } else {
                view! {
                    <ul class="commune-results" role="list">
                        {list.into_iter().map(|m| {
                            let label = format!("{} ({}) — {} {}", m.commune.name, m.commune.departement, thousands(m.commune.population, i18n.lang()), i18n.t().inhabitants);
                            let has_space = m.has_space;
                            let pick = m.clone();
                            view! {
                                <li>
                                    <button type="button" class="button commune-choice"
                                        aria-pressed=move || chosen.with(|c| c.as_ref().is_some_and(|c| c.commune.code == pick.commune.code)).to_string()
                                        on:click={ let m = m.clone(); move |_| chosen.set(Some(m.clone())) }>
                                        {label}
                                    </button>
                                    {has_space.then(|| view! { <p class="hint">{format!("{} {}", m.commune.name, i18n.t().town_has_space)}</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
            <Show when=move || chosen.with(Option::is_some)>
                <form on:submit=create>
                    <p><strong>{move || i18n.t().town_chosen}</strong> " : "
                        {move || chosen.with(|c| c.as_ref().map(|c| c.commune.name.clone()).unwrap_or_default())}</p>
                    <NameAndRole name=name role=role prefix="creer"/>
                    <button type="submit" class="button button-primary">{move || i18n.t().town_create_button}</button>
                </form>
            </Show>
            <p role="alert" class="form-error">{move || error.get()}</p>
        </section>
    }
}

#[component]
fn JoinWithCode() -> impl IntoView {
    let i18n = use_i18n();
    let code = RwSignal::new(String::new());
    let join = use_join();
    view! {
        <section aria-labelledby="rejoindre-code" class="card">
            <h2 id="rejoindre-code">{move || i18n.t().town_join_heading}</h2>
            <form on:submit=move |ev| { ev.prevent_default(); join.submit.run((None, Some(code.get_untracked()))); }>
                <div class="field">
                    <label for="code-invitation">{move || i18n.t().town_code_label}</label>
                    <input id="code-invitation" type="text" required autocomplete="one-time-code" autocapitalize="characters"
                        prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                </div>
                <NameAndRole name=join.name role=join.role prefix="rejoindre"/>
                <button type="submit" class="button button-primary">{move || i18n.t().town_join_button}</button>
            </form>
            <p role="alert" class="form-error">{move || join.error.get()}</p>
        </section>
    }
}

/// The shared part of joining by code and by link: the fields, the error, and the action
/// `submit.run((secret, code))`.
#[derive(Clone, Copy)]
pub struct JoinForm {
    pub name: RwSignal<String>,
    pub role: RwSignal<Role>,
    pub error: RwSignal<Option<String>>,
    pub submit: Callback<(Option<String>, Option<String>)>,
}

pub fn use_join() -> JoinForm {
    let i18n = use_i18n();
    let store = use_local_store();
    let sync = use_sync();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Adjoint);
    let error = RwSignal::new(None::<String>);
    let submit = Callback::new(move |(secret, code): (Option<String>, Option<String>)| {
        let request = Join {
            secret,
            code,
            name: name.get_untracked(),
            role: role.get_untracked(),
        };
        spawn_local(async move {
            match api::join(&request).await {
                Ok(enrolment) => {
                    store.enrol(enrolment);
                    sync.sync_now();
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    });
    JoinForm {
        name,
        role,
        error,
        submit,
    }
}

/// Reads the space's status and this device's role again (`GET /api/me`): on open, when the
/// page is shown again and when the network comes back.
fn refresh_me(store: LocalStore) {
    let Some(token) = store.token() else {
        return;
    };
    spawn_local(async move {
        match api::me(&token).await {
            Ok(me) => store.update_sync(|s| {
                s.town = me.town;
                s.device = me.device;
            }),
            Err(e) if e.is(codes::TOWN_REJECTED) => {
                store.update_sync(|s| s.town.status = TownStatus::Rejected)
            }
            Err(e) if e.is_revoked() => {
                let message = e.message();
                store.update_sync(|s| s.revoked = Some(message));
            }
            Err(_) => {}
        }
    });
}

#[component]
fn EnrolledTown(left: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    refresh_me(store);
    on_return(move || refresh_me(store));
    let commune = move || {
        store
            .sync_info(|s| s.town.commune.name.clone())
            .unwrap_or_default()
    };
    let revoked = move || store.sync_info(|s| s.revoked.clone()).flatten();
    let rejected = move || store.sync_info(|s| s.town.status == TownStatus::Rejected) == Some(true);
    view! {
        <p data-testid="enrolled">{move || format!("{} {}.", i18n.t().town_enrolled, commune())}</p>
        <TownStatusNote/>
        {move || revoked().map(|message| view! {
            <div class="alert alert-error" role="alert" data-testid="revoked">
                <p>{message}</p>
                <p>{i18n.t().sync_revoked}</p>
                <button type="button" class="button" on:click=move |_| store.forget_enrolment()>{i18n.t().sync_forget}</button>
            </div>
        })}
        <Show when=rejected>
            <button type="button" class="button" on:click=move |_| store.forget_enrolment()>{move || i18n.t().sync_forget}</button>
        </Show>
        <section aria-labelledby="synchro" class="card">
            <h2 id="synchro">{move || i18n.t().sync_heading}</h2>
            <SyncPanel/>
        </section>
        <Show when=move || revoked().is_none() && !rejected()>
            <InviteSection/>
            <DeviceList left=left/>
            <TownData left=left/>
        </Show>
    }
}

/// « En attente de vérification par l'association », « Vérifié » or « Refusé », and what it means.
#[component]
fn TownStatusNote() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    // A memo: the note is redrawn (and announced) only when the status itself changes.
    let status = Memo::new(move |_| store.sync_info(|s| s.town.status).unwrap_or_default());
    view! {
        {move || {
            let t = i18n.a();
            let (class, label, explain) = match status.get() {
                TownStatus::Pending => ("alert alert-info", t.status_pending, t.status_pending_explain),
                TownStatus::Verified => ("town-status", t.status_verified, t.status_verified_explain),
                TownStatus::Rejected => ("alert alert-error", t.status_rejected, t.status_rejected_explain),
            };
            view! {
                <div class=class role="status">
                    <p><strong>{t.status_label} " : "</strong><span data-testid="town-status">{label}</span></p>
                    <p class="hint">{explain}</p>
                </div>
            }
        }}
    }
}

#[component]
fn InviteSection() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let invite = RwSignal::new(None::<Invite>);
    let error = RwSignal::new(None::<String>);
    let create = move |_| {
        let Some(token) = store.token() else {
            return;
        };
        spawn_local(async move {
            match api::invite(&token).await {
                Ok(created) => {
                    error.set(None);
                    invite.set(Some(created));
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    };
    view! {
        <section aria-labelledby="inviter" class="card">
            <h2 id="inviter">{move || i18n.t().invite_heading}</h2>
            <button type="button" class="button button-primary" on:click=create>{move || i18n.t().invite_button}</button>
            {move || invite.get().map(|invite| view! { <InviteCard invite=invite/> })}
            <p role="alert" class="form-error">{move || error.get()}</p>
        </section>
    }
}

/// Whether this phone is one of its town's administrators (the latest list first, then what
/// enrolment or `GET /api/me` said).
fn is_admin(store: LocalStore) -> bool {
    store
        .sync_info(|s| {
            s.devices
                .iter()
                .find(|d| d.current)
                .map_or(s.device.admin, |d| d.admin)
        })
        .unwrap_or(false)
}

#[component]
fn DeviceList(left: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let devices = move || store.sync_info(|s| s.devices.clone()).unwrap_or_default();
    let admin = move || is_admin(store);
    let error = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let target = RwSignal::new(None::<Device>);
    let ask = move |device: Device| {
        target.set(Some(device));
        confirming.set(true);
    };
    let remove = Callback::new(move |()| {
        let (Some(token), Some(device)) = (store.token(), target.get_untracked()) else {
            return;
        };
        spawn_local(async move {
            match api::revoke(&token, &device.id).await {
                Ok(()) if device.current => {
                    store.forget_enrolment();
                    left.set(Some(i18n.a().left_space.to_string()));
                }
                Ok(()) => {
                    error.set(None);
                    if let Ok(list) = api::devices(&token).await {
                        store.update_sync(|s| s.devices = list.devices);
                    }
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    });
    let myself = move || target.with(|t| t.as_ref().is_some_and(|d| d.current));
    let current = move || {
        store.sync_info(|s| {
            s.devices
                .iter()
                .find(|d| d.current)
                .cloned()
                .unwrap_or_else(|| Device {
                    current: true,
                    ..s.device.clone()
                })
        })
    };
    view! {
        <section aria-labelledby="telephones" class="card">
            <h2 id="telephones">{move || i18n.t().devices_heading}</h2>
            <ul class="device-list" data-testid="devices">
                // Keyed: a sync that refreshes the list keeps the buttons in place.
                <For each=devices key=|d| (d.id.clone(), d.revoked_ms, d.admin) let:device>
                {
                    let label = format!("{} — {}", device.name, role_label(device.role, i18n.lang()));
                    let active = !device.current && device.revoked_ms.is_none();
                    let status = if device.current { Some(i18n.t().devices_this) } else if device.revoked_ms.is_some() { Some(i18n.t().devices_removed) } else { None };
                    let is_admin = device.admin && device.revoked_ms.is_none();
                    let name = device.name.clone();
                    view! {
                        <li>
                            <span>{label}</span>
                            {is_admin.then(|| view! { <span class="badge">{move || i18n.a().admin}</span> })}
                            {status.map(|s| view! { <span class="hint">{format!(" ({s})")}</span> })}
                            <Show when=move || active && admin()>
                                <button type="button" class="button button-danger"
                                    aria-label=format!("{} {name}", i18n.t().devices_remove)
                                    on:click={ let device = device.clone(); move |_| ask(device.clone()) }>{i18n.t().devices_remove}</button>
                            </Show>
                        </li>
                    }
                }
                </For>
            </ul>
            <button type="button" class="button" on:click=move |_| if let Some(me) = current() { ask(me) }>
                {move || i18n.a().remove_self}
            </button>
            <ConfirmDialog open=confirming id="retirer".to_string()
                title=Signal::derive(move || if myself() { i18n.a().remove_self_title.to_string() } else {
                    i18n.a().remove_title.replace("{name}", &target.with(|t| t.as_ref().map(|d| d.name.clone()).unwrap_or_default()))
                })
                explain=Signal::derive(move || if myself() { i18n.a().remove_self_explain } else { i18n.a().remove_explain }.to_string())
                confirm=Signal::derive(move || i18n.a().remove_confirm.to_string())
                cancel=Signal::derive(move || i18n.a().cancel.to_string())
                on_confirm=remove danger=true/>
            <p role="alert" class="form-error">{move || error.get()}</p>
        </section>
    }
}

/// « Données de la commune »: export everything the server holds (any device); erase the space
/// (administrators, typing the commune's name). Either way the answers stay on this phone.
#[component]
fn TownData(left: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let commune = move || {
        store
            .sync_info(|s| s.town.commune.clone())
            .map(|c| (c.name, c.code))
            .unwrap_or_default()
    };
    let export = move |_| {
        let Some(token) = store.token() else {
            return;
        };
        spawn_local(async move {
            match api::export_town(&token).await {
                Ok(text) => {
                    let (name, code) = commune();
                    let day = crate::components::results::campaign::format_date(
                        crate::stores::browser::now_ms(),
                        "sv-SE",
                    );
                    let file = format!("arobase-{code}-{}-{day}.json", slug(&name));
                    crate::stores::browser::download(&file, "application/json", &text);
                    error.set(None);
                    done.set(true);
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    };
    let matches = move || {
        let (name, code) = commune();
        let typed = typed.get();
        let typed = typed.trim();
        names_commune(typed, &name, &code)
    };
    let erase = Callback::new(move |()| {
        let Some(token) = store.token() else {
            return;
        };
        let confirm = typed.get_untracked().trim().to_string();
        spawn_local(async move {
            match api::erase_town(&token, &confirm).await {
                Ok(()) => {
                    store.forget_enrolment();
                    left.set(Some(i18n.a().erased.to_string()));
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    });
    view! {
        <section aria-labelledby="donnees" class="card">
            <h2 id="donnees">{move || i18n.a().data_heading}</h2>
            <p>{move || i18n.a().export_explain}</p>
            <button type="button" class="button" on:click=export>{move || i18n.a().export_button}</button>
            <p role="status">{move || done.get().then(|| i18n.a().export_done)}</p>
            <Show when=move || is_admin(store)>
                <h3>{move || i18n.a().erase_heading}</h3>
                <p>{move || i18n.a().erase_explain}</p>
                <button type="button" class="button button-danger" on:click=move |_| { typed.set(String::new()); confirming.set(true); }>
                    {move || i18n.a().erase_button}
                </button>
            </Show>
            <ConfirmDialog open=confirming id="supprimer-espace".to_string()
                title=Signal::derive(move || i18n.a().erase_dialog_title.to_string())
                explain=Signal::derive(move || i18n.a().erase_explain.to_string())
                confirm=Signal::derive(move || i18n.a().erase_confirm.to_string())
                cancel=Signal::derive(move || i18n.a().cancel.to_string())
                ready=Signal::derive(matches)
                on_confirm=erase danger=true>
                <div class="field">
                    <label for="confirmer-commune">{move || format!("{} {}", i18n.a().erase_confirm_label, commune().0)}</label>
                    <input id="confirmer-commune" type="text" autocomplete="off"
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                </div>
            </ConfirmDialog>
            <p role="alert" class="form-error">{move || error.get()}</p>
        </section>
    }
}

/// Whether `typed` names the commune: its INSEE code, or its name whatever the case, accents and
/// hyphens (« saint etienne » for Saint-Étienne), as the server checks it again.
fn names_commune(typed: &str, name: &str, code: &str) -> bool {
    let typed = typed.trim();
    typed.eq_ignore_ascii_case(code) || (!typed.is_empty() && loose(typed) == loose(name))
}

/// Lower case, French accents and ligatures folded, every run of other characters one space.
fn loose(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' => "y",
            'ñ' => "n",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        if folded != " " || !(out.is_empty() || out.ends_with(' ')) {
            out.push_str(folded);
        }
    }
    out.trim_end().to_string()
}

/// A file-name-safe form of a commune's name.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commune_is_named_whatever_the_case_accents_and_hyphens() {
        for typed in ["Saint-Étienne", "saint etienne", " SAINT-ETIENNE ", "42218"] {
            assert!(names_commune(typed, "Saint-Étienne", "42218"), "{typed}");
        }
        assert!(names_commune("2a004", "Ajaccio", "2A004"));
        for typed in ["", "Saint", "4221", "Saint-Étiennes"] {
            assert!(!names_commune(typed, "Saint-Étienne", "42218"), "{typed}");
        }
    }
}
