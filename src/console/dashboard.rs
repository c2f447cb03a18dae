//! « Tableau de bord »: the association's figures for one campaign (issue 12, item 4) —
//! participation nationally, by région and by département, the @ level distribution, axis
//! medians, the questions where towns are weakest, year-on-year change, the towns released
//! named, and the open-data CSV. Everything comes from `GET /api/operator/network`: figures of
//! answers only for groups of at least 5 released towns (the server's ledger), so nothing here
//! can single a town out except the towns that chose to be named.

use diagnostic::network::{
    AxisChange, GroupAggregate, LevelShare, NamedResult, NetworkDashboard, ParticipationRow,
    QuestionChange, QuestionFigure, YearOnYear,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::map::{fetch_shapes, DepartementSection, ShapesLoad};
use super::texts::{dashboard_texts, fill, DashboardTexts};
use super::{date, Console};
use crate::i18n::{thousands, use_i18n, Lang};
use crate::sync::api;

fn texts() -> &'static DashboardTexts {
    dashboard_texts(use_i18n().lang.get())
}

/// How many campaign years the picker offers, the current one first.
const PICKER_YEARS: i32 = 4;

/// The campaign years offered, newest first: `current`, then the years before.
pub fn campaign_years(current: i32, count: i32) -> Vec<String> {
    (0..count.max(1))
        .map(|i| (current - i).to_string())
        .collect()
}

/// The name the open-data file is saved under.
pub fn csv_file_name(campaign: &str) -> String {
    format!("arobase-{campaign}.csv")
}

/// A change in points, signed so that a fall reads as one: « +3 », « −2 », « 0 ».
pub fn signed_points(change: i16) -> String {
    match change {
        c if c > 0 => format!("+{c}"),
        // U+2212 MINUS SIGN: the typographic minus, read as « moins » by screen readers.
        c if c < 0 => format!("\u{2212}{}", c.unsigned_abs()),
        _ => "0".to_string(),
    }
}

/// One bar of the @ level chart, in the SVG's user units.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub at: u8,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub pct: u8,
}

/// Chart geometry: the drawing area (bars only; labels sit below `CHART_HEIGHT`).
pub const CHART_WIDTH: u32 = 320;
pub const CHART_HEIGHT: u32 = 120;
const CHART_GAP: u32 = 8;

/// Bars of the @ level distribution, scaled so the tallest share fills the height (a share of
/// 0 % still draws nothing, so an empty level cannot pass for a small one).
pub fn level_bars(levels: &[LevelShare]) -> Vec<Bar> {
    if levels.is_empty() {
        return Vec::new();
    }
    let n = levels.len() as u32;
    let width = (CHART_WIDTH - CHART_GAP * (n - 1)) / n;
    let top = u32::from(levels.iter().map(|l| l.pct).max().unwrap_or(0)).max(1);
    levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let height = CHART_HEIGHT * u32::from(l.pct) / top;
            Bar {
                at: l.at,
                x: i as u32 * (width + CHART_GAP),
                y: CHART_HEIGHT - height,
                width,
                height,
                pct: l.pct,
            }
        })
        .collect()
}

/// A score out of 100 or a share, rounded: « 62 ».
fn rounded(value: f64) -> String {
    format!("{:.0}", value)
}

fn this_year() -> i32 {
    js_sys::Date::new_0().get_full_year() as i32
}

#[component]
pub fn DashboardView() -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let years = campaign_years(this_year(), PICKER_YEARS);
    let campaign = RwSignal::new(years[0].clone());
    let dashboard = RwSignal::new(None::<NetworkDashboard>);
    // Fetched once, when the dashboard opens (not with each campaign): never on a town's phone.
    let shapes = fetch_shapes();
    let over_time = StoredValue::new(years.clone());
    Effect::new(move |_| {
        let year = campaign.get();
        console.version.track();
        let token = console.token();
        dashboard.set(None);
        spawn_local(async move {
            match api::operator_network(&token, &year).await {
                Ok(d) => dashboard.set(Some(d)),
                Err(e) => console
                    .error
                    .set(Some(console.failed(&e, i18n.lang.get_untracked()))),
            }
        });
    });
    let download = move |_| {
        let year = campaign.get_untracked();
        let token = console.token();
        let lang = i18n.lang.get_untracked();
        spawn_local(async move {
            match api::operator_network_csv(&token, &year).await {
                Ok(text) => {
                    let file = csv_file_name(&year);
                    if crate::stores::browser::download(&file, "text/csv;charset=utf-8", &text)
                        .is_some()
                    {
                        console.error.set(None);
                        console.done.set(Some(fill(
                            dashboard_texts(lang).downloaded,
                            &[("file", file.as_str())],
                        )));
                    }
                }
                Err(e) => console.error.set(Some(console.failed(&e, lang))),
            }
        });
    };
    view! {
        <section aria-labelledby="tableau-de-bord" class="card" data-testid="dashboard">
            <h2 id="tableau-de-bord">{move || texts().title}</h2>
            <div class="dashboard-controls">
                <label for="dashboard-campaign">{move || texts().campaign}</label>
                <select id="dashboard-campaign" prop:value=move || campaign.get()
                    on:change=move |ev| campaign.set(event_target_value(&ev))>
                    {years.into_iter().map(|y| view! { <option value=y.clone()>{y.clone()}</option> }).collect_view()}
                </select>
                <button type="button" class="button" on:click=download data-testid="download-csv">
                    {move || texts().download}
                </button>
            </div>
            {move || match dashboard.get() {
                None => view! { <p>{super::texts().loading}</p> }.into_any(),
                Some(d) => view! { <DashboardFigures dashboard=d shapes=shapes years=over_time.get_value()/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn DashboardFigures(
    dashboard: NetworkDashboard,
    shapes: ShapesLoad,
    /// The campaigns of the picker, for participation over time.
    years: Vec<String>,
) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    let p = dashboard.participation;
    let published = match dashboard.published_ms {
        Some(ms) => format!("{} {}", t.published, date(ms, lang)),
        None => t.not_published.to_string(),
    };
    let mut national = p.national;
    national.area.label = t.national.to_string();
    let caption = fill(
        t.participation_caption,
        &[("campaign", p.campaign.as_str())],
    );
    view! {
        <p class="hint" data-testid="dashboard-published">{published}</p>
        <h3>{t.participation}</h3>
        <ParticipationTable caption=caption rows=vec![national] testid="participation"/>
        <ParticipationOverTime years=years/>
        <details>
            <summary>{t.by_region} " (" {p.regions.len().to_string()} ")"</summary>
            <ParticipationTable caption=t.by_region.to_string() rows=p.regions testid="participation-regions"/>
        </details>
        <DepartementSection shapes=shapes campaign=p.campaign.clone()
            participation=p.departements groups=dashboard.groups/>
        <h3>{t.levels}</h3>
        {withheld_note(&dashboard.national, lang)}
        <LevelChart levels=dashboard.levels/>
        <h3>{t.axes}</h3>
        <AxisTable national=dashboard.national/>
        <h3>{t.weakest}</h3>
        <p>{t.weakest_intro}</p>
        <WeakestTable weakest=dashboard.weakest/>
        <h3>{t.year_on_year}</h3>
        <YearOnYearTable change=dashboard.year_on_year/>
        <h3>{t.named_towns}</h3>
        <NamedTable named=dashboard.named/>
    }
}

/// Why the national figures are not shown, if they are not.
fn withheld_note(national: &GroupAggregate, lang: Lang) -> Option<impl IntoView> {
    let t = dashboard_texts(lang);
    match national {
        GroupAggregate::Shown(_) => None,
        GroupAggregate::Withheld(w) => {
            let text = match w.needed {
                Some(n) => fill(t.withheld_needed, &[("n", n.to_string().as_str())]),
                None => t.withheld.to_string(),
            };
            Some(view! { <p class="alert alert-info" data-testid="dashboard-withheld">{text}</p> })
        }
    }
}

#[component]
fn ParticipationTable(
    caption: String,
    rows: Vec<ParticipationRow>,
    testid: &'static str,
    /// The first column's header: « Territoire » unless told.
    #[prop(optional)]
    row_header: Option<&'static str>,
) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    let row_header = row_header.unwrap_or(t.area);
    let n = move |v: u32| thousands(u64::from(v), lang);
    view! {
        <div class="table-scroll">
            <table class="dashboard-table" data-testid=testid>
                <caption>{caption}</caption>
                <thead><tr>
                    <th scope="col">{row_header}</th>
                    <th scope="col">{t.spaces}</th>
                    <th scope="col">{t.answering}</th>
                    <th scope="col">{t.validated}</th>
                    <th scope="col">{t.released}</th>
                    <th scope="col">{t.named}</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <th scope="row">{r.area.label}</th>
                            <td>{n(r.spaces)}</td>
                            <td>{n(r.answering)}</td>
                            <td>{n(r.validated)}</td>
                            <td>{n(r.released)}</td>
                            <td>{n(r.named)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The @ level distribution: a bar chart for the eye (hidden from screen readers) and the same
/// figures as a table.
#[component]
fn LevelChart(levels: Vec<LevelShare>) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    if levels.is_empty() {
        return None;
    }
    let bars = level_bars(&levels);
    let view_box = format!("0 0 {CHART_WIDTH} {}", CHART_HEIGHT + 20);
    Some(view! {
        <svg class="level-chart" viewBox=view_box aria-hidden="true" focusable="false">
            {bars.into_iter().map(|b| {
                let middle = b.x + b.width / 2;
                view! {
                    <rect x=b.x.to_string() y=b.y.to_string() width=b.width.to_string() height=b.height.to_string() class="level-bar"></rect>
                    <text x=middle.to_string() y=(CHART_HEIGHT + 16).to_string() text-anchor="middle">{format!("{}@ · {} %", b.at, b.pct)}</text>
                }
            }).collect_view()}
        </svg>
        <div class="table-scroll">
            <table class="dashboard-table" data-testid="levels">
                <caption>{t.levels_caption}</caption>
                <thead><tr>
                    <th scope="col">{t.level}</th>
                    <th scope="col">{t.towns}</th>
                    <th scope="col">{t.share}</th>
                </tr></thead>
                <tbody>
                    {levels.into_iter().map(|l| view! {
                        <tr>
                            <th scope="row">{format!("{}@", l.at)}</th>
                            <td>{thousands(u64::from(l.towns), lang)}</td>
                            <td>{format!("{} %", l.pct)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[component]
fn AxisTable(national: GroupAggregate) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    let figures = national.figures().cloned()?;
    let overall = figures.overall.map(|q| {
        view! {
            <tr>
                <th scope="row">{t.overall}</th>
                <td>{q.median.to_string()}</td>
                <td>{format!("{} – {}", q.q1, q.q3)}</td>
            </tr>
        }
    });
    Some(view! {
        <div class="table-scroll">
            <table class="dashboard-table" data-testid="axis-medians">
                <caption>{t.axes_caption}</caption>
                <thead><tr>
                    <th scope="col">{t.axis}</th>
                    <th scope="col">{t.median}</th>
                    <th scope="col">{t.quartiles}</th>
                </tr></thead>
                <tbody>
                    {overall}
                    {figures.axes.into_iter().map(|a| view! {
                        <tr>
                            <th scope="row">{axis_title(&a.axis, lang)}</th>
                            <td>{a.quartiles.median.to_string()}</td>
                            <td>{format!("{} – {}", a.quartiles.q1, a.quartiles.q3)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

/// An axis's title in `lang`; its id when the current content has no such axis.
fn axis_title(id: &str, lang: Lang) -> String {
    diagnostic::questionnaire()
        .axis(id)
        .map_or_else(|| id.to_string(), |a| a.title.get(lang).to_string())
}

/// A question's text in `lang`; `None` when the current content has no such id.
pub fn question_title(id: &str, lang: Lang) -> Option<String> {
    diagnostic::questionnaire()
        .question(id)
        .map(|q| q.text.get(lang).to_string())
}

/// A row's header for a question: its text, its id on a smaller line (the id is what the CSV
/// and the content files use).
fn question_header(id: String, lang: Lang) -> impl IntoView {
    let title = question_title(&id, lang);
    view! {
        <th scope="row" class="question-cell">
            {match title {
                Some(title) => view! {
                    <span class="question-title">{title}</span>
                    <span class="question-id">{id}</span>
                }.into_any(),
                None => view! { <span class="question-title">{id}</span> }.into_any(),
            }}
        </th>
    }
}

#[component]
fn WeakestTable(weakest: Vec<QuestionFigure>) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    if weakest.is_empty() {
        return None;
    }
    Some(view! {
        <div class="table-scroll">
            <table class="dashboard-table" data-testid="weakest">
                <caption>{t.weakest_caption}</caption>
                <thead><tr>
                    <th scope="col">{t.question}</th>
                    <th scope="col">{t.in_place}</th>
                </tr></thead>
                <tbody>
                    {weakest.into_iter().map(|q| view! {
                        <tr>
                            {question_header(q.question, lang)}
                            <td>{format!("{} %", q.in_place_pct)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

fn change_row(label: String, c: AxisChange) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{label}</th>
            <td>{c.before.to_string()}</td>
            <td>{c.after.to_string()}</td>
            <td>{signed_points(c.change)}</td>
        </tr>
    }
}

#[component]
fn YearOnYearTable(change: Option<YearOnYear>) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    let Some(y) = change else {
        return view! { <p>{t.no_year_on_year}</p> }.into_any();
    };
    let caption = fill(
        t.year_on_year_caption,
        &[
            ("before", y.before_campaign.as_str()),
            ("after", y.after_campaign.as_str()),
        ],
    );
    view! {
        <div class="table-scroll">
            <table class="dashboard-table" data-testid="year-on-year">
                <caption>{caption}</caption>
                <thead><tr>
                    <th scope="col">{t.axis}</th>
                    <th scope="col">{format!("{} ({})", t.before, y.before_campaign)}</th>
                    <th scope="col">{format!("{} ({})", t.after, y.after_campaign)}</th>
                    <th scope="col">{t.change}</th>
                </tr></thead>
                <tbody>
                    {y.overall.map(|c| change_row(t.overall.to_string(), c))}
                    {y.axes.into_iter().map(|c| change_row(axis_title(&c.axis, lang), c)).collect_view()}
                </tbody>
            </table>
        </div>
        <QuestionChanges changes=y.questions before=y.before_campaign after=y.after_campaign/>
    }
    .into_any()
}

/// Each question's share « en place » from one campaign to the next, biggest rise first: in a
/// section the operator opens (every question of the content is there).
#[component]
fn QuestionChanges(changes: Vec<QuestionChange>, before: String, after: String) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    if changes.is_empty() {
        return None;
    }
    let caption = fill(
        t.question_changes_caption,
        &[("before", before.as_str()), ("after", after.as_str())],
    );
    Some(view! {
        <details>
            <summary>{t.question_changes} " (" {changes.len().to_string()} ")"</summary>
            <div class="table-scroll">
                <table class="dashboard-table" data-testid="year-on-year-questions">
                    <caption>{caption}</caption>
                    <thead><tr>
                        <th scope="col">{t.question}</th>
                        <th scope="col">{format!("{} ({before})", t.before)}</th>
                        <th scope="col">{format!("{} ({after})", t.after)}</th>
                        <th scope="col">{t.change}</th>
                    </tr></thead>
                    <tbody>
                        {changes.into_iter().map(|c| view! {
                            <tr>
                                {question_header(c.question, lang)}
                                <td>{format!("{} %", c.before)}</td>
                                <td>{format!("{} %", c.after)}</td>
                                <td>{signed_points(c.change)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    })
}

/// National participation in each campaign of the picker, oldest first. The dashboard answers
/// for one campaign, so this reads one per campaign — only when the operator opens the section.
#[component]
fn ParticipationOverTime(years: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    let console = expect_context::<Console>();
    let rows = RwSignal::new(None::<Vec<ParticipationRow>>);
    let requested = StoredValue::new(false);
    let years = StoredValue::new(years);
    let load = move || {
        if requested.get_value() {
            return;
        }
        requested.set_value(true);
        let token = console.token();
        spawn_local(async move {
            let mut read = Vec::new();
            for year in years.get_value().into_iter().rev() {
                match api::operator_network(&token, &year).await {
                    Ok(d) => {
                        let mut row = d.participation.national;
                        row.area.label = d.participation.campaign;
                        read.push(row);
                    }
                    Err(e) => {
                        console
                            .error
                            .set(Some(console.failed(&e, i18n.lang.get_untracked())));
                        requested.set_value(false);
                        return;
                    }
                }
            }
            rows.set(Some(read));
        });
    };
    view! {
        <details on:toggle=move |_| load() data-testid="participation-over-time">
            <summary>{move || texts().over_time}</summary>
            {move || match rows.get() {
                None => view! { <p>{super::texts().loading}</p> }.into_any(),
                Some(rows) => view! {
                    <ParticipationTable caption=texts().over_time_caption.to_string() rows=rows
                        testid="participation-campaigns" row_header=texts().campaign/>
                }.into_any(),
            }}
        </details>
    }
}

#[component]
fn NamedTable(named: Vec<NamedResult>) -> impl IntoView {
    let lang = use_i18n().lang();
    let t = dashboard_texts(lang);
    if named.is_empty() {
        return view! { <p>{t.no_named}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="dashboard-table" data-testid="named">
                <caption>{t.named_caption}</caption>
                <thead><tr>
                    <th scope="col">{t.commune}</th>
                    <th scope="col">{t.overall}</th>
                    <th scope="col">{t.level}</th>
                    <th scope="col">{t.axes}</th>
                    <th scope="col">{t.completeness}</th>
                </tr></thead>
                <tbody>
                    {named.into_iter().map(|r| {
                        let axes = r.axes.iter()
                            .map(|(axis, score)| format!("{} {}", axis_title(axis, lang), rounded(*score)))
                            .collect::<Vec<_>>()
                            .join(" · ");
                        view! {
                            <tr>
                                <th scope="row">{format!("{} ({}, {})", r.name, r.commune, r.departement)}</th>
                                <td>{rounded(r.overall)}</td>
                                <td>{format!("{}@", r.level)}</td>
                                <td>{axes}</td>
                                <td>{format!("{} %", rounded(r.completeness * 100.0))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_offers_this_year_then_the_years_before() {
        assert_eq!(campaign_years(2026, 3), ["2026", "2025", "2024"]);
        assert_eq!(campaign_years(2026, 0), ["2026"]);
    }

    #[test]
    fn a_question_reads_as_its_text_in_the_language_shown() {
        let question = diagnostic::questionnaire().questions().next().unwrap();
        assert_eq!(
            question_title(&question.id, Lang::Fr).as_deref(),
            Some(question.text.fr.as_str())
        );
        assert_eq!(
            question_title(&question.id, Lang::En).as_deref(),
            Some(question.text.en.as_str())
        );
        assert_ne!(question.text.fr, question.id);
        // An id the current content no longer has: the table falls back to the id itself.
        assert_eq!(question_title("retiree-depuis", Lang::Fr), None);
    }

    #[test]
    fn the_open_data_file_is_named_after_its_campaign() {
        assert_eq!(csv_file_name("2026"), "arobase-2026.csv");
    }

    #[test]
    fn a_change_is_signed_with_a_true_minus() {
        assert_eq!(signed_points(3), "+3");
        assert_eq!(signed_points(-2), "\u{2212}2");
        assert_eq!(signed_points(0), "0");
    }

    fn share(at: u8, pct: u8) -> LevelShare {
        LevelShare {
            at,
            towns: u32::from(pct),
            pct,
        }
    }

    #[test]
    fn the_tallest_level_fills_the_chart_and_an_empty_one_draws_nothing() {
        let bars = level_bars(&[
            share(1, 20),
            share(2, 50),
            share(3, 0),
            share(4, 25),
            share(5, 5),
        ]);
        assert_eq!(bars.len(), 5);
        assert_eq!(bars[1].height, CHART_HEIGHT);
        assert_eq!(bars[1].y, 0);
        assert_eq!(bars[2].height, 0);
        assert_eq!(bars[2].y, CHART_HEIGHT);
        assert_eq!(bars[0].height, CHART_HEIGHT * 20 / 50);
        // Bars fit the width, left to right, without overlapping.
        for pair in bars.windows(2) {
            assert!(pair[0].x + pair[0].width < pair[1].x);
        }
        let last = bars.last().unwrap();
        assert!(last.x + last.width <= CHART_WIDTH);
    }

    #[test]
    fn no_level_no_bar_and_all_zero_does_not_divide_by_zero() {
        assert!(level_bars(&[]).is_empty());
        let bars = level_bars(&[share(1, 0), share(2, 0)]);
        assert!(bars.iter().all(|b| b.height == 0));
    }
}
