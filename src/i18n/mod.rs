//! The typed French/English catalogue: every string a component shows comes from here, so a missing
//! translation is a compile error rather than a blank on screen.

mod en;
mod fr;

use leptos::prelude::*;

/// The interface language. French first: it is the default and the language of the content's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// BCP 47 code, for `<html lang>` and `hreflang`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Fr => &fr::TEXTS,
            Lang::En => &en::TEXTS,
        }
    }
}

/// Every interface string, one field each.
pub struct Texts {
    pub app_name: &'static str,
    pub tagline: &'static str,
    pub skip_to_content: &'static str,
    pub nav_label: &'static str,
    pub nav_home: &'static str,
    pub nav_questionnaire: &'static str,
    pub nav_results: &'static str,
    pub nav_settings: &'static str,
    pub nav_about: &'static str,
    pub home_title: &'static str,
    pub home_intro: &'static str,
    pub home_start: &'static str,
    pub questionnaire_title: &'static str,
    pub questionnaire_intro: &'static str,
    pub theme_title: &'static str,
    pub question_title: &'static str,
    pub back_to_questionnaire: &'static str,
    pub results_title: &'static str,
    pub results_intro: &'static str,
    pub settings_title: &'static str,
    pub settings_language: &'static str,
    pub language_name: &'static str,
    pub about_title: &'static str,
    pub about_text: &'static str,
    pub about_version: &'static str,
    pub about_privacy: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub back_home: &'static str,
}

/// Shared language state, provided once at the root and read by any component through context.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// The catalogue of the current language (reactive: read inside a closure or a view).
    pub fn t(&self) -> &'static Texts {
        self.lang.get().texts()
    }
}

/// Installs the language context and keeps `<html lang>` in step with it, which screen readers use
/// to choose their voice.
pub fn provide_i18n() -> I18n {
    let i18n = I18n {
        lang: RwSignal::new(Lang::default()),
    };
    Effect::new(move |_| {
        let code = i18n.lang.get().code();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", code);
        }
    });
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_distinct_name_and_code() {
        let names: Vec<_> = Lang::ALL.iter().map(|l| l.texts().language_name).collect();
        let codes: Vec<_> = Lang::ALL.iter().map(|l| l.code()).collect();
        assert_eq!(names, ["Français", "English"]);
        assert_eq!(codes, ["fr", "en"]);
    }
}
