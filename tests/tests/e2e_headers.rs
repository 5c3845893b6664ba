//! The browser protections over real HTTP (what `curl -I` shows): every page and API
//! answer of edge-host's component carries a Content-Security-Policy, frame refusal,
//! `Referrer-Policy: no-referrer` and `Cross-Origin-Opener-Policy`; only the recovery
//! page may load hCaptcha; API answers are `no-store`; an https deployment adds
//! `Strict-Transport-Security`. (tests/tests/spin_stores.rs shows Spin answers alike.)

use tests::{EdgeHost, PORTAL, fetch};

fn check(host: &EdgeHost, https: bool) {
    for path in ["/", "/account.html", "/recovery.html", "/api/time"] {
        for method in ["HEAD", "GET"] {
            let r = fetch(&host.base, method, path);
            assert_eq!(r.status, 200, "{method} {path}");
            let h = |name: &str| r.headers.get(name).map(String::as_str);
            assert_eq!(h("x-frame-options"), Some("DENY"), "{method} {path}");
            assert_eq!(h("referrer-policy"), Some("no-referrer"));
            assert_eq!(h("cross-origin-opener-policy"), Some("same-origin"));
            assert_eq!(h("x-content-type-options"), Some("nosniff"));
            assert_eq!(
                h("strict-transport-security").is_some(),
                https,
                "{method} {path}"
            );
            let csp = h("content-security-policy").expect("a CSP");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            if path == "/api/time" {
                assert_eq!(h("cache-control"), Some("no-store"));
                assert!(csp.starts_with("default-src 'none'"), "{csp}");
            } else {
                assert!(
                    csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
                    "{csp}"
                );
                assert_eq!(
                    csp.contains("https://*.hcaptcha.com"),
                    path == "/recovery.html",
                    "{path}: {csp}"
                );
            }
        }
    }
}

#[test]
fn pages_and_api_carry_the_browser_protections() {
    let dir = tempfile::tempdir().unwrap();
    check(&EdgeHost::start(dir.path()), false);
}

#[test]
fn an_https_deployment_adds_strict_transport_security() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start_with(dir.path(), |_| {
        vec![("public_base_url".to_owned(), PORTAL.to_owned())]
    });
    check(&host, true);
}
