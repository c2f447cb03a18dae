//! Converts the TOML content under `content/` into compact JSON in `OUT_DIR`, which the crate
//! embeds with `include_str!`. Why: TOML is pleasant for long bilingual text, but the `toml`
//! parser must not reach the WebAssembly app (150 KB brotli budget); serde_json is there anyway.
//!
//! The build fails, naming the file, the question and the problem, if the content does not parse
//! or does not pass `validate_with` — so broken content can never ship.

use std::path::PathBuf;
use std::{env, fs, process};

#[allow(dead_code)]
#[path = "src/model.rs"]
mod model;

#[allow(dead_code)]
#[path = "src/validate.rs"]
mod validate;

#[path = "buildsrc/convert.rs"]
mod convert;

/// (content file relative to the crate, JSON file written to OUT_DIR, strict rules?)
const JOBS: [(&str, &str, bool); 3] = [
    ("content/apvf-2026.2.toml", "apvf-2026.2.json", true),
    // The previous version, as published: the migration tests check that every one of its
    // answers survives into the current version.
    (
        "content/archive/apvf-2026.1.toml",
        "archive-apvf-2026.1.json",
        false,
    ),
    // Test-only fixture of a hypothetical later version, used by the migration tests.
    (
        "content/fixtures/apvf-2027.1-test.toml",
        "fixture-apvf-2027.1-test.json",
        false,
    ),
];

/// The content's outline (see `Questionnaire::outline`), which the app's first download embeds.
fn outline_json(json: &str) -> String {
    let questionnaire: model::Questionnaire =
        serde_json::from_str(json).expect("convert produced model JSON");
    serde_json::to_string(&questionnaire.outline()).expect("a questionnaire serialises")
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    for watched in [
        "content",
        "src/model.rs",
        "src/validate.rs",
        "buildsrc/convert.rs",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }

    let mut failed = false;
    for (source, target, strict) in JOBS {
        let path = manifest.join(source);
        let file = path.display().to_string();
        let rules = if strict {
            validate::Rules::default()
        } else {
            validate::Rules::lenient()
        };
        let result = fs::read_to_string(&path)
            .map_err(|e| format!("{file}: cannot read: {e}"))
            .and_then(|text| convert::convert(&file, &text, &rules));
        match result {
            Ok(json) => {
                let outline = strict.then(|| outline_json(&json));
                let writes = [(target.to_string(), json)]
                    .into_iter()
                    .chain(outline.map(|o| (target.replace(".json", ".outline.json"), o)));
                for (name, text) in writes {
                    if let Err(e) = fs::write(out.join(&name), text) {
                        eprintln!("error: cannot write {name}: {e}");
                        failed = true;
                    }
                }
            }
            Err(message) => {
                eprintln!("error: invalid questionnaire content\n{message}");
                failed = true;
            }
        }
    }
    if failed {
        process::exit(1);
    }
}
