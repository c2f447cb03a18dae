//! The browser side of the installable app: service-worker registration and updates, the install
//! prompt, standalone detection, connectivity, persistent storage. Every call fails softly: a
//! browser without service workers (or an insecure origin) simply gets no offline mode.

use std::cell::{Cell, RefCell};

use js_sys::{Function, Object, Promise, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    RegistrationOptions, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
    ServiceWorkerUpdateViaCache,
};

use super::PwaState;

// Chromium may fire `beforeinstallprompt` before the WebAssembly module has started (on a repeat
// visit the app is served from the worker within milliseconds). This snippet is imported by the
// generated JS module, so it listens from the very first moment and keeps the event for Rust.
#[wasm_bindgen(inline_js = "let early = null;
addEventListener('beforeinstallprompt', (e) => { e.preventDefault(); early = e; });
export function take_early_install_prompt() { const e = early; early = null; return e; }")]
extern "C" {
    fn take_early_install_prompt() -> JsValue;
}

/// localStorage key remembering that the home banner was dismissed (a preference, not an answer).
pub const BANNER_DISMISSED_KEY: &str = "arobase.pwa.install-banner-dismissed";

/// Visibility-triggered update checks happen at most this often (ms); `online` always checks.
const UPDATE_CHECK_INTERVAL_MS: f64 = 60_000.0;

thread_local! {
    static INSTALL_EVENT: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    static REGISTRATION: RefCell<Option<ServiceWorkerRegistration>> = const { RefCell::new(None) };
    static LAST_UPDATE_CHECK: Cell<f64> = const { Cell::new(0.0) };
    static RELOADING: Cell<bool> = const { Cell::new(false) };
}

fn listen(
    target: &web_sys::EventTarget,
    event: &str,
    handler: impl FnMut(web_sys::Event) + 'static,
) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    // Listeners live as long as the app.
    closure.forget();
}

fn has_property(target: &JsValue, name: &str) -> bool {
    Reflect::has(target, &JsValue::from_str(name)).unwrap_or(false)
}

async fn resolve(promise: Result<Promise, JsValue>) -> Option<JsValue> {
    JsFuture::from(promise.ok()?).await.ok()
}

/// Whether the app runs from the home screen (installed), whatever the platform.
pub fn is_standalone() -> bool {
    let window = window();
    let display_mode = window
        .match_media("(display-mode: standalone)")
        .ok()
        .flatten()
        .is_some_and(|mql| mql.matches());
    // iOS Safari's own flag.
    let ios_standalone = Reflect::get(&window.navigator(), &JsValue::from_str("standalone"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    display_mode || ios_standalone
}

/// iPhone, iPod, iPad — including iPadOS, which presents itself as a Mac with a touch screen.
pub fn is_ios() -> bool {
    let navigator = window().navigator();
    let ua = navigator.user_agent().unwrap_or_default();
    ua.contains("iPhone")
        || ua.contains("iPad")
        || ua.contains("iPod")
        || (ua.contains("Macintosh") && navigator.max_touch_points() > 1)
}

pub fn banner_dismissed() -> bool {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(BANNER_DISMISSED_KEY).ok().flatten())
        .is_some()
}

pub fn dismiss_banner() {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(BANNER_DISMISSED_KEY, "1");
    }
}

/// Attaches every listener the state needs; called once, when the state is first used.
pub fn start(state: PwaState) {
    let window = window();
    let target: &web_sys::EventTarget = window.as_ref();

    listen(target, "online", move |_| {
        state.online.set(true);
        check_for_update(true);
    });
    listen(target, "offline", move |_| state.online.set(false));

    let early = take_early_install_prompt();
    if !early.is_null() && !early.is_undefined() {
        keep_install_event(state, early);
    }
    listen(target, "beforeinstallprompt", move |event| {
        event.prevent_default();
        keep_install_event(state, event.into());
    });

    listen(target, "appinstalled", move |_| {
        INSTALL_EVENT.with(|e| e.borrow_mut().take());
        state.can_prompt.set(false);
        state.installed.set(true);
        request_persistent_storage();
    });
    if let Some(mql) = window
        .match_media("(display-mode: standalone)")
        .ok()
        .flatten()
    {
        listen(mql.as_ref(), "change", move |_| {
            if is_standalone() {
                state.installed.set(true);
            }
        });
    }
    if state.installed.get_untracked() {
        // Also covers iOS, which has no `appinstalled` event.
        request_persistent_storage();
    }

    listen(document().as_ref(), "visibilitychange", move |_| {
        if !document().hidden() {
            check_for_update(false);
        }
    });

    service_worker(state);
}

fn keep_install_event(state: PwaState, event: JsValue) {
    if state.installed.get_untracked() {
        return;
    }
    INSTALL_EVENT.with(|e| *e.borrow_mut() = Some(event));
    state.can_prompt.set(true);
}

/// Shows the browser's install dialog (Chromium). Once used, the event cannot be used again.
pub fn prompt_install(state: PwaState) {
    let Some(event) = INSTALL_EVENT.with(|e| e.borrow_mut().take()) else {
        return;
    };
    state.can_prompt.set(false);
    let prompt = Reflect::get(&event, &JsValue::from_str("prompt"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(prompt) = prompt else {
        return;
    };
    let shown = prompt.call0(&event).and_then(|p| p.dyn_into::<Promise>());
    spawn_local(async move {
        resolve(shown).await;
        let choice = Reflect::get(&event, &JsValue::from_str("userChoice"))
            .and_then(|p| p.dyn_into::<Promise>());
        let accepted = resolve(choice)
            .await
            .and_then(|c| Reflect::get(&c, &JsValue::from_str("outcome")).ok())
            .and_then(|o| o.as_string())
            .is_some_and(|o| o == "accepted");
        if accepted {
            // `appinstalled` follows; marking it now keeps the button from coming back meanwhile.
            state.installed.set(true);
            request_persistent_storage();
        }
    });
}

/// Asks the browser not to evict the answers (granted silently to installed apps), once it is
/// known that it has not already agreed.
pub fn request_persistent_storage() {
    let manager = window().navigator().storage();
    spawn_local(async move {
        let persisted = resolve(manager.persisted()).await.and_then(|v| v.as_bool());
        if persisted != Some(true) {
            resolve(manager.persist()).await;
        }
    });
}

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = window().navigator();
    // Absent on insecure origins and in some private modes.
    has_property(&navigator, "serviceWorker").then(|| navigator.service_worker())
}

/// Release builds get the worker; development builds (`trunk serve`) lose any left over. Both paths
/// are compiled (and linted) in both profiles; the optimiser drops the one not taken.
fn service_worker(state: PwaState) {
    if cfg!(debug_assertions) {
        remove_workers();
    } else {
        register_after_load(state);
    }
}

/// Registers `/sw.js` once the page has loaded, so the worker never competes with the first paint.
fn register_after_load(state: PwaState) {
    after_page_load(move || register(state));
}

/// Runs `run` once the page has loaded (at once if it already has): for background work that
/// must not compete with the first paint.
pub fn after_page_load(run: impl FnOnce() + 'static) {
    if document().ready_state() == "complete" {
        run();
    } else {
        let once = RefCell::new(Some(run));
        listen(window().as_ref(), "load", move |_| {
            if let Some(run) = once.borrow_mut().take() {
                run();
            }
        });
    }
}

/// Development builds (`trunk serve`) have no worker: one left by an earlier release build on the
/// same origin would serve stale files, so it is removed, with its caches.
fn remove_workers() {
    let Some(container) = container() else {
        return;
    };
    spawn_local(async move {
        if let Some(list) = resolve(Ok(container.get_registrations())).await {
            for registration in js_sys::Array::from(&list).iter() {
                if let Ok(registration) = registration.dyn_into::<ServiceWorkerRegistration>() {
                    resolve(registration.unregister()).await;
                }
            }
        }
        let Ok(caches) = window().caches() else {
            return;
        };
        if let Some(names) = resolve(Ok(caches.keys())).await {
            for name in js_sys::Array::from(&names)
                .iter()
                .filter_map(|n| n.as_string())
            {
                if name.starts_with("arobase-") || name.starts_with("workbox-") {
                    resolve(Ok(caches.delete(&name))).await;
                }
            }
        }
    });
}

fn register(state: PwaState) {
    let Some(container) = container() else {
        return;
    };
    let options = RegistrationOptions::new();
    options.set_scope("/");
    // sw.js is always revalidated with the server, whatever HTTP caches say.
    options.set_update_via_cache(ServiceWorkerUpdateViaCache::None);
    let registering = container.register_with_options("/sw.js", &options);
    spawn_local(async move {
        let Some(registration) = resolve(Ok(registering))
            .await
            .and_then(|r| r.dyn_into::<ServiceWorkerRegistration>().ok())
        else {
            return;
        };
        watch_for_updates(state, &registration);
        REGISTRATION.with(|r| *r.borrow_mut() = Some(registration));
    });
}

/// A new version is ready when a worker waits while another controls this page (on the very
/// first install nothing controls the page yet, and there is nothing to update).
fn watch_for_updates(state: PwaState, registration: &ServiceWorkerRegistration) {
    let update_ready = state.update_ready;
    let check = {
        let registration = registration.clone();
        move || {
            let controlled = container().is_some_and(|c| c.controller().is_some());
            if controlled && registration.waiting().is_some() {
                update_ready.set(true);
            }
        }
    };
    check();
    // A worker found before this listener existed (the page loaded during an update) is
    // followed too.
    let follow = move |installing: web_sys::ServiceWorker| {
        let check = check.clone();
        let worker = installing.clone();
        listen(installing.as_ref(), "statechange", move |_| {
            if worker.state() == ServiceWorkerState::Installed {
                check();
            }
        });
    };
    if let Some(installing) = registration.installing() {
        follow(installing);
    }
    let found = {
        let registration = registration.clone();
        move |_| {
            if let Some(installing) = registration.installing() {
                follow(installing);
            }
        }
    };
    listen(registration.as_ref(), "updatefound", found);
}

/// Asks the browser to look for a new sw.js (it also does so by itself at each page load).
fn check_for_update(always: bool) {
    let now = js_sys::Date::now();
    let last = LAST_UPDATE_CHECK.with(Cell::get);
    if !always && now - last < UPDATE_CHECK_INTERVAL_MS {
        return;
    }
    LAST_UPDATE_CHECK.with(|c| c.set(now));
    if let Some(registration) = REGISTRATION.with(|r| r.borrow().clone()) {
        let checking = registration.update();
        spawn_local(async move {
            resolve(checking).await;
        });
    }
}

/// « Mettre à jour »: the waiting worker takes over, then the page reloads on the new version.
/// The answers are in localStorage, which neither the worker nor the reload touches.
pub fn apply_update() {
    let waiting = REGISTRATION.with(|r| r.borrow().as_ref().and_then(|r| r.waiting()));
    let (Some(waiting), Some(container)) = (waiting, container()) else {
        reload();
        return;
    };
    listen(container.as_ref(), "controllerchange", |_| reload());
    let message = Object::new();
    let _ = Reflect::set(
        &message,
        &JsValue::from_str("type"),
        &JsValue::from_str("SKIP_WAITING"),
    );
    if waiting.post_message(&message).is_err() {
        reload();
    }
}

fn reload() {
    if RELOADING.with(|r| r.replace(true)) {
        return;
    }
    let _ = window().location().reload();
}
