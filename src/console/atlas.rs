//! « Exemples d'actions »: the operators' moderation of the action atlas (issue 12, item 5;
//! docs/network.md « L'atlas des actions »). Examples wait here until an operator publishes them
//! (other towns see them from then on) or refuses them with a reason the town reads; a published
//! example may be taken back the same way. Every act is written to the audit log by the server.

use diagnostic::network::{AtlasExample, AtlasStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{date, Console};
use crate::i18n::{use_i18n, Lang};
use crate::sync::api;

pub struct AtlasConsoleTexts {
    pub tab: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub filter: &'static str,
    pub all: &'static str,
    pub none: &'static str,
    pub loading: &'static str,
    pub question: &'static str,
    pub sent: &'static str,
    pub partner: &'static str,
    pub cost: &'static str,
    pub duration: &'static str,
    pub contact: &'static str,
    pub public_contact: &'static str,
    pub reason_shown: &'static str,
    pub publish: &'static str,
    pub refuse: &'static str,
    pub reason: &'static str,
    pub reason_hint: &'static str,
    pub send_refusal: &'static str,
    pub cancel: &'static str,
    pub published: &'static str,
    pub refused: &'static str,
}

const FR: AtlasConsoleTexts = AtlasConsoleTexts {
    tab: "Exemples d'actions",
    title: "Exemples d'actions à relire",
    intro: "Les communes proposent des exemples de ce qu'elles ont fait. Relisez-les avant \
        publication : pas de nom de personne ni de donnée personnelle (sauf un contact public \
        saisi exprès), rien d'injurieux ni de publicitaire. Un exemple publié est montré à toutes \
        les communes avec le nom et le département de celle qui l'a proposé.",
    filter: "Afficher",
    all: "Tous",
    none: "Aucun exemple.",
    loading: "Chargement…",
    question: "Question",
    sent: "Proposé le",
    partner: "Avec qui",
    cost: "Coût",
    duration: "Durée",
    contact: "Fonction à contacter",
    public_contact: "Contact public",
    reason_shown: "Motif du refus",
    publish: "Publier",
    refuse: "Refuser",
    reason: "Motif du refus (lu par la commune)",
    reason_hint: "Une phrase : ce qu'il faut corriger pour que l'exemple soit publié.",
    send_refusal: "Envoyer le refus",
    cancel: "Annuler",
    published: "Exemple de {commune} publié.",
    refused: "Exemple de {commune} refusé.",
};

const EN: AtlasConsoleTexts = AtlasConsoleTexts {
    tab: "Action examples",
    title: "Action examples to review",
    intro: "Towns offer examples of what they did. Review them before publication: no one's name \
        nor personal data (except a public contact typed on purpose), nothing offensive or \
        promotional. A published example is shown to every town with the name and département \
        of the town that offered it.",
    filter: "Show",
    all: "All",
    none: "No example.",
    loading: "Loading…",
    question: "Question",
    sent: "Sent on",
    partner: "With whom",
    cost: "Cost",
    duration: "Duration",
    contact: "Role to contact",
    public_contact: "Public contact",
    reason_shown: "Reason for refusal",
    publish: "Publier",
    refuse: "Refuser",
    reason: "Reason for refusal (read by the town)",
    reason_hint: "One sentence: what to correct for the example to be published.",
    send_refusal: "Send the refusal",
    cancel: "Cancel",
    published: "Example of {commune} published.",
    refused: "Example of {commune} refused.",
};

pub fn atlas_texts(lang: Lang) -> &'static AtlasConsoleTexts {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

fn texts() -> &'static AtlasConsoleTexts {
    atlas_texts(use_i18n().lang.get())
}

/// The statuses the filter offers, pending first (what is waiting); `None` is every status.
const FILTERS: [Option<AtlasStatus>; 4] = [
    Some(AtlasStatus::Pending),
    Some(AtlasStatus::Published),
    Some(AtlasStatus::Refused),
    None,
];

fn filter_id(status: Option<AtlasStatus>) -> &'static str {
    status.map_or("all", AtlasStatus::id)
}

#[component]
pub fn AtlasView() -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let filter = RwSignal::new(Some(AtlasStatus::Pending));
    let examples = RwSignal::new(None::<Vec<AtlasExample>>);
    Effect::new(move |_| {
        console.version.track();
        let status = filter.get();
        let token = console.token();
        examples.set(None);
        spawn_local(async move {
            match api::operator_atlas(&token, status).await {
                Ok(page) => examples.set(Some(page.examples)),
                Err(e) => console
                    .error
                    .set(Some(console.failed(&e, i18n.lang.get_untracked()))),
            }
        });
    });
    view! {
        <section aria-labelledby="exemples-titre" class="card" data-testid="atlas-moderation">
            <h2 id="exemples-titre">{move || texts().title}</h2>
            <p>{move || texts().intro}</p>
            <div class="field">
                <label for="exemples-filtre">{move || texts().filter}</label>
                <select id="exemples-filtre" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    filter.set(FILTERS.into_iter().find(|f| filter_id(*f) == value).flatten());
                }>
                    {FILTERS.into_iter().map(|status| view! {
                        <option value=filter_id(status) selected=move || filter.get() == status>
                            {move || match status {
                                Some(status) => status.label(i18n.lang()),
                                None => texts().all,
                            }}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            {move || match examples.get() {
                None => view! { <p>{texts().loading}</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p>{texts().none}</p> }.into_any(),
                Some(list) => view! {
                    <ul class="console-list">
                        {list.into_iter().map(|example| view! { <ExampleItem example=example/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ExampleItem(example: AtlasExample) -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let refusing = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let id = example.id;
    let commune = example.town.display();
    let heading = format!("exemple-{id}");
    let reason_id = format!("exemple-{id}-motif");
    let question = diagnostic::questionnaire()
        .question(&example.question)
        .map(|q| q.text.clone());
    // One act at a time; the lists are read again afterwards, whatever happened.
    let act = {
        let commune = commune.clone();
        move |refusal: Option<String>| {
            let commune = commune.clone();
            let lang = i18n.lang.get_untracked();
            let token = console.token();
            spawn_local(async move {
                let result = match &refusal {
                    None => api::operator_atlas_publish(&token, id).await,
                    Some(reason) => api::operator_atlas_refuse(&token, id, reason).await,
                };
                match result {
                    Ok(_) => {
                        let t = atlas_texts(lang);
                        let done = if refusal.is_some() {
                            t.refused
                        } else {
                            t.published
                        };
                        console.error.set(None);
                        console.done.set(Some(done.replace("{commune}", &commune)));
                        console.version.update(|v| *v += 1);
                    }
                    Err(e) => {
                        console.done.set(None);
                        console.error.set(Some(console.failed(&e, lang)));
                    }
                }
            });
        }
    };
    let publish = {
        let act = act.clone();
        move |_: leptos::ev::MouseEvent| act(None)
    };
    let send_refusal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act(Some(reason.get_untracked()));
    };
    let status = example.status;
    let (partner, cost, duration, created_ms) = (
        example.partner,
        example.cost,
        example.duration,
        example.created_ms,
    );
    let question_id = example.question.clone();
    view! {
        <li class="console-item" aria-labelledby=heading.clone()>
            <h3 id=heading.clone()>{commune.clone()}</h3>
            <p><strong>{move || texts().question} " : "</strong>
                {move || question.as_ref().map(|q| q.get(i18n.lang()).to_string()).unwrap_or_else(|| question_id.clone())}</p>
            <p class="atlas-what">{example.what.clone()}</p>
            <dl class="facts">
                <dt>{move || texts().partner}</dt><dd>{move || partner.label(i18n.lang())}</dd>
                <dt>{move || texts().cost}</dt><dd>{move || cost.label(i18n.lang())}</dd>
                <dt>{move || texts().duration}</dt><dd>{move || duration.label(i18n.lang())}</dd>
                <dt>{move || texts().contact}</dt><dd>{example.contact_role.clone()}</dd>
                {example.public_contact.clone().map(|contact| view! {
                    <dt>{move || texts().public_contact}</dt><dd>{contact}</dd>
                })}
                <dt>{move || texts().sent}</dt><dd>{move || date(created_ms, i18n.lang())}</dd>
                {example.refusal.clone().map(|refusal| view! {
                    <dt>{move || texts().reason_shown}</dt><dd>{refusal}</dd>
                })}
            </dl>
            <p><strong>{move || status.label(i18n.lang())}</strong></p>
            <div class="console-actions">
                {(status != AtlasStatus::Published).then(|| view! {
                    <button type="button" class="button button-primary" on:click=publish.clone()>{move || texts().publish}</button>
                })}
                {(status != AtlasStatus::Refused).then(|| view! {
                    <button type="button" class="button button-danger" aria-expanded=move || refusing.get().to_string()
                        on:click=move |_| refusing.set(true)>{move || texts().refuse}</button>
                })}
            </div>
            <Show when=move || refusing.get()>
                <form class="atlas-refusal" on:submit=send_refusal.clone()>
                    <div class="field">
                        <label for=reason_id.clone()>{move || texts().reason}</label>
                        <input id=reason_id.clone() type="text" required maxlength="300"
                            aria-describedby=format!("{reason_id}-aide")
                            prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                        <p class="hint" id=format!("{reason_id}-aide")>{move || texts().reason_hint}</p>
                    </div>
                    <div class="console-actions">
                        <button type="submit" class="button button-danger">{move || texts().send_refusal}</button>
                        <button type="button" class="button" on:click=move |_| refusing.set(false)>{move || texts().cancel}</button>
                    </div>
                </form>
            </Show>
        </li>
    }
}
