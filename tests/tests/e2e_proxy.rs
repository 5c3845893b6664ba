//! Behind a TLS-terminating proxy (an ingress, a load balancer): the browser uses
//! `https://portal.example`, the proxy speaks plain HTTP to edge-host with `Host` and
//! `X-Forwarded-Proto` set. With `public_base_url` https the portal registers, signs in
//! and activates; a cross-site `Origin` is still refused.

use tests::standin::StandIn;
use tests::{EdgeHost, PORTAL, check_through_tls_proxy};

fn start(dir: &std::path::Path, standin: &StandIn) -> EdgeHost {
    let mut vars = standin.variables();
    vars.push(("public_base_url".into(), PORTAL.into()));
    EdgeHost::start_with(dir, move |_| vars.clone())
}

#[test]
fn same_site_requests_through_a_tls_terminating_proxy_work() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    check_through_tls_proxy(&start(dir.path(), &standin), PORTAL);
}
