//! Sign-in state for the OTP-step load, made by otp-core's own flows
//! ([`Service::fixture_sign_in`]: registration, setup, activation with the right code,
//! the password step) over its in-memory store, then written in one transaction into
//! edge-host's SQLite layout (`edge-host/src/schema.sql`, store `default`) — so the
//! records are exactly the ones edge-api writes. Only the argon2id hash is computed once
//! for all accounts, which keeps preparing thousands of sign-ins to seconds.
//!
//! The accounts are activated at a clock one minute behind. Each body's code is computed
//! by [`otp_bodies`] just before its run starts, for the time step of that moment, so
//! however long preparing took, the code is current (window ±1) for 30–60 s of sending.

use std::path::Path;

use base64::Engine;
use otp_core::config::ServiceConfig;
use otp_core::flows::Service;
use otp_core::memory::{FixedClock, MemoryOutbox, MemoryStore};
use otp_core::password;
use otp_core::ports::{OsRng, Store};
use otp_core::secret::SharedSecret;
use otp_core::totp::TotpParams;
use rusqlite::{Connection, params};

use crate::error::{Error, Result};

/// File name of edge-host's key-value database in its data directory.
pub const DB_FILE_NAME: &str = "sqlite_key_value.db";
/// The key-value store label edge-api uses.
const STORE_LABEL: &str = "default";
/// How far behind the accounts are activated, ms.
const ACTIVATED_BEFORE_MS: u64 = 60_000;
/// edge-host's key-value table, from the file edge-host itself creates it with.
const SCHEMA: &str = include_str!("../../../edge-host/src/schema.sql");

/// A `seal_keys` value with one fresh random 256-bit key (`bench:BASE64`).
pub fn fresh_seal_keys() -> Result<String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(Error::Random)?;
    let key = base64::engine::general_purpose::STANDARD.encode(key);
    Ok(format!("bench:{key}"))
}

/// A prepared sign-in: the challenge of its password step and its shared secret.
pub struct SignIn {
    challenge: String,
    secret: SharedSecret,
}

/// Writes `count` prepared sign-ins into `<data_dir>/sqlite_key_value.db` (created like
/// edge-host creates it, in WAL mode), their accounts activated a minute before
/// `now_ms`.
pub fn prepare_sign_ins(
    data_dir: &Path,
    seal_keys: &str,
    count: usize,
    tag: &str,
    now_ms: u64,
) -> Result<Vec<SignIn>> {
    let store = MemoryStore::default();
    let password_phc = password::hash(&OsRng, "correct horse battery staple").map_err(bad)?;
    let activated = now_ms.saturating_sub(ACTIVATED_BEFORE_MS);
    let sign_ins = with_service(&store, seal_keys, activated, |svc| {
        let sign_in = |i| {
            let email = format!("bench-{tag}-{i}@example.com");
            let signed_in = svc.fixture_sign_in(&email, &password_phc, "+12025550143");
            let (challenge, secret) = signed_in.map_err(bad)?;
            Ok(SignIn { challenge, secret })
        };
        (0..count).map(sign_in).collect()
    })?;
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io("creating", data_dir, e))?;
    let db = data_dir.join(DB_FILE_NAME);
    let sqlite = |e: rusqlite::Error| Error::Project(format!("{}: {e}", db.display()));
    let mut conn = Connection::open(&db).map_err(sqlite)?;
    let _mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(sqlite)?;
    conn.execute_batch(&format!("PRAGMA synchronous=FULL;\n{SCHEMA}"))
        .map_err(sqlite)?;
    let tx = conn.transaction().map_err(sqlite)?;
    {
        let sql = "INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)";
        let mut insert = tx.prepare(sql).map_err(sqlite)?;
        for (key, value) in store.dump() {
            let row = params![STORE_LABEL, key, value];
            insert.execute(row).map_err(sqlite)?;
        }
    }
    tx.commit().map_err(sqlite)?;
    Ok(sign_ins)
}

/// The JSON body of each sign-in's `POST /api/session/otp`, with the code of the time
/// step of `now_ms`.
pub fn otp_bodies(sign_ins: &[SignIn], now_ms: u64) -> Result<Vec<String>> {
    let body = |s: &SignIn| {
        let code = TotpParams::default().code_at(&s.secret, now_ms / 1000);
        let json = serde_json::json!({ "challenge": s.challenge, "code": code.map_err(bad)? });
        Ok(json.to_string())
    };
    sign_ins.iter().map(body).collect()
}

/// Runs `f` with otp-core's flows over `store` at a clock fixed at `now_ms`.
fn with_service<T>(
    store: &dyn Store,
    seal_keys: &str,
    now_ms: u64,
    f: impl FnOnce(&Service<'_>) -> Result<T>,
) -> Result<T> {
    let config =
        ServiceConfig::from_variables(|name| (name == "seal_keys").then(|| seal_keys.to_owned()))
            .map_err(bad)?;
    f(&Service {
        store,
        clock: &FixedClock::at(now_ms),
        rng: &OsRng,
        outbox: &MemoryOutbox::default(),
        config: &config,
        client: None,
        language: otp_core::i18n::Language::En,
    })
}

/// An otp-core error while preparing state (none is expected).
fn bad(e: impl std::fmt::Display) -> Error {
    Error::Project(format!("preparing benchmark sign-ins: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prepared state is what edge-api reads: the file's rows loaded into a store
    /// and checked through otp-core's flows, with the code each body carries.
    #[test]
    fn prepared_sign_ins_sign_in_through_the_flows() {
        let dir = std::env::temp_dir().join(format!("xtask-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let seal_keys = fresh_seal_keys().unwrap();
        let now_ms = 1_700_000_010_000;
        let sign_ins = prepare_sign_ins(&dir, &seal_keys, 3, "t", now_ms).unwrap();
        // Sent 90 s after preparing (three time steps, out of the ±1 window of the
        // preparing time): the code is of the time step it is sent in.
        let sent_ms = now_ms + 90_000;
        let bodies = otp_bodies(&sign_ins, sent_ms).unwrap();
        assert_eq!(bodies.len(), 3);
        let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
        let mut rows = conn
            .prepare("SELECT store, key, value FROM spin_key_value")
            .unwrap();
        let store = MemoryStore::default();
        let rows = rows.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)));
        for row in rows.unwrap() {
            let (label, key, value): (String, String, Vec<u8>) = row.unwrap();
            assert_eq!(label, STORE_LABEL);
            store.set(&key, &value).unwrap();
        }
        with_service(&store, &seal_keys, sent_ms, |svc| {
            for body in &bodies {
                let body: serde_json::Value = serde_json::from_str(body).unwrap();
                let (challenge, code) = (body["challenge"].as_str(), body["code"].as_str());
                let (challenge, code) = (challenge.unwrap(), code.unwrap());
                let session = svc.sign_in_otp(challenge, code).unwrap();
                let id = svc.authenticate(&session.to_client()).unwrap();
                let status = svc.account_view(&id).unwrap().otp.status;
                assert_eq!(status, otp_core::flows::OtpStatus::Active);
                // The same code again is a replay.
                assert!(svc.sign_in_otp(challenge, code).is_err());
            }
            Ok(())
        })
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
