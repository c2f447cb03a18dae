//! « Se comparer aux communes comparables »: the group picker, the date of the figures, the @ level
//! distribution of the group and the questions most comparable towns have in place. The figures
//! come from the phone's cache (`stores::network`), the comparison from
//! `diagnostic::network::compare`: nothing is recomputed here. The radar draws the same group's
//! median and band (see `radar.rs`).

use diagnostic::network::{Comparison, GroupAggregate, QuestionComparison};
use diagnostic::questionnaire;
use leptos::prelude::*;
use leptos_router::components::A;

use super::section::ResultsSection;
use crate::components::results::campaign::format_long_date;
use crate::flow::question_href;
use crate::i18n::{group_kind_label, thousands, use_i18n, I18n};
use crate::stores::schema::NetworkCache;
use crate::stores::NetworkStore;

/// Most comparable towns: a question in place in at least this share of the group, and not in
/// the town, comes first.
const MOST: u8 = 50;

/// « 12 communes », « Encore 3 communes doivent partager » or « Chiffres pas encore
/// disponibles »: what one group of the picker holds.
pub fn group_status(i18n: I18n, group: &GroupAggregate) -> String {
    let t = i18n.n();
    match group {
        GroupAggregate::Shown(figures) if figures.towns == 1 => t.towns_one.to_string(),
        GroupAggregate::Shown(figures) => t
            .towns
            .replace("{n}", &thousands(figures.towns.into(), i18n.lang())),
        GroupAggregate::Withheld(w) => match w.needed {
            Some(1) => t.needed_one.to_string(),
            Some(n) => t.needed.replace("{n}", &thousands(n.into(), i18n.lang())),
            None => t.unavailable.to_string(),
        },
    }
}

/// « 62 % des communes comparables ont ceci en place ».
pub fn in_place_sentence(i18n: I18n, pct: u8) -> String {
    i18n.n()
        .in_place
        .replace("{pct}", &thousands(pct.into(), i18n.lang()))
}

/// « Chiffres du 2 décembre 2026 ».
pub fn figures_date(i18n: I18n, fetched_ms: u64) -> String {
    i18n.n().figures_of.replace(
        "{date}",
        &format_long_date(fetched_ms as f64, i18n.lang().code()),
    )
}

/// A question of the comparison with the group's share in place.
pub type QuestionShare = (QuestionComparison, u8);

/// Questions where the town is not in place while most of the group is, most common first; then
/// the others, most common first. Only questions the group shows.
pub fn ordered_questions(comparison: &Comparison) -> (Vec<QuestionShare>, Vec<QuestionShare>) {
    let mut shown: Vec<QuestionShare> = comparison
        .questions
        .iter()
        .filter_map(|q| Some((q.clone(), q.group_in_place_pct?)))
        .collect();
    shown.sort_by_key(|(_, pct)| std::cmp::Reverse(*pct));
    shown
        .into_iter()
        .partition(|(q, pct)| q.town_in_place == Some(false) && *pct >= MOST)
}

/// The comparison section of the results page. `cache` is the town's cached figures (`None` when
/// not enrolled or nothing saved yet), `comparison` the town against the picked group.
#[component]
pub fn ComparePanel(
    network: NetworkStore,
    enrolled: Signal<bool>,
    cache: Memo<Option<NetworkCache>>,
    comparison: Memo<Option<Comparison>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let status = move || {
        let t = i18n.n();
        match cache.get() {
            _ if !enrolled.get() => view! { <p class="hint">{t.not_enrolled}</p> }.into_any(),
            None if network.stale.get() => {
                view! { <p class="hint" role="status">{t.none_saved}</p> }.into_any()
            }
            None => view! { <p class="hint" role="status">{t.loading}</p> }.into_any(),
            Some(cache) => view! {
                <p class="figures-date" data-testid="figures-date">{figures_date(i18n, cache.page.fetched_ms)}</p>
                {move || network.stale.get().then(|| view! {
                    <p class="hint" role="status" data-testid="figures-offline">{i18n.n().offline_saved}</p>
                })}
            }
            .into_any(),
        }
    };
    view! {
        <ResultsSection
            id="comparer-titre"
            class="no-print compare"
            testid="compare"
            title=Signal::derive(move || i18n.n().title.to_string())
            summary=Signal::derive(move || comparison.with(|c| match c {
                Some(c) => c.group.label.clone(),
                None => i18n.t().section_compare_summary.to_string(),
            }))
        >
            {status}
            <Show when=move || cache.with(Option::is_some)>
                <GroupPicker network=network cache=cache/>
            </Show>
            {move || comparison.get().map(|comparison| view! { <GroupDetails comparison=comparison/> })}
        </ResultsSection>
    }
}

/// « Groupe de comparaison »: a native select (one line at 360 px, the phone's own picker, one
/// thumb), each group with its size or why it is withheld; the choice is kept on the phone. The
/// select stays the same element when the choice or the figures change, so focus stays on it.
#[component]
fn GroupPicker(network: NetworkStore, cache: Memo<Option<NetworkCache>>) -> impl IntoView {
    let i18n = use_i18n();
    let selected = Memo::new(move |_| cache.with(|c| c.as_ref()?.selected().cloned()));
    let options = move || {
        let groups = cache.with(|c| {
            c.as_ref()
                .map(|c| c.page.groups.clone())
                .unwrap_or_default()
        });
        let chosen = selected.with(|s| s.as_ref().map(|g| g.group().slug()));
        groups
            .into_iter()
            .map(|group| {
                let slug = group.group().slug();
                let is_selected = chosen.as_deref() == Some(slug.as_str());
                let text = format!(
                    "{} : {} — {}",
                    group_kind_label(group.group().kind, i18n.lang()),
                    group.group().label,
                    group_status(i18n, &group)
                );
                view! { <option value=slug selected=is_selected>{text}</option> }
            })
            .collect_view()
    };
    let explain = move || {
        selected.get().map(|group| {
            let t = i18n.n();
            let why = match &group {
                GroupAggregate::Shown(_) => None,
                GroupAggregate::Withheld(w) if w.needed.is_some() => Some(t.needed_explain),
                GroupAggregate::Withheld(_) => Some(t.unavailable_explain),
            };
            let line = format!("{} — {}", group.group().label, group_status(i18n, &group));
            match why {
                Some(why) => format!("{line}. {why}"),
                None => line,
            }
        })
    };
    view! {
        <div class="field">
            <label for="groupe-comparaison">{move || i18n.n().picker_label}</label>
            <select
                id="groupe-comparaison"
                class="group-picker"
                aria-describedby="groupe-comparaison-etat"
                prop:value=move || selected.with(|s| s.as_ref().map(|g| g.group().slug()).unwrap_or_default())
                on:change=move |ev| network.pick(&event_target_value(&ev))
            >
                {options}
            </select>
            <p id="groupe-comparaison-etat" class="hint" data-testid="group-status">{explain}</p>
        </div>
    }
}

/// The group's @ levels (the town's marked) and the questions, in a part the user opens so the
/// results page stays short on a phone.
#[component]
fn GroupDetails(comparison: Comparison) -> impl IntoView {
    let i18n = use_i18n();
    let most = comparison
        .levels
        .iter()
        .map(|l| l.towns)
        .max()
        .unwrap_or(0)
        .max(1);
    let levels = comparison
        .levels
        .iter()
        .map(|level| {
            let mine = level.at == comparison.town_level;
            // Set through the CSSOM (`style:`), which the CSP allows; a `style` attribute it blocks.
            let width = format!("{}%", u64::from(level.towns) * 100 / u64::from(most));
            let count = match level.towns {
                1 => i18n.n().towns_one.to_string(),
                n => i18n.n().towns.replace("{n}", &thousands(n.into(), i18n.lang())),
            };
            view! {
                <li class="level-bar" class:mine=mine>
                    <span class="level-bar-at">{format!("{} @", level.at)}</span>
                    <span class="level-bar-track" aria-hidden="true"><span class="level-bar-fill" style:width=width></span></span>
                    <span class="level-bar-count">
                        {count}
                        {mine.then(|| view! { <strong>{format!(" — {}", i18n.n().your_level)}</strong> })}
                    </span>
                </li>
            }
        })
        .collect_view();
    let (gaps, others) = ordered_questions(&comparison);
    let line = move |(q, pct): QuestionShare| {
        let questionnaire = questionnaire();
        let text = questionnaire.question(&q.question).map_or_else(
            || q.question.clone(),
            |x| x.text.get(i18n.lang()).to_string(),
        );
        let theme = questionnaire
            .theme_of(&q.question)
            .map(|t| t.id.clone())
            .unwrap_or_default();
        let yours = match q.town_in_place {
            Some(true) => i18n.n().yours_in_place,
            Some(false) => i18n.n().yours_not_in_place,
            None => i18n.n().yours_unknown,
        };
        view! {
            <li>
                <A href=question_href(&theme, &q.question)>{text}</A>
                <br/>
                <span class="peer-share">{in_place_sentence(i18n, pct)}</span>
                " · "
                <span class="hint">{yours}</span>
            </li>
        }
    };
    let no_gap = gaps.is_empty();
    let gaps = gaps.into_iter().map(line).collect_view();
    let others = others.into_iter().map(line).collect_view();
    view! {
        <details class="explain compare-details" data-testid="compare-details">
            <summary>{move || i18n.n().details}</summary>
            <p class="hint">{move || i18n.n().intro}</p>
            <h3>{move || i18n.n().levels_title}</h3>
            <ul class="level-bars" data-testid="level-distribution">{levels}</ul>
            <h3>{move || i18n.n().gaps_title}</h3>
            {no_gap.then(|| view! { <p>{move || i18n.n().gaps_none}</p> })}
            <ul class="peer-questions" data-testid="peer-gaps">{gaps}</ul>
            <h3>{move || i18n.n().all_questions}</h3>
            <ul class="peer-questions" data-testid="peer-questions">{others}</ul>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use diagnostic::network::{Comparison, GroupKey, QuestionComparison};

    use super::ordered_questions;

    fn question(id: &str, town: Option<bool>, pct: Option<u8>) -> QuestionComparison {
        QuestionComparison {
            question: id.into(),
            town_in_place: town,
            group_in_place_pct: pct,
        }
    }

    #[test]
    fn questions_most_peers_have_and_the_town_has_not_come_first() {
        let comparison = Comparison {
            group: GroupKey::national(),
            towns: 6,
            town_level: 2,
            levels: Vec::new(),
            axes: Vec::new(),
            questions: vec![
                question("a", Some(false), Some(40)),
                question("b", Some(false), Some(65)),
                question("c", Some(true), Some(90)),
                question("d", None, Some(80)),
                question("e", Some(false), None),
                question("f", Some(false), Some(85)),
            ],
        };
        let (gaps, others) = ordered_questions(&comparison);
        let ids = |list: &[super::QuestionShare]| {
            list.iter()
                .map(|(q, _)| q.question.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&gaps),
            ["f", "b"],
            "not in place here, in place in most towns"
        );
        assert_eq!(
            ids(&others),
            ["c", "d", "a"],
            "then the rest, most common first"
        );
        // A question the group does not show (fewer than 5 towns counted) is left out.
        assert!(!ids(&gaps).contains(&"e".to_string()) && !ids(&others).contains(&"e".to_string()));
    }
}
