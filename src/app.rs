use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Shell;
use crate::i18n::provide_i18n;
use crate::pages::{
    about::AboutPage, home::HomePage, join::JoinPage, not_found::NotFoundPage,
    question::QuestionPage, questionnaire::QuestionnairePage, results::ResultsPage,
    settings::SettingsPage, theme::ThemePage, town::TownPage,
};
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
                    <Route path=path!("/questionnaire") view=QuestionnairePage/>
                    <Route path=path!("/questionnaire/:theme") view=ThemePage/>
                    <Route path=path!("/questionnaire/:theme/:question") view=QuestionPage/>
                    <Route path=path!("/resultats") view=ResultsPage/>
                    <Route path=path!("/reglages") view=SettingsPage/>
                    <Route path=path!("/a-propos") view=AboutPage/>
                    <Route path=path!("/commune") view=TownPage/>
                    <Route path=path!("/rejoindre") view=JoinPage/>
                </Routes>
            </Shell>
        </Router>
    }
}
