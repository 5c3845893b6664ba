//! otp-core's store conformance suite (`otp_core::contract`) through the component,
//! over HTTP (`POST /api/admin/store-contract`): each check prepared on the first
//! server, its workers sent as parallel requests spread over every server of `hosts`
//! (instances sharing one store), verified on the last.

use crate::{Client, Serves};
use otp_core::contract::CHECKS;
use serde_json::{Value, json};

/// The admin bearer token the servers of these checks are started with.
pub const ADMIN_TOKEN: &str = "contract-admin-token";

fn step(client: &mut Client, body: Value) -> Value {
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let r = client.raw_with_header(
        "POST",
        "/api/admin/store-contract",
        "application/json",
        body.to_string().as_bytes(),
        ("authorization", &bearer),
    );
    assert_eq!(r.status, 200, "{body} → {:?}", r.json);
    assert!(
        r.json.get("violation").is_none(),
        "the store broke its contract: {body} → {}",
        r.json
    );
    r.json["report"].clone()
}

/// Run every check in run `run` (fresh per call); panics on the first violation.
pub fn check_store_contract(hosts: &[&dyn Serves], run: &str) {
    for check in CHECKS {
        let base = json!({"run": run, "check": check.name()});
        let with = |extra: Value| {
            let mut body = base.clone();
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        step(&mut hosts[0].client(), with(json!({"step": "prepare"})));
        let reports: Vec<Value> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..check.workers())
                .map(|worker| {
                    let mut client = hosts[worker % hosts.len()].client();
                    let body = with(json!({"step": "work", "worker": worker}));
                    s.spawn(move || step(&mut client, body))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        step(
            &mut hosts[hosts.len() - 1].client(),
            with(json!({"step": "verify", "reports": reports})),
        );
    }
}
