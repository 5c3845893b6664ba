//! Sign-in state for the OTP-step load, written into a fresh edge-host data directory
//! by otp-core's own flows ([`Service::fixture_sign_in`]: registration, setup,
//! activation with the right code, the password step), over a [`Store`] on edge-host's
//! SQLite layout (`edge-host/src/schema.sql`, store `default`) — so the records are
//! exactly the ones edge-api writes. Only the argon2id hash is computed once for all
//! accounts, which keeps preparing thousands of sign-ins to seconds.
//!
//! The accounts are activated at a clock one minute behind, so the code of the current
//! time step (the one sent) is accepted for the next 30–60 s (window ±1).

use std::path::Path;
use std::sync::Mutex;

use otp_core::config::ServiceConfig;
use otp_core::flows::Service;
use otp_core::memory::{FixedClock, MemoryOutbox};
use otp_core::password;
use otp_core::ports::{OsRng, Store, StoreError, read_counter};
use otp_core::totp::TotpParams;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};

/// File name of edge-host's key-value database in its data directory.
pub const DB_FILE_NAME: &str = "sqlite_key_value.db";
/// The key-value store label edge-api uses.
const STORE_LABEL: &str = "default";
/// The password of every prepared account (hashed once; the OTP step does not check it).
const PASSWORD: &str = "correct horse battery staple";
/// How far behind the accounts are activated, ms.
const ACTIVATED_BEFORE_MS: u64 = 60_000;

/// edge-host's key-value table in one open transaction (committed by the caller).
struct SqliteStore(Mutex<Connection>);

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl SqliteStore {
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn get(&self, key: &str) -> std::result::Result<Option<Vec<u8>>, StoreError> {
        self.conn()
            .query_row(
                "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                params![STORE_LABEL, key],
                |row| row.get(0),
            )
            .optional()
            .map_err(unavailable)
    }
    fn set(&self, key: &str, value: &[u8]) -> std::result::Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)",
                params![STORE_LABEL, key, value],
            )
            .map(drop)
            .map_err(unavailable)
    }
    fn delete(&self, key: &str) -> std::result::Result<(), StoreError> {
        self.conn()
            .execute(
                "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
                params![STORE_LABEL, key],
            )
            .map(drop)
            .map_err(unavailable)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> std::result::Result<bool, StoreError> {
        // One writer (this process, inside one transaction): read, compare, write.
        if self.get(key)?.as_deref() != expected {
            return Ok(false);
        }
        self.set(key, new)?;
        Ok(true)
    }
    fn increment(&self, key: &str, delta: i64) -> std::result::Result<i64, StoreError> {
        let value = read_counter(self.get(key)?.as_deref())? + delta;
        self.set(key, &value.to_le_bytes())?;
        Ok(value)
    }
}

/// Writes `count` prepared sign-ins into `<data_dir>/sqlite_key_value.db` (created like
/// edge-host creates it) and returns the JSON body of each `POST /api/session/otp`.
pub fn prepare_sign_ins(
    data_dir: &Path,
    seal_keys: &str,
    count: usize,
    tag: &str,
    now_ms: u64,
) -> Result<Vec<String>> {
    let params = TotpParams::default();
    let password_phc = password::hash(&OsRng, PASSWORD).map_err(bad)?;
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io("creating", data_dir, e))?;
    let db_path = data_dir.join(DB_FILE_NAME);
    let sqlite = |e: rusqlite::Error| Error::Project(format!("{}: {e}", db_path.display()));
    let flows = Flows::open(
        &db_path,
        seal_keys,
        now_ms.saturating_sub(ACTIVATED_BEFORE_MS),
    )?;
    flows
        .store
        .conn()
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(sqlite)?;
    let svc = flows.service();
    let mut bodies = Vec::with_capacity(count);
    for i in 0..count {
        let email = format!("bench-{tag}-{i}@example.com");
        let (challenge, secret) = svc
            .fixture_sign_in(&email, &password_phc, "+12025550143")
            .map_err(bad)?;
        let code = params.code_at(&secret, now_ms / 1000).map_err(bad)?;
        bodies.push(serde_json::json!({ "challenge": challenge, "code": code }).to_string());
    }
    flows.store.conn().execute_batch("COMMIT").map_err(sqlite)?;
    Ok(bodies)
}

/// otp-core's flows over edge-host's database file, at a fixed clock.
struct Flows {
    store: SqliteStore,
    clock: FixedClock,
    outbox: MemoryOutbox,
    config: ServiceConfig,
}

impl Flows {
    fn open(db_path: &Path, seal_keys: &str, now_ms: u64) -> Result<Flows> {
        let config = ServiceConfig::from_variables(|name| {
            (name == "seal_keys").then(|| seal_keys.to_owned())
        })
        .map_err(bad)?;
        Ok(Flows {
            store: SqliteStore(Mutex::new(open(db_path)?)),
            clock: FixedClock::at(now_ms),
            outbox: MemoryOutbox::default(),
            config,
        })
    }

    fn service(&self) -> Service<'_> {
        Service {
            store: &self.store,
            clock: &self.clock,
            rng: &OsRng,
            outbox: &self.outbox,
            config: &self.config,
            client: None,
            language: otp_core::i18n::Language::En,
        }
    }
}

/// edge-host's key-value table, from the file edge-host itself creates it with.
const SCHEMA: &str = include_str!("../../../edge-host/src/schema.sql");

/// Opens (creating) the database in WAL mode, as edge-host keeps it, with its table.
fn open(path: &Path) -> Result<Connection> {
    let sqlite = |e: rusqlite::Error| Error::Project(format!("{}: {e}", path.display()));
    let conn = Connection::open(path).map_err(sqlite)?;
    let _mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
        .map_err(sqlite)?;
    conn.execute_batch(&format!("PRAGMA synchronous=FULL;\n{SCHEMA}"))
        .map_err(sqlite)?;
    Ok(conn)
}

/// An otp-core error while preparing state (none is expected).
fn bad(e: impl std::fmt::Display) -> Error {
    Error::Project(format!("preparing benchmark sign-ins: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prepared state is what edge-api reads: checked through otp-core's flows on
    /// the same file, with the code the body carries.
    #[test]
    fn prepared_sign_ins_sign_in_through_the_flows() {
        let dir = std::env::temp_dir().join(format!("xtask-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let seal_keys = "b1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let now_ms = 1_700_000_010_000;
        let bodies = prepare_sign_ins(&dir, seal_keys, 3, "t", now_ms).unwrap();
        assert_eq!(bodies.len(), 3);
        let flows = Flows::open(&dir.join(DB_FILE_NAME), seal_keys, now_ms).unwrap();
        let svc = flows.service();
        for body in &bodies {
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            let challenge = body["challenge"].as_str().unwrap();
            let code = body["code"].as_str().unwrap();
            let session = svc.sign_in_otp(challenge, code).unwrap();
            let id = svc.authenticate(&session.to_client()).unwrap();
            assert_eq!(
                svc.account_view(&id).unwrap().otp.status,
                otp_core::flows::OtpStatus::Active
            );
            // The same code again is a replay.
            assert!(svc.sign_in_otp(challenge, code).is_err());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
