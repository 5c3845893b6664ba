//! Behind a TLS-terminating proxy (an ingress, a load balancer): the browser uses
//! `https://portal.example`, the proxy speaks plain HTTP to edge-host with `Host` and
//! `X-Forwarded-Proto` set. With `public_base_url` https the portal registers, signs in
//! and activates; a cross-site `Origin` is still refused.

use serde_json::json;
use tests::standin::StandIn;
use tests::{Client, EdgeHost, oathtool_code, unix_now, wait_for_fresh_step};

const PASSWORD: &str = "a long enough password";
const PORTAL: &str = "https://portal.example";

fn start(dir: &std::path::Path, standin: &StandIn) -> EdgeHost {
    let mut vars = standin.variables();
    vars.push(("public_base_url".into(), PORTAL.into()));
    EdgeHost::start_with(dir, move |_| vars)
}

/// What the proxy forwards for a page of `origin`.
fn through_proxy(host: &EdgeHost, origin: &str) -> Client {
    host.client().with_headers(&[
        ("host", "portal.example"),
        ("x-forwarded-proto", "https"),
        ("origin", origin),
    ])
}

#[test]
fn same_site_requests_through_a_tls_terminating_proxy_work() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let host = start(dir.path(), &standin);
    let mut c = through_proxy(&host, PORTAL);
    let email = "behind-proxy@example.com";
    let r = c.send(
        "POST",
        "/api/accounts",
        json!({"email": email, "password": PASSWORD, "phone": "+12025550143"}),
    );
    assert_eq!(r.status, 201, "{:?}", r.json);
    let r = c.send(
        "POST",
        "/api/session",
        json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.json["status"], "signed_in", "{:?}", r.json);
    let setup = c.send("POST", "/api/otp/setup", json!({}));
    let key = setup.json["shared_key"].as_str().expect("a key").to_owned();
    wait_for_fresh_step(3);
    let r = c.send(
        "POST",
        "/api/otp/activate",
        json!({"password": PASSWORD, "code": oathtool_code(&key, unix_now())}),
    );
    assert_eq!(r.json["status"], "active", "{:?}", r.json);

    for other in ["https://evil.example", "http://portal.example"] {
        let mut c = through_proxy(&host, other);
        let r = c.send(
            "POST",
            "/api/session",
            json!({"email": email, "password": PASSWORD}),
        );
        assert_eq!((r.status, r.error()), (403, "cross_origin"), "{other}");
    }
}
