//! Groups, aggregates and the publication rules against differencing
//! (`diagnostic::network::{groups, aggregate, disclosure}`).

use std::collections::{BTreeMap, BTreeSet};

use diagnostic::network::{
    compare, group_figures, groups_of, publish, town_figures, Decision, GroupAggregate, GroupKey,
    GroupKind, Ledger, Refusal, ReleasedTown, Stratum, MIN_GROUP_SIZE,
};
use diagnostic::sync::{Commune, Epci};
use diagnostic::{questionnaire, Answer, AnswerKind, Answers, Questionnaire};
use proptest::prelude::*;

const NOW: u64 = 1_800_000_000_000;

fn commune(code: &str, population: u64, departement: &str, region: &str, epci: &str) -> Commune {
    Commune {
        code: code.into(),
        name: format!("Commune {code}"),
        departement: departement.into(),
        departement_name: None,
        region: region.into(),
        postal_codes: vec![],
        population,
        epci: Some(Epci {
            code: epci.into(),
            name: format!("EPCI {epci}"),
        }),
    }
}

/// The option of `question` with `kind`.
fn option(q: &Questionnaire, question: &str, kind: AnswerKind) -> String {
    let answers = &q.question(question).unwrap().answers;
    if let Some(exact) = answers.iter().find(|o| o.kind == kind) {
        return exact.id.clone();
    }
    // Custom scales (content apvf-2026.2) skip some stages: the nearest one, lower first.
    let AnswerKind::Stage(wanted) = kind else {
        panic!("{question} has no {kind:?}")
    };
    answers
        .iter()
        .filter_map(|o| match o.kind {
            AnswerKind::Stage(s) => Some((s.abs_diff(wanted), s, o)),
            _ => None,
        })
        .min_by_key(|(distance, s, _)| (*distance, *s))
        .unwrap()
        .2
        .id
        .clone()
}

/// Every question answered at `stage`.
fn all_at(q: &Questionnaire, stage: u8) -> Answers {
    q.questions()
        .map(|x| {
            (
                x.id.clone(),
                Answer::new(option(q, &x.id, AnswerKind::Stage(stage))),
            )
        })
        .collect()
}

fn town(id: usize, commune: Commune, answers: Answers) -> ReleasedTown {
    ReleasedTown {
        id: format!("t{id}"),
        commune,
        answers,
    }
}

#[test]
fn strata_follow_the_referential_bands() {
    for (population, id) in [
        (0, "0-2499"),
        (2_499, "0-2499"),
        (2_500, "2500-3499"),
        (3_499, "2500-3499"),
        (3_500, "3500-4999"),
        (4_999, "3500-4999"),
        (5_000, "5000-9999"),
        (9_999, "5000-9999"),
        (10_000, "10000-"),
    ] {
        assert_eq!(Stratum::of(population).id(), id, "{population}");
    }
    let groups = groups_of(&commune("42218", 3_000, "42", "84", "244200770"));
    let slugs: Vec<String> = groups.iter().map(GroupKey::slug).collect();
    assert_eq!(
        slugs,
        [
            "strate:2500-3499",
            "departement:42",
            "region:84",
            "epci:244200770",
            "national:fr"
        ]
    );
    assert_eq!(groups[2].label, "Auvergne-Rhône-Alpes");
    for slug in &slugs {
        let parsed: GroupKey = slug.parse().unwrap();
        assert_eq!(&parsed.slug(), slug);
    }
    for bad in [
        "",
        "departement",
        "canton:1",
        "strate:3000",
        "national:be",
        "epci:",
        "departement:4 2",
        "departement:../x",
    ] {
        assert!(bad.parse::<GroupKey>().is_err(), "{bad}");
    }
    let json = serde_json::to_string(&groups[0]).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"strate","id":"2500-3499","label":"2 500 à 3 499 habitants"}"#
    );
}

#[test]
fn four_released_towns_are_withheld_five_are_shown() {
    let q = questionnaire();
    let group = GroupKey::stratum(Stratum::From2500To3499);
    let figures: Vec<_> = (0..5).map(|i| town_figures(q, &all_at(q, i % 5))).collect();
    let four: Vec<_> = figures.iter().take(4).collect();
    match group_figures(q, &group, "2026", &four, NOW) {
        GroupAggregate::Withheld(w) => assert_eq!(w.needed, Some(1)),
        shown => panic!("{shown:?}"),
    }
    let five: Vec<_> = figures.iter().collect();
    let GroupAggregate::Shown(shown) = group_figures(q, &group, "2026", &five, NOW) else {
        panic!("five towns are shown");
    };
    assert_eq!(shown.towns, 5);
    assert_eq!(shown.axes.len(), q.axes.len());
    // Stages 0..4 on every question: two of five at stage ≥ 3.
    assert!(shown.questions.iter().all(|f| f.in_place_pct == 40));
    assert_eq!(shown.levels.iter().map(|l| l.towns).sum::<u32>(), 5);
    let a = &shown.axes[0].quartiles;
    assert_eq!((a.q1, a.median, a.q3), (25, 50, 75));
    // What is sent carries no town id, comment or device.
    let json = serde_json::to_string(&GroupAggregate::Shown(shown.clone())).unwrap();
    assert!(!json.contains("t0") && !json.contains("comment"), "{json}");

    // The same through a publication round: 4 → withheld, 5 → shown.
    let mut ledger = Ledger::new("2026");
    let c = |i: usize| commune(&format!("c{i}"), 3_000, "42", "84", "e1");
    let towns: Vec<_> = (0..4).map(|i| town(i, c(i), all_at(q, 2))).collect();
    publish(&mut ledger, q, &towns, NOW);
    match ledger.aggregate(&group) {
        GroupAggregate::Withheld(w) => assert_eq!(w.needed, Some(1)),
        shown => panic!("{shown:?}"),
    }
    let towns: Vec<_> = (0..5).map(|i| town(i, c(i), all_at(q, 2))).collect();
    publish(&mut ledger, q, &towns, NOW + 1);
    assert!(ledger.aggregate(&group).figures().is_some());
    // The page the app keeps offline reads back as it was sent.
    let page = diagnostic::network::AggregatesPage {
        campaign: "2026".into(),
        fetched_ms: NOW,
        groups: groups_of(&c(0))
            .iter()
            .map(|g| ledger.aggregate(g))
            .collect(),
    };
    let json = serde_json::to_string(&page).unwrap();
    assert!(
        json.contains(r#""status":"shown""#) && json.contains(r#""median":"#),
        "{json}"
    );
    let back: diagnostic::network::AggregatesPage = serde_json::from_str(&json).unwrap();
    assert_eq!(back, page);
    assert_eq!(back.groups[0].group().label, "2 500 à 3 499 habitants");

    // An unknown group says how many are needed.
    let other = GroupKey::new(GroupKind::Departement, "07", "07");
    assert!(matches!(
        ledger.aggregate(&other),
        GroupAggregate::Withheld(w) if w.needed == Some(5)
    ));
}

#[test]
fn dont_know_counts_as_not_in_place_and_not_applicable_is_left_out() {
    let q = questionnaire();
    let question = q.questions().next().unwrap().id.clone();
    let kinds = [
        AnswerKind::Stage(3),
        AnswerKind::Stage(4),
        AnswerKind::Stage(2),
        AnswerKind::DontKnow,
        AnswerKind::NotApplicable,
        AnswerKind::Stage(3),
    ];
    let figures: Vec<_> = kinds
        .iter()
        .map(|&k| {
            let mut a = Answers::new();
            a.insert(question.clone(), Answer::new(option(q, &question, k)));
            town_figures(q, &a)
        })
        .collect();
    let members: Vec<_> = figures.iter().collect();
    let shown = group_figures(q, &GroupKey::national(), "2026", &members, NOW);
    let shown = shown.figures().unwrap();
    // 3 in place of 5 counted (« Non concerné » left out): 60 %.
    assert_eq!(shown.in_place_pct(&question), Some(60));
    // Other questions were answered by nobody: left out, not 0 %.
    assert_eq!(shown.questions.len(), 1);

    let comparison = compare(q, &figures[2], shown);
    let line = comparison
        .questions
        .iter()
        .find(|l| l.question == question)
        .unwrap();
    assert_eq!(line.town_in_place, Some(false));
    assert_eq!(line.group_in_place_pct, Some(60));
    assert_eq!(comparison.axes.len(), q.axes.len());
}

/// One département of seven towns split over two EPCIs (5 + 2), all in one stratum.
fn departement_towns(q: &Questionnaire, ids: std::ops::Range<usize>) -> Vec<ReleasedTown> {
    ids.map(|i| {
        let epci = if i < 5 { "e1" } else { "e2" };
        town(
            i,
            commune(&format!("c{i}"), 3_000, "42", "84", epci),
            all_at(q, (i % 5) as u8),
        )
    })
    .collect()
}

#[test]
fn a_withdrawal_does_not_change_published_figures_until_enough_towns_changed() {
    let q = questionnaire();
    let dep = GroupKey::new(GroupKind::Departement, "42", "42");
    let mut ledger = Ledger::new("2026");
    let towns = departement_towns(q, 0..7);
    publish(&mut ledger, q, &towns, NOW);
    let first = ledger.aggregate(&dep).figures().cloned().unwrap();
    assert_eq!(first.towns, 7);

    // Town 6 withdraws: the département keeps its published figures (7 towns), since new ones
    // would differ by one town.
    let without: Vec<_> = towns[..6].to_vec();
    let decisions: BTreeMap<_, _> = publish(&mut ledger, q, &without, NOW + 1)
        .into_iter()
        .collect();
    assert!(matches!(
        decisions[&dep],
        Decision::KeptPrevious(Refusal::WouldIsolate { .. })
    ));
    assert_eq!(ledger.aggregate(&dep).figures(), Some(&first));

    // Re-validating with other answers is a departure and an arrival: still too close.
    let mut changed = towns.clone();
    changed[0].answers = all_at(q, 4);
    let decisions: BTreeMap<_, _> = publish(&mut ledger, q, &changed, NOW + 2)
        .into_iter()
        .collect();
    assert!(matches!(decisions[&dep], Decision::KeptPrevious(_)));

    // The town re-releases the same validated answers: the members are those published.
    let decisions: BTreeMap<_, _> = publish(&mut ledger, q, &towns, NOW + 3)
        .into_iter()
        .collect();
    assert_eq!(decisions[&dep], Decision::KeptPrevious(Refusal::Unchanged));
    assert_eq!(ledger.aggregate(&dep).figures(), Some(&first));

    // Five more towns: the figures are refreshed.
    let mut more = towns.clone();
    more.extend(departement_towns(q, 7..12));
    let decisions: BTreeMap<_, _> = publish(&mut ledger, q, &more, NOW + 3)
        .into_iter()
        .collect();
    assert_eq!(decisions[&dep], Decision::Published);
    assert_eq!(ledger.aggregate(&dep).figures().unwrap().towns, 12);
}

#[test]
fn a_group_one_town_away_from_another_is_not_published() {
    let q = questionnaire();
    // Six towns in the département; five of them in EPCI e1, one in e2.
    let towns: Vec<_> = (0..6)
        .map(|i| {
            let epci = if i < 5 { "e1" } else { "e2" };
            town(
                i,
                commune(&format!("c{i}"), 3_000, "42", "84", epci),
                all_at(q, (i % 5) as u8),
            )
        })
        .collect();
    let mut ledger = Ledger::new("2026");
    let decisions: BTreeMap<_, _> = publish(&mut ledger, q, &towns, NOW).into_iter().collect();
    // The whole country, the stratum, the région and the département are the same six towns:
    // all shown (identical figures). EPCI e1 is those six minus one: refused.
    let e1 = GroupKey::new(GroupKind::Epci, "e1", "");
    assert_eq!(decisions[&GroupKey::national()], Decision::Published);
    assert_eq!(
        decisions[&GroupKey::new(GroupKind::Departement, "42", "")],
        Decision::Published
    );
    assert!(matches!(
        decisions[&e1],
        Decision::Withheld(Refusal::WouldIsolate { .. })
    ));
    assert!(matches!(
        ledger.aggregate(&e1),
        GroupAggregate::Withheld(w) if w.needed.is_none()
    ));
}

#[test]
fn a_region_minus_its_published_departements_must_not_leave_a_few_towns() {
    let q = questionnaire();
    // Région 84: département 42 (6 towns), 43 (6 towns), 07 (2 towns). The région minus 42 and
    // 43 would be the two towns of 07.
    let mut towns = Vec::new();
    for (dep, n, base) in [("42", 6, 0), ("43", 6, 10), ("07", 2, 20)] {
        for i in base..base + n {
            towns.push(town(
                i,
                commune(&format!("c{i}"), 3_000, dep, "84", &format!("e{i}")),
                all_at(q, (i % 5) as u8),
            ));
        }
    }
    let mut ledger = Ledger::new("2026");
    let decisions: BTreeMap<_, _> = publish(&mut ledger, q, &towns, NOW).into_iter().collect();
    let d42 = GroupKey::new(GroupKind::Departement, "42", "");
    let d43 = GroupKey::new(GroupKind::Departement, "43", "");
    let published = [&d42, &d43]
        .iter()
        .filter(|g| decisions[**g] == Decision::Published)
        .count();
    assert_eq!(published, 1, "{decisions:?}");
}

// ------------------------------------------------------------------------------------------------
// Property: no combination of published sets isolates fewer than k towns

/// A small world: towns in two régions, three départements, six EPCIs (nested), two strata.
fn world_commune(i: usize, dep: usize, epci: usize, big: bool) -> Commune {
    let region = if dep < 2 { "84" } else { "93" };
    commune(
        &format!("c{i}"),
        if big { 4_000 } else { 3_000 },
        &format!("d{dep}"),
        region,
        &format!("e{dep}{epci}"),
    )
}

#[derive(Debug, Clone)]
struct Town {
    dep: usize,
    epci: usize,
    big: bool,
}

fn towns_strategy() -> impl Strategy<Value = Vec<Town>> {
    proptest::collection::vec(
        (0usize..3, 0usize..2, any::<bool>()).prop_map(|(dep, epci, big)| Town { dep, epci, big }),
        8..22,
    )
}

/// Per round, per town: released?, answers version (0..3: re-validations).
fn rounds_strategy(n: usize) -> impl Strategy<Value = Vec<Vec<(bool, u8)>>> {
    proptest::collection::vec(
        proptest::collection::vec((prop::bool::weighted(0.7), 0u8..3), n..=n),
        1..5,
    )
}

/// Smallest non-zero support of `±S1 ± … ± Sm` over published member sets, m ≤ 4.
fn smallest_support(sets: &[Vec<i8>]) -> Option<(usize, Vec<(usize, i8)>)> {
    let n = sets.len();
    let mut best: Option<(usize, Vec<(usize, i8)>)> = None;
    let mut consider = |combo: &[(usize, i8)]| {
        let width = sets[0].len();
        let mut sum = vec![0i8; width];
        for &(i, c) in combo {
            for (s, v) in sum.iter_mut().zip(&sets[i]) {
                *s += c * v;
            }
        }
        let support = sum.iter().filter(|v| **v != 0).count();
        if support > 0 && best.as_ref().is_none_or(|(b, _)| support < *b) {
            best = Some((support, combo.to_vec()));
        }
    };
    for a in 0..n {
        consider(&[(a, 1)]);
        for b in a + 1..n {
            for cb in [1, -1] {
                consider(&[(a, 1), (b, cb)]);
                for c in b + 1..n {
                    for cc in [1, -1] {
                        consider(&[(a, 1), (b, cb), (c, cc)]);
                        for d in c + 1..n {
                            for cd in [1, -1] {
                                consider(&[(a, 1), (b, cb), (c, cc), (d, cd)]);
                            }
                        }
                    }
                }
            }
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever towns release, withdraw or re-validate between rounds, no sum or difference of
    /// up to four publications ever made involves between 1 and k − 1 towns (a town's
    /// contribution being its validated answers: a re-validation is another member).
    #[test]
    fn no_combination_of_publications_isolates_fewer_than_k_towns(
        (world, rounds) in towns_strategy().prop_flat_map(|w| {
            let n = w.len();
            (Just(w), rounds_strategy(n))
        })
    ) {
        let q = questionnaire();
        let mut ledger = Ledger::new("2026");
        for (r, round) in rounds.iter().enumerate() {
            let released: Vec<ReleasedTown> = world
                .iter()
                .enumerate()
                .filter(|(i, _)| round[*i].0)
                .map(|(i, t)| {
                    let version = round[i].1;
                    town(i, world_commune(i, t.dep, t.epci, t.big), all_at(q, (i as u8 + version) % 5))
                })
                .collect();
            publish(&mut ledger, q, &released, NOW + r as u64);
        }
        // Every publication is at least k members.
        for p in &ledger.published {
            prop_assert!(p.members.len() >= MIN_GROUP_SIZE);
        }
        // Distinct member sets, as 0/1 vectors over every member ever published.
        let members: BTreeSet<&String> = ledger.published.iter().flat_map(|p| &p.members).collect();
        let distinct: BTreeSet<Vec<i8>> = ledger
            .published
            .iter()
            .map(|p| members.iter().map(|m| i8::from(p.members.contains(*m))).collect())
            .collect();
        let sets: Vec<Vec<i8>> = distinct.into_iter().collect();
        // Keep the brute force quick (C(16, 4) × 8 combinations at most); small worlds stay below.
        prop_assume!(sets.len() <= 16);
        if let Some((support, combo)) = smallest_support(&sets) {
            prop_assert!(
                support >= MIN_GROUP_SIZE,
                "support {} from {:?} in {:?}",
                support,
                combo,
                ledger.published.iter().map(|p| (p.group.slug(), p.members.len())).collect::<Vec<_>>()
            );
        }
    }
}
