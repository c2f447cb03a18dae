//! The strings of the comparison with comparable towns (results page, question page). Kept beside
//! the main catalogue like `association`, same shape: one field per string, so a missing
//! translation is a compile error. `{n}`, `{pct}`, `{group}` and `{date}` are replaced by the
//! caller; numbers through [`super::thousands`].

use diagnostic::network::GroupKind;

use super::Lang;

pub struct NetworkTexts {
    pub title: &'static str,
    pub intro: &'static str,
    /// « Chiffres du {date} »: the date line (the lead's e2e reads « Chiffres du »).
    pub figures_of: &'static str,
    pub offline_saved: &'static str,
    pub not_enrolled: &'static str,
    pub loading: &'static str,
    pub none_saved: &'static str,
    pub picker_label: &'static str,
    pub towns_one: &'static str,
    pub towns: &'static str,
    pub needed_one: &'static str,
    pub needed: &'static str,
    pub unavailable: &'static str,
    pub needed_explain: &'static str,
    pub unavailable_explain: &'static str,
    pub details: &'static str,
    pub levels_title: &'static str,
    pub your_level: &'static str,
    pub in_place: &'static str,
    pub gaps_title: &'static str,
    pub gaps_none: &'static str,
    pub all_questions: &'static str,
    pub yours_in_place: &'static str,
    pub yours_not_in_place: &'static str,
    pub yours_unknown: &'static str,
    pub radar_median: &'static str,
    pub radar_band: &'static str,
    pub radar_label: &'static str,
    pub table_median: &'static str,
    pub table_band: &'static str,
    pub question_source: &'static str,
}

pub static FR: NetworkTexts = NetworkTexts {
    title: "Se comparer aux communes comparables",
    intro: "Ces chiffres viennent des communes qui ont validé et partagé leur diagnostic, sans leur nom. Un groupe n'est montré qu'à partir de 5 communes.",
    figures_of: "Chiffres du {date}",
    offline_saved: "Hors ligne : ce sont les derniers chiffres enregistrés sur ce téléphone.",
    not_enrolled: "Reliez ce téléphone à l'espace de la commune (page Commune) pour voir où elle se situe parmi les communes comparables.",
    loading: "Chargement des chiffres des communes comparables…",
    none_saved: "Aucun chiffre enregistré sur ce téléphone : ouvrez cette page une fois en ligne.",
    picker_label: "Groupe de comparaison",
    towns_one: "1 commune",
    towns: "{n} communes",
    needed_one: "Encore 1 commune doit partager",
    needed: "Encore {n} communes doivent partager",
    unavailable: "Chiffres pas encore disponibles",
    needed_explain: "Les chiffres d'un groupe ne sont montrés qu'à partir de 5 communes, pour qu'aucune ne puisse être reconnue.",
    unavailable_explain: "Ce groupe est assez grand, mais ses chiffres attendent la prochaine mise à jour : les publier maintenant permettrait de deviner les réponses d'une commune d'un autre groupe.",
    details: "Niveaux @ et questions du groupe",
    levels_title: "Niveaux @ des communes du groupe",
    your_level: "votre commune",
    in_place: "{pct} % des communes comparables ont ceci en place",
    gaps_title: "En place chez la plupart des communes comparables, pas encore chez vous",
    gaps_none: "Aucune question : partout, votre commune fait au moins comme la plupart des communes comparables.",
    all_questions: "Les autres questions",
    yours_in_place: "chez vous : en place",
    yours_not_in_place: "chez vous : pas encore",
    yours_unknown: "chez vous : sans réponse",
    radar_median: "Médiane du groupe",
    radar_band: "Moitié centrale du groupe (Q1 à Q3)",
    radar_label: "{title}, avec la médiane du groupe « {group} » (trait en tirets) et sa moitié centrale, de Q1 à Q3 (zone grisée)",
    table_median: "Médiane du groupe",
    table_band: "Q1 – Q3",
    question_source: "Groupe « {group} », chiffres du {date}.",
};

pub static EN: NetworkTexts = NetworkTexts {
    title: "Compare with comparable towns",
    intro: "These figures come from towns that validated and shared their diagnostic, without their names. A group is shown only from 5 towns.",
    figures_of: "Figures of {date}",
    offline_saved: "Offline: these are the last figures saved on this phone.",
    not_enrolled: "Link this phone to the town's space (Town page) to see where it stands among comparable towns.",
    loading: "Loading the figures of comparable towns…",
    none_saved: "No figures saved on this phone: open this page once online.",
    picker_label: "Comparison group",
    towns_one: "1 town",
    towns: "{n} towns",
    needed_one: "1 more town must share",
    needed: "{n} more towns must share",
    unavailable: "Figures not available yet",
    needed_explain: "A group's figures are shown only from 5 towns, so that none can be recognised.",
    unavailable_explain: "This group is big enough, but its figures wait for the next update: publishing them now would let someone guess the answers of a town of another group.",
    details: "The group's @ levels and questions",
    levels_title: "@ levels of the group's towns",
    your_level: "your town",
    in_place: "{pct} % of comparable towns have this in place",
    gaps_title: "In place in most comparable towns, not yet in yours",
    gaps_none: "No question: everywhere, your town does at least as well as most comparable towns.",
    all_questions: "The other questions",
    yours_in_place: "yours: in place",
    yours_not_in_place: "yours: not yet",
    yours_unknown: "yours: no answer",
    radar_median: "Group median",
    radar_band: "Middle half of the group (Q1 to Q3)",
    radar_label: "{title}, with the median of the group “{group}” (dashed line) and its middle half, Q1 to Q3 (shaded band)",
    table_median: "Group median",
    table_band: "Q1 – Q3",
    question_source: "Group “{group}”, figures of {date}.",
};

pub fn network_texts(lang: Lang) -> &'static NetworkTexts {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

/// « Même taille », « Same size »… : the kind of a group in the picker.
pub fn group_kind_label(kind: GroupKind, lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => kind.label_fr(),
        Lang::En => match kind {
            GroupKind::Strate => "Same size",
            GroupKind::Departement => "Same département",
            GroupKind::Region => "Same region",
            GroupKind::Epci => "Same intercommunality",
            GroupKind::National => "All of France",
        },
    }
}
