//! The strings of the association's side as a town's phone sees it: the space's status, roles and
//! removal, claims waiting for the association, the town's data (export, erasure), the links to
//! the host's notices, and the server's refusals in plain words. Kept beside the main catalogue
//! (like `pwa::texts`), same shape: one field per string, so a missing translation is a compile
//! error.

use diagnostic::association::codes;

use super::Lang;

pub struct AssocTexts {
    pub status_label: &'static str,
    pub status_pending: &'static str,
    pub status_pending_explain: &'static str,
    pub status_verified: &'static str,
    pub status_verified_explain: &'static str,
    pub status_rejected: &'static str,
    pub status_rejected_explain: &'static str,
    pub admin: &'static str,
    pub remove_self: &'static str,
    pub remove_title: &'static str,
    pub remove_self_title: &'static str,
    pub remove_explain: &'static str,
    pub remove_self_explain: &'static str,
    pub remove_confirm: &'static str,
    pub cancel: &'static str,
    pub left_space: &'static str,
    pub claim_title: &'static str,
    pub claim_explain: &'static str,
    pub claim_status: &'static str,
    pub claim_pending: &'static str,
    pub claim_refused: &'static str,
    pub claim_refresh: &'static str,
    pub claim_forget: &'static str,
    pub claim_dismiss: &'static str,
    pub claim_by: &'static str,
    pub data_heading: &'static str,
    pub export_button: &'static str,
    pub export_explain: &'static str,
    pub export_done: &'static str,
    pub erase_heading: &'static str,
    pub erase_explain: &'static str,
    pub erase_button: &'static str,
    pub erase_dialog_title: &'static str,
    pub erase_confirm_label: &'static str,
    pub erase_confirm: &'static str,
    pub erased: &'static str,
    pub legal_links: &'static str,
    pub privacy: &'static str,
    pub legal_notice: &'static str,
    pub accessibility: &'static str,
    pub refused_not_admin: &'static str,
    pub refused_last_admin: &'static str,
    pub refused_town_rejected: &'static str,
    pub refused_access_refused: &'static str,
    pub refused_access_pending: &'static str,
    pub refused_too_many_invites: &'static str,
    pub refused_invite_invalid: &'static str,
    pub refused_confirm_mismatch: &'static str,
    pub refused_rate_limited: &'static str,
    pub refused_control_characters: &'static str,
}

pub static FR: AssocTexts = AssocTexts {
    status_label: "État de l'espace",
    status_pending: "En attente de vérification par l'association",
    status_pending_explain: "Vous pouvez déjà répondre et synchroniser. L'association vérifie auprès de la mairie que cet espace est bien celui de la commune.",
    status_verified: "Vérifié",
    status_verified_explain: "L'association a vérifié auprès de la mairie que cet espace est celui de la commune.",
    status_rejected: "Refusé par l'association",
    status_rejected_explain: "L'association n'a pas reconnu cet espace comme celui de la commune. Ce téléphone ne se synchronise plus ; vos réponses restent enregistrées ici. Pour participer, demandez une invitation à un élu de la commune.",
    admin: "administrateur",
    remove_self: "Retirer ce téléphone",
    remove_title: "Retirer le téléphone « {name} » de l'espace ?",
    remove_self_title: "Retirer votre téléphone de l'espace ?",
    remove_explain: "Ce téléphone perdra l'accès à l'espace de la commune. Ses réponses restent dans l'espace, et ses invitations non utilisées sont annulées.",
    remove_self_explain: "Ce téléphone perdra l'accès à l'espace de la commune. Vos réponses restent dans l'espace et sur ce téléphone ; vos invitations non utilisées sont annulées.",
    remove_confirm: "Retirer",
    cancel: "Annuler",
    left_space: "Ce téléphone a quitté l'espace de la commune. Vos réponses restent enregistrées ici.",
    claim_title: "Demande envoyée à l'association…",
    claim_explain: "Cette commune a déjà un espace. L'association vérifie votre demande auprès de la mairie. Vous pouvez continuer à répondre : vos réponses restent sur ce téléphone et partiront dès que la demande sera acceptée.",
    claim_status: "État de la demande",
    claim_pending: "En attente de la décision de l'association",
    claim_refused: "L'association a refusé votre demande. Vos réponses restent enregistrées sur ce téléphone. Pour participer, demandez une invitation à un élu de la commune.",
    claim_refresh: "Actualiser",
    claim_forget: "Abandonner la demande sur ce téléphone",
    claim_dismiss: "J'ai compris",
    claim_by: "Demandée par",
    data_heading: "Données de la commune",
    export_button: "Exporter toutes les données de la commune (JSON)",
    export_explain: "Tout ce que le serveur garde de l'espace : la commune, les téléphones, toutes les réponses et tous les commentaires.",
    export_done: "Fichier enregistré.",
    erase_heading: "Supprimer l'espace de la commune",
    erase_explain: "Efface du serveur toutes les réponses, tous les commentaires, téléphones et invitations de l'espace. C'est définitif. Les réponses restent sur ce téléphone.",
    erase_button: "Supprimer l'espace de la commune",
    erase_dialog_title: "Supprimer définitivement l'espace de la commune ?",
    erase_confirm_label: "Pour confirmer, saisissez le nom de la commune :",
    erase_confirm: "Supprimer définitivement",
    erased: "L'espace de la commune a été supprimé du serveur. Vos réponses restent enregistrées sur ce téléphone.",
    legal_links: "Informations légales",
    privacy: "Confidentialité",
    legal_notice: "Mentions légales",
    accessibility: "Accessibilité",
    refused_not_admin: "Seul un administrateur de l'espace (le téléphone qui l'a créé, ou celui d'un maire) peut faire cela.",
    refused_last_admin: "C'est le dernier administrateur de l'espace : il ne peut pas être retiré. Faites d'abord entrer un autre administrateur (un téléphone avec le rôle Maire), ou demandez à l'association.",
    refused_town_rejected: "L'association n'a pas reconnu cet espace comme celui de la commune. Vos réponses restent enregistrées sur ce téléphone.",
    refused_access_refused: "L'association a refusé cette demande. Vos réponses restent enregistrées sur ce téléphone.",
    refused_access_pending: "Votre demande attend encore la décision de l'association.",
    refused_too_many_invites: "Trop d'invitations en cours pour cette commune (20 au plus). Attendez qu'elles soient utilisées ou qu'elles expirent.",
    refused_invite_invalid: "Code ou lien d'invitation inconnu, déjà utilisé ou expiré. Demandez une nouvelle invitation.",
    refused_confirm_mismatch: "Le nom saisi n'est pas celui de la commune : rien n'a été supprimé.",
    refused_rate_limited: "Trop de tentatives en peu de temps. Réessayez dans quelques minutes.",
    refused_control_characters: "Ce texte contient des caractères non autorisés.",
};

pub static EN: AssocTexts = AssocTexts {
    status_label: "Status of the space",
    status_pending: "Awaiting verification by the association",
    status_pending_explain: "You can already answer and sync. The association is checking with the town hall that this space really is the town's.",
    status_verified: "Verified",
    status_verified_explain: "The association checked with the town hall that this space is the town's.",
    status_rejected: "Rejected by the association",
    status_rejected_explain: "The association did not recognise this space as the town's. This phone no longer syncs; your answers remain stored here. To take part, ask an official of the town for an invitation.",
    admin: "administrator",
    remove_self: "Remove this phone",
    remove_title: "Remove the phone « {name} » from the space?",
    remove_self_title: "Remove your phone from the space?",
    remove_explain: "This phone will lose access to the town's space. Its answers stay in the space, and its unused invitations are cancelled.",
    remove_self_explain: "This phone will lose access to the town's space. Your answers stay in the space and on this phone; your unused invitations are cancelled.",
    remove_confirm: "Remove",
    cancel: "Cancel",
    left_space: "This phone has left the town's space. Your answers remain stored here.",
    claim_title: "Request sent to the association…",
    claim_explain: "This town already has a space. The association is checking your request with the town hall. You can keep answering: your answers stay on this phone and will be sent once the request is accepted.",
    claim_status: "Status of the request",
    claim_pending: "Awaiting the association's decision",
    claim_refused: "The association refused your request. Your answers remain stored on this phone. To take part, ask an official of the town for an invitation.",
    claim_refresh: "Refresh",
    claim_forget: "Give up the request on this phone",
    claim_dismiss: "Understood",
    claim_by: "Requested by",
    data_heading: "The town's data",
    export_button: "Export all the town's data (JSON)",
    export_explain: "Everything the server keeps of the space: the town, its phones, every answer and every comment.",
    export_done: "File saved.",
    erase_heading: "Delete the town's space",
    erase_explain: "Erases every answer, comment, phone and invitation of the space from the server. This cannot be undone. The answers stay on this phone.",
    erase_button: "Delete the town's space",
    erase_dialog_title: "Delete the town's space for good?",
    erase_confirm_label: "To confirm, type the town's name:",
    erase_confirm: "Delete for good",
    erased: "The town's space was deleted from the server. Your answers remain stored on this phone.",
    legal_links: "Legal information",
    privacy: "Privacy",
    legal_notice: "Legal notice",
    accessibility: "Accessibility",
    refused_not_admin: "Only an administrator of the space (the phone that created it, or a mayor's) can do this.",
    refused_last_admin: "This is the space's last administrator: it cannot be removed. First let another administrator in (a phone with the Mayor role), or ask the association.",
    refused_town_rejected: "The association did not recognise this space as the town's. Your answers remain stored on this phone.",
    refused_access_refused: "The association refused this request. Your answers remain stored on this phone.",
    refused_access_pending: "Your request is still awaiting the association's decision.",
    refused_too_many_invites: "Too many live invitations for this town (20 at most). Wait until they are used or expire.",
    refused_invite_invalid: "Unknown, used or expired invitation code or link. Ask for a new invitation.",
    refused_confirm_mismatch: "The name typed is not the town's: nothing was deleted.",
    refused_rate_limited: "Too many attempts in a short time. Try again in a few minutes.",
    refused_control_characters: "This text contains characters that are not allowed.",
};

pub fn assoc_texts(lang: Lang) -> &'static AssocTexts {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

/// The plain sentence for a refusal `code` of the association's side, when the app has one.
pub fn refusal(code: &str, lang: Lang) -> Option<&'static str> {
    let t = assoc_texts(lang);
    Some(match code {
        codes::NOT_ADMIN => t.refused_not_admin,
        codes::LAST_ADMIN => t.refused_last_admin,
        codes::TOWN_REJECTED => t.refused_town_rejected,
        codes::ACCESS_REFUSED => t.refused_access_refused,
        codes::ACCESS_PENDING => t.refused_access_pending,
        codes::TOO_MANY_INVITES => t.refused_too_many_invites,
        codes::INVITE_INVALID => t.refused_invite_invalid,
        codes::CONFIRM_MISMATCH => t.refused_confirm_mismatch,
        codes::RATE_LIMITED => t.refused_rate_limited,
        codes::CONTROL_CHARACTERS => t.refused_control_characters,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_a_phone_can_meet_has_a_sentence_in_both_languages() {
        for code in [
            codes::NOT_ADMIN,
            codes::LAST_ADMIN,
            codes::TOWN_REJECTED,
            codes::ACCESS_REFUSED,
            codes::INVITE_INVALID,
            codes::CONFIRM_MISMATCH,
            codes::RATE_LIMITED,
        ] {
            let (fr, en) = (refusal(code, Lang::Fr), refusal(code, Lang::En));
            assert!(fr.is_some() && en.is_some() && fr != en, "{code}");
        }
        assert_eq!(refusal("unknown", Lang::Fr), None);
    }
}
