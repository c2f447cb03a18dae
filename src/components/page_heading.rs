use leptos::html::H1;
use leptos::prelude::*;

use crate::i18n::use_i18n;

/// The page's `<h1>`. It also names the browser tab (RGAA asks for a relevant title per page) and
/// takes the keyboard focus when the page appears, so screen-reader users hear where they landed
/// after a client-side navigation instead of silence.
#[component]
pub fn PageHeading(#[prop(into)] title: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let heading = NodeRef::<H1>::new();
    Effect::new(move |_| {
        document().set_title(&format!("{} — {}", title.get(), i18n.t().app_name));
    });
    Effect::new(move |_| {
        if let Some(element) = heading.get() {
            remove_static_shell();
            // A page from a chunk is built before it is attached: focus once it is in the document.
            request_animation_frame(move || {
                let _ = element.focus();
            });
        }
    });
    view! { <h1 node_ref=heading tabindex="-1">{title}</h1> }
}

/// Removes index.html's static shell (see its comment): the app's own page now stands where the
/// shell's copy of it stood. Called once a page heading is in place, or when a page cannot load.
pub fn remove_static_shell() {
    if let Some(shell) = document().get_element_by_id("app-shell") {
        shell.remove();
    }
}

/// The option tapped on the server's copy of `question` while the app was loading, if any: a
/// question link's static shell has real radio buttons (crates/server/src/shells.rs), named by
/// the question's id, so that a first visit can answer before the WebAssembly runs. Read before
/// the shell goes; the caller checks the option is one of the question's.
pub fn static_shell_choice(question_id: &str) -> Option<String> {
    let checked = document()
        .query_selector("#app-shell input[type=radio]:checked")
        .ok()
        .flatten()?;
    (checked.get_attribute("name").as_deref() == Some(question_id))
        .then(|| checked.get_attribute("value"))
        .flatten()
}
