use diagnostic::network::Quartiles;
use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::report::chart::{svg_points, Radar};

/// One axis of the chart: its title, this campaign's score, the previous campaign's, and the
/// comparison group's quartiles (from `diagnostic::network::compare`) when one is selected.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarAxis {
    pub title: String,
    pub score: f64,
    pub previous: Option<f64>,
    pub group: Option<Quartiles>,
}

/// The SVG path of the band between the q1 and q3 polygons: the outer polygon with the inner one
/// cut out (`fill-rule: evenodd`), so the town's own shape stays readable on top.
fn band_path(q1: &[f64], q3: &[f64]) -> String {
    let ring =
        |scores: &[f64]| format!("M{}Z", svg_points(&RADAR.points(scores)).replace(' ', "L"));
    format!("{} {}", ring(q3), ring(q1))
}

/// The chart's frame, in the SVG's own units. Turned 45°, the full ring is a square whose corners
/// lie `radius / √2` ≈ 70.7 units from the centre: the view box keeps that square and a little
/// room for the strokes ([`HALF_VIEW`]), so the drawing fills the space between the buttons.
const RADAR: Radar = Radar {
    size: 200.0,
    margin: 0.0,
    axes: 4,
};

/// Half the side of the square view box around the centre.
const HALF_VIEW: f64 = 75.0;

/// The radar of the four Villes Internet axes, drawn in SVG by the app and turned 45°, so each
/// axis points to a corner, where its title and score sit on a real button above or below the
/// drawing (≥ 44 px, text at the page's size rather than scaled down with the drawing) that
/// opens that axis's detail.
/// The values are also in [`AxisTable`] (the chart alone is not enough for print or a screen
/// reader).
#[component]
pub fn RadarChart(
    #[prop(into)] axes: Signal<Vec<RadarAxis>>,
    /// The comparison group's label, when its figures are drawn.
    #[prop(optional, into)]
    group: MaybeProp<String>,
    /// The axis whose detail is open, by index (the detail is the page's, under the chart).
    selected: RwSignal<Option<usize>>,
    /// The id of the element showing the detail (`aria-controls`).
    detail_id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let rings = [25.0, 50.0, 75.0, 100.0].map(|level| svg_points(&RADAR.points(&[level; 4])));
    let spokes = (0..RADAR.axes).map(|i| {
        let (c, end) = (RADAR.centre(), RADAR.at(i, 1.0));
        view! { <line class="radar-spoke" x1=c.x y1=c.y x2=end.x y2=end.y/> }
    });
    let current = move || axes.with(|a| a.iter().map(|x| x.score).collect::<Vec<_>>());
    let previous = move || axes.with(|a| a.iter().map(|x| x.previous).collect::<Option<Vec<_>>>());
    // The group's shapes need every axis: an axis withheld (fewer than 5 towns with data on it)
    // leaves only the table's dashes.
    let quartiles = move || {
        group.get()?;
        axes.with(|a| a.iter().map(|x| x.group).collect::<Option<Vec<_>>>())
    };
    let shown_group = move || quartiles().and(group.get());
    let pick = |quartiles: &[Quartiles], f: fn(&Quartiles) -> u8| -> Vec<f64> {
        quartiles.iter().map(|q| f64::from(f(q))).collect()
    };
    let values = |scores: Vec<f64>| {
        scores
            .iter()
            .map(|s| format!("{s:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let buttons = move || {
        axes.get()
            .into_iter()
            .enumerate()
            .map(|(i, axis)| {
                view! {
                    <button
                        type="button"
                        class=format!("radar-axis radar-axis-{i}")
                        aria-expanded=move || (selected.get() == Some(i)).to_string()
                        aria-controls=detail_id
                        on:click=move |_| selected.update(|s| *s = if *s == Some(i) { None } else { Some(i) })
                    >
                        <span class="radar-axis-title">{axis.title}</span>
                        " "
                        <strong class="radar-value">{format!("{:.0}", axis.score)}</strong>
                    </button>
                }
            })
            .collect_view()
    };
    let c = RADAR.centre();
    view! {
        <figure class="radar">
            <div class="radar-frame">
                <svg
                    viewBox=format!("{0} {0} {1} {1}", c.x - HALF_VIEW, 2.0 * HALF_VIEW)
                    role="img"
                    aria-labelledby="radar-titre radar-description"
                    data-testid="radar"
                >
                    <title id="radar-titre">{move || match shown_group() {
                        Some(name) => i18n.n().radar_label.replace("{title}", i18n.t().results_radar_title).replace("{group}", &name),
                        None => i18n.t().results_radar_title.to_string(),
                    }}</title>
                    <desc id="radar-description">{move || i18n.t().results_radar_desc}</desc>
                    // Turned so the axes point to the corners, where the buttons are.
                    <g transform=format!("rotate(-45 {} {})", c.x, c.y)>
                        {rings.into_iter().map(|points| view! { <polygon class="radar-ring" points=points/> }).collect_view()}
                        {spokes.collect_view()}
                        {move || quartiles().map(|q| view! {
                            <path
                                class="radar-band"
                                data-testid="radar-band"
                                fill-rule="evenodd"
                                d=band_path(&pick(&q, |q| q.q1), &pick(&q, |q| q.q3))
                            />
                        })}
                        {move || previous().map(|scores| view! {
                            <polygon
                                class="radar-previous"
                                data-testid="radar-previous"
                                data-values=values(scores.clone())
                                points=svg_points(&RADAR.points(&scores))
                            />
                        })}
                        {move || quartiles().map(|q| {
                            let medians = pick(&q, |q| q.median);
                            view! {
                                <polygon
                                    class="radar-median"
                                    data-testid="radar-median"
                                    data-values=values(medians.clone())
                                    points=svg_points(&RADAR.points(&medians))
                                />
                            }
                        })}
                        <polygon
                            class="radar-current"
                            data-testid="radar-current"
                            data-values=move || values(current())
                            points=move || svg_points(&RADAR.points(&current()))
                        />
                    </g>
                </svg>
                {buttons}
            </div>
            // A legend only when there is more than this campaign's shape to tell apart.
            <Show when=move || previous().is_some() || quartiles().is_some()>
                <figcaption class="radar-legend">
                    <span class="legend-current">{move || i18n.t().results_current}</span>
                    <Show when=move || previous().is_some()>
                        <span class="legend-previous">{move || i18n.t().results_previous}</span>
                    </Show>
                    <Show when=move || quartiles().is_some()>
                        <span class="legend-median">{move || i18n.n().radar_median}</span>
                        <span class="legend-band">{move || i18n.n().radar_band}</span>
                    </Show>
                </figcaption>
            </Show>
        </figure>
    }
}

/// The radar's values as a table: this campaign, the previous one, the group's median and band.
#[component]
pub fn AxisTable(
    #[prop(into)] axes: Signal<Vec<RadarAxis>>,
    #[prop(optional, into)] group: MaybeProp<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let has_previous = move || axes.with(|a| a.iter().all(|x| x.previous.is_some()));
    view! {
        <table class="score-table" data-testid="axis-table">
            <caption>{move || i18n.t().results_radar_title}</caption>
            <thead>
                <tr>
                    <th scope="col">{move || i18n.t().results_axis}</th>
                    <th scope="col">{move || i18n.t().results_score}</th>
                    <Show when=has_previous>
                        <th scope="col">{move || i18n.t().results_previous}</th>
                    </Show>
                    <Show when=move || group.get().is_some()>
                        <th scope="col">{move || i18n.n().table_median}</th>
                        <th scope="col">{move || i18n.n().table_band}</th>
                    </Show>
                </tr>
            </thead>
            <tbody>
                {move || axes.get().into_iter().map(|axis| view! {
                    <tr>
                        <th scope="row">{axis.title}</th>
                        <td>{format!("{:.0}", axis.score)}</td>
                        {axis.previous.map(|p| view! { <td>{format!("{p:.0}")}</td> })}
                        {group.get().is_some().then(|| match axis.group {
                            Some(q) => view! {
                                <td data-testid="axis-median">{q.median}</td>
                                <td>{format!("{} – {}", q.q1, q.q3)}</td>
                            }.into_any(),
                            None => view! { <td>"—"</td><td>"—"</td> }.into_any(),
                        })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::band_path;

    #[test]
    fn the_band_is_the_q3_polygon_with_the_q1_polygon_cut_out() {
        let path = band_path(&[0.0; 4], &[100.0; 4]);
        let rings: Vec<&str> = path.split(' ').collect();
        assert_eq!(rings.len(), 2, "{path}");
        for ring in rings {
            assert!(ring.starts_with('M') && ring.ends_with('Z'), "{ring}");
            assert_eq!(ring.matches('L').count(), 3, "four corners: {ring}");
        }
    }
}
