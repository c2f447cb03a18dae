use leptos::prelude::*;

/// One part of the results that the user opens: a heading holding a disclosure button (its state
/// in `aria-expanded`) with a one-line summary, so the page's first screen stays the level, the
/// radar and the first actions, and a screen reader's list of headings still names every part.
/// The content is built closed (hidden, not absent): print shows every section open.
#[component]
pub fn ResultsSection(
    /// The heading's id, which also names the `<section>` landmark.
    id: &'static str,
    #[prop(into)] title: Signal<String>,
    /// A count or a line saying what is inside.
    #[prop(into)]
    summary: Signal<String>,
    /// Extra classes (`no-print` for what the paper report leaves out).
    #[prop(optional)]
    class: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let body = format!("{id}-contenu");
    view! {
        <section class=format!("results-section {class}") aria-labelledby=id data-testid=testid>
            <h2 id=id class="section-heading">
                <button
                    type="button"
                    class="section-toggle"
                    aria-expanded=move || open.get().to_string()
                    aria-controls=body.clone()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    <span class="section-title">{title}</span>
                    <span class="section-summary">{summary}</span>
                </button>
            </h2>
            <div id=body class="section-body" hidden=move || !open.get()>{children()}</div>
        </section>
    }
}
