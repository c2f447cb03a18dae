//! Installable and offline: what the service worker's presence means on screen.
//!
//! - [`PwaStatus`] (rendered by `Shell` on every page): the « Hors connexion » indicator and the
//!   « Nouvelle version disponible » banner with its « Mettre à jour » button.
//! - [`InstallBanner`] (rendered by `Shell`, shows on Accueil only): a discreet, dismissible offer
//!   to install, with the browser's install dialog (Chromium, Android) or the iOS guide.
//! - [`InstallSection`]: the same offer as a section of Réglages, which stays available after the
//!   banner is dismissed, and says when the app is installed.
//!
//! The worker itself is `sw/sw.js`, built by `scripts/sw-build.mjs` (see the README). Release
//! builds register it after the page has loaded; development builds remove any worker left over.

mod browser;
mod texts;

use std::cell::OnceCell;

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::i18n::use_i18n;
pub use browser::after_page_load;
pub use texts::{pwa_texts, PwaTexts};

/// The app-wide installable/offline state. Created on first use and kept for the page's life (it
/// mirrors browser state, which has the same lifetime), so any component can read it without a
/// context provider.
#[derive(Clone, Copy)]
pub struct PwaState {
    /// `navigator.onLine`, followed through `online`/`offline` events.
    pub online: RwSignal<bool>,
    /// A new version is installed and waits for the user's « Mettre à jour ».
    pub update_ready: RwSignal<bool>,
    /// The user tapped « Mettre à jour » (the page reloads in a moment).
    pub updating: RwSignal<bool>,
    /// The browser offered `beforeinstallprompt`: the install button can open its dialog.
    pub can_prompt: RwSignal<bool>,
    /// Running from the home screen, or just installed: install is no longer offered.
    pub installed: RwSignal<bool>,
    /// The home banner was dismissed (« Plus tard »), remembered on this device.
    pub banner_dismissed: RwSignal<bool>,
    /// iPhone or iPad: install goes through Safari's Share menu, which a guide explains.
    pub ios: bool,
}

thread_local! {
    /// The state, and the root owner of its signals: detached from any component, so no page
    /// change disposes of them.
    static STATE: OnceCell<(PwaState, Owner)> = const { OnceCell::new() };
}

/// The state, starting the listeners and the service worker on first call.
pub fn use_pwa() -> PwaState {
    let mut created = None;
    let state = STATE.with(|cell| {
        cell.get_or_init(|| {
            // `new_root` makes itself the current owner: the caller's is put back afterwards,
            // or the rest of its component would lose its contexts.
            let caller = Owner::current();
            let owner = Owner::new_root(None);
            let state = owner.with(|| PwaState {
                online: RwSignal::new(window().navigator().on_line()),
                update_ready: RwSignal::new(false),
                updating: RwSignal::new(false),
                can_prompt: RwSignal::new(false),
                installed: RwSignal::new(browser::is_standalone()),
                banner_dismissed: RwSignal::new(browser::banner_dismissed()),
                ios: browser::is_ios(),
            });
            match caller {
                Some(caller) => caller.set(),
                None => owner.clone().unset(),
            }
            created = Some(state);
            (state, owner)
        })
        .0
    });
    // Outside the cell's initialiser: listeners may read the state synchronously.
    if let Some(state) = created {
        browser::start(state);
    }
    state
}

impl PwaState {
    /// Whether to offer installing at all: not installed, and either the browser's dialog is
    /// available or the platform is iOS (where the guide explains the manual way).
    pub fn install_offered(&self) -> bool {
        !self.installed.get() && (self.can_prompt.get() || self.ios)
    }
}

/// The offline indicator and the update banner. Both live regions are always in the page (empty
/// when there is nothing to say), so screen readers announce what appears in them.
///
/// Size note: each reactive closure is code in the WebAssembly module, so every block is one
/// closure that reads the language once and lays out static text.
#[component]
pub fn PwaStatus() -> impl IntoView {
    let i18n = use_i18n();
    let pwa = use_pwa();
    let online = pwa.online;
    let offline = move || {
        let t = pwa_texts(i18n.lang.get());
        (!online.get()).then(|| {
            view! {
                <div class="pwa-offline" data-testid="offline-indicator">
                    <p><strong class="pwa-offline-title">{t.offline_title}</strong>" "{t.offline_text}</p>
                </div>
            }
        })
    };
    let ready = pwa.update_ready;
    let updating = pwa.updating;
    let update = move || {
        let t = pwa_texts(i18n.lang.get());
        ready.get().then(|| {
            view! {
                <div class="pwa-update" data-testid="update-banner">
                    <p><strong>{t.update_title}</strong>" "{t.update_text}</p>
                    <button
                        type="button"
                        class="button button-primary"
                        on:click=move |_| {
                            // One tap is enough: the page reloads as soon as the new version runs.
                            if !updating.get_untracked() {
                                updating.set(true);
                                browser::apply_update();
                            }
                        }
                    >
                        {t.update_button}
                    </button>
                </div>
            }
        })
    };
    view! {
        <div class="pwa-region" role="status" aria-live="polite">{offline}</div>
        <div class="pwa-region" aria-live="polite">{update}</div>
    }
}

/// The discreet install offer at the bottom of Accueil (nothing on other pages, nothing once
/// installed or dismissed).
#[component]
pub fn InstallBanner() -> impl IntoView {
    let i18n = use_i18n();
    let pwa = use_pwa();
    let location = use_location();
    let guide_open = RwSignal::new(false);
    move || {
        let t = pwa_texts(i18n.lang.get());
        let shown = location.pathname.with(|p| p == "/")
            && !pwa.banner_dismissed.get()
            && pwa.install_offered();
        let can_prompt = pwa.can_prompt.get();
        let dismissed = pwa.banner_dismissed;
        shown.then(|| {
            view! {
                <aside class="pwa-install-banner" aria-labelledby="pwa-install-banner-title" data-testid="install-banner">
                    <div class="pwa-install-head">
                        <img class="pwa-app-glyph" src="/favicon.svg" alt="" width="44" height="44"/>
                        <div>
                            <p id="pwa-install-banner-title" class="pwa-install-title">{t.install_title}</p>
                            <p class="pwa-install-text">{t.install_text}</p>
                        </div>
                    </div>
                    <div class="pwa-install-guide" id="pwa-guide-accueil" hidden=move || !guide_open.get()>
                        <IosGuide t=t/>
                    </div>
                    <div class="pwa-install-actions">
                        // Chromium: the browser's own dialog. iOS: the guide above, shown on demand
                        // (the toggle keeps its focus, only its state changes).
                        <button
                            type="button"
                            class="button button-primary"
                            aria-expanded=move || (!can_prompt).then(|| guide_open.get().to_string())
                            aria-controls=(!can_prompt).then_some("pwa-guide-accueil")
                            on:click=move |_| {
                                if can_prompt {
                                    browser::prompt_install(pwa);
                                } else {
                                    guide_open.update(|open| *open = !*open);
                                }
                            }
                        >
                            {if can_prompt { t.install_button } else { t.install_how }}
                        </button>
                        <button
                            type="button"
                            class="button"
                            on:click=move |_| {
                                browser::dismiss_banner();
                                dismissed.set(true);
                            }
                        >
                            {t.install_later}
                        </button>
                    </div>
                </aside>
            }
        })
    }
}

/// The install offer as a Réglages section: the browser's dialog, the iOS guide, the manual way
/// for other browsers, or the news that the app is installed.
#[component]
pub fn InstallSection() -> impl IntoView {
    let i18n = use_i18n();
    let pwa = use_pwa();
    move || {
        let t = pwa_texts(i18n.lang.get());
        let installed = pwa.installed.get();
        let can_prompt = !installed && pwa.can_prompt.get();
        let ios = !installed && !can_prompt && pwa.ios;
        let text = if installed {
            t.installed_text
        } else if can_prompt || ios {
            t.install_text
        } else {
            t.install_other_browser
        };
        view! {
            <section class="pwa-install-section" aria-labelledby="installation" data-testid="install-section">
                <h2 id="installation">{t.install_section_title}</h2>
                <p>{text}</p>
                {can_prompt.then(|| view! {
                    <button type="button" class="button button-primary" on:click=move |_| browser::prompt_install(pwa)>
                        {t.install_button}
                    </button>
                })}
                {ios.then(|| view! { <IosGuide t=t/> })}
            </section>
        }
    }
}

/// Safari's manual install, step by step, with the pictograms of the buttons to look for.
#[component]
fn IosGuide(t: &'static PwaTexts) -> impl IntoView {
    view! {
        <div class="pwa-ios-guide" data-testid="ios-guide">
            <p class="pwa-ios-title">{t.ios_guide_title}</p>
            <ol class="pwa-ios-steps">
                <li>
                    {t.ios_step_share_before}
                    <span class="pwa-ios-button">
                        <span class="pwa-pictogram" aria-hidden="true" inner_html=SHARE_PICTOGRAM></span>
                        <strong>{t.ios_step_share_name}</strong>
                    </span>
                    {t.ios_step_share_after}
                </li>
                <li>
                    {t.ios_step_add_before}
                    <span class="pwa-ios-button">
                        <span class="pwa-pictogram" aria-hidden="true" inner_html=ADD_PICTOGRAM></span>
                        <strong>{t.ios_step_add_name}</strong>
                    </span>
                    {t.ios_step_add_after}
                </li>
                <li>{t.ios_step_confirm}</li>
            </ol>
        </div>
    }
}

/// Safari's Share button and « Sur l'écran d'accueil » entry, as they look (inline SVG: no
/// image request; set as markup because it is static, which keeps the module smaller than typed
/// SVG nodes would).
const SHARE_PICTOGRAM: &str = r#"<svg viewBox="0 0 24 24" focusable="false"><path d="M12 3v12M8 7l4-4 4 4M8.5 10H6v11h12V10h-2.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>"#;
const ADD_PICTOGRAM: &str = r#"<svg viewBox="0 0 24 24" focusable="false"><rect x="3.5" y="3.5" width="17" height="17" rx="4" fill="none" stroke="currentColor" stroke-width="2"/><path d="M12 8v8M8 12h8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>"#;
