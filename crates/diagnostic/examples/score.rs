//! Scores answers given as JSON on stdin (`{"question-id": {"option": "stage-2"}, …}`) against the
//! embedded questionnaire and prints the scores as JSON. The end-to-end tests use it to check
//! that the app shows exactly what the domain crate computes.
//!
//! `cargo run -q -p diagnostic --example score < answers.json`

use std::io::Read;

fn main() {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("score: cannot read stdin: {e}");
        std::process::exit(2);
    }
    let answers: diagnostic::Answers = match serde_json::from_str(&input) {
        Ok(answers) => answers,
        Err(e) => {
            eprintln!(
                "score: stdin is not answers JSON ({{\"question\": {{\"option\": …}}}}): {e}"
            );
            std::process::exit(2);
        }
    };
    let scores = diagnostic::score(diagnostic::questionnaire(), &answers);
    println!(
        "{}",
        serde_json::to_string(&scores).expect("scores serialise")
    );
}
