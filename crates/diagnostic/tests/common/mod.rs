//! Helpers shared by the integration tests.
#![allow(dead_code)]

use diagnostic::{Answer, AnswerKind, Answers, Question, Questionnaire};

/// File name used for hand-written test content in error messages.
pub const TEST_FILE: &str = "content/test-snippet.toml";

/// A small but complete, valid questionnaire in TOML: four axes, two themes of two questions, the
/// default scale, three bands. Tests mutate it to produce broken content.
pub const MINIMAL: &str = r#"
version = "test-1"
find_out = { fr = "Renseignez-vous.", en = "Find out." }
notice = { fr = "Avertissement.", en = "Notice." }

[[axes]]
id = "democratie"
title = { fr = "Démocratie", en = "Democracy" }
description = { fr = "Services publics.", en = "Public services." }

[[axes]]
id = "richesses"
title = { fr = "Richesses", en = "Wealth" }
description = { fr = "Économie.", en = "Economy." }

[[scale]]
id = "stage-0"
kind = "stage-0"
label = { fr = "Pas engagé", en = "Not started" }
[[scale]]
id = "stage-1"
kind = "stage-1"
label = { fr = "En réflexion", en = "Considering" }
[[scale]]
id = "stage-2"
kind = "stage-2"
label = { fr = "En cours", en = "In progress" }
[[scale]]
id = "stage-3"
kind = "stage-3"
label = { fr = "En place", en = "In place" }
[[scale]]
id = "stage-4"
kind = "stage-4"
label = { fr = "Évalué et amélioré", en = "Evaluated and improved" }
[[scale]]
id = "dont-know"
kind = "dont-know"
label = { fr = "Ne sait pas", en = "Don't know" }
[[scale]]
id = "not-applicable"
kind = "not-applicable"
label = { fr = "Non concerné", en = "Not applicable" }

[[levels]]
at = 1
min_score = 0
label = { fr = "Un", en = "One" }
interpretation = { fr = "Premier niveau.", en = "First level." }
[[levels]]
at = 2
min_score = 40
label = { fr = "Deux", en = "Two" }
interpretation = { fr = "Deuxième niveau.", en = "Second level." }
[[levels]]
at = 3
min_score = 80
label = { fr = "Trois", en = "Three" }
interpretation = { fr = "Troisième niveau.", en = "Third level." }

[[themes]]
id = "alpha"
prefix = "alpha"
title = { fr = "Alpha", en = "Alpha" }
description = { fr = "Thème alpha.", en = "Alpha theme." }

[[themes.questions]]
id = "alpha-one"
axes = { democratie = 2 }
text = { fr = "Question un ?", en = "Question one?" }
help = { fr = "Aide un.", en = "Help one." }
recommendations = [
  { stages = [0, 1], effort = "€", poolable = false, resource = { fr = "CNIL", en = "CNIL" }, text = { fr = "Commencer.", en = "Start." } },
  { stages = [2], effort = "€€", poolable = true, resource = { fr = "EPCI", en = "EPCI" }, text = { fr = "Finir.", en = "Finish." } },
]

[[themes.questions]]
id = "alpha-two"
axes = { democratie = 1, richesses = 3 }
text = { fr = "Question deux ?", en = "Question two?" }
help = { fr = "Aide deux.", en = "Help two." }
answers = [
  { id = "two-none", kind = "stage-0", label = { fr = "Rien", en = "Nothing" } },
  { id = "two-half", kind = "stage-2", label = { fr = "Moitié", en = "Half" } },
  { id = "two-all", kind = "stage-4", label = { fr = "Tout", en = "All" } },
]
recommendations = [
  { stages = [0], effort = "€€€", poolable = false, resource = { fr = "ANCT", en = "ANCT" }, text = { fr = "Lancer.", en = "Launch." } },
  { stages = [2], effort = "€", poolable = true, resource = { fr = "ANCT", en = "ANCT" }, text = { fr = "Étendre.", en = "Extend." } },
]

[[themes]]
id = "beta"
prefix = "beta"
title = { fr = "Bêta", en = "Beta" }
description = { fr = "Thème bêta.", en = "Beta theme." }

[[themes.questions]]
id = "beta-one"
axes = { richesses = 1 }
text = { fr = "Question trois ?", en = "Question three?" }
help = { fr = "Aide trois.", en = "Help three." }
recommendations = [
  { stages = [0, 1, 2], effort = "€", poolable = true, resource = { fr = "DINUM", en = "DINUM" }, text = { fr = "Agir.", en = "Act." } },
]

[[themes.questions]]
id = "beta-two"
axes = { democratie = 1, richesses = 1 }
text = { fr = "Question quatre ?", en = "Question four?" }
help = { fr = "Aide quatre.", en = "Help four." }
recommendations = [
  { stages = [0, 1, 2], effort = "€€", poolable = false, resource = { fr = "ANSSI", en = "ANSSI" }, text = { fr = "Agir.", en = "Act." } },
]
"#;

/// Parses TOML test content into a loaded (normalised) questionnaire. Panics on a parse error:
/// tests that need structural errors go through the build converter instead.
pub fn load_toml(text: &str) -> Questionnaire {
    let mut q: Questionnaire = toml::from_str(text).expect("test TOML parses");
    q.normalise();
    q
}

/// The minimal questionnaire, loaded.
pub fn minimal() -> Questionnaire {
    load_toml(MINIMAL)
}

/// The test-only later content version (apvf-2027.1) with its migration map.
pub fn fixture_2027() -> Questionnaire {
    Questionnaire::from_json(include_str!(concat!(
        env!("OUT_DIR"),
        "/fixture-apvf-2027.1-test.json"
    )))
    .expect("fixture JSON loads")
}

/// The id of the first option of `question` with `kind`.
pub fn option_of(question: &Question, kind: AnswerKind) -> Option<String> {
    question
        .answers
        .iter()
        .find(|o| o.kind == kind)
        .map(|o| o.id.clone())
}

/// Answers giving every question of `q` the option of `kind` (falling back to the closest lower
/// stage when a custom list lacks it).
/// Questions that do not offer `kind` get the next lower stage; duties that bind every commune
/// (no « Non concerné ») are left unanswered when `kind` is « Non concerné ».
pub fn all_at(q: &Questionnaire, kind: AnswerKind) -> Answers {
    q.questions()
        .filter_map(|question| {
            let mut k = kind;
            loop {
                if let Some(id) = option_of(question, k) {
                    return Some((question.id.clone(), Answer::new(id)));
                }
                k = match k {
                    AnswerKind::Stage(s) if s > 0 => AnswerKind::Stage(s - 1),
                    AnswerKind::NotApplicable if question.duty.is_some() => return None,
                    _ => panic!("question {} has no option for {kind:?}", question.id),
                };
            }
        })
        .collect()
}

/// The previous content version as published (content/archive/apvf-2026.1.toml).
pub fn archive_2026_1() -> Questionnaire {
    Questionnaire::from_json(include_str!(concat!(
        env!("OUT_DIR"),
        "/archive-apvf-2026.1.json"
    )))
    .expect("archived 2026.1 JSON loads")
}
