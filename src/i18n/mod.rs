//! The typed French/English catalogue: every string a component shows comes from here, so a missing
//! translation is a compile error rather than a blank on screen.

mod association;
mod en;
mod fr;
mod network;

pub use association::{assoc_texts, refusal, AssocTexts};
pub use network::{group_kind_label, network_texts, NetworkTexts};

use leptos::prelude::*;

pub use diagnostic::Lang;

/// The catalogue of `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Fr => &fr::TEXTS,
        Lang::En => &en::TEXTS,
    }
}

/// How a role reads in `lang`.
/// « 1 réponse à départager », « 3 réponses à départager ».
pub fn conflicts_count(count: usize, lang: Lang) -> String {
    let t = texts(lang);
    let noun = if count == 1 {
        t.conflicts_one
    } else {
        t.conflicts_many
    };
    format!("{} {noun}", thousands(count as u64, lang))
}

/// « 0 réponse sur 6 », « 2 réponses sur 6 »: French puts 0 and 1 in the singular, English only 1.
pub fn answered_of(answered: usize, total: usize, lang: Lang) -> String {
    let t = texts(lang);
    let singular = match lang {
        Lang::Fr => answered <= 1,
        Lang::En => answered == 1,
    };
    let words = if singular {
        t.answered_one
    } else {
        t.answered_many
    };
    format!(
        "{} {words} {}",
        thousands(answered as u64, lang),
        thousands(total as u64, lang)
    )
}

pub fn role_label(role: diagnostic::sync::Role, lang: Lang) -> &'static str {
    use diagnostic::sync::Role;
    match (role, lang) {
        (Role::Maire, Lang::Fr) => "Maire",
        (Role::Maire, Lang::En) => "Mayor",
        (Role::Adjoint, Lang::Fr) => "Adjoint·e",
        (Role::Adjoint, Lang::En) => "Deputy mayor",
        (Role::Conseiller, Lang::Fr) => "Conseiller·ère municipal·e",
        (Role::Conseiller, Lang::En) => "Town councillor",
        (Role::Dgs, Lang::Fr) => "DGS / secrétaire de mairie",
        (Role::Dgs, Lang::En) => "Town manager",
        (Role::Agent, Lang::Fr) => "Agent·e de la commune",
        (Role::Agent, Lang::En) => "Town staff",
        (Role::Autre, Lang::Fr) => "Autre",
        (Role::Autre, Lang::En) => "Other",
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
    pub home_resume: &'static str,
    pub home_done: &'static str,
    pub town_label: &'static str,
    pub town_hint: &'static str,
    pub town_title_prefix: &'static str,
    pub themes_heading: &'static str,
    /// « 1 réponse sur 6 » / « 2 réponses sur 6 »: see [`answered_of`].
    pub answered_one: &'static str,
    pub answered_many: &'static str,
    pub questionnaire_title: &'static str,
    pub questionnaire_intro: &'static str,
    pub theme_questions: &'static str,
    pub theme_not_found: &'static str,
    pub question_not_found: &'static str,
    pub unanswered: &'static str,
    pub question_label: &'static str,
    pub of: &'static str,
    pub progress_label: &'static str,
    pub help_toggle: &'static str,
    pub comment_label: &'static str,
    pub comment_hint: &'static str,
    pub clear_answer: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub next_unanswered: &'static str,
    pub back_to_theme: &'static str,
    pub back_to_questionnaire: &'static str,
    pub all_answered: &'static str,
    pub saved: &'static str,
    pub save_failed_quota: &'static str,
    pub save_failed_unavailable: &'static str,
    pub save_failed_protected: &'static str,
    pub notice_recovered: &'static str,
    pub notice_untouched: &'static str,
    pub notice_newer: &'static str,
    pub notice_retired: &'static str,
    pub dismiss: &'static str,
    pub results_title: &'static str,
    pub results_intro: &'static str,
    pub results_level: &'static str,
    pub results_completeness: &'static str,
    pub results_themes: &'static str,
    pub results_axes: &'static str,
    pub results_dont_know: &'static str,
    pub settings_title: &'static str,
    pub settings_language: &'static str,
    pub language_name: &'static str,
    pub storage_heading: &'static str,
    pub storage_persisted: &'static str,
    pub storage_persisted_yes: &'static str,
    pub storage_persisted_no: &'static str,
    pub storage_persisted_unknown: &'static str,
    pub storage_used: &'static str,
    pub storage_quota: &'static str,
    pub erase_heading: &'static str,
    pub erase_explain: &'static str,
    pub erase_button: &'static str,
    pub erase_confirm: &'static str,
    pub erase_cancel: &'static str,
    pub erase_question: &'static str,
    pub erase_done: &'static str,
    pub about_title: &'static str,
    pub about_text: &'static str,
    pub about_version: &'static str,
    pub about_content_version: &'static str,
    pub about_privacy: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub back_home: &'static str,
    pub page_loading: &'static str,
    pub page_unavailable: &'static str,
    pub page_retry: &'static str,
    pub results_empty_title: &'static str,
    pub results_campaign: &'static str,
    pub results_low_completeness: &'static str,
    pub results_radar_title: &'static str,
    pub results_radar_desc: &'static str,
    pub results_current: &'static str,
    pub results_previous: &'static str,
    pub results_axis: &'static str,
    pub results_theme: &'static str,
    pub results_score: &'static str,
    pub results_to_find_out: &'static str,
    pub results_to_find_out_intro: &'static str,
    pub explain_title: &'static str,
    pub explain_raised: &'static str,
    pub explain_lowered: &'static str,
    pub explain_points: &'static str,
    pub plan_title: &'static str,
    pub plan_intro: &'static str,
    pub plan_chosen: &'static str,
    pub plan_none_chosen: &'static str,
    pub plan_choose: &'static str,
    pub plan_unchoose: &'static str,
    pub plan_full: &'static str,
    pub plan_effort: &'static str,
    pub plan_poolable: &'static str,
    pub plan_resource: &'static str,
    pub plan_find_out: &'static str,
    pub plan_status: &'static str,
    pub plan_todo: &'static str,
    pub plan_doing: &'static str,
    pub plan_done: &'static str,
    pub plan_owner: &'static str,
    pub plan_notes: &'static str,
    pub validate_title: &'static str,
    pub validate_intro: &'static str,
    pub validate_button: &'static str,
    pub validated_on: &'static str,
    pub validated_draft: &'static str,
    pub validated_by: &'static str,
    pub validated_by_this_phone: &'static str,
    pub validated_by_someone: &'static str,
    pub validated_changed: &'static str,
    pub validated_changed_unknown: &'static str,
    pub validate_town_intro: &'static str,
    pub validate_admin_only: &'static str,
    pub release_legend: &'static str,
    pub release_intro: &'static str,
    pub release_none: &'static str,
    pub release_none_hint: &'static str,
    pub release_anonymous: &'static str,
    pub release_named: &'static str,
    pub release_withdrawal: &'static str,
    pub release_suspended: &'static str,
    pub release_chosen_by: &'static str,
    pub release_refused: &'static str,
    pub share_label: &'static str,
    pub share_hint: &'static str,
    pub campaign_new: &'static str,
    pub campaign_new_hint: &'static str,
    pub export_title: &'static str,
    pub export_print: &'static str,
    pub export_csv: &'static str,
    pub export_json: &'static str,
    pub csv_kind: &'static str,
    pub csv_id: &'static str,
    pub csv_label: &'static str,
    pub csv_value: &'static str,
    pub csv_detail: &'static str,
    pub csv_comment: &'static str,
    pub report_date: &'static str,
    pub town_page_title: &'static str,
    pub town_intro: &'static str,
    pub town_create_heading: &'static str,
    pub town_search_label: &'static str,
    pub town_search_button: &'static str,
    pub town_search_none: &'static str,
    pub town_has_space: &'static str,
    pub town_chosen: &'static str,
    pub town_name_label: &'static str,
    pub town_role_label: &'static str,
    pub town_create_button: &'static str,
    pub town_join_heading: &'static str,
    pub town_code_label: &'static str,
    pub town_join_button: &'static str,
    pub town_enrolled: &'static str,
    pub town_offline: &'static str,
    pub invite_heading: &'static str,
    pub invite_button: &'static str,
    pub invite_code: &'static str,
    pub invite_code_expiry: &'static str,
    pub invite_link: &'static str,
    pub invite_link_expiry: &'static str,
    pub invite_qr: &'static str,
    pub devices_heading: &'static str,
    pub devices_this: &'static str,
    pub devices_removed: &'static str,
    pub devices_remove: &'static str,
    pub sync_heading: &'static str,
    pub sync_button: &'static str,
    pub sync_pending: &'static str,
    pub sync_all_sent: &'static str,
    pub sync_last: &'static str,
    pub sync_never: &'static str,
    pub sync_running: &'static str,
    pub sync_unreachable: &'static str,
    pub sync_failed: &'static str,
    pub sync_revoked: &'static str,
    pub sync_forget: &'static str,
    pub conflict_heading: &'static str,
    pub conflict_also: &'static str,
    pub conflict_shown: &'static str,
    pub conflict_keep: &'static str,
    pub conflict_replace: &'static str,
    pub conflict_someone: &'static str,
    pub conflict_cleared: &'static str,
    pub conflicts_title: &'static str,
    pub conflicts_intro: &'static str,
    pub conflicts_none: &'static str,
    pub conflict_badge: &'static str,
    pub conflicts_one: &'static str,
    pub conflicts_many: &'static str,
    pub sync_live: &'static str,
    pub clock_skew_before: &'static str,
    pub clock_skew_after: &'static str,
    pub join_page_title: &'static str,
    pub join_missing: &'static str,
    pub sync_set_aside: &'static str,
    // Results apart from the level (Socle réglementaire, context, level bands) and glossary.
    pub baseline_title: &'static str,
    pub baseline_intro: &'static str,
    pub baseline_met_count: &'static str,
    pub baseline_population_known: &'static str,
    pub inhabitants: &'static str,
    pub baseline_population_label: &'static str,
    pub baseline_population_hint: &'static str,
    pub baseline_met: &'static str,
    pub baseline_not_met: &'static str,
    pub baseline_not_applicable: &'static str,
    pub baseline_below_threshold: &'static str,
    pub baseline_to_check: &'static str,
    pub baseline_unanswered: &'static str,
    pub baseline_applies_from: &'static str,
    pub baseline_condition: &'static str,
    pub baseline_source: &'static str,
    pub context_title: &'static str,
    pub context_intro: &'static str,
    pub levels_title: &'static str,
    pub levels_weighting: &'static str,
    pub levels_next: &'static str,
    pub levels_from: &'static str,
    pub levels_to: &'static str,
    pub glossary_title: &'static str,
    // The phone: the answering bar, the results' first screen and sections, the invitation card.
    pub previous_short: &'static str,
    pub answer_bar_label: &'static str,
    pub results_top_actions: &'static str,
    pub results_top_actions_none: &'static str,
    /// « point » / « points » after a number: see [`points_out_of_100`].
    pub point_one: &'static str,
    pub point_many: &'static str,
    pub out_of_100: &'static str,
    pub section_scores: &'static str,
    pub section_scores_summary: &'static str,
    pub section_explain_summary: &'static str,
    pub section_to_find_out_one: &'static str,
    pub section_to_find_out_many: &'static str,
    pub section_context_summary: &'static str,
    pub section_plan_summary: &'static str,
    pub section_validate_summary: &'static str,
    pub section_export_summary: &'static str,
    pub section_compare_summary: &'static str,
    pub invite_share: &'static str,
    pub invite_copy: &'static str,
    pub invite_copied: &'static str,
    pub invite_copy_manual: &'static str,
    pub invite_share_title: &'static str,
}

/// Shared language state, provided once at the root and read by any component through context.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// The catalogue of the current language (reactive: read inside a closure or a view).
    pub fn t(&self) -> &'static Texts {
        texts(self.lang.get())
    }

    /// The association side's strings in the current language (reactive).
    pub fn a(&self) -> &'static AssocTexts {
        assoc_texts(self.lang.get())
    }

    /// The comparison's strings in the current language (reactive).
    pub fn n(&self) -> &'static NetworkTexts {
        network_texts(self.lang.get())
    }

    /// The current language (reactive).
    pub fn lang(&self) -> Lang {
        self.lang.get()
    }
}

/// Installs the language context and keeps `<html lang>` in step with it, which screen readers use
/// to choose their voice.
pub fn provide_i18n(initial: Lang) -> I18n {
    let i18n = I18n {
        lang: RwSignal::new(initial),
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

/// `2.25` with `digits` decimals as « 2,25 » (French decimal comma, grouped thousands) or « 2.25 ».
pub fn decimal(value: f64, digits: usize, lang: Lang) -> String {
    let text = format!("{:.digits$}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let mut out = String::new();
    // « -0 » reads as nothing to a mayor: the sign only when the rounded value is not zero.
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    out.push_str(&thousands(whole.parse().unwrap_or(0), lang));
    if !fraction.is_empty() {
        out.push(match lang {
            Lang::Fr => ',',
            Lang::En => '.',
        });
        out.push_str(fraction);
    }
    out
}

/// A score's change in words a mayor reads: « +2 points sur 100 », « −0,4 point sur 100 ».
/// Whole points from 1 up (a tenth is noise next to a score out of 100), one decimal below so a
/// small contribution never reads « +0 ».
pub fn points_out_of_100(delta: f64, lang: Lang) -> String {
    let t = texts(lang);
    let digits = if delta.abs() >= 0.95 { 0 } else { 1 };
    let number = decimal(delta, digits, lang);
    let sign = if delta > 0.0 { "+" } else { "" };
    let rounded = (delta.abs() * 10f64.powi(digits as i32)).round() / 10f64.powi(digits as i32);
    // French puts anything below 2 in the singular (« 1,5 point »), English only exactly 1.
    let singular = match lang {
        Lang::Fr => rounded < 2.0,
        Lang::En => rounded == 1.0,
    };
    let unit = if singular { t.point_one } else { t.point_many };
    format!("{sign}{number} {unit} {}", t.out_of_100)
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
    fn decimals_use_each_language_separator() {
        assert_eq!(decimal(2.24, 1, Lang::Fr), "2,2");
        assert_eq!(decimal(1234.5, 1, Lang::Fr), "1\u{202f}234,5");
        assert_eq!(decimal(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(decimal(-3.0, 0, Lang::Fr), "−3");
        assert_eq!(decimal(-0.04, 1, Lang::Fr), "0,0");
    }

    #[test]
    fn score_changes_read_as_points_out_of_100() {
        assert_eq!(points_out_of_100(2.2, Lang::Fr), "+2 points sur 100");
        assert_eq!(points_out_of_100(-6.7, Lang::Fr), "−7 points sur 100");
        assert_eq!(points_out_of_100(1.2, Lang::Fr), "+1 point sur 100");
        assert_eq!(points_out_of_100(0.4, Lang::Fr), "+0,4 point sur 100");
        assert_eq!(points_out_of_100(2.2, Lang::En), "+2 points out of 100");
        assert_eq!(points_out_of_100(1.0, Lang::En), "+1 point out of 100");
        assert_eq!(points_out_of_100(0.4, Lang::En), "+0.4 points out of 100");
    }

    #[test]
    fn zero_and_one_answer_are_singular_in_french_only_one_in_english() {
        assert_eq!(answered_of(0, 6, Lang::Fr), "0 réponse sur 6");
        assert_eq!(answered_of(1, 6, Lang::Fr), "1 réponse sur 6");
        assert_eq!(answered_of(2, 6, Lang::Fr), "2 réponses sur 6");
        assert_eq!(answered_of(0, 6, Lang::En), "0 answers out of 6");
        assert_eq!(answered_of(1, 6, Lang::En), "1 answer out of 6");
    }

    #[test]
    fn every_language_has_its_own_catalogue() {
        let names: Vec<_> = Lang::ALL.iter().map(|l| texts(*l).language_name).collect();
        assert_eq!(names, ["Français", "English"]);
    }

    /// Both catalogues fill every field (the struct guarantees that) with real text: no empty
    /// string, and never the same entry left untranslated by mistake in bulk.
    #[test]
    fn no_catalogue_string_is_empty() {
        for (name, source) in [
            ("fr.rs", include_str!("fr.rs")),
            ("en.rs", include_str!("en.rs")),
        ] {
            let entries: Vec<&str> = source.lines().filter(|l| l.contains(": \"")).collect();
            assert!(entries.len() > 50, "{name}: {} entries", entries.len());
            for line in entries {
                assert!(
                    !line.trim_end().ends_with(": \"\","),
                    "{name}: empty string in `{line}`"
                );
            }
        }
        assert_ne!(texts(Lang::Fr).saved, texts(Lang::En).saved);
    }
}
