use diagnostic::sync::{CommuneMatch, CreateTown, Device, Invite, Join, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::page_heading::PageHeading;
use crate::components::sync_status::SyncPanel;
use crate::i18n::{role_label, use_i18n};
use crate::stores::use_local_store;
use crate::sync::api::{self, ApiError};
use crate::sync::use_sync;

/// The error sentence to show for a failed call (the server's own, in French), or the offline one.
fn error_text(error: &ApiError, offline: &str) -> String {
    match error {
        ApiError::Unreachable => offline.to_string(),
        other => other.message(),
    }
}

/// « Espace de la commune »: create or join the town's space; once in, invite, see the phones,
/// and sync.
#[component]
pub fn TownPage() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let enrolled = move || store.settings.with(|s| s.sync.is_some());
    view! {
        <PageHeading title=Signal::derive(move || i18n.t().town_page_title.to_string())/>
        <Show when=enrolled fallback=move || view! {
            <p>{move || i18n.t().town_intro}</p>
            <CreateSpace/>
            <JoinWithCode/>
        }>
            <EnrolledTown/>
        </Show>
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
                Ok(enrolment) => {
                    store.enrol(enrolment);
                    sync.sync_now();
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
                            let label = format!("{} ({}) — {} hab.", m.commune.name, m.commune.departement, m.commune.population);
                            let has_space = m.has_space;
                            let pick = m.clone();
                            view! {
                                <li>
                                    <button type="button" class="button commune-choice"
                                        aria-pressed=move || chosen.with(|c| c.as_ref().is_some_and(|c| c.commune.code == pick.commune.code)).to_string()
                                        prop:disabled=has_space
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

#[component]
fn EnrolledTown() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let commune = move || {
        store
            .sync_info(|s| s.town.commune.name.clone())
            .unwrap_or_default()
    };
    let revoked = move || store.sync_info(|s| s.revoked.clone()).flatten();
    view! {
        <p data-testid="enrolled">{move || format!("{} {}.", i18n.t().town_enrolled, commune())}</p>
        {move || revoked().map(|message| view! {
            <div class="alert alert-error" role="alert" data-testid="revoked">
                <p>{message}</p>
                <p>{i18n.t().sync_revoked}</p>
                <button type="button" class="button" on:click=move |_| store.forget_enrolment()>{i18n.t().sync_forget}</button>
            </div>
        })}
        <section aria-labelledby="synchro" class="card">
            <h2 id="synchro">{move || i18n.t().sync_heading}</h2>
            <SyncPanel/>
        </section>
        <Show when=move || revoked().is_none()>
            <InviteSection/>
            <DeviceList/>
        </Show>
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
    let link = move |invite: &Invite| {
        invite.url.clone().unwrap_or_else(|| {
            let origin = web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default();
            format!("{origin}{}", invite.path)
        })
    };
    view! {
        <section aria-labelledby="inviter" class="card">
            <h2 id="inviter">{move || i18n.t().invite_heading}</h2>
            <button type="button" class="button button-primary" on:click=create>{move || i18n.t().invite_button}</button>
            {move || invite.get().map(|inv| {
                let qr = inv.qr_svg.clone().map(|svg| {
                    let data: String = js_sys::encode_uri_component(&svg).into();
                    view! { <img class="qr" src=format!("data:image/svg+xml,{data}") alt=i18n.t().invite_qr width="220" height="220"/> }
                });
                view! {
                    <dl class="facts invite">
                        <dt>{i18n.t().invite_code}</dt>
                        <dd><strong class="invite-code" data-testid="invite-code">{inv.code.clone()}</strong> " — " {i18n.t().invite_code_expiry}</dd>
                        <dt>{i18n.t().invite_link}</dt>
                        <dd><a href=link(&inv) data-testid="invite-link">{link(&inv)}</a> " — " {i18n.t().invite_link_expiry}</dd>
                    </dl>
                    {qr}
                }
            })}
            <p role="alert" class="form-error">{move || error.get()}</p>
        </section>
    }
}

#[component]
fn DeviceList() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let devices = move || store.sync_info(|s| s.devices.clone()).unwrap_or_default();
    let error = RwSignal::new(None::<String>);
    let remove = move |device: Device| {
        let Some(token) = store.token() else {
            return;
        };
        spawn_local(async move {
            match api::revoke(&token, &device.id).await {
                Ok(()) => {
                    error.set(None);
                    if let Ok(list) = api::devices(&token).await {
                        store.update_sync(|s| s.devices = list.devices);
                    }
                }
                Err(e) => error.set(Some(error_text(&e, i18n.t().town_offline))),
            }
        });
    };
    view! {
        <section aria-labelledby="telephones" class="card">
            <h2 id="telephones">{move || i18n.t().devices_heading}</h2>
            <ul class="device-list" data-testid="devices">
                // Keyed: a sync that refreshes the list keeps the buttons in place.
                <For each=devices key=|d| (d.id.clone(), d.revoked_ms) let:device>
                {
                    let label = format!("{} — {}", device.name, role_label(device.role, i18n.lang()));
                    let removable = !device.current && device.revoked_ms.is_none();
                    let status = if device.current { Some(i18n.t().devices_this) } else if device.revoked_ms.is_some() { Some(i18n.t().devices_removed) } else { None };
                    let name = device.name.clone();
                    view! {
                        <li>
                            <span>{label}</span>
                            {status.map(|s| view! { <span class="hint">{format!(" ({s})")}</span> })}
                            {removable.then(|| view! {
                                <button type="button" class="button button-danger"
                                    aria-label=format!("{} {name}", i18n.t().devices_remove)
                                    on:click=move |_| remove(device.clone())>{i18n.t().devices_remove}</button>
                            })}
                        </li>
                    }
                }
                </For>
            </ul>
            <p role="alert" class="form-error">{move || error.get()}</p>
        </section>
    }
}
