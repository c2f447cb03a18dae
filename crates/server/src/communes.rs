//! The official commune list: loading it from `@etalab/decoupage-administratif` (installed by
//! `npm ci` under `node_modules/`), and the text normalisation behind the accent- and
//! case-insensitive search of `GET /api/communes`.
//!
//! The data directory holds `communes.json` (every INSEE code; only `type` =
//! `commune-actuelle` are kept), `epci.json` (intercommunalities with their member communes)
//! and `departements.json` (names); the last two are optional.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::storage::{CommuneQuery, CommuneRow, Storage, StorageError};

/// Where `npm ci` puts the data, relative to the repository root.
pub const DEFAULT_DIR: &str = "node_modules/@etalab/decoupage-administratif/data";

/// Longest accepted search text, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// Default and largest number of search results.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 50;

/// Words a query may hold (more are ignored).
const MAX_WORDS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum CommunesError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not the expected JSON", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} holds no current commune", path.display())]
    Empty { path: PathBuf },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[derive(Debug, Deserialize)]
struct RawCommune {
    code: String,
    nom: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    departement: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default, rename = "codesPostaux")]
    postal_codes: Vec<String>,
    #[serde(default)]
    population: Option<i64>,
    #[serde(default)]
    siren: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawEpci {
    code: String,
    nom: String,
    #[serde(default)]
    membres: Vec<RawMember>,
}

#[derive(Debug, Deserialize)]
struct RawMember {
    code: String,
}

#[derive(Debug, Deserialize)]
struct RawDepartement {
    code: String,
    nom: String,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CommunesError> {
    let bytes = std::fs::read(path).map_err(|source| CommunesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| CommunesError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the current communes of the data directory `dir`, with their EPCI and département name
/// when those files are there.
pub fn load(dir: &Path) -> Result<Vec<CommuneRow>, CommunesError> {
    let communes_path = dir.join("communes.json");
    let raw: Vec<RawCommune> = read_json(&communes_path)?;

    let mut epci_of: HashMap<String, (String, String)> = HashMap::new();
    let epci_path = dir.join("epci.json");
    if epci_path.is_file() {
        let epcis: Vec<RawEpci> = read_json(&epci_path)?;
        for epci in epcis {
            for member in epci.membres {
                epci_of.insert(member.code, (epci.code.clone(), epci.nom.clone()));
            }
        }
    }
    let mut departement_names: HashMap<String, String> = HashMap::new();
    let departements_path = dir.join("departements.json");
    if departements_path.is_file() {
        let departements: Vec<RawDepartement> = read_json(&departements_path)?;
        departement_names.extend(departements.into_iter().map(|d| (d.code, d.nom)));
    }

    let communes: Vec<CommuneRow> = raw
        .into_iter()
        .filter(|c| c.kind == "commune-actuelle")
        .map(|c| {
            let departement = c.departement.unwrap_or_default();
            let epci = epci_of.get(&c.code).cloned();
            CommuneRow {
                search_name: normalise(&c.nom),
                departement_name: departement_names.get(&departement).cloned(),
                departement,
                region: c.region.unwrap_or_default(),
                postal_codes: c.postal_codes,
                population: c.population.unwrap_or(0).max(0),
                epci_code: epci.as_ref().map(|(code, _)| code.clone()),
                epci_name: epci.map(|(_, name)| name),
                siren: c.siren,
                name: c.nom,
                code: c.code,
            }
        })
        .collect();
    if communes.is_empty() {
        return Err(CommunesError::Empty {
            path: communes_path,
        });
    }
    Ok(communes)
}

/// Loads the communes into `storage` (inserting or updating each), in one transaction.
pub async fn import(storage: &impl Storage, dir: &Path) -> Result<usize, CommunesError> {
    let started = Instant::now();
    let communes = load(dir)?;
    let count = storage.import_communes(&communes).await?;
    tracing::info!(
        communes = count,
        dir = %dir.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "communes imported"
    );
    Ok(count)
}

/// At start: imports the communes when the table is empty and the data is there. A missing
/// directory is only a warning (the rest of the server works; nobody can create a town).
pub async fn import_if_empty(storage: &impl Storage, dir: &Path) -> Result<(), CommunesError> {
    if storage.communes_count().await? > 0 {
        return Ok(());
    }
    if !dir.join("communes.json").is_file() {
        tracing::warn!(
            dir = %dir.display(),
            "no commune list: towns cannot be created until it is imported \
             (run `npm ci`, or set AROBASE_COMMUNES, then restart or run \
             `arobase-server import-communes`)"
        );
        return Ok(());
    }
    import(storage, dir).await.map(|_| ())
}

/// Lowercase, without accents, every run of other characters than letters and digits made one
/// space: "L'Haÿ-les-Roses" → "l hay les roses", "Œuilly" → "oeuilly".
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true; // Drops leading separators.
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        let expanded: &str = match c {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            _ => "",
        };
        if !expanded.is_empty() {
            out.push_str(expanded);
            space = false;
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Why a search text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the search text `q` is empty")]
    Empty,
    #[error("the search text `q` is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
}

/// Splits a search text into name words and codes. Digits (and Corsican `2a`/`2b` codes) are
/// codes: postal codes or INSEE codes, matched by prefix. The abbreviations `st` and `ste` stand
/// for `saint` and `sainte`, as in the official names.
pub fn parse_query(q: &str, limit: i64) -> Result<CommuneQuery, QueryError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let normalised = normalise(q);
    let mut words = Vec::new();
    let mut numbers = Vec::new();
    for token in normalised
        .split(' ')
        .filter(|t| !t.is_empty())
        .take(MAX_WORDS)
    {
        if is_code(token) {
            numbers.push(token.to_string());
        } else {
            words.push(
                match token {
                    "st" => "saint",
                    "ste" => "sainte",
                    other => other,
                }
                .to_string(),
            );
        }
    }
    if words.is_empty() && numbers.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(CommuneQuery {
        phrase: words.join(" "),
        words,
        numbers,
        limit: limit.clamp(1, MAX_LIMIT),
    })
}

/// `42`, `42100`, `2a004`: a prefix of a postal or INSEE code.
fn is_code(token: &str) -> bool {
    let bytes = token.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 5
        && bytes[0].is_ascii_digit()
        && bytes.iter().enumerate().all(|(i, b)| {
            b.is_ascii_digit() || (i == 1 && bytes[0] == b'2' && matches!(b, b'a' | b'b'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_accents_case_and_punctuation() {
        assert_eq!(normalise("Saint-Étienne"), "saint etienne");
        assert_eq!(normalise("L'Haÿ-les-Roses"), "l hay les roses");
        assert_eq!(normalise("Œuilly"), "oeuilly");
        assert_eq!(
            normalise("  Bois-d'Arcy (Yvelines) "),
            "bois d arcy yvelines"
        );
        assert_eq!(normalise("ÎLE-D'YEU"), "ile d yeu");
        assert_eq!(normalise("--"), "");
    }

    #[test]
    fn parses_words_codes_and_abbreviations() {
        let q = parse_query("St-Étienne 42", 20).unwrap();
        assert_eq!(q.words, ["saint", "etienne"]);
        assert_eq!(q.numbers, ["42"]);
        assert_eq!(q.phrase, "saint etienne");
        let q = parse_query("2A004", 500).unwrap();
        assert_eq!(q.numbers, ["2a004"]);
        assert_eq!(q.limit, MAX_LIMIT);
        assert!(parse_query("2c", 5).unwrap().numbers.is_empty());
        assert_eq!(parse_query(" - ' ", 5), Err(QueryError::Empty));
        assert_eq!(parse_query(&"a".repeat(101), 5), Err(QueryError::TooLong));
    }
}
