//! Moving through the questionnaire: where a question sits, what comes before and after it, and
//! which question to resume at. Pure, so it is tested natively.

use diagnostic::{Question, Questionnaire, Theme};

/// A question together with its theme.
#[derive(Debug, Clone, Copy)]
pub struct Place<'q> {
    pub theme: &'q Theme,
    pub question: &'q Question,
    /// Position within the theme, from 0.
    pub index: usize,
}

impl Place<'_> {
    /// The question's route.
    pub fn href(&self) -> String {
        question_href(&self.theme.id, &self.question.id)
    }
}

pub use diagnostic::pages::question_path as question_href;

/// Every question in asking order, with its place.
pub fn places(q: &Questionnaire) -> impl Iterator<Item = Place<'_>> {
    q.themes.iter().flat_map(|theme| {
        theme
            .questions
            .iter()
            .enumerate()
            .map(move |(index, question)| Place {
                theme,
                question,
                index,
            })
    })
}

/// The place of `question` in `theme`, if it is there.
pub fn locate<'q>(q: &'q Questionnaire, theme: &str, question: &str) -> Option<Place<'q>> {
    places(q).find(|p| p.theme.id == theme && p.question.id == question)
}

/// The question before and the question after `question`, across themes.
pub fn neighbours<'q>(
    q: &'q Questionnaire,
    question: &str,
) -> (Option<Place<'q>>, Option<Place<'q>>) {
    let all: Vec<_> = places(q).collect();
    match all.iter().position(|p| p.question.id == question) {
        Some(i) => (i.checked_sub(1).map(|j| all[j]), all.get(i + 1).copied()),
        None => (None, None),
    }
}

/// The first unanswered question after `after` (wrapping round), or from the start when `after`
/// is `None`. `None` when every question is answered.
pub fn next_unanswered<'q>(
    q: &'q Questionnaire,
    after: Option<&str>,
    is_answered: impl Fn(&str) -> bool,
) -> Option<Place<'q>> {
    let all: Vec<_> = places(q).collect();
    let start = after
        .and_then(|id| all.iter().position(|p| p.question.id == id))
        .map_or(0, |i| i + 1);
    (0..all.len())
        .map(|k| all[(start + k) % all.len()])
        .find(|p| !is_answered(&p.question.id))
}

/// Where « Commencer / Reprendre » leads: the question last opened if it still exists, else the
/// first unanswered one, else the first question.
pub fn resume_point<'q>(
    q: &'q Questionnaire,
    last_question: Option<&str>,
    is_answered: impl Fn(&str) -> bool,
) -> Option<Place<'q>> {
    last_question
        .and_then(|id| places(q).find(|p| p.question.id == id))
        .or_else(|| next_unanswered(q, None, is_answered))
        .or_else(|| places(q).next())
}

#[cfg(test)]
mod tests {
    use super::*;
    use diagnostic::questionnaire;

    #[test]
    fn neighbours_cross_theme_boundaries() {
        let q = questionnaire();
        let first_of_second = &q.themes[1].questions[0];
        let last_of_first = q.themes[0].questions.last().unwrap();
        let (previous, next) = neighbours(q, &first_of_second.id);
        assert_eq!(previous.unwrap().question.id, last_of_first.id);
        assert_eq!(next.unwrap().question.id, q.themes[1].questions[1].id);
        let (previous, _) = neighbours(q, &q.themes[0].questions[0].id);
        assert!(previous.is_none());
        let last = q.themes.last().unwrap().questions.last().unwrap();
        assert!(neighbours(q, &last.id).1.is_none());
    }

    #[test]
    fn next_unanswered_wraps_round_and_ends_when_all_are_answered() {
        let q = questionnaire();
        let ids: Vec<_> = places(q).map(|p| p.question.id.clone()).collect();
        let only_first_missing = |id: &str| id != ids[0];
        let found = next_unanswered(q, Some(&ids[5]), only_first_missing).unwrap();
        assert_eq!(found.question.id, ids[0]);
        assert!(next_unanswered(q, None, |_| true).is_none());
        assert_eq!(
            next_unanswered(q, None, |_| false).unwrap().question.id,
            ids[0]
        );
    }

    #[test]
    fn resume_prefers_the_last_question_then_the_first_unanswered() {
        let q = questionnaire();
        let ids: Vec<_> = places(q).map(|p| p.question.id.clone()).collect();
        assert_eq!(
            resume_point(q, Some(&ids[7]), |_| false)
                .unwrap()
                .question
                .id,
            ids[7]
        );
        let first_two_done = |id: &str| id == ids[0] || id == ids[1];
        assert_eq!(
            resume_point(q, Some("gone"), first_two_done)
                .unwrap()
                .question
                .id,
            ids[2]
        );
        assert_eq!(resume_point(q, None, |_| true).unwrap().question.id, ids[0]);
    }

    #[test]
    fn locate_gives_the_index_within_the_theme_and_the_route() {
        let q = questionnaire();
        let theme = &q.themes[2];
        let place = locate(q, &theme.id, &theme.questions[3].id).unwrap();
        assert_eq!(place.index, 3);
        assert_eq!(
            place.href(),
            format!("/questionnaire/{}/{}", theme.id, theme.questions[3].id)
        );
        assert!(locate(q, &q.themes[0].id, &theme.questions[3].id).is_none());
    }
}
