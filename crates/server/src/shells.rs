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
        let render = |page: Page| Asset::html(fill(index_html, &page)).map(Arc::new);
        let mut by_path = HashMap::new();
        for page in pages::STATIC_PAGES {
            by_path.insert(page.path.to_string(), render(Page::Static(page))?);
        }
        for theme in &questionnaire.themes {
            let theme_path = format!("/questionnaire/{}", theme.id);
            for (index, question) in theme.questions.iter().enumerate() {
                let page = Page::Question {
                    theme,
                    question,
                    position: index + 1,
                };
                by_path.insert(format!("{theme_path}/{}", question.id), render(page)?);
            }
            by_path.insert(theme_path, render(Page::Theme(theme))?);
        }
        Ok(Some(Shells {
            by_path,
            not_found: render(Page::NotFound)?,
        }))
    }

    /// The shell for a request path and its status: 404 with the « page introuvable » shell
    /// when no page of the app answers the path.
    pub fn for_path(&self, path: &str, questionnaire: &Questionnaire) -> (StatusCode, &Arc<Asset>) {
        let shell = match page_at(path, questionnaire) {
            Page::Static(page) => self.by_path.get(page.path),
            Page::Theme(theme) => self.by_path.get(&format!("/questionnaire/{}", theme.id)),
            Page::Question {
                theme, question, ..
            } => self
                .by_path
                .get(&format!("/questionnaire/{}/{}", theme.id, question.id)),
            Page::NotFound => None,
        };
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

/// `index_html` with the page's title and its heading in the slot. French: the server cannot know
/// a phone's chosen language, and French is the app's first language (`<html lang="fr">`).
fn fill(index_html: &str, page: &Page) -> String {
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
            format!("{heading}{lead}")
        }
        Page::Theme(theme) => {
            format!("{heading}<p>{}</p>", escape(theme.description.get(lang)))
        }
        // The question page's first lines as the app draws them, so the heading stays in place.
        Page::Question {
            theme,
            question: _,
            position,
        } => {
            let total = theme.questions.len();
            format!(
                "<p class=\"question-position\"><a href=\"/questionnaire/{}\">{}</a> · <span>{}</span></p>\
                 <progress class=\"theme-progress-bar\" max=\"{total}\" value=\"{position}\"></progress>\
                 <form class=\"question\"><fieldset class=\"choice-group\"><legend>{heading}</legend></fieldset></form>",
                escape(&theme.id),
                escape(theme.title.get(lang)),
                escape(&pages::question_position(lang, *position, total)),
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
