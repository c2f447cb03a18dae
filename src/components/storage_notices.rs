use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::stores::schema::Damage;
use crate::stores::{use_local_store, Notice};

/// Tells the user, plainly, what was found damaged in storage and what was done with it.
#[component]
pub fn StorageNotices() -> impl IntoView {
    let i18n = use_i18n();
    let store = use_local_store();
    let describe = move |notice: &Notice| -> String {
        let t = i18n.t();
        let newer = |damage: &Damage| match damage {
            Damage::NewerSchema(_) => format!(" {}", t.notice_newer),
            _ => String::new(),
        };
        match notice {
            Notice::Recovered { backup, damage } => {
                format!("{} « {backup} ».{}", t.notice_recovered, newer(damage))
            }
            Notice::Untouched { key, damage } => {
                format!("{} « {key} ».{}", t.notice_untouched, newer(damage))
            }
            Notice::Retired { count } => format!("{count} {}", t.notice_retired),
        }
    };
    view! {
        <Show when=move || store.notices.with(|n| !n.is_empty())>
            <div class="alert alert-warning" role="alert" data-testid="storage-notices">
                <ul>
                    {move || store.notices.get().iter().map(|n| view! { <li>{describe(n)}</li> }).collect_view()}
                </ul>
                <button type="button" class="button" on:click=move |_| store.notices.set(Vec::new())>
                    {move || i18n.t().dismiss}
                </button>
            </div>
        </Show>
    }
}
