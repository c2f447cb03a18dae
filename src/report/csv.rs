//! A CSV writer for French spreadsheets: UTF-8 with a byte-order mark (so Excel reads the
//! accents), `;` as separator (the comma is the French decimal mark), CRLF line ends, and fields
//! quoted when they hold a separator, a quote or a line break (RFC 4180 quoting).

const BOM: char = '\u{feff}';

/// Quotes one field when needed.
pub fn field(value: &str) -> String {
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// A whole document: a header row, then the rows.
pub fn document<R, F>(header: &[&str], rows: R) -> String
where
    R: IntoIterator<Item = F>,
    F: IntoIterator<Item = String>,
{
    let mut out = String::new();
    out.push(BOM);
    let line = |cells: Vec<String>| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(";");
    out.push_str(&line(header.iter().map(|h| h.to_string()).collect()));
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&line(row.into_iter().collect()));
        out.push_str("\r\n");
    }
    out
}

/// Reads a document written by [`document`] back into rows (used by tests, and kept small).
pub fn parse(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (';', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_are_left_as_they_are() {
        assert_eq!(field("En place"), "En place");
        assert_eq!(field("l'école, la mairie"), "l'école, la mairie");
    }

    #[test]
    fn separators_quotes_and_line_breaks_are_quoted() {
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("le \"DPO\""), "\"le \"\"DPO\"\"\"");
        assert_eq!(field("ligne 1\nligne 2"), "\"ligne 1\nligne 2\"");
        assert_eq!(field("x\r\ny"), "\"x\r\ny\"");
    }

    #[test]
    fn a_document_starts_with_a_bom_and_uses_crlf() {
        let doc = document(
            &["question", "réponse"],
            [vec!["q1".to_string(), "oui".to_string()]],
        );
        assert_eq!(doc, "\u{feff}question;réponse\r\nq1;oui\r\n");
    }

    #[test]
    fn what_is_written_reads_back_identically() {
        let rows = vec![
            vec![
                "secu-dpo".to_string(),
                "Voir avec l'EPCI; \"urgent\"\nà suivre".to_string(),
            ],
            vec!["demat-sve".to_string(), String::new()],
        ];
        let doc = document(&["id", "commentaire"], rows.clone());
        let parsed = parse(&doc);
        assert_eq!(parsed[0], ["id", "commentaire"]);
        assert_eq!(&parsed[1..], &rows[..]);
    }
}
