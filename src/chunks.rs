//! Split points: what a first visit does not need is compiled into WebAssembly chunks of its own,
//! fetched the first time it is used, and precached by the service worker right after the first
//! visit so that it works offline from then on. The first download holds the frame, the home
//! page, the stores and the questionnaire's outline (`diagnostic::outline`); the pages below and
//! the sync exchange (`sync::engine`) come later. `scripts/build-wasm.mjs` does the splitting
//! (release builds, `split` feature); without the feature (native and wasm-bindgen tests, debug
//! builds) every split point is an ordinary function of the one module.

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::i18n::use_i18n;

/// A chunk could not be fetched: the phone is offline and the service worker has not stored it yet.
#[derive(Debug, Clone, Copy)]
pub struct ChunkUnavailable;

impl From<leptos::wasm_split::SplitLoaderError> for ChunkUnavailable {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ChunkUnavailable
    }
}

/// Declares a split point: `split_point!(chunk: fn name(args) -> T { body })` compiles `body`
/// into the WebAssembly chunk named `chunk` and makes `name` an `async fn` returning
/// `Result<T, ChunkUnavailable>` that fetches the chunk first (once). Functions naming the same
/// chunk share it; code they share with other chunks goes into a common one. Without the
/// `split` feature, `name` is an ordinary async function that never fails.
macro_rules! split_point {
    ($chunk:ident: $(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(feature = "split")]
        #[::leptos::wasm_split::wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible)]
        $vis fn $name($($arg: $ty),*) -> Result<$ret, $crate::chunks::ChunkUnavailable> {
            let value: $ret = $body;
            Ok(value)
        }
        $(#[$attr])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::chunks::ChunkUnavailable> {
            let value: $ret = $body;
            Ok(value)
        }
    };
}
pub(crate) use split_point;

// The pages a first visit does not show. Answering is one chunk (its three routes share nearly
// everything); results, settings and the town's space are opened far less often.
split_point!(answering: pub fn questionnaire() -> AnyView {
    view! { <crate::pages::questionnaire::QuestionnairePage/> }.into_any()
});
split_point!(answering: pub fn theme() -> AnyView {
    view! { <crate::pages::theme::ThemePage/> }.into_any()
});
split_point!(answering: pub fn question() -> AnyView {
    view! { <crate::pages::question::QuestionPage/> }.into_any()
});
split_point!(answering: pub fn conflicts() -> AnyView {
    view! { <crate::pages::conflicts::ConflictsPage/> }.into_any()
});
split_point!(results: pub fn results() -> AnyView {
    view! { <crate::pages::results::ResultsPage/> }.into_any()
});
split_point!(settings: pub fn settings() -> AnyView {
    view! { <crate::pages::settings::SettingsPage/> }.into_any()
});
split_point!(settings: pub fn about() -> AnyView {
    view! { <crate::pages::about::AboutPage/> }.into_any()
});
// The host's notices, read rarely: with settings and À propos, which link to them.
split_point!(settings: pub fn privacy() -> AnyView {
    view! { <crate::pages::legal::PrivacyPage/> }.into_any()
});
split_point!(settings: pub fn legal_notice() -> AnyView {
    view! { <crate::pages::legal::LegalNoticePage/> }.into_any()
});
split_point!(settings: pub fn accessibility() -> AnyView {
    view! { <crate::pages::legal::AccessibilityPage/> }.into_any()
});
split_point!(town: pub fn town() -> AnyView {
    view! { <crate::pages::town::TownPage/> }.into_any()
});
split_point!(town: pub fn join() -> AnyView {
    view! { <crate::pages::join::JoinPage/> }.into_any()
});

// The association's console, for its operators only: never prefetched, never precached by the
// service worker (scripts/sw-build.mjs), so a town's phone never downloads it.
split_point!(association: pub fn console() -> AnyView {
    view! { <crate::console::ConsolePage/> }.into_any()
});
split_point!(association: pub fn operator_enrol() -> AnyView {
    view! { <crate::console::EnrolPage/> }.into_any()
});

// One empty function per chunk, to fetch it without running anything.
split_point!(answering: fn fetch_answering() -> bool { true });
split_point!(results: fn fetch_results() -> bool { true });
split_point!(settings: fn fetch_settings() -> bool { true });
split_point!(town: fn fetch_town() -> bool { true });
split_point!(sync: fn fetch_sync() -> bool { true });

/// Fetches every chunk in the background, one after the other, once the page has loaded. Why:
/// the questionnaire must work offline from the first tap, and on a first visit the service
/// worker does not control the page yet — a mayor who loads Arobase, then walks out of coverage
/// without reloading, still opens every page. After `load`, like the service worker's
/// registration, so the chunks never compete with the first paint; answering first, as it is
/// what they open next. A chunk that cannot be fetched now is fetched when its page opens.
pub fn prefetch_chunks() {
    /// Lets the page settle first: compiling the chunks would otherwise delay the first taps.
    const AFTER_LOAD: std::time::Duration = std::time::Duration::from_secs(2);
    crate::pwa::after_page_load(|| {
        set_timeout(
            || {
                leptos::task::spawn_local(async {
                    let _ = fetch_answering().await;
                    let _ = fetch_results().await;
                    let _ = fetch_settings().await;
                    let _ = fetch_town().await;
                    let _ = fetch_sync().await;
                })
            },
            AFTER_LOAD,
        )
    });
}

/// Shows the page that `load` fetches; while it loads, a quiet « Chargement… »; if it cannot be
/// fetched, says so and offers to try again (nothing the user entered is at stake).
#[component]
pub fn LazyPage<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, ChunkUnavailable>> + 'static,
{
    let i18n = use_i18n();
    let attempt = RwSignal::new(0u32);
    view! {
        <Suspense fallback=move || view! { <p class="page-loading" role="status">{move || i18n.t().page_loading}</p> }>
            {move || {
                attempt.track();
                Suspend::new(SendWrapper::new(async move {
                    match load().await {
                        Ok(page) => page,
                        Err(ChunkUnavailable) => {
                            crate::components::page_heading::remove_static_shell();
                            view! {
                            <div class="alert alert-warning" role="alert" data-testid="page-unavailable">
                                <p>{move || i18n.t().page_unavailable}</p>
                                <button type="button" class="button" on:click=move |_| attempt.update(|n| *n += 1)>
                                    {move || i18n.t().page_retry}
                                </button>
                            </div>
                        }.into_any()
                        }
                    }
                }))
            }}
        </Suspense>
    }
}
