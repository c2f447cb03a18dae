//! Brotli and gzip for the server's prepared files (`crates/server/src/assets.rs`).
//!
//! A crate of its own for one reason: brotli's encoder is generic, so its hot loops are compiled
//! in the crate that calls it, with that crate's optimisation level. Called from the server, a
//! debug build (the tests, `cargo run`) ran them unoptimised and took about ten times longer to
//! start; here they are compiled once, optimised (see the workspace's `[profile.dev.package]`).

use std::io::{self, Write};

/// Brotli's best quality (11) runs at about 1 MB/s optimised (measured on a 536 kB wasm-bindgen
/// output: 0.55 s, against 0.045 s at quality 9 for a 10% larger result). Above this size the
/// quality drops to 9 so that a server's start stays within a few seconds.
pub const BROTLI_BEST_QUALITY_MAX_BYTES: usize = 4 * 1024 * 1024;

/// `input` in brotli, at the best quality up to [`BROTLI_BEST_QUALITY_MAX_BYTES`].
pub fn brotli(input: &[u8]) -> io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: if input.len() <= BROTLI_BEST_QUALITY_MAX_BYTES {
            11
        } else {
            9
        },
        size_hint: input.len(),
        ..Default::default()
    };
    let mut output = Vec::with_capacity(input.len() / 3);
    brotli::BrotliCompress(&mut &input[..], &mut output, &params)?;
    Ok(output)
}

/// `input` in gzip, at the best level.
pub fn gzip(input: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(input.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(input)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    #[test]
    fn both_round_trip() {
        let text = "<p>Arobase, du local au global.</p>\n".repeat(200);
        let mut back = Vec::new();
        brotli::Decompressor::new(&super::brotli(text.as_bytes()).unwrap()[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, text.as_bytes());
        let mut back = String::new();
        flate2::read::GzDecoder::new(&super::gzip(text.as_bytes()).unwrap()[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
    }
}
