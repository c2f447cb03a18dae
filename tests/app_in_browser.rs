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

/// The radar with a comparison group: a dashed median shape, the Q1–Q3 band, a legend, an
/// accessible name that says so, and the table's median and Q1–Q3 columns.
#[wasm_bindgen_test]
async fn the_radar_draws_the_group_median_and_band_with_their_text_alternative() {
    use arobase::components::results::radar::{AxisTable, RadarAxis, RadarChart};
    use diagnostic::network::Quartiles;
    use leptos::prelude::*;

    let axis = |title: &str, score: f64, median: u8| RadarAxis {
        title: title.to_string(),
        score,
        previous: None,
        group: Some(Quartiles {
            q1: median - 10,
            median,
            q3: median + 10,
        }),
    };
    let axes = vec![
        axis("Démocratie", 40.0, 50),
        axis("Vivre ensemble", 60.0, 45),
        axis("Connaissances", 20.0, 30),
        axis("Richesses", 80.0, 70),
    ];
    let group = RwSignal::new(Some("3 500 à 4 999 habitants".to_string()));
    let container = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .create_element("div")
        .unwrap();
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(&container)
        .unwrap();
    let handle = leptos::mount::mount_to(container.clone().unchecked_into(), move || {
        arobase::i18n::provide_i18n(diagnostic::Lang::Fr);
        let selected = RwSignal::new(None);
        let axes = Signal::derive(move || axes.clone());
        // The chart, and its figures as a table (in the results' « Scores » section).
        view! {
            <RadarChart axes=axes group=group selected=selected detail_id="axis-detail"/>
            <AxisTable axes=axes group=group/>
        }
    });
    next_tick().await;

    let median = container
        .query_selector("[data-testid=radar-median]")
        .unwrap()
        .expect("the group's median is drawn");
    assert_eq!(
        median.get_attribute("data-values").as_deref(),
        Some("50.0 45.0 30.0 70.0")
    );
    assert!(container
        .query_selector("[data-testid=radar-band]")
        .unwrap()
        .is_some());
    let title = container
        .query_selector("svg title")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        title.contains("médiane du groupe « 3 500 à 4 999 habitants »"),
        "{title}"
    );
    let legend = container
        .query_selector(".radar-legend")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        legend.contains("Médiane du groupe") && legend.contains("Q1 à Q3"),
        "{legend}"
    );
    let header = container
        .query_selector("[data-testid=axis-table] thead")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        header.contains("Médiane du groupe") && header.contains("Q1 – Q3"),
        "{header}"
    );
    let first_row = container
        .query_selector("[data-testid=axis-table] tbody tr")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        first_row.contains("50") && first_row.contains("40 – 60"),
        "{first_row}"
    );

    // No group selected: the radar is the town's alone again.
    group.set(None);
    next_tick().await;
    assert!(container
        .query_selector("[data-testid=radar-median]")
        .unwrap()
        .is_none());
    let title = container
        .query_selector("svg title")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(!title.contains("médiane"), "{title}");
    drop(handle);
}
