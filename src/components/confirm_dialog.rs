use leptos::html;
use leptos::prelude::*;

/// A confirmation in a modal `<dialog>`: the browser moves focus into it (onto « Annuler »), keeps it there, closes
/// it on Escape and gives focus back afterwards; screen readers announce it by its title and
/// explanation. `open` shows and hides it; `on_confirm` runs on the confirming button, which
/// `ready` may keep disabled (until a name is typed…). `children` go between the explanation and
/// the buttons.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    /// Unique in the page: names the title and explanation for `aria-labelledby`/`describedby`.
    id: String,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] explain: Signal<String>,
    #[prop(into)] confirm: Signal<String>,
    #[prop(into)] cancel: Signal<String>,
    on_confirm: Callback<()>,
    #[prop(optional, into)] ready: Option<Signal<bool>>,
    /// Whether confirming is dangerous (a red button).
    #[prop(optional, into)]
    danger: Signal<bool>,
    #[prop(optional)] children: Option<ChildrenFn>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let show = open.get();
        if let Some(dialog) = dialog.get() {
            if show && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !show && dialog.open() {
                dialog.close();
            }
        }
    });
    let title_id = format!("{id}-titre");
    let explain_id = format!("{id}-explication");
    let (labelled_by, described_by) = (title_id.clone(), explain_id.clone());
    let ready = move || ready.is_none_or(|r| r.get());
    let class = move || {
        if danger.get() {
            "button button-danger"
        } else {
            "button button-primary"
        }
    };
    view! {
        <dialog node_ref=dialog class="confirm-dialog" aria-labelledby=labelled_by aria-describedby=described_by
            on:close=move |_| open.set(false)>
            <h2 id=title_id>{move || title.get()}</h2>
            <p id=explain_id>{move || explain.get()}</p>
            {children.as_ref().map(|c| c())}
            <div class="dialog-buttons">
                <button type="button" class=class prop:disabled=move || !ready()
                    on:click=move |_| { open.set(false); on_confirm.run(()); }>
                    {move || confirm.get()}
                </button>
                // The safe choice takes the focus when the dialog opens.
                <button type="button" class="button" autofocus=true on:click=move |_| open.set(false)>{move || cancel.get()}</button>
            </div>
        </dialog>
    }
}

/// Runs `refresh` each time the browser comes back online or the page becomes visible again,
/// for as long as the calling component is on screen.
pub fn on_return(refresh: impl Fn() + Clone + 'static) {
    let again = refresh.clone();
    let online = window_event_listener(leptos::ev::online, move |_| again());
    let visible = window_event_listener_untyped("visibilitychange", move |_| {
        if !document().hidden() {
            refresh();
        }
    });
    on_cleanup(move || {
        online.remove();
        visible.remove();
    });
}
