use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::chunks::{self, LazyPage};
use crate::components::layout::Shell;
use crate::i18n::provide_i18n;
use crate::pages::{home::HomePage, not_found::NotFoundPage};
use crate::stores::provide_local_store;
use crate::sync::provide_sync;

/// The root component: provides the shared state (what the phone holds, the language) and maps
/// every route to its page.
#[component]
pub fn App() -> impl IntoView {
    let store = provide_local_store();
    provide_i18n(store.settings.with_untracked(|s| s.lang));
    provide_sync(store);
    view! {
        <Router>
            <Shell>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/questionnaire") view=|| view! { <LazyPage load=chunks::questionnaire/> }/>
                    <Route path=path!("/questionnaire/:theme") view=|| view! { <LazyPage load=chunks::theme/> }/>
                    <Route path=path!("/questionnaire/:theme/:question") view=|| view! { <LazyPage load=chunks::question/> }/>
                    // crate::pages::conflicts::CONFLICTS_PATH
                    <Route path=path!("/a-departager") view=|| view! { <LazyPage load=chunks::conflicts/> }/>
                    <Route path=path!("/resultats") view=|| view! { <LazyPage load=chunks::results/> }/>
                    <Route path=path!("/reglages") view=|| view! { <LazyPage load=chunks::settings/> }/>
                    <Route path=path!("/a-propos") view=|| view! { <LazyPage load=chunks::about/> }/>
                    <Route path=path!("/commune") view=|| view! { <LazyPage load=chunks::town/> }/>
                    <Route path=path!("/rejoindre") view=|| view! { <LazyPage load=chunks::join/> }/>
                    <Route path=path!("/confidentialite") view=|| view! { <LazyPage load=chunks::privacy/> }/>
                    <Route path=path!("/mentions-legales") view=|| view! { <LazyPage load=chunks::legal_notice/> }/>
                    <Route path=path!("/accessibilite") view=|| view! { <LazyPage load=chunks::accessibility/> }/>
                    // diagnostic::association::CONSOLE_PATH and OPERATOR_ENROL_PATH (tested in console).
                    <Route path=path!("/association") view=|| view! { <LazyPage load=chunks::console/> }/>
                    <Route path=path!("/association/inscription") view=|| view! { <LazyPage load=chunks::operator_enrol/> }/>
                </Routes>
            </Shell>
        </Router>
    }
}
