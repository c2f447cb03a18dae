//! Worked examples of the scoring, explanation and prioritisation rules.

mod common;

use common::{all_at, minimal, option_of};
use diagnostic::{
    explain, prioritise, questionnaire, score, ActionKind, Answer, AnswerKind, Answers, Effort,
    IgnoredReason, Lang, Target, DONT_KNOW, NOT_APPLICABLE,
};

const EPS: f64 = 1e-9;

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(q, o)| (q.to_string(), Answer::new(*o)))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < EPS
}

#[test]
fn no_answer_scores_zero_at_one_at() {
    let s = score(questionnaire(), &Answers::new());
    assert_eq!(s.overall, 0.0);
    assert_eq!(s.level.at, 1);
    assert_eq!(s.completeness, 0.0);
    assert!(s
        .themes
        .iter()
        .chain(&s.axes)
        .all(|l| l.score == 0.0 && l.answered == 0));
    assert_eq!(s.version, "apvf-2026.2");
}

#[test]
fn everything_at_the_top_scores_100_at_five_at() {
    let q = questionnaire();
    let s = score(q, &all_at(q, AnswerKind::Stage(4)));
    assert!(
        s.themes
            .iter()
            .chain(&s.axes)
            .all(|l| close(l.score, 100.0)),
        "{s:#?}"
    );
    assert!(close(s.overall, 100.0));
    assert_eq!(s.level.at, 5);
    assert_eq!(s.level.label.fr, "Exemplarité");
    assert_eq!(s.completeness, 1.0);
    assert!(s.dont_know.is_empty() && s.ignored.is_empty());
}

#[test]
fn everything_in_progress_scores_50_at_three_at() {
    let q = questionnaire();
    let s = score(q, &all_at(q, AnswerKind::Stage(2)));
    assert!(close(s.overall, 50.0));
    assert_eq!(s.level.at, 3);
}

#[test]
fn level_bands() {
    let q = questionnaire();
    let at = |x: f64| q.level_for(x).at;
    assert_eq!(
        [at(0.0), at(19.99), at(20.0), at(39.99), at(40.0)],
        [1, 1, 2, 2, 3]
    );
    assert_eq!(
        [at(59.99), at(60.0), at(79.99), at(80.0), at(100.0)],
        [3, 4, 4, 5, 5]
    );
    for l in &q.levels {
        assert!(
            !l.interpretation.get(Lang::Fr).is_empty()
                && !l.interpretation.get(Lang::En).is_empty()
        );
    }
}

#[test]
fn worked_example_on_minimal_content() {
    // alpha-one (democratie 2) at stage 3; alpha-two (democratie 1, richesses 3) at `two-half`
    // (stage 2); beta-one (richesses 1) « Ne sait pas »; beta-two (democratie 1, richesses 1)
    // « Non concerné ».
    let q = minimal();
    let a = answers(&[
        ("alpha-one", "stage-3"),
        ("alpha-two", "two-half"),
        ("beta-one", DONT_KNOW),
        ("beta-two", NOT_APPLICABLE),
    ]);
    let s = score(&q, &a);
    // Themes weigh questions equally: alpha = (3/4 + 2/4) / 2 = 62.5; beta = 0/1 = 0.
    // Overall: the minimal content gives no theme weights, so each theme weighs the same.
    assert!(close(s.themes[0].score, 62.5));
    assert!(close(s.themes[1].score, 0.0));
    assert_eq!(
        (
            s.themes[1].answered,
            s.themes[1].dont_know,
            s.themes[1].not_applicable
        ),
        (1, 1, 1)
    );
    // democratie = (2·3/4 + 1·2/4) / (2 + 1) = 2/3; richesses = (3·2/4 + 0) / (3 + 1) = 3/8.
    assert!(close(s.axes[0].score, 200.0 / 3.0));
    assert!(close(s.axes[1].score, 37.5));
    assert!(close(s.overall, (62.5 + 0.0) / 2.0));
    assert_eq!(s.level.at, 1); // 31.25 with bands 0 / 40 / 80
    assert!(close(s.completeness, 1.0)); // 3 answered out of 3 applicable
    assert_eq!(s.dont_know, ["beta-one"]);
}

#[test]
fn theme_weights_weigh_the_overall_score() {
    // Same answers as the worked example, with alpha weighing 60 % and beta 40 %.
    let q = common::load_toml(
        &common::MINIMAL
            .replace("prefix = \"alpha\"\n", "prefix = \"alpha\"\nweight = 60\n")
            .replace("prefix = \"beta\"\n", "prefix = \"beta\"\nweight = 40\n"),
    );
    let a = answers(&[
        ("alpha-one", "stage-3"),
        ("alpha-two", "two-half"),
        ("beta-one", "stage-4"),
    ]);
    let s = score(&q, &a);
    // alpha = 62.5, beta = 100: 0.6 × 62.5 + 0.4 × 100 = 77.5.
    assert!(close(s.overall, 77.5), "{}", s.overall);
    // A theme with no counted answer leaves the mean: alpha alone.
    let s = score(
        &q,
        &answers(&[("alpha-one", "stage-3"), ("alpha-two", "two-half")]),
    );
    assert!(close(s.overall, 62.5));
}

/// The real content, computed by hand: each theme is a quarter of the overall score, each scored
/// question weighs the same within its theme, duties and context do not count.
#[test]
fn real_content_weights_match_a_hand_computed_example() {
    let q = questionnaire();
    let a = answers(&[
        // Dématérialisation: one question, stage 4 → 100.
        ("demat-saisine-suivi", "stage-4"),
        // Communication: one question, stage 2 → 50.
        ("comm-site-internet", "stage-2"),
        // Médiation: one question, stage 1 → 25.
        ("mediation-ateliers", "stage-1"),
        // Sécurité: stage 0 and stage 3 → (0 + 75) / 2 = 37.5.
        ("secu-mfa", "stage-0"),
        ("secu-sauvegardes", "sauvegarde-3-2-1"),
    ]);
    let s = score(q, &a);
    let theme = |id: &str| s.themes.iter().find(|l| l.id == id).unwrap().score;
    assert!(close(theme("dematerialisation"), 100.0));
    assert!(close(theme("communication"), 50.0));
    assert!(close(theme("mediation"), 25.0));
    assert!(close(theme("securite"), 37.5));
    // 0.25 × (100 + 50 + 25 + 37.5) = 53.125 → 3 @.
    assert!(close(s.overall, 53.125), "{}", s.overall);
    assert_eq!(s.level.at, 3);

    // Legal duties and territorial context change neither themes nor the level…
    let mut more = a.clone();
    more.insert("secu-dpo-designation".into(), Answer::new("duty-no"));
    more.insert("demat-factures-chorus".into(), Answer::new("duty-yes"));
    more.insert("comm-fibre".into(), Answer::new("fibre-plus-95"));
    more.insert(
        "comm-couverture-mobile".into(),
        Answer::new("mobile-zones-blanches"),
    );
    let t = score(q, &more);
    assert_eq!(t.themes, s.themes);
    assert_eq!(t.axes, s.axes);
    assert!(close(t.overall, s.overall));
    // …but they are answers: completeness counts them.
    assert!(t.completeness > s.completeness);
    // One question's share of the overall score: 25 % ÷ the theme's counted questions.
    let n_secu = q
        .theme("securite")
        .unwrap()
        .questions
        .iter()
        .filter(|x| x.is_scored())
        .count();
    assert_eq!(n_secu, 14);
}

#[test]
fn not_applicable_leaves_both_numerator_and_denominator() {
    let q = minimal();
    let base = answers(&[("alpha-one", "stage-4"), ("alpha-two", "two-none")]);
    let mut with_na = base.clone();
    with_na.insert("beta-two".into(), Answer::new(NOT_APPLICABLE));
    let (a, b) = (score(&q, &base), score(&q, &with_na));
    assert_eq!(a.axes, {
        let mut axes = b.axes.clone();
        axes[0].not_applicable = 0;
        axes[0].unanswered = 1;
        axes[1].not_applicable = 0;
        axes[1].unanswered = 2;
        axes
    });
    assert!(b.completeness > a.completeness);
}

#[test]
fn unanswered_questions_lower_completeness_only() {
    let q = minimal();
    let s = score(&q, &answers(&[("alpha-one", "stage-4")]));
    assert!(close(s.completeness, 0.25));
    assert!(close(s.axes[0].score, 100.0));
    assert_eq!(s.axes[0].unanswered, 2);
    // richesses has no data: score 0 and left out of the overall mean.
    assert_eq!(s.axes[1].answered, 0);
    assert!(close(s.overall, 100.0));
}

#[test]
fn all_not_applicable_is_complete_with_no_score() {
    let q = minimal();
    let s = score(&q, &all_at(&q, AnswerKind::NotApplicable));
    assert_eq!(s.completeness, 1.0);
    assert_eq!(s.overall, 0.0);
}

#[test]
fn unknown_ids_are_ignored_and_reported() {
    let q = minimal();
    let a = answers(&[
        ("alpha-one", "stage-9"),
        ("alpha-two", "stage-2"), // custom list: stage-2 is not one of its options
        ("no-such-question", "stage-1"),
        ("beta-one", "stage-4"),
    ]);
    let s = score(&q, &a);
    let mut ignored: Vec<(&str, &str, IgnoredReason)> = s
        .ignored
        .iter()
        .map(|i| (i.question.as_str(), i.option.as_str(), i.reason))
        .collect();
    ignored.sort();
    assert_eq!(
        ignored,
        [
            ("alpha-one", "stage-9", IgnoredReason::UnknownOption),
            ("alpha-two", "stage-2", IgnoredReason::UnknownOption),
            (
                "no-such-question",
                "stage-1",
                IgnoredReason::UnknownQuestion
            ),
        ]
    );
    assert!(close(s.completeness, 0.25));
    assert!(close(s.axes[1].score, 100.0));
}

#[test]
fn custom_option_counts_as_its_stage() {
    let q = questionnaire();
    let given = answers(&[("secu-sauvegardes", "sauvegarde-automatique")]);
    let s = score(q, &given);
    let e = explain(q, &given, &Target::Axis("democratie".into())).unwrap();
    let c = e
        .contributions
        .iter()
        .find(|c| c.question == "secu-sauvegardes")
        .unwrap();
    assert_eq!(c.kind, Some(AnswerKind::Stage(2)));
    assert!(close(c.earned, 1.0) && close(c.possible, 2.0) && close(c.lost, 1.0));
    assert!(close(
        s.axes.iter().find(|l| l.id == "democratie").unwrap().score,
        50.0
    ));
    // Context questions are in no score.
    let e = explain(
        q,
        &answers(&[("comm-fibre", "fibre-50-80")]),
        &Target::Theme("communication".into()),
    )
    .unwrap();
    assert!(e.contributions.iter().all(|c| c.question != "comm-fibre"));
}

#[test]
fn explain_adds_up_to_the_score() {
    let q = questionnaire();
    let a = all_at(q, AnswerKind::Stage(1));
    let s = score(q, &a);
    for (lines, make) in [
        (&s.themes, Target::Theme as fn(String) -> Target),
        (&s.axes, Target::Axis as fn(String) -> Target),
    ] {
        for line in lines {
            let e = explain(q, &a, &make(line.id.clone())).unwrap();
            assert!(close(e.score, line.score));
            let earned: f64 = e.contributions.iter().map(|c| c.earned).sum();
            let possible: f64 = e.contributions.iter().map(|c| c.possible).sum();
            assert!(close(earned, e.earned) && close(possible, e.possible));
            assert!(e
                .contributions
                .iter()
                .all(|c| close(c.lost, c.possible - c.earned)));
        }
    }
    assert!(explain(q, &a, &Target::Axis("nope".into())).is_none());
    assert!(explain(q, &a, &Target::Theme("nope".into())).is_none());
}

#[test]
fn explain_lists_unanswered_and_not_applicable_questions_with_zero_points() {
    let q = minimal();
    let e = explain(
        &q,
        &answers(&[("beta-two", NOT_APPLICABLE)]),
        &Target::Theme("beta".into()),
    )
    .unwrap();
    assert_eq!(e.contributions.len(), 2);
    assert_eq!(e.contributions[0].kind, None);
    assert_eq!(e.contributions[1].kind, Some(AnswerKind::NotApplicable));
    assert!(e
        .contributions
        .iter()
        .all(|c| c.possible == 0.0 && c.earned == 0.0));
    // Theme contributions weigh 1.
    assert!(e.contributions.iter().all(|c| c.weight == 1.0));
}

#[test]
fn target_serialises_with_kind_and_id() {
    let t = Target::Axis("richesses".into());
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#"{"kind":"axis","id":"richesses"}"#
    );
}

#[test]
fn scores_round_trip_through_json() {
    let q = questionnaire();
    let s = score(q, &all_at(q, AnswerKind::Stage(3)));
    let back: diagnostic::Scores =
        serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

// --- Prioritisation -----------------------------------------------------------------------------

#[test]
fn high_stages_and_not_applicable_produce_no_action() {
    let q = questionnaire();
    assert!(prioritise(q, &all_at(q, AnswerKind::Stage(3))).is_empty());
    assert!(prioritise(q, &all_at(q, AnswerKind::Stage(4))).is_empty());
    assert!(prioritise(q, &all_at(q, AnswerKind::NotApplicable)).is_empty());
    assert!(prioritise(q, &Answers::new()).is_empty());
}

#[test]
fn every_low_answer_yields_one_action_in_priority_order() {
    let q = questionnaire();
    let actions = prioritise(q, &all_at(q, AnswerKind::Stage(1)));
    assert_eq!(actions.len(), q.questions().count());
    // Unmet legal duties first (they have no stage 1: « Non » is stage 0), in content order…
    let duties = actions.iter().take_while(|a| a.duty).count();
    assert_eq!(duties, q.questions().filter(|x| x.duty.is_some()).count());
    assert!(actions[duties..].iter().all(|a| !a.duty));
    // …then by priority.
    assert!(actions[duties..]
        .windows(2)
        .all(|w| w[0].priority >= w[1].priority));
    for a in &actions {
        assert_eq!(a.kind, ActionKind::Improve);
        assert_eq!(a.stage, if a.duty { 0 } else { 1 });
        if a.duty {
            assert_eq!(a.gain, 0.0);
        }
        let reco = q
            .question(&a.question)
            .unwrap()
            .recommendation_for(a.stage)
            .unwrap();
        assert_eq!(a.text, reco.text);
        assert_eq!((a.effort, a.poolable), (reco.effort, reco.poolable));
        assert!(close(a.priority, a.gain / a.effort.cost_factor()));
        assert_eq!(q.theme_of(&a.question).unwrap().id, a.theme);
    }
}

#[test]
fn gain_is_the_overall_score_increase_of_reaching_stage_3() {
    let q = questionnaire();
    let mut a = all_at(q, AnswerKind::Stage(0));
    // A mix of stages and a « Ne sait pas ».
    a.insert("secu-dpo-moyens".into(), Answer::new("stage-2"));
    a.insert("comm-fibre".into(), Answer::new("fibre-25-50"));
    a.insert("demat-saisine-suivi".into(), Answer::new(DONT_KNOW));
    a.insert(
        "demat-factures-chorus".into(),
        Answer::new("duty-in-progress"),
    );
    a.insert("mediation-ecoles".into(), Answer::new(NOT_APPLICABLE));
    let before = score(q, &a).overall;
    for action in prioritise(q, &a) {
        let question = q.question(&action.question).unwrap();
        let mut improved = a.clone();
        improved.insert(
            action.question.clone(),
            Answer::new(option_of(question, AnswerKind::Stage(3)).unwrap()),
        );
        let after = score(q, &improved).overall;
        assert!(
            (after - before - action.gain).abs() < 1e-6,
            "{}: gain {} vs rescoring {}",
            action.question,
            action.gain,
            after - before
        );
    }
}

#[test]
fn dont_know_yields_a_cheap_find_out_action() {
    let q = questionnaire();
    let mut a = all_at(q, AnswerKind::Stage(3));
    a.insert("secu-sauvegardes".into(), Answer::new(DONT_KNOW));
    a.insert("secu-mfa".into(), Answer::new("stage-0"));
    let actions = prioritise(q, &a);
    assert_eq!(actions.len(), 2);
    let find_out = actions
        .iter()
        .find(|x| x.question == "secu-sauvegardes")
        .unwrap();
    assert_eq!(find_out.kind, ActionKind::FindOut);
    assert_eq!(find_out.effort, Effort::Low);
    assert_eq!(find_out.text, q.find_out);
    assert_eq!(find_out.stage, 0);
    // Same resource as the stage-0 advice: whom to ask.
    let reco = q
        .question("secu-sauvegardes")
        .unwrap()
        .recommendation_for(0)
        .unwrap();
    assert_eq!(find_out.resource, reco.resource);
}

#[test]
fn cheaper_action_ranks_first_at_equal_gain() {
    // beta-one (€) and beta-two (€€) at stage 0, both feeding only `richesses` with weight 1.
    let q = common::load_toml(&common::MINIMAL.replace(
        "axes = { democratie = 1, richesses = 1 }",
        "axes = { richesses = 1 }",
    ));
    let a = answers(&[
        ("alpha-one", "stage-4"),
        ("alpha-two", "two-all"),
        ("beta-one", "stage-0"),
        ("beta-two", "stage-0"),
    ]);
    let actions = prioritise(&q, &a);
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[0].question, "beta-one");
    assert_eq!(actions[0].effort, Effort::Low);
    assert!((actions[0].gain - actions[1].gain).abs() < EPS);
    assert!(close(actions[0].priority, 2.0 * actions[1].priority));
}

#[test]
fn prioritise_ignores_unknown_entries() {
    let q = minimal();
    let a = answers(&[("ghost", "stage-0"), ("alpha-one", "bogus")]);
    assert!(prioritise(&q, &a).is_empty());
}

// --- Small API details ----------------------------------------------------------------------------

#[test]
fn lang_serde_default_and_parsing() {
    assert_eq!(Lang::default(), Lang::Fr);
    assert_eq!(serde_json::to_string(&Lang::En).unwrap(), "\"en\"");
    assert_eq!(serde_json::from_str::<Lang>("\"fr\"").unwrap(), Lang::Fr);
    assert_eq!("fr-FR".parse::<Lang>().unwrap(), Lang::Fr);
    assert_eq!("EN_gb".parse::<Lang>().unwrap(), Lang::En);
    assert!("de".parse::<Lang>().is_err());
    let q = questionnaire();
    let t = &q.themes[0].title;
    assert_eq!(t.get(Lang::Fr), "Dématérialisation");
    assert_eq!(t.get(Lang::En), "Going paperless");
}

#[test]
fn answer_kind_serialises_as_a_string() {
    assert_eq!(
        serde_json::to_string(&AnswerKind::Stage(2)).unwrap(),
        "\"stage-2\""
    );
    assert_eq!(
        serde_json::to_string(&AnswerKind::DontKnow).unwrap(),
        "\"dont-know\""
    );
    assert_eq!(
        serde_json::from_str::<AnswerKind>("\"not-applicable\"").unwrap(),
        AnswerKind::NotApplicable
    );
    assert!(serde_json::from_str::<AnswerKind>("\"stage-5\"").is_err());
    assert_eq!(serde_json::to_string(&Effort::Medium).unwrap(), "\"€€\"");
}

#[test]
fn answer_comment_is_optional_in_json() {
    let a: Answer = serde_json::from_str(r#"{"option":"stage-1"}"#).unwrap();
    assert_eq!(a, Answer::new("stage-1"));
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        r#"{"option":"stage-1"}"#
    );
}

#[test]
fn questionnaire_helpers() {
    let q = questionnaire();
    assert_eq!(q.theme_of("secu-dpo-designation").unwrap().id, "securite");
    assert!(q.theme_of("nope").is_none());
    assert_eq!(q.theme("mediation").unwrap().prefix, "mediation");
    assert_eq!(
        q.question("demat-archivage").unwrap().weight("democratie"),
        1.0
    );
    assert_eq!(
        q.question("demat-archivage").unwrap().weight("richesses"),
        0.0
    );
    assert!(std::ptr::eq(questionnaire(), q), "parsed once");
}

// --- Socle réglementaire --------------------------------------------------------------------------

#[test]
fn baseline_lists_every_duty_with_its_status_and_applicability() {
    use diagnostic::{baseline, DutyStatus};
    let q = questionnaire();
    let a = answers(&[
        ("secu-dpo-designation", "duty-yes"),
        ("secu-registre-traitements", "duty-in-progress"),
        ("demat-factures-chorus", DONT_KNOW),
        ("demat-paiement-obligation", NOT_APPLICABLE),
        ("demat-publication-actes", "duty-no"),
    ]);
    let duties = q.questions().filter(|x| x.duty.is_some()).count();
    let status = |items: &[diagnostic::BaselineItem], id: &str| {
        let item = items.iter().find(|i| i.question == id).unwrap().clone();
        (item.status, item.applies)
    };

    // Population unknown (phone not enrolled): threshold duties say so.
    let unknown = baseline(q, &a, None);
    assert_eq!(unknown.len(), duties);
    assert_eq!(
        status(&unknown, "secu-dpo-designation"),
        (DutyStatus::Met, Some(true))
    );
    assert_eq!(
        status(&unknown, "secu-registre-traitements"),
        (DutyStatus::NotMet, Some(true))
    );
    assert_eq!(
        status(&unknown, "demat-factures-chorus"),
        (DutyStatus::DontKnow, Some(true))
    );
    assert_eq!(
        status(&unknown, "demat-paiement-obligation"),
        (DutyStatus::NotApplicable, Some(true))
    );
    assert_eq!(
        status(&unknown, "demat-publication-actes"),
        (DutyStatus::NotMet, None)
    );
    assert_eq!(
        status(&unknown, "comm-base-adresse-locale"),
        (DutyStatus::Unanswered, Some(true))
    );

    // A commune of 2 000 inhabitants: electronic publication of acts does not bind it.
    let small = baseline(q, &a, Some(2_000));
    assert_eq!(
        status(&small, "demat-publication-actes"),
        (DutyStatus::NotMet, Some(false))
    );
    assert!(!small
        .iter()
        .find(|i| i.question == "demat-publication-actes")
        .unwrap()
        .needs_action());
    // From 3 500 it does.
    let town = baseline(q, &a, Some(3_500));
    assert_eq!(
        status(&town, "demat-publication-actes"),
        (DutyStatus::NotMet, Some(true))
    );
    assert!(town
        .iter()
        .find(|i| i.question == "demat-publication-actes")
        .unwrap()
        .needs_action());
    // Nothing of this reaches the score.
    assert_eq!(score(q, &a).overall, 0.0);
}
