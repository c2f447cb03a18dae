//! Property tests of the scoring, explanation, prioritisation and migration rules, on the real
//! content (and the migration fixture).

mod common;

use common::{archive_2026_1, fixture_2027};
use diagnostic::{
    explain, migrate, prioritise, questionnaire, score, Answer, AnswerKind, Answers, Question,
    Questionnaire, Target,
};
use proptest::prelude::*;

/// One raw choice per question: an index into its options, or one past the end (unanswered), or
/// two past the end (an unknown option id).
fn raw_choices() -> impl Strategy<Value = Vec<usize>> {
    let n = questionnaire().questions().count();
    proptest::collection::vec(0usize..64, n)
}

fn build(q: &Questionnaire, raw: &[usize]) -> Answers {
    let mut answers = Answers::new();
    for (question, r) in q.questions().zip(raw) {
        let choice = r % (question.answers.len() + 2);
        if choice < question.answers.len() {
            let mut answer = Answer::new(question.answers[choice].id.clone());
            if r % 5 == 0 {
                answer.comment = Some(format!("note {r}"));
            }
            answers.insert(question.id.clone(), answer);
        } else if choice == question.answers.len() + 1 {
            answers.insert(question.id.clone(), Answer::new("no-such-option"));
        }
    }
    answers
}

fn targets(q: &Questionnaire) -> Vec<Target> {
    q.themes
        .iter()
        .map(|t| Target::Theme(t.id.clone()))
        .chain(q.axes.iter().map(|a| Target::Axis(a.id.clone())))
        .collect()
}

/// Options of `question` that carry a scored stage (stages and « Ne sait pas »), by that stage.
fn scored_options(question: &Question) -> Vec<(u8, String)> {
    let mut v: Vec<(u8, String)> = question
        .answers
        .iter()
        .filter_map(|o| o.kind.scored_stage().map(|s| (s, o.id.clone())))
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scores_stay_within_bounds(raw in raw_choices(), extra in proptest::collection::vec(("[a-z-]{1,12}", "[a-z0-9-]{1,10}"), 0..4)) {
        let q = questionnaire();
        let mut answers = build(q, &raw);
        for (id, option) in extra {
            answers.entry(id).or_insert_with(|| Answer::new(option));
        }
        let s = score(q, &answers);
        for line in s.themes.iter().chain(&s.axes) {
            prop_assert!((0.0..=100.0).contains(&line.score), "{line:?}");
        }
        prop_assert!((0.0..=100.0).contains(&s.overall));
        prop_assert!((0.0..=1.0).contains(&s.completeness));
        prop_assert!((1..=5).contains(&s.level.at));
        for target in targets(q) {
            let e = explain(q, &answers, &target).unwrap();
            prop_assert!((0.0..=100.0).contains(&e.score));
            prop_assert!(e.contributions.iter().all(|c| c.earned >= 0.0 && c.earned <= c.possible && c.lost >= 0.0));
        }
    }

    #[test]
    fn raising_one_answer_never_lowers_a_theme_or_axis_score(
        raw in raw_choices(),
        question_pick in any::<prop::sample::Index>(),
        from_pick in any::<prop::sample::Index>(),
        to_pick in any::<prop::sample::Index>(),
    ) {
        let q = questionnaire();
        let questions: Vec<&Question> = q.questions().collect();
        let question = question_pick.get(&questions);
        let options = scored_options(question);
        let (a, b) = (from_pick.get(&options), to_pick.get(&options));
        let (low, high) = if a.0 <= b.0 { (a, b) } else { (b, a) };

        let mut before = build(q, &raw);
        before.insert(question.id.clone(), Answer::new(low.1.clone()));
        let mut after = before.clone();
        after.insert(question.id.clone(), Answer::new(high.1.clone()));

        let (s0, s1) = (score(q, &before), score(q, &after));
        for (l0, l1) in s0.themes.iter().chain(&s0.axes).zip(s1.themes.iter().chain(&s1.axes)) {
            prop_assert!(l1.score >= l0.score, "{} fell from {} to {} raising {} from {} to {}",
                l0.id, l0.score, l1.score, question.id, low.1, high.1);
        }
    }

    #[test]
    fn answer_order_does_not_matter(
        (given, shuffled) in raw_choices().prop_flat_map(|raw| {
            let q = questionnaire();
            let pairs: Vec<(String, String)> = build(q, &raw)
                .into_iter()
                .map(|(k, a)| (k, a.option))
                .collect();
            (Just(pairs.clone()), Just(pairs).prop_shuffle())
        })
    ) {
        let q = questionnaire();
        let collect = |pairs: &[(String, String)]| -> Answers {
            let mut answers = Answers::new();
            for (k, o) in pairs {
                answers.insert(k.clone(), Answer::new(o.clone()));
            }
            answers
        };
        let (a, b) = (collect(&given), collect(&shuffled));
        prop_assert_eq!(score(q, &a), score(q, &b));
        prop_assert_eq!(prioritise(q, &a), prioritise(q, &b));
    }

    #[test]
    fn not_applicable_leaves_other_contributions_unchanged(raw in raw_choices(), pick in any::<prop::sample::Index>()) {
        let q = questionnaire();
        let ids: Vec<&str> = q.questions().map(|x| x.id.as_str()).collect();
        let chosen = *pick.get(&ids);
        let before = build(q, &raw);
        let mut after = before.clone();
        after.insert(chosen.to_string(), Answer::new(diagnostic::NOT_APPLICABLE));
        for target in targets(q) {
            let (e0, e1) = (explain(q, &before, &target).unwrap(), explain(q, &after, &target).unwrap());
            let others = |e: &diagnostic::Explanation| e.contributions.iter().filter(|c| c.question != chosen).cloned().collect::<Vec<_>>();
            prop_assert_eq!(others(&e0), others(&e1));
            if let Some(c) = e1.contributions.iter().find(|c| c.question == chosen) {
                prop_assert_eq!(c.kind, Some(AnswerKind::NotApplicable));
                prop_assert_eq!(c.possible, 0.0);
            }
        }
    }

    #[test]
    fn actions_are_ranked_and_only_for_low_answers(raw in raw_choices()) {
        let q = questionnaire();
        let answers = build(q, &raw);
        let actions = prioritise(q, &answers);
        // Unmet duties first, then by priority.
        let duties = actions.iter().take_while(|a| a.duty).count();
        prop_assert!(actions[duties..].iter().all(|a| !a.duty));
        prop_assert!(actions[duties..].windows(2).all(|w| w[0].priority >= w[1].priority));
        for a in &actions {
            prop_assert!(a.gain >= 0.0 && a.stage < 3);
            let kind = q.question(&a.question).unwrap().option(&answers[&a.question].option).unwrap().kind;
            prop_assert!(matches!(kind, AnswerKind::Stage(s) if s < 3) || kind == AnswerKind::DontKnow);
        }
    }

    #[test]
    fn migrating_keeps_every_answer_of_a_surviving_question(raw in raw_choices()) {
        let old = &archive_2026_1();
        let new = fixture_2027();
        let answers: Answers = build(old, &raw)
            .into_iter()
            .filter(|(id, a)| old.question(id).unwrap().option(&a.option).is_some())
            .collect();
        let m = migrate(&new, &old.version, answers.clone()).unwrap();

        // Every input answer is accounted for exactly once.
        prop_assert_eq!(
            m.answers.len() + m.removed.len() + m.superseded.len() + m.unknown.len(),
            answers.len()
        );

        for (id, answer) in &answers {
            // Follow the id through the map.
            let (mut current, mut option, mut merged, mut removed) = (id.clone(), answer.option.clone(), false, false);
            for step in &new.migrations {
                if let Some(r) = step.renamed.iter().find(|r| r.from == current) {
                    option = r.options.get(&option).cloned().unwrap_or(option);
                    current = r.to.clone();
                } else if let Some(g) = step.merged.iter().find(|g| g.from.contains(&current)) {
                    option = g.options.get(&option).cloned().unwrap_or(option);
                    current = g.into.clone();
                    merged = true;
                } else if step.removed.iter().any(|r| r.id == current) {
                    removed = true;
                    break;
                }
            }
            if removed {
                prop_assert!(m.removed.iter().any(|d| &d.question == id && &d.answer == answer));
            } else if new.question(&current).is_some() && !merged {
                // A surviving question keeps its answer (comment included), under its new id.
                let kept = m.answers.get(&current);
                prop_assert!(kept.is_some(), "{} → {} lost", id, current);
                prop_assert_eq!(&kept.unwrap().option, &option);
                prop_assert_eq!(&kept.unwrap().comment, &answer.comment);
            } else if merged {
                prop_assert!(m.answers.contains_key(&current), "merge target {} has no answer", current);
            } else {
                prop_assert!(m.unknown.iter().any(|d| &d.question == id));
            }
        }

        // Migrated answers are valid for the new content.
        for (id, a) in &m.answers {
            prop_assert!(new.question(id).and_then(|x| x.option(&a.option)).is_some());
        }
    }
}
