//! The console's strings, French first, in the console's own chunk. Templates carry named
//! `{placeholders}` that [`fill`] replaces.

use diagnostic::association::{AuditAction, TownStatus};

use crate::i18n::Lang;

pub struct ConsoleTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub not_enrolled: &'static str,
    pub lost: &'static str,
    pub enrol_again: &'static str,
    pub signed_in_as: &'static str,
    pub sign_out: &'static str,
    pub sections: &'static str,
    pub to_decide: &'static str,
    pub towns: &'static str,
    pub journal: &'static str,
    pub loading: &'static str,
    pub offline: &'static str,
    pub pending_spaces: &'static str,
    pub no_pending_spaces: &'static str,
    pub requests: &'static str,
    pub no_requests: &'static str,
    pub request_line: &'static str,
    pub claimed_space: &'static str,
    pub verify: &'static str,
    pub reject: &'static str,
    pub open: &'static str,
    pub join: &'static str,
    pub replace: &'static str,
    pub refuse: &'static str,
    pub cancel: &'static str,
    pub search_label: &'static str,
    pub departement_filter: &'static str,
    pub status_filter: &'static str,
    pub all_statuses: &'static str,
    pub search: &'static str,
    pub found: &'static str,
    pub no_town: &'static str,
    pub status_pending: &'static str,
    pub status_verified: &'static str,
    pub status_rejected: &'static str,
    pub inhabitants: &'static str,
    pub devices_count: &'static str,
    pub last_seen: &'static str,
    pub never: &'static str,
    pub created: &'static str,
    pub back: &'static str,
    pub insee: &'static str,
    pub departement: &'static str,
    pub status: &'static str,
    pub devices: &'static str,
    pub no_devices: &'static str,
    pub admin: &'static str,
    pub removed: &'static str,
    pub remove: &'static str,
    pub recovery: &'static str,
    pub recovery_explain: &'static str,
    pub recovery_button: &'static str,
    pub town_requests: &'static str,
    pub request_pending: &'static str,
    pub request_joined: &'static str,
    pub request_replaced: &'static str,
    pub request_refused: &'static str,
    pub journal_empty: &'static str,
    pub journal_more: &'static str,
    pub confirm_verify_title: &'static str,
    pub confirm_verify: &'static str,
    pub confirm_reject_title: &'static str,
    pub confirm_reject: &'static str,
    pub confirm_join_title: &'static str,
    pub confirm_join: &'static str,
    pub confirm_replace_title: &'static str,
    pub confirm_replace: &'static str,
    pub confirm_refuse_title: &'static str,
    pub confirm_refuse: &'static str,
    pub confirm_remove_title: &'static str,
    pub confirm_remove: &'static str,
    pub done_verify: &'static str,
    pub done_reject: &'static str,
    pub done_join: &'static str,
    pub done_replace: &'static str,
    pub done_refuse: &'static str,
    pub done_remove: &'static str,
    pub enrol_title: &'static str,
    pub enrol_intro: &'static str,
    pub enrol_name: &'static str,
    pub enrol_button: &'static str,
    pub enrol_missing: &'static str,
    pub enrol_invalid: &'static str,
    pub enrol_storage: &'static str,
}

pub static FR: ConsoleTexts = ConsoleTexts {
    title: "Console de l'association",
    intro: "Vérifiez les espaces des communes, décidez des demandes d'accès, aidez une commune qui a perdu ses téléphones. Chacune de vos actions est inscrite au journal.",
    not_enrolled: "Ce navigateur n'est pas inscrit comme opérateur de l'association. Ouvrez le lien d'inscription qui vous a été remis (commande « arobase-server operator add »).",
    lost: "Votre accès d'opérateur n'est plus reconnu par le serveur : il a été retiré, ou n'existe pas. Ce navigateur l'a oublié.",
    enrol_again: "Pour vous inscrire de nouveau, demandez un nouveau lien d'inscription à la personne qui administre le serveur, puis ouvrez-le dans ce navigateur.",
    signed_in_as: "Opérateur :",
    sign_out: "Oublier l'accès sur ce navigateur",
    sections: "Sections de la console",
    to_decide: "À décider",
    towns: "Communes",
    journal: "Journal",
    loading: "Chargement…",
    offline: "Serveur injoignable : vérifiez la connexion, puis réessayez.",
    pending_spaces: "Espaces en attente de vérification",
    no_pending_spaces: "Aucun espace en attente de vérification.",
    requests: "Demandes d'accès",
    no_requests: "Aucune demande d'accès à décider.",
    request_line: "{name} ({role}) demande l'espace de {commune}, le {date}.",
    claimed_space: "Espace demandé",
    verify: "Vérifier",
    reject: "Refuser",
    open: "Ouvrir",
    join: "Rattacher à l'espace existant",
    replace: "Remplacer l'espace",
    refuse: "Refuser",
    cancel: "Annuler",
    search_label: "Nom de la commune ou code INSEE",
    departement_filter: "Département (numéro, par exemple 77)",
    status_filter: "État",
    all_statuses: "Tous",
    search: "Rechercher",
    found: "commune(s) trouvée(s)",
    no_town: "Aucune commune ne correspond.",
    status_pending: "En attente de vérification",
    status_verified: "Vérifié",
    status_rejected: "Refusé",
    inhabitants: "habitants",
    devices_count: "téléphone(s) actif(s)",
    last_seen: "Dernière visite",
    never: "jamais",
    created: "Créé le",
    back: "Retour aux communes",
    insee: "Code INSEE",
    departement: "Département",
    status: "État",
    devices: "Téléphones",
    no_devices: "Aucun téléphone.",
    admin: "administrateur",
    removed: "retiré le",
    remove: "Retirer",
    recovery: "Invitation de secours",
    recovery_explain: "Pour une commune qui a perdu ses téléphones : le téléphone qui utilise cette invitation entre dans l'espace comme administrateur. Les données de l'espace ne changent pas. Ne la transmettez qu'après avoir vérifié auprès de la mairie.",
    recovery_button: "Créer une invitation de secours",
    town_requests: "Demandes d'accès pour cette commune",
    request_pending: "à décider",
    request_joined: "rattachée",
    request_replaced: "a remplacé l'espace",
    request_refused: "refusée",
    journal_empty: "Le journal est vide.",
    journal_more: "Afficher les entrées plus anciennes",
    confirm_verify_title: "Vérifier l'espace de {commune} ?",
    confirm_verify: "Confirmez que vous avez vérifié auprès de la mairie que cet espace est bien celui de {commune}. Ses téléphones le verront « Vérifié ».",
    confirm_reject_title: "Refuser l'espace de {commune} ?",
    confirm_reject: "Ses téléphones ne pourront plus se synchroniser (leurs réponses restent sur les téléphones). Les données de l'espace seront effacées après le délai de conservation, et la commune pourra de nouveau être demandée.",
    confirm_join_title: "Rattacher {name} à l'espace existant de {commune} ?",
    confirm_join: "{name} ({role}) entre dans l'espace existant et voit toutes ses réponses. L'espace et ses téléphones ne changent pas.",
    confirm_replace_title: "Remplacer l'espace de {commune} ?",
    confirm_replace: "L'espace existant est refusé : ses téléphones perdent l'accès et ses données seront effacées après le délai de conservation. {name} ({role}) reçoit un nouvel espace pour {commune}, comme administrateur.",
    confirm_refuse_title: "Refuser la demande de {name} ?",
    confirm_refuse: "{name} n'aura pas accès à l'espace de {commune}. L'espace existant ne change pas.",
    confirm_remove_title: "Retirer « {name} » de l'espace de {commune} ?",
    confirm_remove: "Ce téléphone perd l'accès à l'espace ; ses réponses restent dans l'espace et ses invitations non utilisées sont annulées. Même le dernier administrateur peut être retiré : créez ensuite une invitation de secours.",
    done_verify: "Espace de {commune} vérifié.",
    done_reject: "Espace de {commune} refusé.",
    done_join: "{name} est rattaché à l'espace de {commune}.",
    done_replace: "{name} a reçu un nouvel espace pour {commune}.",
    done_refuse: "Demande de {name} refusée.",
    done_remove: "« {name} » est retiré de l'espace de {commune}.",
    enrol_title: "Inscription d'un opérateur",
    enrol_intro: "Ce lien inscrit ce navigateur comme opérateur de l'association, une seule fois. Donnez-lui un nom qui permettra de le reconnaître dans le journal.",
    enrol_name: "Nom de ce navigateur (par exemple « Ordinateur du siège »)",
    enrol_button: "Inscrire ce navigateur",
    enrol_missing: "Ce lien d'inscription est incomplet. Copiez le lien entier donné par « arobase-server operator add ».",
    enrol_invalid: "Ce lien d'inscription est inconnu, déjà utilisé ou expiré. Demandez-en un nouveau (« arobase-server operator add »).",
    enrol_storage: "Ce navigateur n'a pas pu garder l'accès (stockage plein ou désactivé).",
};

pub static EN: ConsoleTexts = ConsoleTexts {
    title: "The association's console",
    intro: "Verify the towns' spaces, decide on access requests, help a town that lost its phones. Each of your actions is written to the log.",
    not_enrolled: "This browser is not enrolled as an operator of the association. Open the enrolment link you were given (command « arobase-server operator add »).",
    lost: "The server no longer recognises your operator access: it was removed, or does not exist. This browser has forgotten it.",
    enrol_again: "To enrol again, ask whoever runs the server for a new enrolment link, then open it in this browser.",
    signed_in_as: "Operator:",
    sign_out: "Forget the access on this browser",
    sections: "Sections of the console",
    to_decide: "To decide",
    towns: "Towns",
    journal: "Log",
    loading: "Loading…",
    offline: "Server unreachable: check the connection, then try again.",
    pending_spaces: "Spaces awaiting verification",
    no_pending_spaces: "No space awaiting verification.",
    requests: "Access requests",
    no_requests: "No access request to decide.",
    request_line: "{name} ({role}) asks for the space of {commune}, on {date}.",
    claimed_space: "Space asked for",
    verify: "Verify",
    reject: "Reject",
    open: "Open",
    join: "Join the existing space",
    replace: "Replace the space",
    refuse: "Refuse",
    cancel: "Cancel",
    search_label: "Name of the town or INSEE code",
    departement_filter: "Département (number, for instance 77)",
    status_filter: "Status",
    all_statuses: "All",
    search: "Search",
    found: "town(s) found",
    no_town: "No town matches.",
    status_pending: "Awaiting verification",
    status_verified: "Verified",
    status_rejected: "Rejected",
    inhabitants: "inhabitants",
    devices_count: "active phone(s)",
    last_seen: "Last visit",
    never: "never",
    created: "Created on",
    back: "Back to the towns",
    insee: "INSEE code",
    departement: "Département",
    status: "Status",
    devices: "Phones",
    no_devices: "No phone.",
    admin: "administrator",
    removed: "removed on",
    remove: "Remove",
    recovery: "Recovery invitation",
    recovery_explain: "For a town that lost its phones: the phone that uses this invitation enters the space as an administrator. The space's data does not change. Only hand it over after checking with the town hall.",
    recovery_button: "Create a recovery invitation",
    town_requests: "Access requests for this town",
    request_pending: "to decide",
    request_joined: "joined",
    request_replaced: "replaced the space",
    request_refused: "refused",
    journal_empty: "The log is empty.",
    journal_more: "Show older entries",
    confirm_verify_title: "Verify the space of {commune}?",
    confirm_verify: "Confirm that you checked with the town hall that this space really is {commune}'s. Its phones will see it « Verified ».",
    confirm_reject_title: "Reject the space of {commune}?",
    confirm_reject: "Its phones will no longer sync (their answers stay on the phones). The space's data will be erased after the retention period, and the town may be claimed again.",
    confirm_join_title: "Let {name} into the existing space of {commune}?",
    confirm_join: "{name} ({role}) enters the existing space and sees all its answers. The space and its phones do not change.",
    confirm_replace_title: "Replace the space of {commune}?",
    confirm_replace: "The existing space is rejected: its phones lose access and its data will be erased after the retention period. {name} ({role}) gets a new space for {commune}, as administrator.",
    confirm_refuse_title: "Refuse {name}'s request?",
    confirm_refuse: "{name} will not get access to the space of {commune}. The existing space does not change.",
    confirm_remove_title: "Remove « {name} » from the space of {commune}?",
    confirm_remove: "This phone loses access to the space; its answers stay in the space and its unused invitations are cancelled. Even the last administrator may be removed: then create a recovery invitation.",
    done_verify: "Space of {commune} verified.",
    done_reject: "Space of {commune} rejected.",
    done_join: "{name} joined the space of {commune}.",
    done_replace: "{name} got a new space for {commune}.",
    done_refuse: "{name}'s request refused.",
    done_remove: "« {name} » removed from the space of {commune}.",
    enrol_title: "Enrolling an operator",
    enrol_intro: "This link enrols this browser as an operator of the association, once. Give it a name that tells it apart in the log.",
    enrol_name: "Name of this browser (for instance « Head office computer »)",
    enrol_button: "Enrol this browser",
    enrol_missing: "This enrolment link is incomplete. Copy the whole link given by « arobase-server operator add ».",
    enrol_invalid: "This enrolment link is unknown, used or expired. Ask for a new one (« arobase-server operator add »).",
    enrol_storage: "This browser could not keep the access (storage full or disabled).",
};

pub fn console_texts(lang: Lang) -> &'static ConsoleTexts {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

pub fn status_label(status: TownStatus, lang: Lang) -> &'static str {
    let t = console_texts(lang);
    match status {
        TownStatus::Pending => t.status_pending,
        TownStatus::Verified => t.status_verified,
        TownStatus::Rejected => t.status_rejected,
    }
}

/// What an audit entry's action reads as.
pub fn action_label(action: AuditAction, lang: Lang) -> &'static str {
    use AuditAction::*;
    match (action, lang) {
        (OperatorAdded, Lang::Fr) => "Opérateur ajouté",
        (OperatorAdded, Lang::En) => "Operator added",
        (OperatorEnrolled, Lang::Fr) => "Opérateur inscrit",
        (OperatorEnrolled, Lang::En) => "Operator enrolled",
        (OperatorRemoved, Lang::Fr) => "Opérateur retiré",
        (OperatorRemoved, Lang::En) => "Operator removed",
        (TownVerified, Lang::Fr) => "Espace vérifié",
        (TownVerified, Lang::En) => "Space verified",
        (TownRejected, Lang::Fr) => "Espace refusé",
        (TownRejected, Lang::En) => "Space rejected",
        (TownPurged, Lang::Fr) => "Espace refusé effacé",
        (TownPurged, Lang::En) => "Rejected space purged",
        (RequestJoined, Lang::Fr) => "Demande rattachée",
        (RequestJoined, Lang::En) => "Request joined",
        (RequestReplaced, Lang::Fr) => "Espace remplacé",
        (RequestReplaced, Lang::En) => "Space replaced",
        (RequestRefused, Lang::Fr) => "Demande refusée",
        (RequestRefused, Lang::En) => "Request refused",
        (RecoveryIssued, Lang::Fr) => "Invitation de secours créée",
        (RecoveryIssued, Lang::En) => "Recovery invitation created",
        (DeviceRemoved, Lang::Fr) => "Téléphone retiré",
        (DeviceRemoved, Lang::En) => "Phone removed",
        (TownErased, Lang::Fr) => "Espace supprimé par la commune",
        (TownErased, Lang::En) => "Space erased by the town",
        (DevicesExpired, Lang::Fr) => "Téléphones inactifs retirés",
        (DevicesExpired, Lang::En) => "Inactive phones removed",
    }
}

/// `3267` as « 3 267 » (French, narrow no-break space) or « 3,267 ».
pub fn thousands(n: u64, lang: Lang) -> String {
    let separator = match lang {
        Lang::Fr => '\u{202f}',
        Lang::En => ',',
    };
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_as_each_language_writes_them() {
        assert_eq!(thousands(3267, Lang::Fr), "3\u{202f}267");
        assert_eq!(thousands(1_234_567, Lang::En), "1,234,567");
        assert_eq!(thousands(999, Lang::Fr), "999");
        assert_eq!(thousands(0, Lang::Fr), "0");
    }

    #[test]
    fn templates_are_filled_by_name() {
        assert_eq!(
            fill(FR.confirm_verify_title, &[("commune", "Trilport")]),
            "Vérifier l'espace de Trilport ?"
        );
    }
}
