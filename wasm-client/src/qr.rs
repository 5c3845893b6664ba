//! QR code of an otpauth URI, drawn locally as SVG (the key never goes to a third-party
//! QR service).
//!
//! - Error correction level **M** ([`EC_LEVEL`]): a typical otpauth URI of about 100
//!   bytes fits version 6 (41×41 modules); M recovers 15 % of codewords, which helps
//!   when a phone films a screen with glare or moiré.
//! - A [`QUIET_ZONE`] of 4 light modules on every side (ISO/IEC 18004 §6.3.8), an opaque
//!   white background (dark-mode pages must not show through), integer module size in
//!   pixels and `shape-rendering="crispEdges"` so no module is blurred.
//! - `role="img"` with an `aria-label` so screen readers announce what the image is for.
//! - Inputs over [`MAX_INPUT_BYTES`], or too long for any QR version, are refused with
//!   [`QrError::TooLong`] rather than panicking.

use core::fmt;
use core::fmt::Write as _;
use qrcode::{Color, EcLevel, QrCode};
use wasm_bindgen::prelude::*;

/// Error correction level used for every code.
pub const EC_LEVEL: EcLevel = EcLevel::M;
/// Light modules around the symbol on each side.
pub const QUIET_ZONE: usize = 4;
/// Longest text accepted, in UTF-8 bytes (version 40-M holds 2331 bytes; an otpauth
/// URI is about 100).
pub const MAX_INPUT_BYTES: usize = 2048;
/// The accessible name used when the caller gives none.
pub const DEFAULT_LABEL: &str = "QR code for adding this account to an authenticator app";
/// The rendered symbol is about this many pixels wide (never less than 2 px a module).
const TARGET_PX: usize = 256;

/// Why a text could not be drawn as a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrError {
    /// The text is longer than a QR code (or [`MAX_INPUT_BYTES`]) allows.
    TooLong {
        /// Length of the text in UTF-8 bytes.
        bytes: usize,
    },
    /// The QR encoder refused the text for another reason.
    Unencodable,
}

impl fmt::Display for QrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QrError::TooLong { bytes } => write!(
                f,
                "the text is too long for a QR code ({bytes} bytes; at most {MAX_INPUT_BYTES})"
            ),
            QrError::Unencodable => f.write_str("the text cannot be encoded as a QR code"),
        }
    }
}

impl std::error::Error for QrError {}

/// Render `text` as a standalone SVG QR code with accessible name `label`
/// ([`DEFAULT_LABEL`] when `None` or blank).
pub fn render_qr_svg(text: &str, label: Option<&str>) -> Result<String, QrError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(QrError::TooLong { bytes: text.len() });
    }
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EC_LEVEL).map_err(|e| match e {
            qrcode::types::QrError::DataTooLong => QrError::TooLong { bytes: text.len() },
            _ => QrError::Unencodable,
        })?;
    let label = label
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or(DEFAULT_LABEL);
    Ok(svg(code.width(), &code.to_colors(), label))
}

/// The SVG document for a `width`×`width` module matrix (row-major `colors`).
fn svg(width: usize, colors: &[Color], label: &str) -> String {
    let dim = width + 2 * QUIET_ZONE;
    let px = (TARGET_PX / dim).clamp(2, 8) * dim;
    let mut out = String::with_capacity(256 + colors.len() * 4);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}" viewBox="0 0 {dim} {dim}" shape-rendering="crispEdges" role="img" aria-label="{}"><rect width="{dim}" height="{dim}" fill="#fff"/><path fill="#000" d=""##,
        escape_xml(label)
    );
    for (y, row) in colors.chunks(width.max(1)).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row[x] == Color::Light {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] == Color::Dark {
                x += 1;
            }
            let run = x - start;
            let _ = write!(
                out,
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            );
        }
    }
    out.push_str("\"/></svg>");
    out
}

/// `text` with the five XML special characters replaced by entities.
fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// JavaScript `renderQrSvg(uri: string, label?: string): string` — the SVG markup of the
/// QR code of `uri` (error correction M, 4-module quiet zone, white background, whole
/// pixels per module, `role="img"`; `label` is the `aria-label`, a default naming its
/// purpose when omitted). Throws an `Error` with a readable message
/// when `uri` is not a string or is too long for a QR code; never panics.
#[wasm_bindgen(js_name = renderQrSvg)]
pub fn render_qr_svg_js(
    #[wasm_bindgen(unchecked_param_type = "string")] uri: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] label: JsValue,
) -> Result<String, JsError> {
    let uri = uri
        .as_string()
        .ok_or_else(|| JsError::new("the QR code text must be a string"))?;
    let label = label.as_string();
    render_qr_svg(&uri, label.as_deref()).map_err(|e| JsError::new(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_quiet_zone_background_and_accessible_name() {
        let svg = render_qr_svg("otpauth://totp/x:y?secret=AAAA", Some("a <b> & \"c\"")).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"a &lt;b&gt; &amp; &quot;c&quot;\""));
        assert!(svg.contains("fill=\"#fff\""));
        // The finder pattern's top-left corner sits just inside the quiet zone.
        assert!(svg.contains("d=\"M4 4h7v1h-7z"));
        assert!(svg.ends_with("\"/></svg>"));
    }

    #[test]
    fn blank_label_falls_back_to_default() {
        let svg = render_qr_svg("x", Some("  ")).unwrap();
        assert!(svg.contains(DEFAULT_LABEL));
        let svg = render_qr_svg("", None).unwrap();
        assert!(svg.contains(DEFAULT_LABEL));
    }

    #[test]
    fn module_size_is_a_whole_number_of_pixels() {
        let svg = render_qr_svg("otpauth://totp/Example:user%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example", None).unwrap();
        // Version 6 at M: 41 modules + 8 quiet = 49; 256 / 49 = 5 px per module.
        assert!(
            svg.contains("width=\"245\" height=\"245\" viewBox=\"0 0 49 49\""),
            "{svg}"
        );
    }

    #[test]
    fn over_long_input_is_an_error_not_a_panic() {
        let long = "a".repeat(MAX_INPUT_BYTES + 1);
        assert_eq!(
            render_qr_svg(&long, None),
            Err(QrError::TooLong {
                bytes: MAX_INPUT_BYTES + 1
            })
        );
        // Within the byte limit but beyond what version 40-M holds in one mode.
        let dense = "\u{1F600}".repeat(MAX_INPUT_BYTES / 4);
        assert!(render_qr_svg(&dense, None).is_ok());
        let many: String = (0..MAX_INPUT_BYTES)
            .map(|i| char::from(b'!' + (i % 90) as u8))
            .collect();
        assert!(render_qr_svg(&many, None).is_ok());
    }
}
