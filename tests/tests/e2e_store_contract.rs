//! otp-core's store conformance suite (`otp_core::contract`) through the component on
//! edge-host: every key-value call as the component makes it over `wasi:keyvalue`
//! (`cas.new`, `cas.current`, `swap`, `increment`, `list-keys`), the workers as parallel
//! requests — the same suite `spin_stores.rs` runs on Spin's SQLite and Redis stores.

use tests::EdgeHost;
use tests::contract::{ADMIN_TOKEN, check_store_contract};

#[test]
fn edge_host_keeps_the_key_value_contract_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start_with(dir.path(), |_| {
        vec![("admin_token".into(), ADMIN_TOKEN.into())]
    });
    check_store_contract(&[&host], "edge-host");
}
