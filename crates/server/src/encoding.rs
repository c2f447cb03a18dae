//! Content-coding negotiation (`Accept-Encoding`, RFC 9110 §12.5.3).
//!
//! The app files are compressed once at start, so serving one is only a choice among at most three
//! prepared representations; this module makes that choice from the request header.

use axum::http::HeaderValue;

/// A content coding the server can prepare a file in, listed in the order the server prefers them
/// when the client weighs them equally: brotli is the smallest, gzip is understood everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// Value of the `Content-Encoding` header, `None` for identity (which sends no header).
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    /// Short tag used to keep each representation's ETag visibly distinct in logs and tests.
    pub fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gz",
            Encoding::Identity => "id",
        }
    }
}

/// Quality value in thousandths (RFC 9110 allows three decimals), so that comparisons are exact.
type QValue = u16;

/// What a client's `Accept-Encoding` says about the codings this server knows; `None` means the
/// coding was not mentioned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AcceptEncoding {
    br: Option<QValue>,
    gzip: Option<QValue>,
    identity: Option<QValue>,
    any: Option<QValue>,
}

impl AcceptEncoding {
    /// Parses every `Accept-Encoding` header of a request (a request may split the list across
    /// several). Entries that cannot be read are skipped rather than failing the request: a bad
    /// header must never cost more than falling back to identity.
    pub fn from_headers<'a>(values: impl IntoIterator<Item = &'a HeaderValue>) -> Self {
        let mut accept = AcceptEncoding::default();
        for value in values {
            let Ok(text) = value.to_str() else { continue };
            for entry in text.split(',') {
                accept.add_entry(entry);
            }
        }
        accept
    }

    /// Convenience for tests and callers that hold the header as text.
    pub fn parse(header: &str) -> Self {
        let mut accept = AcceptEncoding::default();
        for entry in header.split(',') {
            accept.add_entry(entry);
        }
        accept
    }

    fn add_entry(&mut self, entry: &str) {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        if coding.is_empty() {
            return;
        }
        let mut q: QValue = 1000;
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("q") {
                match parse_qvalue(value.trim()) {
                    Some(parsed) => q = parsed,
                    // An unreadable weight makes the whole entry meaningless; ignore it.
                    None => return,
                }
            }
        }
        let slot = if coding.eq_ignore_ascii_case("br") {
            &mut self.br
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            // RFC 9110 §8.4.1.3: recipients should treat x-gzip as gzip.
            &mut self.gzip
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut self.identity
        } else if coding == "*" {
            &mut self.any
        } else {
            return;
        };
        // If a client repeats a coding, keep the most favourable weight it gave.
        *slot = Some(slot.map_or(q, |old| old.max(q)));
    }

    /// Weight of a coding: its own entry, else the `*` entry; `None` when neither exists.
    fn weight(&self, encoding: Encoding) -> Option<QValue> {
        let own = match encoding {
            Encoding::Brotli => self.br,
            Encoding::Gzip => self.gzip,
            Encoding::Identity => self.identity,
        };
        own.or(self.any)
    }

    /// Chooses among the representations a file has (`available` always implies identity).
    ///
    /// A compressed coding is eligible when the client gave it a non-zero weight, directly or
    /// through `*`; the highest weight wins and ties go to brotli, then gzip. Identity wins only
    /// when the client weighed it strictly higher than every eligible compressed coding, or when
    /// none is eligible: even `identity;q=0` falls back to identity, since RFC 9110 lets a server
    /// send an unencoded response rather than refuse (and a 406 would only break the app).
    pub fn negotiate(&self, available: &[Encoding]) -> Encoding {
        let mut best: Option<(Encoding, QValue)> = None;
        for candidate in [Encoding::Brotli, Encoding::Gzip] {
            if !available.contains(&candidate) {
                continue;
            }
            let q = self.weight(candidate).unwrap_or(0);
            if q > 0 && best.is_none_or(|(_, best_q)| q > best_q) {
                best = Some((candidate, q));
            }
        }
        match (best, self.weight(Encoding::Identity)) {
            (Some((_, best_q)), Some(identity_q)) if identity_q > best_q => Encoding::Identity,
            (Some((encoding, _)), _) => encoding,
            (None, _) => Encoding::Identity,
        }
    }
}

/// Reads a qvalue (`0`, `0.5`, `1.000`…) into thousandths; anything else is `None`.
fn parse_qvalue(text: &str) -> Option<QValue> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const ALL: &[Encoding] = &[Encoding::Brotli, Encoding::Gzip, Encoding::Identity];
    const NO_BROTLI: &[Encoding] = &[Encoding::Gzip, Encoding::Identity];
    const IDENTITY_ONLY: &[Encoding] = &[Encoding::Identity];

    #[rstest]
    #[case::absent("", ALL, Encoding::Identity)]
    #[case::browser("gzip, deflate, br, zstd", ALL, Encoding::Brotli)]
    #[case::gzip_only("gzip", ALL, Encoding::Gzip)]
    #[case::x_gzip_alias("x-gzip", ALL, Encoding::Gzip)]
    #[case::br_only("br", ALL, Encoding::Brotli)]
    #[case::case_insensitive("BR;Q=1", ALL, Encoding::Brotli)]
    #[case::identity_only("identity", ALL, Encoding::Identity)]
    #[case::unknown_coding("deflate, zstd", ALL, Encoding::Identity)]
    #[case::br_excluded("br;q=0, gzip", ALL, Encoding::Gzip)]
    #[case::both_excluded("br;q=0, gzip;q=0", ALL, Encoding::Identity)]
    #[case::gzip_weighted_higher("br;q=0.5, gzip;q=0.8", ALL, Encoding::Gzip)]
    #[case::tie_prefers_br("gzip;q=0.7, br;q=0.7", ALL, Encoding::Brotli)]
    #[case::star("*", ALL, Encoding::Brotli)]
    #[case::star_excluded_but_gzip("*;q=0, gzip", ALL, Encoding::Gzip)]
    #[case::star_zero_alone("*;q=0", ALL, Encoding::Identity)]
    #[case::star_with_br_excluded("br;q=0, *", ALL, Encoding::Gzip)]
    #[case::identity_preferred("br;q=0.2, identity;q=0.9", ALL, Encoding::Identity)]
    #[case::identity_equal_loses("br;q=0.5, identity;q=0.5", ALL, Encoding::Brotli)]
    #[case::identity_zero_falls_back("identity;q=0", ALL, Encoding::Identity)]
    #[case::br_not_prepared("br, gzip", NO_BROTLI, Encoding::Gzip)]
    #[case::nothing_prepared("br, gzip", IDENTITY_ONLY, Encoding::Identity)]
    #[case::spaces(" br ; q = 0.9 ,gzip;q=1", ALL, Encoding::Gzip)]
    #[case::malformed_q_ignored("br;q=high, gzip", ALL, Encoding::Gzip)]
    #[case::q_above_one_ignored("br;q=2, gzip;q=0.1", ALL, Encoding::Gzip)]
    #[case::repeated_keeps_best("br;q=0, br;q=0.4, gzip;q=0.3", ALL, Encoding::Brotli)]
    #[case::garbage(",,;;=,", ALL, Encoding::Identity)]
    fn negotiates(
        #[case] header: &str,
        #[case] available: &[Encoding],
        #[case] expected: Encoding,
    ) {
        assert_eq!(AcceptEncoding::parse(header).negotiate(available), expected);
    }

    #[test]
    fn combines_repeated_headers() {
        let first = HeaderValue::from_static("gzip;q=0.5");
        let second = HeaderValue::from_static("br;q=0.9");
        let accept = AcceptEncoding::from_headers([&first, &second]);
        assert_eq!(accept.negotiate(ALL), Encoding::Brotli);
    }

    #[rstest]
    #[case::zero("0", Some(0))]
    #[case::one("1", Some(1000))]
    #[case::one_point_zero("1.000", Some(1000))]
    #[case::half("0.5", Some(500))]
    #[case::three_decimals("0.125", Some(125))]
    #[case::trailing_dot("0.", Some(0))]
    #[case::four_decimals("0.1234", None)]
    #[case::above_one("1.5", None)]
    #[case::negative("-1", None)]
    #[case::word("high", None)]
    #[case::empty("", None)]
    fn parses_qvalues(#[case] text: &str, #[case] expected: Option<QValue>) {
        assert_eq!(parse_qvalue(text), expected);
    }
}
