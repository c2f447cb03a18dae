//! Per-route static shells: the `index.html` a deep link gets, with that page's title, heading and
//! first line already in it, so that an invitation link or a shared question paints its real
//! heading before the WebAssembly has run (and reads as that page in a link preview or a browser
//! without scripts). The app draws the same heading from the same words (`diagnostic::pages`)
//! and removes the shell once its own page heading is in place, so nothing moves.
//!
//! The build's `index.html` carries an empty `<main id="shell-page">` (the service worker's offline
//! copy keeps it empty: it answers every route); a shell fills it. Every shell is rendered and
//! compressed once at start, like the build's files: the set is small (one per fixed page, theme
//! and question, about ninety) and bounded by the questionnaire, never by what a request asks.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use diagnostic::pages::{self, page_at, Page};
use diagnostic::{Lang, Questionnaire};

use crate::assets::{Asset, AssetsError};

/// What the build's `index.html` must contain for shells to be filled in.
pub const SLOT: &str = r#"<main class="page" id="shell-page"></main>"#;

/// The shells of one build, by the canonical path of their page.
#[derive(Debug)]
pub struct Shells {
    by_path: HashMap<String, Arc<Asset>>,
    not_found: Arc<Asset>,
}

impl Shells {
    /// Renders every page's shell into `index_html`; `None` when the build has no [`SLOT`] (an
    /// older or hand-made build: every route then gets `index.html` as it is).
    pub fn build(
        index_html: &str,
        questionnaire: &Questionnaire,
    ) -> Result<Option<Shells>, AssetsError> {
        if !index_html.contains(SLOT) {
            return Ok(None);
        }
        let first_question = questionnaire.themes.iter().find_map(|theme| {
            let question = theme.questions.first()?;
            Some(pages::question_path(&theme.id, &question.id))
        });
        let render = |page: Page| {
            Asset::html(fill(index_html, &page, first_question.as_deref())).map(Arc::new)
        };
        let mut every_page: Vec<Page> = pages::STATIC_PAGES.map(Page::Static).to_vec();
        for theme in &questionnaire.themes {
            every_page.push(Page::Theme(theme));
            every_page.extend(theme.questions.iter().enumerate().map(|(index, question)| {
                Page::Question {
                    theme,
                    question,
                    position: index + 1,
                }
            }));
        }
        let mut by_path = HashMap::new();
        for page in every_page {
            if let Some(path) = page.path() {
                by_path.insert(path, render(page)?);
            }
        }
        Ok(Some(Shells {
            by_path,
            not_found: render(Page::NotFound)?,
        }))
    }

    /// The shell for a request path and its status: 404 with the « page introuvable » shell
    /// when no page of the app answers the path.
    pub fn for_path(&self, path: &str, questionnaire: &Questionnaire) -> (StatusCode, &Arc<Asset>) {
        let shell = page_at(path, questionnaire)
            .path()
            .and_then(|canonical| self.by_path.get(&canonical));
        match shell {
            Some(shell) => (StatusCode::OK, shell),
            None => (StatusCode::NOT_FOUND, &self.not_found),
        }
    }

    /// How many shells were rendered (the « page introuvable » one included).
    pub fn count(&self) -> usize {
        self.by_path.len() + 1
    }
}

/// `index_html` with the page's title and its heading in the slot (`first_question`: the home
/// page's way in). French: the server cannot know
/// a phone's chosen language, and French is the app's first language (`<html lang="fr">`).
fn fill(index_html: &str, page: &Page, first_question: Option<&str>) -> String {
    let lang = Lang::Fr;
    let title = page.title(lang);
    let heading = format!("<h1 tabindex=\"-1\">{}</h1>", escape(title));
    let body = match page {
        Page::Static(page) => {
            // The home page's introduction is its lead; other pages' first lines are plain.
            let class = if page.path == pages::HOME.path {
                " class=\"lead\""
            } else {
                ""
            };
            let lead = page
                .lead
                .map(|lead| format!("<p{class}>{}</p>", escape(lead.get(lang))))
                .unwrap_or_default();
            // A first visit can start before the WebAssembly has run: a plain link to the first
            // question, whose own shell can be answered (the app shows the same button).
            let start = match (page.path == pages::HOME.path, first_question) {
                (true, Some(href)) => format!(
                    "<div class=\"actions\"><a href=\"{}\" class=\"button button-primary\">{}</a></div>",
                    escape(href),
                    escape(pages::HOME_START.get(lang))
                ),
                _ => String::new(),
            };
            format!("{heading}{lead}{start}")
        }
        Page::Theme(theme) => {
            format!("{heading}<p>{}</p>", escape(theme.description.get(lang)))
        }
        // The question page's first lines as the app draws them, so nothing moves when it takes
        // over; its options are real radio buttons, so a first visit can answer while the
        // WebAssembly loads (the app keeps that tap: `src/pages/question.rs`). Their ids differ
        // from the app's, which is built beside the shell before the shell goes.
        Page::Question {
            theme,
            question,
            position,
        } => {
            let total = theme.questions.len();
            let options: String = question
                .answers
                .iter()
                .map(|option| {
                    let id = escape(&format!("shell--{}--{}", question.id, option.id));
                    format!(
                        "<label class=\"choice choice-large\" for=\"{id}\"><input type=\"radio\" id=\"{id}\" \
                         name=\"{}\" value=\"{}\"><span>{}</span></label>",
                        escape(&question.id),
                        escape(&option.id),
                        escape(option.label.get(lang)),
                    )
                })
                .collect();
            format!(
                "<p class=\"question-position\"><a href=\"{}\">{}</a> · <span>{}</span></p>\
                 <progress class=\"theme-progress-bar\" max=\"{total}\" value=\"{position}\"></progress>\
                 <form class=\"question\"><fieldset class=\"choice-group\"><legend>{heading}</legend>\
                 <details class=\"help\"><summary>{}</summary><p>{}</p></details>{options}</fieldset></form>",
                escape(&pages::theme_path(&theme.id)),
                escape(theme.title.get(lang)),
                escape(&pages::question_position(lang, *position, total)),
                escape(pages::HELP_TOGGLE.get(lang)),
                escape(question.help.get(lang)),
            )
        }
        Page::NotFound => {
            let lead = pages::NOT_FOUND.lead.map(|l| l.get(lang)).unwrap_or("");
            format!("{heading}<p>{}</p>", escape(lead))
        }
    };
    let slot = SLOT.replace("></main>", &format!(">{body}</main>"));
    let html = index_html.replacen(SLOT, &slot, 1);
    replace_title(&html, &format!("{title} — Arobase"))
}

/// The document's `<title>` replaced by `title` (escaped); unchanged when it has none.
fn replace_title(html: &str, title: &str) -> String {
    let (Some(start), Some(end)) = (html.find("<title>"), html.find("</title>")) else {
        return html.to_string();
    };
    if end < start {
        return html.to_string();
    }
    format!("{}<title>{}{}", &html[..start], escape(title), &html[end..])
}

/// Text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use diagnostic::questionnaire;

    const INDEX: &str = "<!DOCTYPE html><html lang=\"fr\"><head><title>Arobase</title></head>\
        <body><div id=\"app-shell\"><main class=\"page\" id=\"shell-page\"></main></div></body></html>";

    fn body(asset: &Asset) -> String {
        String::from_utf8(asset.identity().body.to_vec()).unwrap()
    }

    #[test]
    fn every_page_of_the_questionnaire_has_its_heading() {
        let q = questionnaire();
        let shells = Shells::build(INDEX, q).unwrap().expect("slot present");
        let questions: usize = q.themes.iter().map(|t| t.questions.len()).sum();
        assert_eq!(
            shells.count(),
            pages::STATIC_PAGES.len() + q.themes.len() + questions + 1
        );

        let theme = &q.themes[2];
        let question = &theme.questions[1];
        let (status, shell) =
            shells.for_path(&format!("/questionnaire/{}/{}", theme.id, question.id), q);
        assert_eq!(status, StatusCode::OK);
        let html = body(shell);
        assert!(html.contains(&format!(
            "<h1 tabindex=\"-1\">{}</h1>",
            escape(&question.text.fr)
        )));
        assert!(html.contains(&format!(
            "<title>{} — Arobase</title>",
            escape(&question.text.fr)
        )));
        assert!(html.contains(&format!("Question 2 sur {}", theme.questions.len())));
        // Its options can be answered before the app runs (under ids of their own).
        for option in &question.answers {
            assert!(html.contains(&format!(
                "<input type=\"radio\" id=\"shell--{q}--{o}\" name=\"{q}\" value=\"{o}\"><span>{}</span>",
                escape(&option.label.fr),
                q = question.id,
                o = option.id,
            )));
        }
        assert!(html.contains(&escape(&question.help.fr)));

        let (_, home) = shells.for_path("/", q);
        let first = &q.themes[0].questions[0];
        assert!(body(home).contains(&format!(
            "<a href=\"/questionnaire/{}/{}\" class=\"button button-primary\">Commencer le diagnostic</a>",
            q.themes[0].id, first.id
        )));

        let (status, shell) = shells.for_path("/rejoindre", q);
        assert_eq!(status, StatusCode::OK);
        assert!(
            body(shell).contains("<h1 tabindex=\"-1\">Rejoindre l&#39;espace de la commune</h1>")
        );
    }

    #[test]
    fn unknown_paths_get_the_not_found_shell_with_404() {
        let q = questionnaire();
        let shells = Shells::build(INDEX, q).unwrap().unwrap();
        for path in ["/nope", "/questionnaire/x/y", "/<script>"] {
            let (status, shell) = shells.for_path(path, q);
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            let html = body(shell);
            assert!(html.contains("<h1 tabindex=\"-1\">Page introuvable</h1>"));
            assert!(!html.contains("<script>"), "the path is never echoed");
        }
    }

    #[test]
    fn a_build_without_the_slot_gets_no_shells() {
        let index = "<!DOCTYPE html><html><head><title>x</title></head><body></body></html>";
        assert!(Shells::build(index, questionnaire()).unwrap().is_none());
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
        assert_eq!(
            replace_title("<title>old</title><p>", "<x>"),
            "<title>&lt;x&gt;</title><p>"
        );
    }
}
