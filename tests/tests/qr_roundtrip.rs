//! QR round trip: every otpauth URI case of ../shared/cases/inputs.json is built the way
//! the server builds it (`otp_core::uri::build`, fixed 20-byte secret), drawn by
//! wasm-client's SVG renderer, rasterised by `rsvg-convert` and decoded by `zbarimg`
//! (an independent decoder); the decoded text must equal the URI byte for byte. Issuers
//! containing ':' must be refused by `Issuer::new` instead.
//!
//! Needs `rsvg-convert` (librsvg2-bin) and `zbarimg` (zbar-tools) on PATH.

use otp_core::secret::SharedSecret;
use otp_core::totp::{Algorithm, TotpParams};
use otp_core::uri::{self, Issuer, UriError};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const INPUTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/cases/inputs.json"
));

/// A fresh directory per test (tests run in parallel in one process).
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("otp-edge-qr-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// SVG → PNG (rsvg-convert) → text (zbarimg).
fn decode(svg: &str, dir: &Path, name: &str) -> String {
    let svg_path = dir.join(format!("{name}.svg"));
    let png_path = dir.join(format!("{name}.png"));
    std::fs::write(&svg_path, svg).expect("write svg");
    let status = Command::new("rsvg-convert")
        .arg("--output")
        .arg(&png_path)
        .arg(&svg_path)
        .status()
        .expect("rsvg-convert is installed (librsvg2-bin)");
    assert!(status.success(), "rsvg-convert failed for {name}");
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&png_path)
        .output()
        .expect("zbarimg is installed (zbar-tools)");
    assert!(
        out.status.success(),
        "zbarimg found no code in {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

fn round_trip(uri: &str, dir: &Path, name: &str) {
    let svg = wasm_client::qr::render_qr_svg(uri, None).expect("renders");
    assert_eq!(decode(&svg, dir, name), uri, "QR of {name}");
}

#[test]
fn otpauth_uri_cases_decode_to_the_exact_uri() {
    let cases: Value = serde_json::from_str(INPUTS).unwrap();
    let secret = SharedSecret::from_bytes((0xA0..0xB4).collect()).unwrap();
    let dir = scratch_dir("cases");
    let (mut decoded, mut refused) = (0, 0);
    for (i, case) in cases["otpauth_uri"].as_array().unwrap().iter().enumerate() {
        let issuer = case["issuer"].as_str().unwrap();
        let account = case["account"].as_str().unwrap();
        match Issuer::new(issuer) {
            Err(err) => {
                assert!(issuer.contains(':'), "{issuer:?} refused: {err}");
                assert_eq!(err, UriError::IssuerColon);
                refused += 1;
            }
            Ok(issuer) => {
                let built = uri::build(&issuer, account, &secret, &TotpParams::default()).unwrap();
                assert!(!built.contains('+'), "{built}");
                round_trip(&built, &dir, &format!("case{i}"));
                decoded += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((decoded, refused), (3, 2));
}

#[test]
fn non_default_parameters_and_long_labels_round_trip() {
    let dir = scratch_dir("params");
    let issuer = Issuer::new("Example Hosting & Co").unwrap();
    let secret = SharedSecret::from_bytes((0..64).collect()).unwrap();
    let params = TotpParams {
        algorithm: Algorithm::Sha512,
        digits: 8,
        period: 60,
        t0: 0,
    };
    let account = format!("{}@example.com", "very.long.name+tag".repeat(8));
    let built = uri::build(&issuer, &account, &secret, &params).unwrap();
    round_trip(&built, &dir, "long");
    round_trip("otpauth://totp/x:y?secret=AAAA&issuer=x", &dir, "short");
    let _ = std::fs::remove_dir_all(&dir);
}
