//! Validation of the real content, and of deliberately broken content: every error must name the
//! file, the place (question…) and the problem.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{load_toml, minimal, MINIMAL, TEST_FILE};
use diagnostic::{
    outline, questionnaire, score, validate, validate_with, AnswerKind, Lang, Location, Problem,
    Questionnaire, Rules, CONTENT_FILE, CONTENT_VERSION, DONT_KNOW, NOT_APPLICABLE,
};

fn errors_of(q: &Questionnaire, rules: &Rules) -> Vec<String> {
    match validate_with(q, TEST_FILE, rules) {
        Ok(()) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

/// Asserts one error mentions the file and every fragment.
fn assert_error(errors: &[String], fragments: &[&str]) {
    assert!(
        errors
            .iter()
            .any(|e| e.contains(TEST_FILE) && fragments.iter().all(|f| e.contains(f))),
        "no error containing {fragments:?} in {errors:#?}"
    );
}

// --- The real content ----------------------------------------------------------------------------

#[test]
fn real_content_is_valid() {
    if let Err(e) = validate(questionnaire(), CONTENT_FILE) {
        panic!("{e}");
    }
}

#[test]
fn real_content_has_the_expected_version_themes_and_axes() {
    let q = questionnaire();
    assert_eq!(q.version, "apvf-2026.2");
    assert_eq!(q.version, CONTENT_VERSION);
    let themes: Vec<&str> = q.themes.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        themes,
        [
            "dematerialisation",
            "communication",
            "mediation",
            "securite"
        ]
    );
    let axes: Vec<&str> = q.axes.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        axes,
        ["democratie", "vivre-ensemble", "connaissances", "richesses"]
    );
    assert_eq!(
        q.axis("democratie").unwrap().title.fr,
        "Démocratie et services publics"
    );
    assert_eq!(
        q.axis("connaissances").unwrap().title.fr,
        "Partage des connaissances"
    );
}

#[test]
fn real_content_sizes() {
    let q = questionnaire();
    for t in &q.themes {
        assert!(
            t.questions.len() >= 12,
            "{} has {}",
            t.id,
            t.questions.len()
        );
    }
    assert!(q.questions().count() >= 48);
    let mut per_axis: BTreeMap<&str, usize> = BTreeMap::new();
    for question in q.questions().filter(|x| x.is_scored()) {
        for axis in question.axes.keys() {
            *per_axis.entry(axis).or_default() += 1;
        }
    }
    for a in &q.axes {
        assert!(
            per_axis[a.id.as_str()] >= 6,
            "{} fed by {}",
            a.id,
            per_axis[a.id.as_str()]
        );
    }
    // Démocratie et services publics is the broadest axis.
    let max = per_axis.values().max().unwrap();
    assert_eq!(per_axis["democratie"], *max);
}

#[test]
fn real_content_ids_are_unique_and_prefixed() {
    let q = questionnaire();
    let mut seen = BTreeSet::new();
    for t in &q.themes {
        for question in &t.questions {
            assert!(seen.insert(&question.id), "duplicate {}", question.id);
            assert!(question.id.starts_with(&format!("{}-", t.prefix)));
            let options: BTreeSet<&str> = question.answers.iter().map(|o| o.id.as_str()).collect();
            assert_eq!(options.len(), question.answers.len(), "{}", question.id);
        }
    }
}

#[test]
fn real_content_every_question_offers_dont_know_and_not_applicable_unless_a_binding_duty() {
    let mut binding = 0;
    for question in questionnaire().questions() {
        let dk = question.option(DONT_KNOW).expect(&question.id);
        assert_eq!(dk.kind, AnswerKind::DontKnow);
        assert_eq!(dk.label.fr, "Ne sait pas");
        let binds_every_town = question
            .duty
            .as_ref()
            .is_some_and(|d| d.condition.is_none());
        match question.option(NOT_APPLICABLE) {
            Some(na) => {
                assert!(!binds_every_town, "{} is a binding duty", question.id);
                assert_eq!(na.kind, AnswerKind::NotApplicable);
                assert_eq!(na.label.fr, "Non concerné");
            }
            None => {
                assert!(binds_every_town, "{} lacks « Non concerné »", question.id);
                binding += 1;
            }
        }
    }
    // DPO, register, SVE, Chorus Pro, convocation, BAL… bind every commune.
    assert!(binding >= 8, "{binding}");
}

#[test]
fn real_content_duties_carry_a_source_no_axes_and_their_own_options() {
    let q = questionnaire();
    let duties: Vec<_> = q.questions().filter(|x| x.duty.is_some()).collect();
    assert!(duties.len() >= 12);
    for question in duties {
        let duty = question.duty.as_ref().unwrap();
        assert!(!duty.source.fr.is_empty() && !duty.source.en.is_empty());
        assert!(question.axes.is_empty() && !question.is_scored());
        assert!(question.option("duty-yes").is_some(), "{}", question.id);
        assert!(question.is_met_by("duty-yes") && !question.is_met_by("duty-no"));
    }
    assert_eq!(
        q.question("demat-publication-actes")
            .unwrap()
            .duty
            .as_ref()
            .unwrap()
            .min_population,
        Some(3500)
    );
    // Coverage by networks is context, not score.
    for id in ["comm-fibre", "comm-couverture-mobile"] {
        let x = q.question(id).unwrap();
        assert!(x.context && !x.is_scored() && x.axes.is_empty());
    }
}

#[test]
fn real_content_theme_weights_are_a_quarter_each() {
    let weights: Vec<Option<f64>> = questionnaire().themes.iter().map(|t| t.weight).collect();
    assert_eq!(weights, [Some(25.0); 4]);
}

#[test]
fn real_content_glossary_covers_the_jargon() {
    let q = questionnaire();
    let terms: Vec<&str> = q.glossary.iter().map(|t| t.term.as_str()).collect();
    for jargon in [
        "PES",
        "PLAT'AU",
        "PDF/A",
        "3-2-1",
        "VPN",
        "CSIRT",
        "SPF, DKIM, DMARC",
        "FTTH",
        "DRANE",
        "SVE",
        "EPCI",
    ] {
        assert!(terms.contains(&jargon), "{jargon}");
    }
}

#[test]
fn real_content_english_has_no_french_quotes() {
    let json = serde_json::to_value(questionnaire()).unwrap();
    fn walk(v: &serde_json::Value, found: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::String(en)) = m.get("en") {
                    if en.contains('«') || en.contains('»') {
                        found.push(en.clone());
                    }
                }
                m.values().for_each(|x| walk(x, found));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(&json, &mut found);
    assert!(found.is_empty(), "{found:?}");
    assert!(!json.to_string().contains("booby-trapped"));
}

#[test]
fn real_content_default_scale_is_the_agreed_one() {
    let q = questionnaire();
    let got: Vec<(&str, &str, &str)> = q
        .scale
        .iter()
        .map(|o| (o.id.as_str(), o.label.fr.as_str(), o.label.en.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("stage-0", "Pas engagé", "Not started"),
            ("stage-1", "En réflexion", "Considering"),
            ("stage-2", "En cours", "In progress"),
            ("stage-3", "En place", "In place"),
            ("stage-4", "Évalué et amélioré", "Evaluated and improved"),
            ("dont-know", "Ne sait pas", "Don't know"),
            ("not-applicable", "Non concerné", "Not applicable"),
        ]
    );
    // Questions without their own options get the whole scale, expanded.
    let suivi = q.question("demat-saisine-suivi").unwrap();
    assert_eq!(suivi.answers, q.scale);
}

#[test]
fn real_content_custom_scales_keep_specials_last() {
    let q = questionnaire();
    let fibre = q.question("comm-fibre").unwrap();
    let ids: Vec<&str> = fibre.answers.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids.len(), 7);
    assert_eq!(&ids[5..], [DONT_KNOW, NOT_APPLICABLE]);
    assert_eq!(
        fibre.option("fibre-50-80").unwrap().kind,
        AnswerKind::Stage(2)
    );
}

#[test]
fn real_content_every_low_stage_has_a_recommendation() {
    for question in questionnaire().questions() {
        let reachable: BTreeSet<u8> = question
            .answers
            .iter()
            .filter_map(|o| match o.kind {
                AnswerKind::Stage(s) if s < 3 => Some(s),
                _ => None,
            })
            .collect();
        assert!(reachable.contains(&0), "{}", question.id);
        for stage in reachable {
            let r = question
                .recommendation_for(stage)
                .unwrap_or_else(|| panic!("{} stage {stage}", question.id));
            for lang in Lang::ALL {
                assert!(!r.text.get(lang).trim().is_empty());
                assert!(!r.resource.get(lang).trim().is_empty());
            }
        }
        assert!(question.recommendation_for(3).is_none());
        assert!(question.recommendation_for(4).is_none());
    }
}

#[test]
fn real_content_texts_cite_no_url() {
    // The content names bodies and services; it never invents addresses.
    let json = serde_json::to_string(questionnaire()).unwrap();
    for marker in ["http://", "https://", "www."] {
        assert!(!json.contains(marker), "content contains {marker}");
    }
}

#[test]
fn real_content_french_typography_applied() {
    let q = questionnaire();
    for question in q.questions() {
        for s in [&question.text.fr, &question.help.fr] {
            assert!(
                !s.contains(" ?") && !s.contains(" :") && !s.contains("« "),
                "{s}"
            );
        }
    }
    // The English half is left alone.
    assert!(q
        .question("demat-saisine-suivi")
        .unwrap()
        .text
        .en
        .ends_with("informed?"));
}

#[test]
fn real_content_migrates_from_2026_1_by_renames_only() {
    let m = &questionnaire().migrations;
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].from.as_str(), m[0].to.as_str()),
        ("apvf-2026.1", "apvf-2026.2")
    );
    // Nothing removed or merged: every 2026.1 answer keeps a place.
    assert!(m[0].merged.is_empty() && m[0].removed.is_empty());
}

#[test]
fn json_has_the_api_shape() {
    let v = serde_json::to_value(questionnaire()).unwrap();
    assert_eq!(v["version"], "apvf-2026.2");
    assert_eq!(v["axes"].as_array().unwrap().len(), 4);
    let theme = &v["themes"][0];
    assert!(theme["id"].is_string());
    assert!(theme["title"]["fr"].is_string() && theme["title"]["en"].is_string());
    let question = &theme["questions"][0];
    assert!(question["id"].is_string());
    for key in ["text", "help"] {
        assert!(question[key]["fr"].is_string() && question[key]["en"].is_string());
    }
    let answers = question["answers"].as_array().unwrap();
    assert!(answers.len() >= 4);
    assert!(answers[0]["id"].is_string() && answers[0]["kind"].is_string());
    assert!(question["axes"]
        .as_object()
        .unwrap()
        .values()
        .all(|w| w.is_f64()));
    assert_eq!(theme["weight"], 25.0);
    // Every question carries its full option list, default-scale ones included.
    for t in v["themes"].as_array().unwrap() {
        for q in t["questions"].as_array().unwrap() {
            assert!(q["answers"].as_array().unwrap().len() >= 4, "{}", q["id"]);
        }
    }
}

/// The app's first download holds the outline only: it must answer every question of storage,
/// migration and scoring exactly as the full content does, and carry none of the reading matter.
#[test]
fn outline_keeps_what_answers_need_and_drops_the_texts() {
    let (full, outline) = (questionnaire(), outline());
    assert_eq!(outline.version, full.version);
    assert_eq!(outline.migrations, full.migrations);
    assert_eq!(outline.scale, full.scale);
    assert_eq!(outline.levels, full.levels);
    let ids = |q: &Questionnaire| q.questions().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(outline), ids(full));
    for (o, f) in outline.themes.iter().zip(&full.themes) {
        assert_eq!(
            (&o.id, &o.title, &o.description),
            (&f.id, &f.title, &f.description)
        );
    }
    for (o, f) in outline.questions().zip(full.questions()) {
        assert_eq!((&o.answers, &o.axes), (&f.answers, &f.axes), "{}", f.id);
        assert!(o.text.fr.is_empty() && o.help.en.is_empty() && o.recommendations.is_empty());
    }
    // Same scores for the same answers: one answer per option of every question in turn.
    for pick in 0..full.scale.len() {
        let answers = full
            .questions()
            .map(|q| {
                (
                    q.id.clone(),
                    diagnostic::Answer::new(q.answers[pick % q.answers.len()].id.clone()),
                )
            })
            .collect();
        assert_eq!(score(outline, &answers), score(full, &answers));
    }
    let outline_json = serde_json::to_string(outline).unwrap();
    let full_json = serde_json::to_string(full).unwrap();
    assert!(
        outline_json.len() * 3 < full_json.len(),
        "outline {} bytes vs content {} bytes",
        outline_json.len(),
        full_json.len()
    );
}

#[test]
fn json_round_trips() {
    let json = serde_json::to_string(questionnaire()).unwrap();
    let back = Questionnaire::from_json(&json).unwrap();
    assert_eq!(&back, questionnaire());
}

#[test]
fn from_json_reports_bad_json() {
    let err = Questionnaire::from_json("{\"version\": 3}").unwrap_err();
    assert!(err.to_string().contains("questionnaire JSON"));
}

// --- Broken content ------------------------------------------------------------------------------

#[test]
fn minimal_test_content_is_valid_with_lenient_rules() {
    assert_eq!(
        errors_of(&minimal(), &Rules::lenient()),
        Vec::<String>::new()
    );
}

#[test]
fn duplicate_question_id_is_reported_with_file_and_question() {
    let q = load_toml(&MINIMAL.replace("id = \"beta-two\"", "id = \"beta-one\""));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &["question `beta-one`", "duplicate question id `beta-one`"],
    );
}

#[test]
fn duplicate_theme_and_option_ids_are_reported() {
    let q = load_toml(
        &MINIMAL
            .replace(
                "id = \"beta\"\nprefix = \"beta\"",
                "id = \"alpha\"\nprefix = \"beta\"",
            )
            .replace("id = \"two-half\"", "id = \"two-none\""),
    );
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(&errors, &["theme `alpha`", "duplicate theme id `alpha`"]);
    assert_error(
        &errors,
        &["question `alpha-two`", "duplicate option id `two-none`"],
    );
}

#[test]
fn empty_translation_is_reported() {
    let q = load_toml(&MINIMAL.replace("en = \"Help three.\"", "en = \"  \""));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &["question `beta-one` (theme `beta`)", "help is empty in en"],
    );
}

#[test]
fn placeholder_text_is_reported() {
    let q = load_toml(&MINIMAL.replace("Aide deux.", "TODO aide"));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &["question `alpha-two`", "placeholder `TODO` in fr"],
    );
}

#[test]
fn unknown_axis_and_bad_weight_are_reported() {
    let q = load_toml(
        &MINIMAL
            .replace("axes = { richesses = 1 }", "axes = { richeses = 1 }")
            .replace("axes = { democratie = 2 }", "axes = { democratie = 0 }"),
    );
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(&errors, &["question `beta-one`", "unknown axis `richeses`"]);
    assert_error(
        &errors,
        &["question `alpha-one`", "weight 0 on axis `democratie`"],
    );
}

#[test]
fn question_without_axis_is_reported() {
    let q = load_toml(&MINIMAL.replace("axes = { richesses = 1 }", "axes = {}"));
    assert_error(
        &errors_of(&q, &Rules::lenient()),
        &["question `beta-one`", "feeds no axis"],
    );
}

#[test]
fn missing_prefix_and_non_kebab_ids_are_reported() {
    let q = load_toml(&MINIMAL.replace("id = \"beta-two\"", "id = \"Beta_two\""));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(&errors, &["question `Beta_two`", "not kebab-case"]);
    assert_error(&errors, &["question `Beta_two`", "theme prefix `beta-`"]);
}

#[test]
fn thresholds_of_the_default_rules_are_enforced() {
    let errors = errors_of(&minimal(), &Rules::default());
    assert_error(
        &errors,
        &["theme `alpha`", "has 2 questions, at least 12 required"],
    );
    assert_error(
        &errors,
        &[
            "axis `democratie`",
            "fed by 3 questions, at least 6 required",
        ],
    );
}

#[test]
fn custom_options_get_the_special_answers_appended() {
    let q = minimal();
    let two = q.question("alpha-two").unwrap();
    let ids: Vec<&str> = two.answers.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        ["two-none", "two-half", "two-all", DONT_KNOW, NOT_APPLICABLE]
    );
    // Normalising again changes nothing.
    let mut again = q.clone();
    again.normalise();
    assert_eq!(again, q);
}

#[test]
fn content_built_in_code_without_specials_is_rejected() {
    let mut q = minimal();
    let question = &mut q.themes[0].questions[1];
    question.answers.retain(|o| o.kind != AnswerKind::DontKnow);
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &[
            "question `alpha-two`",
            "lacks the « Ne sait pas » option (id `dont-know`)",
        ],
    );
}

#[test]
fn special_option_under_another_id_is_rejected() {
    let q = load_toml(&MINIMAL.replace(
        "{ id = \"two-all\", kind = \"stage-4\"",
        "{ id = \"two-unsure\", kind = \"dont-know\", label = { fr = \"?\", en = \"?\" } },\n  { id = \"two-all\", kind = \"stage-4\"",
    ));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &[
            "question `alpha-two`",
            "option `two-unsure` is of kind `dont-know` but its id must be `dont-know`",
        ],
    );
}

#[test]
fn misleading_option_id_is_rejected() {
    let q = load_toml(&MINIMAL.replace(
        "id = \"two-half\", kind = \"stage-2\"",
        "id = \"stage-3\", kind = \"stage-2\"",
    ));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &[
            "question `alpha-two`",
            "option `stage-3` is named like another kind",
        ],
    );
}

#[test]
fn recommendation_problems_are_reported() {
    // Stage 1 of alpha-one uncovered, and a recommendation for stage 3.
    let q = load_toml(&MINIMAL.replace(
        "{ stages = [0, 1], effort = \"€\"",
        "{ stages = [0, 3], effort = \"€\"",
    ));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &["question `alpha-one`", "stage 1 has no recommendation"],
    );
    assert_error(
        &errors,
        &["question `alpha-one`", "recommendation #1 targets stage 3"],
    );
}

#[test]
fn recommendation_for_a_stage_no_option_offers_is_rejected() {
    // alpha-two offers stages 0, 2, 4 only.
    let q = load_toml(&MINIMAL.replace(
        "{ stages = [0], effort = \"€€€\"",
        "{ stages = [0, 1], effort = \"€€€\"",
    ));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &[
            "question `alpha-two`",
            "recommendation #1 targets stage 1, which no option",
        ],
    );
}

#[test]
fn doubly_covered_stage_is_rejected() {
    let q = load_toml(&MINIMAL.replace(
        "{ stages = [2], effort = \"€€\"",
        "{ stages = [1, 2], effort = \"€€\"",
    ));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &[
            "question `alpha-one`",
            "stage 1 is covered by more than one recommendation",
        ],
    );
}

#[test]
fn level_bands_are_checked() {
    let q = load_toml(
        &MINIMAL
            .replace("at = 1\nmin_score = 0", "at = 1\nmin_score = 10")
            .replace("at = 3\nmin_score = 80", "at = 4\nmin_score = 30"),
    );
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(&errors, &["level band #1", "first band must start at 0"]);
    assert_error(&errors, &["level band #3", "expected 3@"]);
    assert_error(&errors, &["level band #3", "min_score 30"]);
}

#[test]
fn default_scale_must_be_complete() {
    let mut q = minimal();
    q.scale.retain(|o| o.kind != AnswerKind::Stage(3));
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(&errors, &["default scale", "lacks stage 3"]);
}

fn with_migrations(extra: &str) -> Questionnaire {
    // Migration tables must precede the first [[axes]] table in TOML.
    load_toml(&MINIMAL.replacen("[[axes]]", &format!("{extra}\n[[axes]]"), 1))
}

#[test]
fn valid_migration_map_is_accepted() {
    let q = with_migrations(
        r#"
[[migrations]]
from = "test-0"
to = "test-1"
renamed = [{ from = "alpha-old", to = "alpha-one" }]
merged = [{ from = ["beta-a", "beta-b"], into = "beta-two" }, { from = ["beta-one", "beta-c"], into = "beta-one" }]
removed = [{ id = "beta-gone" }]
"#,
    );
    assert_eq!(errors_of(&q, &Rules::lenient()), Vec::<String>::new());
}

#[test]
fn migration_map_referring_to_unknown_or_live_ids_is_rejected() {
    let q = with_migrations(
        r#"
[[migrations]]
from = "test-0"
to = "test-1"
renamed = [{ from = "alpha-old", to = "alpha-nowhere" }, { from = "beta-one", to = "alpha-one", options = { x = "no-such-option" } }]
removed = [{ id = "alpha-old" }]
"#,
    );
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &[
            "migration test-0 → test-1",
            "target question `alpha-nowhere` does not exist",
        ],
    );
    assert_error(
        &errors,
        &[
            "migration test-0 → test-1",
            "old question `beta-one` still exists",
        ],
    );
    assert_error(
        &errors,
        &[
            "migration test-0 → test-1",
            "old question `alpha-old` appears in more than one change",
        ],
    );
    assert_error(
        &errors,
        &["migration test-0 → test-1", "maps `x` to `no-such-option`"],
    );
}

#[test]
fn migration_chain_must_reach_the_current_version() {
    let q = with_migrations(
        r#"
[[migrations]]
from = "test-0"
to = "test-0b"
[[migrations]]
from = "test-0c"
to = "test-2"
"#,
    );
    let errors = errors_of(&q, &Rules::lenient());
    assert_error(
        &errors,
        &[
            "migration test-0c → test-2",
            "previous step, which leads to `test-0b`",
        ],
    );
    assert_error(
        &errors,
        &["migration test-0c → test-2", "current version `test-1`"],
    );
}

#[test]
fn every_problem_is_collected_in_one_pass() {
    let q = load_toml(
        &MINIMAL
            .replace("en = \"Help three.\"", "en = \"\"")
            .replace("axes = { democratie = 2 }", "axes = { democratie = -1 }"),
    );
    let err = validate_with(&q, TEST_FILE, &Rules::lenient()).unwrap_err();
    assert_eq!(err.0.len(), 2);
    let shown = err.to_string();
    assert!(shown.starts_with("2 content error(s):"));
    // Structured access for tools.
    assert!(err.0.iter().any(|e| e.location
        == Location::Question {
            theme: "beta".into(),
            question: "beta-one".into()
        }
        && matches!(e.problem, Problem::EmptyText { lang: Lang::En, .. })));
}

// --- Duties, context and theme weights ------------------------------------------------------------

/// `beta-two` turned into a duty: no axes, the given `duty` table.
fn with_duty(duty: &str) -> Questionnaire {
    load_toml(&MINIMAL.replace(
        "id = \"beta-two\"\naxes = { democratie = 1, richesses = 1 }",
        &format!("id = \"beta-two\"\naxes = {{}}\n{duty}"),
    ))
}

#[test]
fn duty_questions_lose_not_applicable_unless_conditional() {
    let q = with_duty("duty.source = { fr = \"RGPD, art. 37\", en = \"GDPR, art. 37\" }");
    assert!(errors_of(&q, &Rules::lenient()).is_empty());
    let duty = q.question("beta-two").unwrap();
    assert!(duty.option(NOT_APPLICABLE).is_none() && duty.option(DONT_KNOW).is_some());
    assert!(!duty.is_scored());

    let conditional = with_duty(
        "duty.source = { fr = \"Décret\", en = \"Decree\" }\nduty.condition = { fr = \"si site\", en = \"if website\" }",
    );
    assert!(errors_of(&conditional, &Rules::lenient()).is_empty());
    assert!(conditional
        .question("beta-two")
        .unwrap()
        .option(NOT_APPLICABLE)
        .is_some());
}

#[test]
fn duty_without_source_or_with_not_applicable_or_axes_is_rejected() {
    let q = with_duty("duty.source = { fr = \"\", en = \" \" }");
    let errs = errors_of(&q, &Rules::lenient());
    assert_error(
        &errs,
        &[
            "question `beta-two`",
            "is a duty but its `source` is empty in fr",
        ],
    );
    assert_error(&errs, &["question `beta-two`", "`source` is empty in en"]);

    // Content built in code (or a custom list) that offers « Non concerné » on a binding duty.
    let mut q = with_duty("duty.source = { fr = \"RGPD\", en = \"GDPR\" }");
    let na = q
        .scale
        .iter()
        .find(|o| o.id == NOT_APPLICABLE)
        .unwrap()
        .clone();
    q.themes[1].questions[1].answers.push(na);
    assert_error(
        &errors_of(&q, &Rules::lenient()),
        &["question `beta-two`", "must not offer « Non concerné »"],
    );

    let q = load_toml(&MINIMAL.replace(
        "id = \"beta-two\"\n",
        "id = \"beta-two\"\nduty.source = { fr = \"RGPD\", en = \"GDPR\" }\n",
    ));
    assert_error(
        &errors_of(&q, &Rules::lenient()),
        &["question `beta-two`", "not scored: remove its `axes`"],
    );
}

#[test]
fn theme_weights_must_sum_to_100() {
    let weighted = |a: &str, b: &str| {
        load_toml(
            &MINIMAL
                .replace(
                    "prefix = \"alpha\"\n",
                    &format!("prefix = \"alpha\"\nweight = {a}\n"),
                )
                .replace(
                    "prefix = \"beta\"\n",
                    &format!("prefix = \"beta\"\nweight = {b}\n"),
                ),
        )
    };
    assert!(errors_of(&weighted("60", "40"), &Rules::lenient()).is_empty());
    assert_error(
        &errors_of(&weighted("60", "30"), &Rules::lenient()),
        &[
            "questionnaire",
            "theme weights must each be positive and sum to 100 (found 90)",
        ],
    );
    // The real content's rules require weights.
    assert_error(
        &errors_of(&minimal(), &Rules::default()),
        &["theme weights must each be positive and sum to 100 (found 0)"],
    );
}
