//! The campaign as files to keep or share: a CSV for spreadsheets and a JSON for other tools.
//! Generated in the app, offline, from what the phone holds.

use diagnostic::{Lang, Questionnaire, Scores};
use serde::Serialize;

use super::csv;
use crate::i18n::texts;
use crate::stores::schema::{CampaignDoc, PlanItem, PlanStatusLabel};

/// Everything an export says about one campaign.
pub struct ExportInput<'a> {
    pub questionnaire: &'a Questionnaire,
    pub campaign: &'a CampaignDoc,
    pub scores: &'a Scores,
    pub town: &'a str,
    pub lang: Lang,
}

/// Row kinds of the CSV, in its first column.
pub const ANSWER_ROW: &str = "reponse";
const THEME_ROW: &str = "score-theme";
const AXIS_ROW: &str = "score-axe";
const LEVEL_ROW: &str = "niveau";
const PLAN_ROW: &str = "priorite";

/// One CSV: every question (answered or not) with its answer and comment, then the scores, the
/// level and the chosen priorities. One table, so it opens as one sheet; the first column says
/// what each row is.
pub fn to_csv(input: &ExportInput) -> String {
    let t = texts(input.lang);
    let lang = input.lang;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for theme in &input.questionnaire.themes {
        for question in &theme.questions {
            let answer = input.campaign.answers.get(&question.id);
            let label = answer
                .and_then(|a| question.option(&a.option))
                .map(|o| o.label.get(lang).to_string())
                .unwrap_or_default();
            rows.push(vec![
                ANSWER_ROW.into(),
                question.id.clone(),
                question.text.get(lang).to_string(),
                label,
                answer.map(|a| a.option.clone()).unwrap_or_default(),
                answer.and_then(|a| a.comment.clone()).unwrap_or_default(),
            ]);
        }
    }
    let score_rows =
        |kind: &str, lines: &[diagnostic::ScoreLine], title: &dyn Fn(&str) -> String| {
            lines
                .iter()
                .map(|line| {
                    vec![
                        kind.to_string(),
                        line.id.clone(),
                        title(&line.id),
                        format!("{:.0}", line.score),
                        String::new(),
                        String::new(),
                    ]
                })
                .collect::<Vec<_>>()
        };
    let q = input.questionnaire;
    rows.extend(score_rows(THEME_ROW, &input.scores.themes, &|id| {
        q.theme(id)
            .map(|t| t.title.get(lang).to_string())
            .unwrap_or_default()
    }));
    rows.extend(score_rows(AXIS_ROW, &input.scores.axes, &|id| {
        q.axis(id)
            .map(|a| a.title.get(lang).to_string())
            .unwrap_or_default()
    }));
    rows.push(vec![
        LEVEL_ROW.into(),
        input.campaign.id.clone(),
        input.scores.level.label.get(lang).to_string(),
        format!("{} @", input.scores.level.at),
        format!("{:.0}", input.scores.overall),
        format!("{:.0} %", input.scores.completeness * 100.0),
    ]);
    for item in &input.campaign.plan {
        rows.push(vec![
            PLAN_ROW.into(),
            item.question.clone(),
            q.question(&item.question)
                .map(|q| q.text.get(lang).to_string())
                .unwrap_or_default(),
            item.status.label(lang).to_string(),
            item.owner.clone(),
            item.notes.clone(),
        ]);
    }
    csv::document(
        &[
            t.csv_kind,
            t.csv_id,
            t.csv_label,
            t.csv_value,
            t.csv_detail,
            t.csv_comment,
        ],
        rows,
    )
}

#[derive(Serialize)]
struct JsonExport<'a> {
    town: &'a str,
    campaign: &'a str,
    content_version: &'a str,
    answers: &'a std::collections::BTreeMap<String, crate::stores::schema::StoredAnswer>,
    scores: &'a Scores,
    plan: &'a [PlanItem],
    validated: Option<&'a crate::stores::schema::Snapshot>,
}

/// The same content as JSON, with the exact scores.
pub fn to_json(input: &ExportInput) -> String {
    let export = JsonExport {
        town: input.town,
        campaign: &input.campaign.id,
        content_version: &input.campaign.content_version,
        answers: &input.campaign.answers,
        scores: input.scores,
        plan: &input.campaign.plan,
        validated: input.campaign.validated.as_ref(),
    };
    serde_json::to_string_pretty(&export).unwrap_or_default()
}

/// A file name that says what it holds: `arobase-trilport-2026.csv`.
pub fn file_name(town: &str, campaign: &str, extension: &str) -> String {
    let slug: String = town
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        format!("arobase-{campaign}.{extension}")
    } else {
        format!("arobase-{slug}-{campaign}.{extension}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::schema::{PlanStatus, StoredAnswer};
    use diagnostic::{questionnaire, score};

    fn campaign() -> CampaignDoc {
        let q = questionnaire();
        let mut doc = CampaignDoc::new("2026".into(), q.version.clone(), 0.0);
        let first = q.questions().next().unwrap();
        doc.answers.insert(
            first.id.clone(),
            StoredAnswer {
                option: "dont-know".into(),
                comment: Some("Voir avec l'EPCI; \"vite\"\nmerci".into()),
                updated_ms: 1.0,
            },
        );
        doc.plan.push(PlanItem {
            question: first.id.clone(),
            status: PlanStatus::Doing,
            owner: "Adjointe au numérique".into(),
            notes: String::new(),
        });
        doc
    }

    #[test]
    fn the_csv_lists_every_question_and_reads_back_to_the_same_answers() {
        let q = questionnaire();
        let doc = campaign();
        let scores = score(q, &doc.domain_answers());
        let input = ExportInput {
            questionnaire: q,
            campaign: &doc,
            scores: &scores,
            town: "Trilport",
            lang: Lang::Fr,
        };
        let rows = csv::parse(&to_csv(&input));
        assert_eq!(rows[0][0], texts(Lang::Fr).csv_kind);
        let answers: Vec<_> = rows.iter().filter(|r| r[0] == ANSWER_ROW).collect();
        assert_eq!(answers.len(), q.questions().count());
        let first = &answers[0];
        assert_eq!(first[4], "dont-know");
        assert_eq!(first[3], "Ne sait pas");
        assert_eq!(first[5], "Voir avec l'EPCI; \"vite\"\nmerci");
        assert!(rows
            .iter()
            .any(|r| r[0] == PLAN_ROW && r[3] == PlanStatus::Doing.label(Lang::Fr)));
        assert_eq!(rows.iter().filter(|r| r[0] == AXIS_ROW).count(), 4);
    }

    #[test]
    fn the_json_carries_the_exact_scores() {
        let q = questionnaire();
        let doc = campaign();
        let scores = score(q, &doc.domain_answers());
        let input = ExportInput {
            questionnaire: q,
            campaign: &doc,
            scores: &scores,
            town: "Trilport",
            lang: Lang::En,
        };
        let json: serde_json::Value = serde_json::from_str(&to_json(&input)).unwrap();
        assert_eq!(json["campaign"], "2026");
        assert_eq!(json["scores"]["level"]["at"], scores.level.at);
        assert_eq!(json["plan"][0]["status"], "doing");
    }

    #[test]
    fn file_names_are_plain_ascii() {
        assert_eq!(
            file_name("Saint-Étienne-du-Grès", "2026", "csv"),
            "arobase-saint-etienne-du-gres-2026.csv"
        );
        assert_eq!(file_name("", "2026", "json"), "arobase-2026.json");
    }
}
