//! The association's figures and the open-data CSV (`diagnostic::network::dashboard`).

use diagnostic::network::{
    csv, group_figures, level_distribution, named_result, participation, publish, town_figures,
    weakest_questions, year_on_year, GroupAggregate, GroupKey, Ledger, ReleaseLevel, ReleasedTown,
    TownParticipation, CSV_HEADER,
};
use diagnostic::sync::Commune;
use diagnostic::{questionnaire, Answer, AnswerKind, Answers, Questionnaire};

const NOW: u64 = 1_800_000_000_000;

fn commune(code: &str, departement: &str, region: &str) -> Commune {
    Commune {
        code: code.into(),
        name: format!("Commune {code}"),
        departement: departement.into(),
        departement_name: Some(format!("Dép; {departement}")),
        region: region.into(),
        postal_codes: vec![],
        population: 3_000,
        epci: None,
    }
}

/// Every question at `stage`, except the first `low` questions at stage 0.
fn answers(q: &Questionnaire, stage: u8, low: usize) -> Answers {
    q.questions()
        .enumerate()
        .map(|(i, x)| {
            let s = if i < low { 0 } else { stage };
            // Custom scales (content apvf-2026.2) skip some stages: the nearest one, lower first.
            let (_, _, option) = x
                .answers
                .iter()
                .filter_map(|o| match o.kind {
                    AnswerKind::Stage(t) => Some((t.abs_diff(s), t, o)),
                    _ => None,
                })
                .min_by_key(|(distance, t, _)| (*distance, *t))
                .unwrap();
            (x.id.clone(), Answer::new(option.id.clone()))
        })
        .collect()
}

#[test]
fn participation_counts_by_departement_and_region() {
    let towns = vec![
        TownParticipation {
            commune: commune("1", "42", "84"),
            answering: true,
            validated: true,
            released: Some(ReleaseLevel::Named),
        },
        TownParticipation {
            commune: commune("2", "42", "84"),
            answering: true,
            validated: true,
            released: Some(ReleaseLevel::Anonymous),
        },
        TownParticipation {
            commune: commune("3", "43", "84"),
            answering: true,
            validated: false,
            released: None,
        },
        TownParticipation {
            commune: commune("4", "13", "93"),
            answering: false,
            validated: false,
            released: None,
        },
    ];
    let p = participation("2026", &towns);
    let n = &p.national;
    assert_eq!(
        (n.spaces, n.answering, n.validated, n.released, n.named),
        (4, 3, 2, 2, 1)
    );
    assert_eq!(p.regions.len(), 2);
    assert_eq!(p.regions[0].area.label, "Auvergne-Rhône-Alpes");
    assert_eq!((p.regions[0].spaces, p.regions[0].released), (3, 2));
    let d42 = p.departements.iter().find(|d| d.area.id == "42").unwrap();
    assert_eq!((d42.spaces, d42.validated, d42.named), (2, 2, 1));
    assert_eq!(d42.area.label, "Dép; 42 (42)");
}

#[test]
fn levels_weakest_questions_and_year_on_year() {
    let q = questionnaire();
    let group = GroupKey::national();
    let year = |stage: u8, low: usize, campaign: &str| {
        let figures: Vec<_> = (0..6)
            .map(|_| town_figures(q, &answers(q, stage, low)))
            .collect();
        let members: Vec<_> = figures.iter().collect();
        match group_figures(q, &group, campaign, &members, NOW) {
            GroupAggregate::Shown(f) => f,
            w => panic!("{w:?}"),
        }
    };
    let before = year(2, 3, "2025");
    let after = year(4, 2, "2026");
    let levels = level_distribution(&after);
    assert_eq!(levels.iter().map(|l| l.towns).sum::<u32>(), 6);
    assert_eq!(levels.iter().find(|l| l.towns == 6).unwrap().pct, 100);

    let weakest = weakest_questions(&after, 3);
    let first: Vec<String> = q.questions().take(3).map(|x| x.id.clone()).collect();
    assert_eq!(weakest.len(), 3);
    assert_eq!(weakest[0].in_place_pct, 0);
    assert_eq!(weakest[0].question, first[0]);
    assert_eq!(weakest[1].question, first[1]);

    let change = year_on_year(&before, &after);
    assert_eq!(change.before_campaign, "2025");
    assert!(
        change.axes.iter().all(|a| a.change > 0),
        "{:?}",
        change.axes
    );
    assert!(change.overall.unwrap().change > 0);
    // Biggest rise first: the questions at stage 2 before and 4 after rose 0 → 100.
    assert_eq!(change.questions[0].change, 100);
    let third = change
        .questions
        .iter()
        .find(|c| c.question == first[2])
        .unwrap();
    assert_eq!((third.before, third.after), (0, 100));
}

/// Splits a CSV row on `;` outside quotes, unquoting fields.
fn parse_row(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ';' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn the_csv_has_a_bom_a_header_and_only_shown_groups() {
    let q = questionnaire();
    let mut ledger = Ledger::new("2026");
    // Six towns in 42, five in 13, and two towns without a département group of their own
    // would be singled out by « France minus 42 minus 13 »: first without them.
    let mut towns: Vec<ReleasedTown> = (0..6)
        .map(|i| ReleasedTown {
            id: format!("t{i}"),
            commune: commune(&format!("42{i:03}"), "42", "84"),
            answers: answers(q, (i % 5) as u8, 0),
        })
        .collect();
    towns.extend((6..11).map(|i| ReleasedTown {
        id: format!("t{i}"),
        commune: commune(&format!("13{i:03}"), "13", "93"),
        answers: answers(q, 1, 0),
    }));
    publish(&mut ledger, q, &towns, NOW);
    let out = csv(&[&ledger]);
    // Two more towns in 07: too few for their département, and publishing the country with them
    // would let « France − 42 − 13 » show those two: the published figures stay.
    let mut more = towns.clone();
    more.extend((11..13).map(|i| ReleasedTown {
        id: format!("t{i}"),
        commune: commune(&format!("07{i:03}"), "07", "84"),
        answers: answers(q, 4, 0),
    }));
    publish(&mut ledger, q, &more, NOW + 86_400_000);
    assert_eq!(csv(&[&ledger]), out);
    assert!(out.starts_with('\u{feff}'));
    let mut lines = out.trim_start_matches('\u{feff}').split("\r\n");
    assert_eq!(lines.next(), Some(CSV_HEADER));
    let rows: Vec<Vec<String>> = lines.filter(|l| !l.is_empty()).map(parse_row).collect();
    assert!(!rows.is_empty());
    let columns = CSV_HEADER.split(';').count();
    for row in &rows {
        assert_eq!(row.len(), columns, "{row:?}");
        assert!(row[5].parse::<usize>().unwrap() >= 5, "{row:?}");
        assert_eq!(row[6], "2027-01-15");
    }
    assert!(rows.iter().any(|r| r[1] == "national:fr" && r[5] == "11"));
    assert!(rows.iter().any(|r| r[1] == "departement:13" && r[5] == "5"));
    assert!(!rows.iter().any(|r| r[1] == "departement:07"));
    // The label with a `;` is quoted.
    assert!(out.contains("\"Dép; 42 (42)\""), "labels with ; are quoted");
    assert!(rows.iter().any(|r| r[7] == "question_en_place_pct"));
    assert!(rows
        .iter()
        .any(|r| r[7] == "niveau_communes" && r[8] == "1"));
    // No town id, name or commune code in it.
    for leak in ["t0", "Commune", "42000"] {
        assert!(!out.contains(leak), "{leak} in {out}");
    }
}

#[test]
fn a_named_town_shows_its_own_results_in_the_console() {
    let q = questionnaire();
    let line = named_result(q, &commune("42218", "42", "84"), "2026", &answers(q, 3, 0));
    assert_eq!(line.commune, "42218");
    assert_eq!(line.axes.len(), q.axes.len());
    assert!((line.overall - 75.0).abs() < 1e-9);
    assert_eq!(line.level, 4);
}
