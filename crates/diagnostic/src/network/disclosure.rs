//! What may be published, so that no town's answers can be deduced from the figures — by anyone,
//! at any time, combining any figures ever published for the campaign.
//!
//! # Threats and the rule that answers them
//!
//! Every published figure is a function of the *multiset* of its members' answers (counts,
//! shares, medians, quartiles). Differencing combines figures of sets that differ by a few towns:
//!
//! 1. **Too small a group** — a group of one or two towns shows their answers.
//! 2. **Before / after** — a town withdraws (or joins, or validates other answers) between two
//!    refreshes; whoever kept both publications subtracts them.
//! 3. **Nested or overlapping groups** — a département and an EPCI holding all its released
//!    towns but one; a stratum nearly equal to a département.
//! 4. **Residuals and chains** — a région minus its published départements leaves the towns of
//!    the unpublished one; the country before and after minus a région before and after leaves
//!    the one town that changed in the other région (a chain of four publications).
//!
//! **One rule answers all four.** Group the members of all publications ever made for the
//! campaign by the exact set of publications each is in: these are the *atoms*. A new
//! publication is accepted only if, after it, every atom holds zero or at least
//! [`MIN_GROUP_SIZE`] members. A member is a town *with its validated answers* (a re-validation
//! with other answers is a departure plus an arrival). Since every published set is a union of
//! atoms and every figure depends on its members only as a multiset, swapping the answers of two
//! members of one atom changes nothing ever published: whatever anyone combines, each town hides
//! among at least k − 1 others (the k-anonymity of threat 1, extended over groups and time).
//! Below k a group shows only how many more towns are needed; inside a shown group an axis or
//! question counted on fewer than k towns is left out.
//!
//! Consequences: a refresh is refused until at least k towns entered or left the group (and
//! its overlaps) since the previous publication — the previous figures stay shown meanwhile, so a
//! withdrawal removes a town from every figure computed *afterwards*; and among overlapping
//! groups, the broadest are published first (whole country, strata, régions, départements,
//! EPCIs) and a narrower group that would cut a published one into pieces of fewer than k towns
//! waits. Shares are also rounded to [`super::SHARE_STEP`] % and scores to the point, which blurs
//! what the rule already protects.
//!
//! `tests/network_disclosure.rs` checks it by brute force on random small worlds with towns
//! releasing, withdrawing and re-validating over several rounds: no sum or difference of up to
//! four publications involves between 1 and k − 1 towns.
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
    /// Publishing it would single out `towns` (1 to k − 1) members from everything published
    /// before: they would form an atom of their own. Server-side only (never sent to towns).
    WouldIsolate { towns: u32 },
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

/// The **atoms** of everything published: members grouped by the exact set of publications they
/// are in. Every published figure is a function of its members' answers taken as a multiset, and
/// every published set is a union of atoms; so any combination of publications — sums,
/// differences, medians of one minus another, any coefficients, any number — depends on each
/// atom's members only as a whole. If every atom holds at least k members, swapping the answers
/// of two members of one atom changes nothing ever published: no town stands out from fewer
/// than k − 1 others.
struct Atoms {
    /// Atom of each member that is in at least one publication.
    of: BTreeMap<String, usize>,
    /// Size of each atom, by id.
    sizes: Vec<usize>,
}

impl Atoms {
    fn new(ledger: &Ledger) -> Atoms {
        let mut atoms = Atoms {
            of: BTreeMap::new(),
            sizes: Vec::new(),
        };
        for p in &ledger.published {
            atoms.add(&p.members);
        }
        atoms
    }

    /// How `members` would split the atoms: for each atom it touches (and the members in no
    /// publication yet, as `None`), how many members are in `members`.
    fn split(&self, members: &BTreeSet<String>) -> BTreeMap<Option<usize>, usize> {
        let mut inside: BTreeMap<Option<usize>, usize> = BTreeMap::new();
        for m in members {
            *inside.entry(self.of.get(m).copied()).or_default() += 1;
        }
        inside
    }

    /// The smallest non-empty atom publishing `members` would create, if below k.
    fn would_isolate(&self, members: &BTreeSet<String>) -> Option<usize> {
        let k = MIN_GROUP_SIZE;
        self.split(members)
            .into_iter()
            .flat_map(|(atom, inside)| {
                let outside = atom.map_or(0, |a| self.sizes[a] - inside);
                [inside, outside]
            })
            .filter(|&n| n > 0 && n < k)
            .min()
    }

    fn add(&mut self, members: &BTreeSet<String>) {
        let split = self.split(members);
        let mut renamed: BTreeMap<Option<usize>, usize> = BTreeMap::new();
        for (atom, inside) in split {
            let whole = atom.map_or(inside, |a| self.sizes[a]);
            if atom.is_some() && inside == whole {
                continue; // the whole atom is in: it stays as it is
            }
            if let Some(a) = atom {
                self.sizes[a] -= inside;
            }
            renamed.insert(atom, self.sizes.len());
            self.sizes.push(inside);
        }
        for m in members {
            let atom = self.of.get(m).copied();
            if let Some(&new) = renamed.get(&atom) {
                self.of.insert(m.clone(), new);
            }
        }
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
    let member_keys: Vec<String> = towns
        .iter()
        .map(|t| format!("{}#{}", t.id, digest(q, &t.answers)))
        .collect();
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

    let mut atoms = Atoms::new(ledger);
    let mut decisions = Vec::with_capacity(order.len());
    for (group, indices) in order {
        let keys: BTreeSet<String> = indices.iter().map(|&i| member_keys[i].clone()).collect();
        let previous = ledger.latest(&group).cloned();
        let refusal = if keys.len() < MIN_GROUP_SIZE {
            Some(Refusal::TooFew {
                needed: (MIN_GROUP_SIZE - keys.len()) as u32,
            })
        } else if previous.as_ref().is_some_and(|p| p.members == keys) {
            Some(Refusal::Unchanged)
        } else {
            atoms
                .would_isolate(&keys)
                .map(|smallest| Refusal::WouldIsolate {
                    towns: smallest as u32,
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
                atoms.add(&keys);
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
