//! The app's pages as both sides know them: one definition of each route's path and of the words
//! of its heading and first line, used by the app's catalogue (the heading the app draws) and by
//! the server, which puts the same heading into the HTML of a deep link so that it paints before
//! the WebAssembly runs (the app then takes over without a visible change).

use crate::{Lang, Question, Questionnaire, Theme};

/// A short text in both languages; `const` so the app's catalogues can take their fields from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    pub fr: &'static str,
    pub en: &'static str,
}

impl Words {
    pub const fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Fr => self.fr,
            Lang::En => self.en,
        }
    }
}

/// A page whose heading does not depend on the questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticPage {
    pub path: &'static str,
    pub title: Words,
    /// The paragraph right under the heading, when the page starts with a fixed one.
    pub lead: Option<Words>,
}

pub const HOME: StaticPage = StaticPage {
    path: "/",
    title: Words {
        fr: "Où en est le numérique dans votre commune ?",
        en: "Where does your town stand on digital?",
    },
    lead: Some(Words {
        fr: "Répondez au questionnaire de l'APVF, à votre rythme et même sans réseau : vos réponses restent sur ce téléphone. Vous situez ensuite votre commune sur les quatre axes de Villes Internet et repérez les actions prioritaires.",
        en: "Answer the APVF questionnaire at your own pace, even without a network: your answers stay on this phone. Then see your town on the four Villes Internet axes and the actions to take first.",
    }),
};

pub const QUESTIONNAIRE: StaticPage = StaticPage {
    path: "/questionnaire",
    title: Words {
        fr: "Questionnaire",
        en: "Questionnaire",
    },
    lead: Some(Words {
        fr: "Quatre thèmes : Dématérialisation, Communication, Médiation et Sécurité numérique. Chaque question prend moins d'une minute. Vous pouvez changer une réponse à tout moment.",
        en: "Four themes: Digitisation, Communication, Mediation and Digital security. Each question takes less than a minute. You can change an answer at any time.",
    }),
};

pub const CONFLICTS: StaticPage = StaticPage {
    path: "/a-departager",
    title: Words {
        fr: "Réponses à départager",
        en: "Answers to settle",
    },
    lead: Some(Words {
        fr: "Des élus ont répondu différemment à ces questions sans voir la réponse des autres. Ouvrez chacune pour garder une réponse : votre choix s'applique à tous les téléphones de la commune.",
        en: "Officials answered these questions differently without seeing each other's answer. Open each one to keep an answer: your choice applies to every phone of the town.",
    }),
};

pub const RESULTS: StaticPage = StaticPage {
    path: "/resultats",
    title: Words {
        fr: "Résultats",
        en: "Results",
    },
    lead: None,
};

pub const SETTINGS: StaticPage = StaticPage {
    path: "/reglages",
    title: Words {
        fr: "Réglages",
        en: "Settings",
    },
    lead: None,
};

pub const ABOUT: StaticPage = StaticPage {
    path: "/a-propos",
    title: Words {
        fr: "À propos",
        en: "About",
    },
    lead: None,
};

pub const TOWN: StaticPage = StaticPage {
    path: "/commune",
    title: Words {
        fr: "Espace de la commune",
        en: "Town space",
    },
    lead: None,
};

/// The invitation link's page (`/rejoindre#<secret>`: the secret never reaches the server).
pub const JOIN: StaticPage = StaticPage {
    path: "/rejoindre",
    title: Words {
        fr: "Rejoindre l'espace de la commune",
        en: "Join the town's space",
    },
    lead: None,
};

pub const PRIVACY: StaticPage = StaticPage {
    path: "/confidentialite",
    title: Words {
        fr: "Confidentialité",
        en: "Privacy",
    },
    lead: None,
};

pub const LEGAL_NOTICE: StaticPage = StaticPage {
    path: "/mentions-legales",
    title: Words {
        fr: "Mentions légales",
        en: "Legal notice",
    },
    lead: None,
};

pub const ACCESSIBILITY: StaticPage = StaticPage {
    path: "/accessibilite",
    title: Words {
        fr: "Accessibilité",
        en: "Accessibility",
    },
    lead: None,
};

pub const CONSOLE: StaticPage = StaticPage {
    path: crate::association::CONSOLE_PATH,
    title: Words {
        fr: "Console de l'association",
        en: "The association's console",
    },
    lead: None,
};

pub const OPERATOR_ENROL: StaticPage = StaticPage {
    path: crate::association::OPERATOR_ENROL_PATH,
    title: Words {
        fr: "Inscription d'un opérateur",
        en: "Enrolling an operator",
    },
    lead: None,
};

/// Any path no page answers (and a theme or question id the questionnaire does not have).
pub const NOT_FOUND: StaticPage = StaticPage {
    path: "",
    title: Words {
        fr: "Page introuvable",
        en: "Page not found",
    },
    lead: Some(Words {
        fr: "Cette adresse ne correspond à aucune page d'Arobase.",
        en: "This address does not match any Arobase page.",
    }),
};

/// The home page's way in for a phone with no answer yet. The server's home shell links it to
/// the first question, so a first visit can start before the WebAssembly has run.
pub const HOME_START: Words = Words {
    fr: "Commencer le diagnostic",
    en: "Start the assessment",
};

/// The question page's help toggle (in the server's question shell too).
pub const HELP_TOGGLE: Words = Words {
    fr: "Pourquoi cette question ?",
    en: "Why this question?",
};

/// « Question 3 sur 12 »: where a question stands in its theme, above its heading.
pub fn question_position(lang: Lang, position: usize, total: usize) -> String {
    match lang {
        Lang::Fr => format!("Question {position} sur {total}"),
        Lang::En => format!("Question {position} of {total}"),
    }
}

/// Every page with a fixed path.
pub const STATIC_PAGES: [StaticPage; 13] = [
    HOME,
    QUESTIONNAIRE,
    CONFLICTS,
    RESULTS,
    SETTINGS,
    ABOUT,
    TOWN,
    JOIN,
    PRIVACY,
    LEGAL_NOTICE,
    ACCESSIBILITY,
    CONSOLE,
    OPERATOR_ENROL,
];

/// The page a path shows, as far as it can be known without the phone's data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Page<'a> {
    Static(StaticPage),
    /// `/questionnaire/<theme>`.
    Theme(&'a Theme),
    /// `/questionnaire/<theme>/<question>`; `position` counts from 1 within the theme.
    Question {
        theme: &'a Theme,
        question: &'a Question,
        position: usize,
    },
    NotFound,
}

impl Page<'_> {
    /// The page's heading, as its `<h1>` reads.
    pub fn title(&self, lang: Lang) -> &str {
        match self {
            Page::Static(page) => page.title.get(lang),
            Page::Theme(theme) => theme.title.get(lang),
            Page::Question { question, .. } => question.text.get(lang),
            Page::NotFound => NOT_FOUND.title.get(lang),
        }
    }

    /// The page's canonical path; `None` for [`Page::NotFound`].
    pub fn path(&self) -> Option<String> {
        match self {
            Page::Static(page) => Some(page.path.to_string()),
            Page::Theme(theme) => Some(theme_path(&theme.id)),
            Page::Question {
                theme, question, ..
            } => Some(question_path(&theme.id, &question.id)),
            Page::NotFound => None,
        }
    }
}

/// A theme's page: `/questionnaire/<theme>`.
pub fn theme_path(theme: &str) -> String {
    format!("{}/{theme}", QUESTIONNAIRE.path)
}

/// A question's page: `/questionnaire/<theme>/<question>`.
pub fn question_path(theme: &str, question: &str) -> String {
    format!("{}/{theme}/{question}", QUESTIONNAIRE.path)
}

/// The page at `path` (no query, no fragment); one trailing slash is ignored.
pub fn page_at<'a>(path: &str, questionnaire: &'a Questionnaire) -> Page<'a> {
    let path = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    };
    if let Some(page) = STATIC_PAGES.iter().find(|page| page.path == path) {
        return Page::Static(*page);
    }
    let Some(rest) = path.strip_prefix("/questionnaire/") else {
        return Page::NotFound;
    };
    let mut parts = rest.split('/');
    let (Some(theme_id), question_id, None) = (parts.next(), parts.next(), parts.next()) else {
        return Page::NotFound;
    };
    let Some(theme) = questionnaire.theme(theme_id) else {
        return Page::NotFound;
    };
    match question_id {
        None => Page::Theme(theme),
        Some(question_id) => theme
            .questions
            .iter()
            .position(|q| q.id == question_id)
            .map_or(Page::NotFound, |index| Page::Question {
                theme,
                question: &theme.questions[index],
                position: index + 1,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire;

    #[test]
    fn every_static_path_is_found_and_unique() {
        for page in STATIC_PAGES {
            assert_eq!(page_at(page.path, questionnaire()), Page::Static(page));
        }
        let mut paths: Vec<_> = STATIC_PAGES.iter().map(|p| p.path).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), STATIC_PAGES.len());
    }

    #[test]
    fn themes_and_questions_are_found_by_id() {
        let q = questionnaire();
        let theme = &q.themes[1];
        let question = &theme.questions[2];
        assert_eq!(
            page_at(&format!("/questionnaire/{}/", theme.id), q),
            Page::Theme(theme)
        );
        let page = page_at(&format!("/questionnaire/{}/{}", theme.id, question.id), q);
        assert_eq!(
            page,
            Page::Question {
                theme,
                question,
                position: 3
            }
        );
        assert_eq!(page.title(Lang::Fr), question.text.fr);
    }

    #[test]
    fn anything_else_is_not_found() {
        let q = questionnaire();
        let theme = &q.themes[0].id;
        let question = &q.themes[1].questions[0].id;
        for path in [
            "/nope".to_string(),
            "/questionnaire/inconnu".to_string(),
            format!("/questionnaire/{theme}/inconnue"),
            // A question of another theme: the app's route does not accept it either.
            format!("/questionnaire/{theme}/{question}"),
            format!("/questionnaire/{theme}/{question}/plus"),
            "/resultats/x".to_string(),
        ] {
            assert_eq!(page_at(&path, q), Page::NotFound, "{path}");
        }
    }
}
