//! The app mounted in a real headless Chromium (wasm-bindgen-test-runner + chromedriver).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Lets Leptos run its effects (they are scheduled, not synchronous).
async fn next_tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn app_mounts_with_french_navigation_and_focused_heading() {
    leptos::mount::mount_to_body(arobase::App);
    next_tick().await;
    let document = web_sys::window().unwrap().document().unwrap();

    let lang = document.document_element().unwrap().get_attribute("lang");
    assert_eq!(lang.as_deref(), Some("fr"));

    let nav = document
        .query_selector("nav.main-nav")
        .unwrap()
        .expect("main navigation rendered");
    assert_eq!(
        nav.get_attribute("aria-label").as_deref(),
        Some("Navigation principale")
    );
    let links: Vec<String> = (0..4)
        .map(|i| {
            nav.query_selector_all("a")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(links, ["Accueil", "Questionnaire", "Résultats", "Réglages"]);

    let heading = document
        .query_selector("h1")
        .unwrap()
        .expect("a page heading");
    let active = document.active_element().expect("something has focus");
    assert!(
        active.is_same_node(Some(heading.unchecked_ref())),
        "the page heading takes focus"
    );
    assert!(
        document.title().ends_with("— Arobase"),
        "title names the app: {}",
        document.title()
    );
}
