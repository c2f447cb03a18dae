//! What may be published, so that no town's answers can be deduced from the figures — by anyone,
//! at any time, combining any figures ever published for the campaign.
//!
//! # Threats and rules
//!
//! Every published figure is a function of the *multiset* of its members' answers (counts,
//! shares, medians, quartiles). Differencing combines figures of sets that differ by a few towns:
//!
//! 1. **Too small a group** — a group of one or two towns shows their answers. *Rule*: nothing is
//!    shown below [`MIN_GROUP_SIZE`] towns, nor any axis or question counted on fewer.
//! 2. **Before / after** — a town withdraws (or joins, or validates different answers) between
//!    two refreshes; whoever kept both publications subtracts them. *Rule*: a group's figures are
//!    republished only if its members differ from **every earlier publication** by at least
//!    [`MIN_GROUP_SIZE`] towns (a member is a town *with its validated answers*: a re-validation
//!    with other answers is a departure plus an arrival); otherwise the previous publication
//!    stays. Withdrawing thus removes a town from every figure computed afterwards, and figures
//!    published before are replaced only once enough towns changed.
//! 3. **Nested or overlapping groups** — a département and an EPCI that covers all its released
//!    towns but one, or a département that is a région minus one town, or a stratum nearly equal
//!    to a département. *Rule*: any two publications (any groups, any refresh) have members that
//!    are equal or differ by at least [`MIN_GROUP_SIZE`] towns (symmetric difference).
//! 4. **Residuals** — a région minus its published départements leaves the towns of the
//!    unpublished ones (the whole country minus the published strata, a département minus its
//!    EPCIs…). *Rule*: for every published group and every kind of group, its members not in the
//!    published groups of that kind it contains are none or at least [`MIN_GROUP_SIZE`].
//!
//! Groups are considered broadest first (whole country, strata, régions, départements, EPCIs),
//! so when two conflict the one that serves more towns is published. A refused group keeps its
//! previous publication, or shows nothing.
//!
//! What this guarantees is tested (`tests/network_disclosure.rs`) by brute force on small
//! worlds: no sum or difference of published sets (coefficients −1, 0, 1, up to four sets)
//! involves between 1 and [`MIN_GROUP_SIZE`] − 1 towns.
//!
//! Out of scope: fake towns (spaces are verified by the association's operators, see
//! [`crate::association`]) and several real towns colluding (any k-anonymity falls to k − 1
//! accomplices). Accepted: when every town of a group gives the same answer, « 100 % » tells
//! each of them — that is what the figure means.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::aggregate::{
    group_figures, town_figures, GroupAggregate, GroupFigures, ReleasedTown, TownFigures, Withheld,
    MIN_GROUP_SIZE,
};
use super::groups::{groups_of, GroupKey, GroupKind};
use super::validation::digest;
use crate::Questionnaire;

/// One publication: a group's figures and the members they were computed on. Kept by the server
/// only (the members are opaque town ids with an answer digest); towns receive the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub group: GroupKey,
    /// When it was published (the round), Unix ms.
    pub round_ms: u64,
    /// `<town id>#<answers digest>` of each member.
    pub members: BTreeSet<String>,
    pub figures: GroupFigures,
}

/// Everything ever published for one campaign, and what each group shows now. The server keeps
/// it (as JSON or in tables), runs [`publish`] on a schedule (e.g. nightly), and serves
/// [`Ledger::aggregate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub campaign: String,
    /// Every publication, oldest first. Never pruned: a publication once seen can be kept.
    pub published: Vec<Published>,
    /// What each group shows now, by slug.
    pub current: BTreeMap<String, GroupAggregate>,
}

/// Why a group was not (re)published this round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Refusal {
    /// Fewer than [`MIN_GROUP_SIZE`] members.
    TooFew { needed: u32 },
    /// Same members as its current publication: nothing to refresh.
    Unchanged,
    /// Members differ from an earlier publication (of `other`, maybe itself) by 1 to k − 1 towns.
    TooClose { other: String },
    /// Publishing it would leave 1 to k − 1 towns of `outer` outside its published subgroups.
    Residual { outer: String },
}

/// The outcome of one group in one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// New figures published.
    Published,
    /// Refused; the previous publication stays shown.
    KeptPrevious(Refusal),
    /// Refused; nothing is shown.
    Withheld(Refusal),
}

impl Ledger {
    pub fn new(campaign: impl Into<String>) -> Ledger {
        Ledger {
            campaign: campaign.into(),
            ..Ledger::default()
        }
    }

    /// What a town (or anyone) is shown for `group`: its current publication, or why not.
    pub fn aggregate(&self, group: &GroupKey) -> GroupAggregate {
        self.current.get(&group.slug()).cloned().unwrap_or_else(|| {
            GroupAggregate::Withheld(Withheld {
                group: group.clone(),
                campaign: self.campaign.clone(),
                needed: Some(MIN_GROUP_SIZE as u32),
            })
        })
    }

    /// The latest publication of `group`.
    pub fn latest(&self, group: &GroupKey) -> Option<&Published> {
        self.published.iter().rev().find(|p| &p.group == group)
    }

    /// The figures shown now, every group.
    pub fn shown(&self) -> impl Iterator<Item = &GroupFigures> {
        self.current.values().filter_map(GroupAggregate::figures)
    }
}

/// The sets considered: every publication ever, with an index from member to sets.
struct Family {
    sets: Vec<(GroupKey, BTreeSet<String>)>,
    /// Index of each group's latest set.
    live: BTreeMap<GroupKey, usize>,
    by_member: BTreeMap<String, Vec<usize>>,
}

impl Family {
    fn new(ledger: &Ledger) -> Family {
        let mut family = Family {
            sets: Vec::new(),
            live: BTreeMap::new(),
            by_member: BTreeMap::new(),
        };
        for p in &ledger.published {
            family.add(p.group.clone(), p.members.clone());
        }
        family
    }

    fn add(&mut self, group: GroupKey, members: BTreeSet<String>) {
        let index = self.sets.len();
        for m in &members {
            self.by_member.entry(m.clone()).or_default().push(index);
        }
        self.live.insert(group.clone(), index);
        self.sets.push((group, members));
    }

    /// Sets sharing at least one member with `members`.
    fn overlapping(&self, members: &BTreeSet<String>) -> BTreeSet<usize> {
        members
            .iter()
            .filter_map(|m| self.by_member.get(m))
            .flatten()
            .copied()
            .collect()
    }

    /// Rule 3 (and 2, a group being compared with its own earlier publications).
    fn too_close(&self, members: &BTreeSet<String>) -> Option<&GroupKey> {
        let k = MIN_GROUP_SIZE;
        self.overlapping(members).into_iter().find_map(|i| {
            let (group, other) = &self.sets[i];
            if members.len().abs_diff(other.len()) >= k {
                return None;
            }
            let d = members.symmetric_difference(other).count();
            (d > 0 && d < k).then_some(group)
        })
    }

    /// Rule 4, for `candidate` of `group` as if it replaced the group's live set.
    fn residual(&self, group: &GroupKey, members: &BTreeSet<String>) -> Option<GroupKey> {
        let k = MIN_GROUP_SIZE;
        let live: Vec<(&GroupKey, &BTreeSet<String>)> = self
            .live
            .iter()
            .filter(|(g, _)| *g != group)
            .map(|(g, &i)| (g, &self.sets[i].1))
            .chain(std::iter::once((group, members)))
            .collect();
        let bad = |outer: &BTreeSet<String>, kind: GroupKind| {
            let mut covered = 0usize;
            for (g, set) in &live {
                if g.kind == kind && !set.is_empty() && set.is_subset(outer) {
                    covered += set.len();
                }
            }
            let rest = outer.len() - covered.min(outer.len());
            covered > 0 && rest > 0 && rest < k
        };
        // The candidate as the outer set, for every kind but its own.
        for kind in GroupKind::ALL {
            if kind != group.kind && bad(members, kind) {
                return Some(group.clone());
            }
        }
        // The candidate inside a live set of another group.
        for (outer_group, outer) in &live {
            if *outer_group != group
                && outer_group.kind != group.kind
                && members.is_subset(outer)
                && bad(outer, group.kind)
            {
                return Some((*outer_group).clone());
            }
        }
        None
    }
}

/// The order groups are considered in: broadest kind first, then biggest.
fn priority(kind: GroupKind) -> u8 {
    match kind {
        GroupKind::National => 0,
        GroupKind::Strate => 1,
        GroupKind::Region => 2,
        GroupKind::Departement => 3,
        GroupKind::Epci => 4,
    }
}

/// One publication round for `ledger`'s campaign: computes the current members of every group
/// from the released towns (their **validated** answers), applies the rules of this module, and
/// records what is published and shown. Returns each group's decision, in the order considered.
pub fn publish(
    ledger: &mut Ledger,
    q: &Questionnaire,
    towns: &[ReleasedTown],
    now_ms: u64,
) -> Vec<(GroupKey, Decision)> {
    let figures: Vec<TownFigures> = towns.iter().map(|t| town_figures(q, &t.answers)).collect();
    let mut members: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for (i, town) in towns.iter().enumerate() {
        for group in groups_of(&town.commune) {
            members.entry(group).or_default().push(i);
        }
    }
    // Groups shown before and now empty are considered too (they become withheld).
    for shown in ledger.current.values() {
        members.entry(shown.group().clone()).or_default();
    }
    let mut order: Vec<(GroupKey, Vec<usize>)> = members.into_iter().collect();
    order.sort_by(|(a, ma), (b, mb)| {
        priority(a.kind)
            .cmp(&priority(b.kind))
            .then(mb.len().cmp(&ma.len()))
            .then(a.cmp(b))
    });

    let mut family = Family::new(ledger);
    let mut decisions = Vec::with_capacity(order.len());
    for (group, indices) in order {
        let keys: BTreeSet<String> = indices
            .iter()
            .map(|&i| format!("{}#{}", towns[i].id, digest(q, &towns[i].answers)))
            .collect();
        let previous = ledger.latest(&group).cloned();
        let refusal = if keys.len() < MIN_GROUP_SIZE {
            Some(Refusal::TooFew {
                needed: (MIN_GROUP_SIZE - keys.len()) as u32,
            })
        } else if previous.as_ref().is_some_and(|p| p.members == keys) {
            Some(Refusal::Unchanged)
        } else if let Some(other) = family.too_close(&keys) {
            Some(Refusal::TooClose {
                other: other.slug(),
            })
        } else {
            family
                .residual(&group, &keys)
                .map(|outer| Refusal::Residual {
                    outer: outer.slug(),
                })
        };
        let decision = match refusal {
            None => {
                let member_figures: Vec<&TownFigures> =
                    indices.iter().map(|&i| &figures[i]).collect();
                let aggregate = group_figures(q, &group, &ledger.campaign, &member_figures, now_ms);
                let GroupAggregate::Shown(shown) = aggregate else {
                    unreachable!("a group of at least MIN_GROUP_SIZE towns is shown")
                };
                family.add(group.clone(), keys.clone());
                ledger.published.push(Published {
                    group: group.clone(),
                    round_ms: now_ms,
                    members: keys,
                    figures: shown.clone(),
                });
                ledger
                    .current
                    .insert(group.slug(), GroupAggregate::Shown(shown));
                Decision::Published
            }
            Some(Refusal::TooFew { needed }) => {
                ledger.current.insert(
                    group.slug(),
                    GroupAggregate::Withheld(Withheld {
                        group: group.clone(),
                        campaign: ledger.campaign.clone(),
                        needed: Some(needed),
                    }),
                );
                Decision::Withheld(Refusal::TooFew { needed })
            }
            Some(refusal) => match previous {
                Some(previous) => {
                    ledger.current.insert(
                        group.slug(),
                        GroupAggregate::Shown(previous.figures.clone()),
                    );
                    Decision::KeptPrevious(refusal)
                }
                None => {
                    ledger.current.insert(
                        group.slug(),
                        GroupAggregate::Withheld(Withheld {
                            group: group.clone(),
                            campaign: ledger.campaign.clone(),
                            needed: None,
                        }),
                    );
                    Decision::Withheld(refusal)
                }
            },
        };
        decisions.push((group, decision));
    }
    decisions
}
