//! The host's notices: « Confidentialité », « Mentions légales » and « Accessibilité ». The host
//! (the association, or the commune running its own server) is the controller of the data its
//! server keeps; who it is comes from its configuration (`GET /api/host`, cached by the service
//! worker for offline reading). A field the host did not set says so: « non renseigné ».

use diagnostic::association::HostInfo;
use diagnostic::pages;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::components::page_heading::PageHeading;
use crate::i18n::{use_i18n, Lang};
use crate::sync::api;

pub struct LegalTexts {
    pub unset: &'static str,
    pub host_unavailable: &'static str,
    pub host_name: &'static str,
    pub host_address: &'static str,
    pub host_contact: &'static str,
    pub director: &'static str,
    pub privacy_title: &'static str,
    pub privacy_intro: &'static str,
    pub privacy_controller: &'static str,
    pub privacy_kept_heading: &'static str,
    pub privacy_kept: [&'static str; 5],
    pub privacy_not_kept: &'static str,
    pub privacy_why_heading: &'static str,
    pub privacy_why: &'static str,
    pub privacy_how_long_heading: &'static str,
    pub privacy_how_long_space: &'static str,
    pub privacy_devices_before: &'static str,
    pub privacy_devices_after: &'static str,
    pub privacy_rejected_before: &'static str,
    pub privacy_rejected_after: &'static str,
    pub privacy_invites: &'static str,
    pub privacy_rights_heading: &'static str,
    pub privacy_rights: [&'static str; 4],
    pub privacy_rights_how: &'static str,
    pub privacy_cnil: &'static str,
    pub legal_title: &'static str,
    pub legal_publisher_heading: &'static str,
    pub legal_software: &'static str,
    pub a11y_title: &'static str,
    pub a11y_commitment: &'static str,
    pub a11y_status_heading: &'static str,
    pub a11y_status: &'static str,
    pub a11y_status_why: &'static str,
    pub a11y_report_heading: &'static str,
    pub a11y_report: &'static str,
    pub a11y_recourse_heading: &'static str,
    pub a11y_recourse: &'static str,
    pub a11y_recourse_ways: [&'static str; 3],
}

pub static FR: LegalTexts = LegalTexts {
    unset: "non renseigné",
    host_unavailable: "Les coordonnées de l'hébergeur n'ont pas pu être lues (hors connexion ?). Elles s'afficheront au retour du réseau.",
    host_name: "Hébergeur et responsable du traitement",
    host_address: "Adresse",
    host_contact: "Contact",
    director: "Directeur ou directrice de la publication",
    privacy_title: pages::PRIVACY.title.fr,
    privacy_intro: "Arobase fonctionne d'abord sur votre téléphone : vos réponses y restent et ne partent sur le serveur que si vous créez ou rejoignez l'espace de votre commune.",
    privacy_controller: "Le responsable du traitement des données gardées sur le serveur est son hébergeur :",
    privacy_kept_heading: "Ce qui est conservé sur le serveur",
    privacy_kept: [
        "le nom d'affichage et le rôle (maire, adjoint…) saisis pour chaque téléphone de l'espace ;",
        "les réponses au questionnaire, leurs commentaires et le plan d'actions de la commune ;",
        "les dates de chaque téléphone : ajout, dernière visite, retrait ;",
        "la commune de l'espace, ses dates de création et de vérification ;",
        "le journal des actions de l'association (qui, quoi, quand), sans le contenu des réponses.",
    ],
    privacy_not_kept: "Ni adresse e-mail, ni numéro de téléphone, ni localisation, ni pisteur, ni publicité : aucune requête ne part vers un autre site.",
    privacy_why_heading: "Pourquoi",
    privacy_why: "Pour que les élus et agents d'une même commune répondent ensemble, chacun sur son téléphone, retrouvent les réponses de tous, et pour que l'association vérifie que chaque espace est bien celui de sa commune.",
    privacy_how_long_heading: "Combien de temps",
    privacy_how_long_space: "Tant que l'espace de la commune existe : un administrateur de l'espace peut le supprimer à tout moment, avec tout son contenu.",
    privacy_devices_before: "Un téléphone qui ne s'est pas connecté depuis",
    privacy_devices_after: "jours est retiré automatiquement.",
    privacy_rejected_before: "Un espace refusé par l'association est effacé",
    privacy_rejected_after: "jours après le refus.",
    privacy_invites: "Les invitations expirées sont effacées.",
    privacy_rights_heading: "Vos droits",
    privacy_rights: [
        "accès : l'espace de la commune montre ses téléphones et toutes ses réponses ;",
        "rectification : changez une réponse ou un commentaire à tout moment ;",
        "effacement : retirez votre téléphone, ou supprimez l'espace (administrateurs) ;",
        "export : « Exporter toutes les données de la commune (JSON) » dans l'espace de la commune.",
    ],
    privacy_rights_how: "Pour toute autre demande, écrivez à l'hébergeur :",
    privacy_cnil: "Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).",
    legal_title: pages::LEGAL_NOTICE.title.fr,
    legal_publisher_heading: "Éditeur et hébergeur du service",
    legal_software: "Arobase est un logiciel libre d'autodiagnostic numérique pour les petites villes.",
    a11y_title: pages::ACCESSIBILITY.title.fr,
    a11y_commitment: "L'hébergeur s'engage à rendre Arobase accessible, conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.",
    a11y_status_heading: "État de conformité",
    a11y_status: "Arobase est partiellement conforme avec le référentiel général d'amélioration de l'accessibilité (RGAA), version 4.1.",
    a11y_status_why: "Arobase est conçue et testée pour l'accessibilité (libellés, navigation au clavier, contrastes, zones tactiles), mais aucun audit de conformité n'a encore été réalisé.",
    a11y_report_heading: "Signaler un problème",
    a11y_report: "Si vous n'arrivez pas à accéder à un contenu ou à une fonction, écrivez à l'hébergeur pour être orienté vers une alternative ou obtenir le contenu sous une autre forme :",
    a11y_recourse_heading: "Voies de recours",
    a11y_recourse: "Si vous avez signalé un défaut d'accessibilité sans obtenir de réponse satisfaisante, vous pouvez saisir le Défenseur des droits :",
    a11y_recourse_ways: [
        "par le formulaire en ligne du Défenseur des droits (www.defenseurdesdroits.fr) ;",
        "auprès du délégué du Défenseur des droits de votre région ;",
        "par courrier, gratuitement, sans affranchissement : Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.",
    ],
};

pub static EN: LegalTexts = LegalTexts {
    unset: "not provided",
    host_unavailable: "The host's details could not be read (offline?). They will show once the network is back.",
    host_name: "Host and data controller",
    host_address: "Address",
    host_contact: "Contact",
    director: "Publication director",
    privacy_title: pages::PRIVACY.title.en,
    privacy_intro: "Arobase works on your phone first: your answers stay there and reach the server only if you create or join your town's space.",
    privacy_controller: "The controller of the data kept on the server is its host:",
    privacy_kept_heading: "What the server keeps",
    privacy_kept: [
        "the display name and role (mayor, deputy…) entered for each phone of the space;",
        "the answers to the questionnaire, their comments and the town's action plan;",
        "each phone's dates: added, last visit, removed;",
        "the space's town, its creation and verification dates;",
        "the log of the association's actions (who, what, when), without the answers' content.",
    ],
    privacy_not_kept: "No e-mail address, phone number, location, tracker or advertising: no request goes to another site.",
    privacy_why_heading: "Why",
    privacy_why: "So that the officials and staff of one town answer together, each on their own phone, see everyone's answers, and so that the association checks that each space really is its town's.",
    privacy_how_long_heading: "How long",
    privacy_how_long_space: "As long as the town's space exists: an administrator of the space may delete it at any time, with everything in it.",
    privacy_devices_before: "A phone that has not connected for",
    privacy_devices_after: "days is removed automatically.",
    privacy_rejected_before: "A space rejected by the association is erased",
    privacy_rejected_after: "days after the rejection.",
    privacy_invites: "Expired invitations are erased.",
    privacy_rights_heading: "Your rights",
    privacy_rights: [
        "access: the town's space shows its phones and all its answers;",
        "rectification: change an answer or a comment at any time;",
        "erasure: remove your phone, or delete the space (administrators);",
        "export: « Export all the town's data (JSON) » in the town's space.",
    ],
    privacy_rights_how: "For any other request, write to the host:",
    privacy_cnil: "You may also lodge a complaint with the CNIL (www.cnil.fr).",
    legal_title: pages::LEGAL_NOTICE.title.en,
    legal_publisher_heading: "Publisher and host of the service",
    legal_software: "Arobase is free software for the digital self-assessment of small towns.",
    a11y_title: pages::ACCESSIBILITY.title.en,
    a11y_commitment: "The host commits to making Arobase accessible, in accordance with article 47 of French law no. 2005-102 of 11 February 2005.",
    a11y_status_heading: "Compliance status",
    a11y_status: "Arobase is partially compliant with the French accessibility framework (RGAA), version 4.1.",
    a11y_status_why: "Arobase is designed and tested for accessibility (labels, keyboard navigation, contrast, touch targets), but no compliance audit has been carried out yet.",
    a11y_report_heading: "Report a problem",
    a11y_report: "If you cannot reach some content or feature, write to the host to be offered an alternative or get the content in another form:",
    a11y_recourse_heading: "Recourse",
    a11y_recourse: "If you reported an accessibility problem without a satisfactory answer, you may refer it to the Défenseur des droits:",
    a11y_recourse_ways: [
        "through the Défenseur des droits' online form (www.defenseurdesdroits.fr);",
        "with the Défenseur des droits' delegate in your region;",
        "by post, free of charge, no stamp needed: Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.",
    ],
};

pub fn legal_texts(lang: Lang) -> &'static LegalTexts {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

/// The host's details, read once per page; `None` while loading, `Some(None)` if unreachable.
fn host_info() -> RwSignal<Option<Option<HostInfo>>> {
    let host = RwSignal::new(None);
    spawn_local(async move { host.set(Some(api::host().await.ok())) });
    host
}

/// A field of the host's configuration, or « non renseigné ».
fn field(value: Option<String>, lang: Lang) -> String {
    value
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| legal_texts(lang).unset.to_string())
}

/// Name, address and contact of the host (and the publication director when asked).
#[component]
fn HostFacts(
    host: RwSignal<Option<Option<HostInfo>>>,
    #[prop(optional)] director: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || legal_texts(i18n.lang());
    let info = move || host.get().flatten().unwrap_or_default();
    view! {
        <Show when=move || host.get() == Some(None)>
            <p class="alert alert-warning" role="status">{move || t().host_unavailable}</p>
        </Show>
        <dl class="facts" data-testid="host-facts">
            <dt>{move || t().host_name}</dt>
            <dd>{move || field(info().name, i18n.lang())}</dd>
            <dt>{move || t().host_address}</dt>
            <dd>{move || field(info().address, i18n.lang())}</dd>
            <dt>{move || t().host_contact}</dt>
            <dd>{move || field(info().contact, i18n.lang())}</dd>
            {director.then(|| view! {
                <dt>{move || t().director}</dt>
                <dd>{move || field(info().publication_director, i18n.lang())}</dd>
            })}
        </dl>
    }
}

/// Links between the three notices, and back to À propos.
#[component]
pub fn LegalLinks() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav aria-label=move || i18n.a().legal_links class="legal-links">
            <ul>
                <li><A href="/confidentialite">{move || i18n.a().privacy}</A></li>
                <li><A href="/mentions-legales">{move || i18n.a().legal_notice}</A></li>
                <li><A href="/accessibilite">{move || i18n.a().accessibility}</A></li>
            </ul>
        </nav>
    }
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || legal_texts(i18n.lang());
    let host = host_info();
    let days = move |read: fn(&HostInfo) -> u32| {
        host.get()
            .flatten()
            .map_or_else(|| t().unset.to_string(), |h| read(&h).to_string())
    };
    view! {
        <PageHeading title=Signal::derive(move || t().privacy_title.to_string())/>
        <p>{move || t().privacy_intro}</p>
        <p>{move || t().privacy_controller}</p>
        <HostFacts host=host/>
        <h2>{move || t().privacy_kept_heading}</h2>
        <ul>{move || t().privacy_kept.iter().map(|item| view! { <li>{*item}</li> }).collect_view()}</ul>
        <p>{move || t().privacy_not_kept}</p>
        <h2>{move || t().privacy_why_heading}</h2>
        <p>{move || t().privacy_why}</p>
        <h2>{move || t().privacy_how_long_heading}</h2>
        <ul>
            <li>{move || t().privacy_how_long_space}</li>
            <li data-testid="device-retention">{move || format!("{} {} {}", t().privacy_devices_before, days(|h| h.device_retention_days), t().privacy_devices_after)}</li>
            <li>{move || format!("{} {} {}", t().privacy_rejected_before, days(|h| h.rejected_retention_days), t().privacy_rejected_after)}</li>
            <li>{move || t().privacy_invites}</li>
        </ul>
        <h2>{move || t().privacy_rights_heading}</h2>
        <ul>{move || t().privacy_rights.iter().map(|item| view! { <li>{*item}</li> }).collect_view()}</ul>
        <p>{move || t().privacy_rights_how} " " <strong>{move || field(host.get().flatten().and_then(|h| h.contact), i18n.lang())}</strong></p>
        <p>{move || t().privacy_cnil}</p>
        <LegalLinks/>
    }
}

#[component]
pub fn LegalNoticePage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || legal_texts(i18n.lang());
    let host = host_info();
    view! {
        <PageHeading title=Signal::derive(move || t().legal_title.to_string())/>
        <h2>{move || t().legal_publisher_heading}</h2>
        <HostFacts host=host director=true/>
        <p>{move || t().legal_software} " " {move || format!("{} {}", i18n.t().about_version, crate::APP_VERSION)}</p>
        <LegalLinks/>
    }
}

#[component]
pub fn AccessibilityPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || legal_texts(i18n.lang());
    let host = host_info();
    view! {
        <PageHeading title=Signal::derive(move || t().a11y_title.to_string())/>
        <p>{move || t().a11y_commitment}</p>
        <HostFacts host=host/>
        <h2>{move || t().a11y_status_heading}</h2>
        <p data-testid="a11y-status"><strong>{move || t().a11y_status}</strong></p>
        <p>{move || t().a11y_status_why}</p>
        <h2>{move || t().a11y_report_heading}</h2>
        <p>{move || t().a11y_report} " " <strong>{move || field(host.get().flatten().and_then(|h| h.contact), i18n.lang())}</strong></p>
        <h2>{move || t().a11y_recourse_heading}</h2>
        <p>{move || t().a11y_recourse}</p>
        <ul>{move || t().a11y_recourse_ways.iter().map(|item| view! { <li>{*item}</li> }).collect_view()}</ul>
        <LegalLinks/>
    }
}
