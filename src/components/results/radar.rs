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

const RADAR: Radar = Radar {
    size: 340.0,
    margin: 78.0,
    axes: 4,
};

/// Splits a long axis title over lines of about `width` characters, so labels fit a 360 px screen.
fn wrap(title: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in title.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// The radar of the four Villes Internet axes, drawn in SVG by the app, with its text alternative
/// and the same values as a table (the chart alone is not enough for screen readers or print).
#[component]
pub fn RadarChart(
    #[prop(into)] axes: Signal<Vec<RadarAxis>>,
    /// The comparison group's label, when its figures are drawn.
    #[prop(optional, into)]
    group: MaybeProp<String>,
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
    let labels = move || {
        axes.get()
            .into_iter()
            .enumerate()
            .map(|(i, axis)| {
                let p = RADAR.label_anchor(i);
                let anchor = if (p.x - RADAR.centre().x).abs() < 1.0 { "middle" } else if p.x > RADAR.centre().x { "start" } else { "end" };
                let lines = wrap(&axis.title, 13);
                let first_dy = -((lines.len() as f64 - 1.0) * 0.55);
                view! {
                    <text class="radar-label" x=p.x y=p.y text-anchor=anchor>
                        {lines.into_iter().enumerate().map(|(n, line)| {
                            let dy = if n == 0 { format!("{first_dy:.2}em") } else { "1.1em".to_string() };
                            view! { <tspan x=p.x dy=dy>{line}</tspan> }
                        }).collect_view()}
                        <tspan x=p.x dy="1.2em" class="radar-value">{format!("{:.0}", axis.score)}</tspan>
                    </text>
                }
            })
            .collect_view()
    };
    let size = RADAR.size;
    // Side labels run outwards from their anchor: widen the view box so they are never clipped.
    let pad = 60.0;
    view! {
        <figure class="radar">
            <svg
                viewBox=format!("{} 0 {} {size}", -pad, size + 2.0 * pad)
                role="img"
                aria-labelledby="radar-titre radar-description"
                data-testid="radar"
            >
                <title id="radar-titre">{move || match shown_group() {
                    Some(name) => i18n.n().radar_label.replace("{title}", i18n.t().results_radar_title).replace("{group}", &name),
                    None => i18n.t().results_radar_title.to_string(),
                }}</title>
                <desc id="radar-description">{move || i18n.t().results_radar_desc}</desc>
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
                {labels}
            </svg>
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
        </figure>
        <table class="score-table" data-testid="axis-table">
            <caption>{move || i18n.t().results_radar_title}</caption>
            <thead>
                <tr>
                    <th scope="col">{move || i18n.t().results_axis}</th>
                    <th scope="col">{move || i18n.t().results_score}</th>
                    <Show when=move || previous().is_some()>
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
    use super::{band_path, wrap};

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

    #[test]
    fn long_titles_wrap_on_words() {
        assert_eq!(
            wrap("Démocratie et services publics", 13),
            ["Démocratie et", "services", "publics"]
        );
        assert_eq!(wrap("Vivre ensemble", 13), ["Vivre", "ensemble"]);
    }
}
