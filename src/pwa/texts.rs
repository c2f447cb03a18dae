//! The installable app's strings, French first. Kept beside the PWA components (not in the main
//! catalogue) so that this module can change on its own; same shape: one field per string, so a
//! missing translation is a compile error.

use crate::i18n::Lang;

pub struct PwaTexts {
    pub offline_title: &'static str,
    pub offline_text: &'static str,
    pub update_title: &'static str,
    pub update_text: &'static str,
    pub update_button: &'static str,
    pub install_title: &'static str,
    pub install_text: &'static str,
    pub install_button: &'static str,
    pub install_later: &'static str,
    pub install_how: &'static str,
    pub install_section_title: &'static str,
    pub installed_text: &'static str,
    pub install_other_browser: &'static str,
    pub ios_guide_title: &'static str,
    pub ios_step_share_before: &'static str,
    pub ios_step_share_name: &'static str,
    pub ios_step_share_after: &'static str,
    pub ios_step_add_before: &'static str,
    pub ios_step_add_name: &'static str,
    pub ios_step_add_after: &'static str,
    pub ios_step_confirm: &'static str,
}

pub static FR: PwaTexts = PwaTexts {
    offline_title: "Hors connexion.",
    offline_text: "Tout fonctionne sans réseau : répondre au questionnaire, voir les résultats. \
                   Vos réponses restent sur ce téléphone ; leur synchronisation attendra le retour du réseau.",
    update_title: "Nouvelle version disponible.",
    update_text: "Vos réponses sont conservées.",
    update_button: "Mettre à jour",
    install_title: "Installer Arobase",
    install_text: "Ajoutez Arobase à l'écran d'accueil : elle s'ouvre comme une application et fonctionne sans réseau.",
    install_button: "Installer",
    install_later: "Plus tard",
    install_how: "Comment installer ?",
    install_section_title: "Installer l'application",
    installed_text: "Arobase est installée sur cet appareil : ouvrez-la depuis l'écran d'accueil, même sans réseau.",
    install_other_browser: "Pour installer Arobase, ouvrez le menu de votre navigateur et choisissez \
                            « Installer l'application » ou « Ajouter à l'écran d'accueil ». \
                            Sans installation, Arobase fonctionne aussi hors connexion dans ce navigateur.",
    ios_guide_title: "Sur iPhone ou iPad, en trois gestes :",
    ios_step_share_before: "Touchez le bouton ",
    ios_step_share_name: "Partager",
    ios_step_share_after: " (en bas de l'écran sur iPhone, en haut sur iPad).",
    ios_step_add_before: "Faites défiler et choisissez ",
    ios_step_add_name: "Sur l'écran d'accueil",
    ios_step_add_after: ".",
    ios_step_confirm: "Touchez « Ajouter » : l'icône Arobase apparaît sur l'écran d'accueil.",
};

pub static EN: PwaTexts = PwaTexts {
    offline_title: "Offline.",
    offline_text: "Everything works without a network: answering the questionnaire, seeing the results. \
                   Your answers stay on this phone; syncing them waits until the network is back.",
    update_title: "A new version is available.",
    update_text: "Your answers are kept.",
    update_button: "Update",
    install_title: "Install Arobase",
    install_text: "Add Arobase to your home screen: it opens like an app and works without a network.",
    install_button: "Install",
    install_later: "Later",
    install_how: "How to install?",
    install_section_title: "Install the app",
    installed_text: "Arobase is installed on this device: open it from the home screen, even without a network.",
    install_other_browser: "To install Arobase, open your browser's menu and choose “Install app” or \
                            “Add to Home screen”. Without installing, Arobase also works offline in this browser.",
    ios_guide_title: "On iPhone or iPad, in three steps:",
    ios_step_share_before: "Tap the ",
    ios_step_share_name: "Share",
    ios_step_share_after: " button (at the bottom of the screen on iPhone, at the top on iPad).",
    ios_step_add_before: "Scroll down and choose ",
    ios_step_add_name: "Add to Home Screen",
    ios_step_add_after: ".",
    ios_step_confirm: "Tap “Add”: the Arobase icon appears on your home screen.",
};

pub fn pwa_texts(lang: Lang) -> &'static PwaTexts {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_is_translated() {
        for lang in Lang::ALL {
            let t = pwa_texts(lang);
            for s in [
                t.offline_title,
                t.offline_text,
                t.update_title,
                t.update_button,
                t.install_button,
                t.ios_step_share_name,
                t.ios_step_add_name,
            ] {
                assert!(!s.trim().is_empty());
            }
        }
        assert_ne!(FR.update_button, EN.update_button);
    }
}
