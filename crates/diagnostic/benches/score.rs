//! Benchmarks of the pure functions the app runs on every answer change: scoring a complete
//! questionnaire, prioritising actions, explaining one axis, and the first (lazy) parse of the
//! embedded content. Run: `cargo bench -p diagnostic`.

use diagnostic::{
    explain, prioritise, questionnaire, score, Answer, Answers, Questionnaire, Target,
};

fn main() {
    divan::main();
}

/// Every question answered, cycling through the options (stages, « Ne sait pas », « Non
/// concerné »), as a town that finished the questionnaire.
fn complete_answers(q: &Questionnaire) -> Answers {
    q.questions()
        .enumerate()
        .map(|(i, question)| {
            let option = &question.answers[i % question.answers.len()];
            (question.id.clone(), Answer::new(option.id.clone()))
        })
        .collect()
}

#[divan::bench]
fn score_complete(bencher: divan::Bencher) {
    let q = questionnaire();
    let answers = complete_answers(q);
    bencher.bench(|| score(divan::black_box(q), divan::black_box(&answers)));
}

#[divan::bench]
fn prioritise_complete(bencher: divan::Bencher) {
    let q = questionnaire();
    let answers = complete_answers(q);
    bencher.bench(|| prioritise(divan::black_box(q), divan::black_box(&answers)));
}

#[divan::bench]
fn explain_one_axis(bencher: divan::Bencher) {
    let q = questionnaire();
    let answers = complete_answers(q);
    let target = Target::Axis("democratie".into());
    bencher.bench(|| explain(divan::black_box(q), divan::black_box(&answers), &target));
}

#[divan::bench]
fn parse_embedded_content(bencher: divan::Bencher) {
    let json = serde_json::to_string(questionnaire()).unwrap();
    bencher.bench(|| Questionnaire::from_json(divan::black_box(&json)).unwrap());
}
