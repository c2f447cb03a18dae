use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::report::chart::{svg_points, Radar};

/// One axis of the chart: its title, this campaign's score and the previous campaign's.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarAxis {
    pub title: String,
    pub score: f64,
    pub previous: Option<f64>,
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
pub fn RadarChart(#[prop(into)] axes: Signal<Vec<RadarAxis>>) -> impl IntoView {
    let i18n = use_i18n();
    let rings = [25.0, 50.0, 75.0, 100.0].map(|level| svg_points(&RADAR.points(&[level; 4])));
    let spokes = (0..RADAR.axes).map(|i| {
        let (c, end) = (RADAR.centre(), RADAR.at(i, 1.0));
        view! { <line class="radar-spoke" x1=c.x y1=c.y x2=end.x y2=end.y/> }
    });
    let current = move || axes.with(|a| a.iter().map(|x| x.score).collect::<Vec<_>>());
    let previous = move || axes.with(|a| a.iter().map(|x| x.previous).collect::<Option<Vec<_>>>());
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
                <title id="radar-titre">{move || i18n.t().results_radar_title}</title>
                <desc id="radar-description">{move || i18n.t().results_radar_desc}</desc>
                {rings.into_iter().map(|points| view! { <polygon class="radar-ring" points=points/> }).collect_view()}
                {spokes.collect_view()}
                {move || previous().map(|scores| view! {
                    <polygon
                        class="radar-previous"
                        data-testid="radar-previous"
                        data-values=values(scores.clone())
                        points=svg_points(&RADAR.points(&scores))
                    />
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
                </tr>
            </thead>
            <tbody>
                {move || axes.get().into_iter().map(|axis| view! {
                    <tr>
                        <th scope="row">{axis.title}</th>
                        <td>{format!("{:.0}", axis.score)}</td>
                        {axis.previous.map(|p| view! { <td>{format!("{p:.0}")}</td> })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_titles_wrap_on_words() {
        assert_eq!(
            wrap("Démocratie et services publics", 13),
            ["Démocratie et", "services", "publics"]
        );
        assert_eq!(wrap("Vivre ensemble", 13), ["Vivre", "ensemble"]);
    }
}
