//! The network's pure work on a synthetic national campaign: 2 215 towns (the 2 500–5 000
//! communes of the referential), 3 yearly campaigns, every question answered (55 for
//! `apvf-2026.1`), 60 % of towns released. Run: `cargo bench -p diagnostic --bench network`.
//!
//! - `publish_one_campaign`: one publication round from scratch — every group's members, the
//!   disclosure rule, the figures of every published group (what the server runs on a schedule).
//! - `publish_refresh`: the next round on the same campaign after 5 % of towns churned.
//! - `town_comparison`: one town's figures and its comparison with each of its shown groups
//!   (what the app runs on the results page, from cached aggregates).
//! - `csv_three_campaigns`, `participation_all_towns`: the association's export and counts.

use diagnostic::network::{
    compare, csv, groups_of, participation, publish, town_figures, Ledger, ReleaseLevel,
    ReleasedTown, TownParticipation,
};
use diagnostic::sync::{Commune, Epci};
use diagnostic::{questionnaire, Answer, Answers, Questionnaire};

const TOWNS: usize = 2_215;
const CAMPAIGNS: [&str; 3] = ["2024", "2025", "2026"];
const NOW: u64 = 1_800_000_000_000;

fn main() {
    divan::main();
}

/// A small deterministic generator (xorshift64*), so every run benches the same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const REGIONS: [&str; 13] = [
    "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94",
];

/// 2 215 communes over 96 départements (in 13 régions) and ~900 EPCIs.
fn communes(rng: &mut Rng) -> Vec<Commune> {
    (0..TOWNS)
        .map(|i| {
            let dep = rng.below(96) as usize + 1;
            let epci = rng.below(9);
            Commune {
                code: format!("{dep:02}{i:03}"),
                name: format!("Commune {i}"),
                departement: format!("{dep:02}"),
                departement_name: None,
                region: REGIONS[dep % REGIONS.len()].to_string(),
                postal_codes: vec![],
                population: 2_500 + rng.below(2_500),
                epci: Some(Epci {
                    code: format!("2{dep:02}{epci:06}"),
                    name: format!("EPCI {dep}-{epci}"),
                }),
            }
        })
        .collect()
}

/// A town's answers: every question, options drawn around a town-specific maturity.
fn answers(q: &Questionnaire, rng: &mut Rng) -> Answers {
    let maturity = rng.below(5);
    q.questions()
        .map(|question| {
            let n = question.answers.len() as u64;
            let pick = ((maturity + rng.below(3)).saturating_sub(1)).min(n - 1) as usize;
            let pick = if rng.below(20) == 0 {
                n as usize - 1
            } else {
                pick
            };
            (
                question.id.clone(),
                Answer::new(question.answers[pick].id.clone()),
            )
        })
        .collect()
}

struct Campaign {
    towns: Vec<ReleasedTown>,
    ledger: Ledger,
}

struct National {
    communes: Vec<Commune>,
    campaigns: Vec<Campaign>,
}

fn national() -> National {
    let q = questionnaire();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let communes = communes(&mut rng);
    let campaigns = CAMPAIGNS
        .iter()
        .map(|campaign| {
            let mut towns = Vec::new();
            for (i, c) in communes.iter().enumerate() {
                if rng.below(100) < 60 {
                    towns.push(ReleasedTown {
                        id: format!("town-{i}"),
                        commune: c.clone(),
                        answers: answers(q, &mut rng),
                    });
                }
            }
            let mut ledger = Ledger::new(*campaign);
            publish(&mut ledger, q, &towns, NOW);
            Campaign { towns, ledger }
        })
        .collect();
    National {
        communes,
        campaigns,
    }
}

#[divan::bench(sample_count = 20)]
fn publish_one_campaign(bencher: divan::Bencher) {
    let q = questionnaire();
    let data = national();
    let towns = &data.campaigns[2].towns;
    bencher.bench(|| {
        let mut ledger = Ledger::new("2026");
        publish(&mut ledger, q, divan::black_box(towns), NOW);
        ledger
    });
}

/// The part of a round spent scoring each released town (`town_figures`).
#[divan::bench(sample_count = 20)]
fn town_figures_all_released(bencher: divan::Bencher) {
    let q = questionnaire();
    let data = national();
    let towns = &data.campaigns[2].towns;
    bencher.bench(|| {
        towns
            .iter()
            .map(|t| town_figures(q, &t.answers))
            .collect::<Vec<_>>()
    });
}

#[divan::bench(sample_count = 20)]
fn publish_refresh(bencher: divan::Bencher) {
    let q = questionnaire();
    let data = national();
    let campaign = &data.campaigns[2];
    // 5 % of the released towns withdraw, as many others release.
    let mut rng = Rng(7);
    let mut towns: Vec<ReleasedTown> = campaign
        .towns
        .iter()
        .filter(|_| rng.below(100) >= 5)
        .cloned()
        .collect();
    let released: std::collections::BTreeSet<&str> =
        campaign.towns.iter().map(|t| t.id.as_str()).collect();
    let missing = campaign.towns.len() - towns.len();
    towns.extend(
        data.communes
            .iter()
            .enumerate()
            .filter(|(i, _)| !released.contains(format!("town-{i}").as_str()))
            .take(missing)
            .map(|(i, c)| ReleasedTown {
                id: format!("town-{i}"),
                commune: c.clone(),
                answers: answers(q, &mut rng),
            }),
    );
    bencher
        .with_inputs(|| campaign.ledger.clone())
        .bench_local_values(|mut ledger| {
            publish(&mut ledger, q, &towns, NOW + 86_400_000);
            ledger
        });
}

#[divan::bench]
fn town_comparison(bencher: divan::Bencher) {
    let q = questionnaire();
    let data = national();
    let campaign = &data.campaigns[2];
    let town = &campaign.towns[0];
    let groups: Vec<_> = groups_of(&town.commune)
        .iter()
        .map(|g| campaign.ledger.aggregate(g))
        .collect();
    bencher.bench(|| {
        let mine = town_figures(q, divan::black_box(&town.answers));
        groups
            .iter()
            .filter_map(|g| g.figures())
            .map(|figures| compare(q, &mine, figures))
            .collect::<Vec<_>>()
    });
}

#[divan::bench]
fn csv_three_campaigns(bencher: divan::Bencher) {
    let data = national();
    let ledgers: Vec<&Ledger> = data.campaigns.iter().map(|c| &c.ledger).collect();
    bencher.bench(|| csv(divan::black_box(&ledgers)));
}

#[divan::bench]
fn participation_all_towns(bencher: divan::Bencher) {
    let data = national();
    let mut rng = Rng(11);
    let towns: Vec<TownParticipation> = data
        .communes
        .iter()
        .map(|c| {
            let answering = rng.below(100) < 85;
            let validated = answering && rng.below(100) < 75;
            TownParticipation {
                commune: c.clone(),
                answering,
                validated,
                released: (validated && rng.below(100) < 90).then_some(if rng.below(4) == 0 {
                    ReleaseLevel::Named
                } else {
                    ReleaseLevel::Anonymous
                }),
            }
        })
        .collect();
    bencher.bench(|| participation("2026", divan::black_box(&towns)));
}

/// What the synthetic campaign publishes (printed once, for the report).
#[divan::bench(sample_count = 1)]
fn zz_published_groups() {
    let data = national();
    for campaign in &data.campaigns {
        let shown = campaign.ledger.shown().count();
        let mut by_kind = std::collections::BTreeMap::new();
        for f in campaign.ledger.shown() {
            *by_kind.entry(f.group.kind.as_str()).or_insert(0) += 1;
        }
        let groups = campaign.ledger.current.len();
        eprintln!(
            "{}: {} released, {shown} of {groups} groups shown {by_kind:?}",
            campaign.ledger.campaign,
            campaign.towns.len()
        );
    }
}
