use diagnostic::sync::Invite;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::use_i18n;

/// An invitation as a town's phone or the association's console shows it: the code to read
/// aloud, the link with « Partager » and « Copier le lien », and the link as a QR code.
#[component]
pub fn InviteCard(invite: Invite) -> impl IntoView {
    let i18n = use_i18n();
    let link = invite.url.clone().unwrap_or_else(|| {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{}", invite.path)
    });
    let qr = invite.qr_svg.clone().map(|svg| {
        let data: String = js_sys::encode_uri_component(&svg).into();
        view! { <img class="qr" src=format!("data:image/svg+xml,{data}") alt=move || i18n.t().invite_qr width="220" height="220"/> }
    });
    let anchor = NodeRef::<leptos::html::A>::new();
    // What the copy button did, in a live region that exists from the start, so it is announced.
    let status = RwSignal::new("");
    // The Web Share API is on phones, rarely on desktops: the button shows only where it works.
    let can_share = navigator().and_then(|n| method(&n, "share")).is_some();
    let share_link = link.clone();
    let share = move |_| {
        let Some(nav) = navigator() else { return };
        let Some(share) = method(&nav, "share") else {
            return;
        };
        let data = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&data, &"title".into(), &i18n.t().invite_share_title.into());
        let _ = js_sys::Reflect::set(&data, &"url".into(), &share_link.as_str().into());
        if let Ok(promise) = share.call1(&nav, &data) {
            // The user closing the share sheet rejects the promise: nothing to report.
            spawn_local(async move {
                let _ = JsFuture::from(js_sys::Promise::from(promise)).await;
            });
        }
    };
    let copy_link = link.clone();
    let copy = move |_| {
        status.set("");
        let select = move || {
            select_text(anchor.get_untracked().map(JsValue::from));
            status.set(i18n.t().invite_copy_manual);
        };
        let clipboard = navigator()
            .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()).ok())
            .filter(|c| !c.is_undefined() && !c.is_null());
        let write = clipboard.as_ref().and_then(|c| method(c, "writeText"));
        match (clipboard, write) {
            (Some(clipboard), Some(write)) => {
                match write.call1(&clipboard, &copy_link.as_str().into()) {
                    Ok(promise) => spawn_local(async move {
                        match JsFuture::from(js_sys::Promise::from(promise)).await {
                            Ok(_) => status.set(i18n.t().invite_copied),
                            // Refused (no permission, page not focused): the text is selected instead.
                            Err(_) => select(),
                        }
                    }),
                    Err(_) => select(),
                }
            }
            // No Clipboard API (an old browser, a page not served over HTTPS).
            _ => select(),
        }
    };
    view! {
        <dl class="facts invite">
            <dt>{move || i18n.t().invite_code}</dt>
            <dd><strong class="invite-code" data-testid="invite-code">{invite.code.clone()}</strong> " — " {move || i18n.t().invite_code_expiry}</dd>
            <dt>{move || i18n.t().invite_link}</dt>
            <dd><a href=link.clone() node_ref=anchor data-testid="invite-link">{link.clone()}</a> " — " {move || i18n.t().invite_link_expiry}</dd>
        </dl>
        <div class="invite-actions">
            {can_share.then(|| view! {
                <button type="button" class="button button-primary" on:click=share>{move || i18n.t().invite_share}</button>
            })}
            <button type="button" class="button" on:click=copy>{move || i18n.t().invite_copy}</button>
        </div>
        <p class="invite-status" role="status" data-testid="invite-status">{move || status.get()}</p>
        {qr}
    }
}

fn navigator() -> Option<JsValue> {
    web_sys::window().map(|w| w.navigator().into())
}

/// `target.name` when it is a function (feature detection without extra web-sys bindings).
fn method(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    js_sys::Reflect::get(target, &name.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

/// Selects the element's text, so the phone's own « Copier » menu is one tap away.
fn select_text(element: Option<JsValue>) {
    let (Some(window), Some(element)) = (web_sys::window(), element) else {
        return;
    };
    let window = JsValue::from(window);
    let selection = method(&window, "getSelection").and_then(|f| f.call0(&window).ok());
    if let Some(selection) = selection.filter(|s| !s.is_null()) {
        if let Some(select_all) = method(&selection, "selectAllChildren") {
            let _ = select_all.call1(&selection, &element);
        }
    }
}
