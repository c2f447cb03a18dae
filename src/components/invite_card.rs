use diagnostic::sync::Invite;
use leptos::prelude::*;

use crate::i18n::use_i18n;

/// An invitation as a town's phone or the association's console shows it: the code to read
/// aloud, the link, and the link as a QR code.
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
    view! {
        <dl class="facts invite">
            <dt>{move || i18n.t().invite_code}</dt>
            <dd><strong class="invite-code" data-testid="invite-code">{invite.code.clone()}</strong> " — " {move || i18n.t().invite_code_expiry}</dd>
            <dt>{move || i18n.t().invite_link}</dt>
            <dd><a href=link.clone() data-testid="invite-link">{link.clone()}</a> " — " {move || i18n.t().invite_link_expiry}</dd>
        </dl>
        {qr}
    }
}
