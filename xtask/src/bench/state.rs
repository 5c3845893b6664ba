//! Sign-in state for the OTP-step load, written straight into a fresh edge-host data
//! directory: creating accounts through the API would cost an argon2id hash each, and
//! every successful OTP step consumes a time step of its account and a challenge.
//!
//! Each prepared sign-in is one account with active OTP (its own random secret, sealed
//! with the `seal_keys` edge-host is given, last accepted step = current step − 2), its
//! e-mail index entry, and one sign-in challenge — exactly the records edge-api writes,
//! built with otp-core's public types (`records::AccountRecord::from_domain`, …) and
//! stored in edge-host's SQLite layout (`kv.rs`: table `spin_key_value`, store
//! `default`). The code sent is the one for the current time step, which the server
//! accepts for the next 30–60 s (window ±1).

use std::path::Path;

use otp_core::config::CHALLENGE_TTL_MS;
use otp_core::flows::{Account, OtpState};
use otp_core::identity::{Email, Phone};
use otp_core::password;
use otp_core::ports::OsRng;
use otp_core::records::{self, AccountRecord, ChallengeRecord, EmailIndexRecord, VERSION};
use otp_core::seal::{KeyRing, SealPurpose};
use otp_core::secret::SharedSecret;
use otp_core::tokens::{self, Token};
use otp_core::totp::TotpParams;
use rusqlite::{Connection, params};

use crate::error::{Error, Result};

/// File name of edge-host's key-value database in its data directory.
pub const DB_FILE_NAME: &str = "sqlite_key_value.db";
/// The key-value store label edge-api uses.
const STORE_LABEL: &str = "default";
/// The password of every prepared account (hashed once; the OTP step does not check it).
const PASSWORD: &str = "correct horse battery staple";

/// Writes `count` prepared sign-ins into `<data_dir>/sqlite_key_value.db` (created like
/// edge-host creates it) and returns the JSON body of each `POST /api/session/otp`.
pub fn prepare_sign_ins(
    data_dir: &Path,
    seal_keys: &str,
    count: usize,
    tag: &str,
    now_ms: u64,
) -> Result<Vec<String>> {
    let keys = KeyRing::parse(seal_keys)
        .map_err(|e| Error::Project(format!("benchmark seal_keys: {e}")))?;
    let params = TotpParams::default();
    let step = params
        .step_at(now_ms / 1000)
        .ok_or_else(|| Error::Project("the clock is before 1970".into()))?;
    let password_phc = password::hash(&OsRng, PASSWORD).map_err(bad)?;
    let phone = Phone::parse("+12025550143").map_err(bad)?;

    std::fs::create_dir_all(data_dir).map_err(|e| Error::io("creating", data_dir, e))?;
    let db_path = data_dir.join(DB_FILE_NAME);
    let mut conn = open(&db_path)?;
    let sqlite = |e: rusqlite::Error| Error::Project(format!("{}: {e}", db_path.display()));
    let tx = conn.transaction().map_err(sqlite)?;
    let mut bodies = Vec::with_capacity(count);
    {
        let mut insert = tx
            .prepare(
                "INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)",
            )
            .map_err(sqlite)?;
        for i in 0..count {
            let id = tokens::random_hex(&OsRng, 16).map_err(bad)?;
            let email = Email::parse(&format!("bench-{tag}-{i}@example.com")).map_err(bad)?;
            let mut raw = vec![0u8; 20];
            getrandom::fill(&mut raw).map_err(Error::Random)?;
            let secret = SharedSecret::from_bytes(raw).map_err(bad)?;
            let sealed = keys
                .seal(&OsRng, SealPurpose::TotpSecret, &id, secret.as_bytes())
                .map_err(bad)?;
            let account = Account {
                id: id.clone(),
                email: email.clone(),
                password_phc: password_phc.clone(),
                phone: Some(phone.clone()),
                otp: OtpState::Active {
                    sealed,
                    params,
                    activated_ms: now_ms.saturating_sub(86_400_000),
                    last_step: step - 2,
                },
                created_ms: now_ms.saturating_sub(86_400_000),
                code_throttle: Default::default(),
            };
            let index = EmailIndexRecord {
                v: VERSION,
                account_id: id.clone(),
            };
            let token = Token::generate(&OsRng).map_err(bad)?;
            let challenge = ChallengeRecord {
                v: VERSION,
                account_id: id.clone(),
                expires_ms: now_ms + CHALLENGE_TTL_MS,
                failures: 0,
            };
            let rows = [
                (
                    records::account_key(&id),
                    records::encode(&AccountRecord::from_domain(&account)),
                ),
                (records::email_key(&email), records::encode(&index)),
                (
                    records::challenge_key(&token.hash_hex()),
                    records::encode(&challenge),
                ),
            ];
            for (key, value) in rows {
                insert
                    .execute(params![STORE_LABEL, key, value])
                    .map_err(sqlite)?;
            }
            let code = params.code_for_step(&secret, step).map_err(bad)?;
            bodies
                .push(serde_json::json!({ "challenge": token.as_str(), "code": code }).to_string());
        }
    }
    tx.commit().map_err(sqlite)?;
    Ok(bodies)
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
    use otp_core::records::decode;

    #[test]
    fn prepared_sign_ins_are_the_records_edge_api_reads() {
        let dir = std::env::temp_dir().join(format!("xtask-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let seal_keys = "b1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let now_ms = 1_700_000_010_000;
        let bodies = prepare_sign_ins(&dir, seal_keys, 3, "t", now_ms).unwrap();
        assert_eq!(bodies.len(), 3);

        let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
        let get = |key: &str| -> Vec<u8> {
            conn.query_row(
                "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?1",
                [key],
                |row| row.get(0),
            )
            .unwrap()
        };
        let keys = KeyRing::parse(seal_keys).unwrap();
        for body in &bodies {
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            let token = Token::from_client(body["challenge"].as_str().unwrap()).unwrap();
            let challenge: ChallengeRecord =
                decode(&get(&records::challenge_key(&token.hash_hex()))).unwrap();
            assert_eq!(challenge.failures, 0);
            assert!(challenge.expires_ms > now_ms);
            let account =
                decode::<AccountRecord>(&get(&records::account_key(&challenge.account_id)))
                    .unwrap()
                    .to_domain()
                    .unwrap();
            let index: EmailIndexRecord =
                decode(&get(&records::email_key(&account.email))).unwrap();
            assert_eq!(index.account_id, account.id);
            let OtpState::Active {
                sealed,
                params,
                last_step,
                ..
            } = &account.otp
            else {
                panic!("OTP is not active: {:?}", account.otp.status());
            };
            let step = params.step_at(now_ms / 1000).unwrap();
            assert_eq!(*last_step, step - 2);
            // The code in the body is the right one for the sealed secret, now.
            let secret = keys
                .open(SealPurpose::TotpSecret, &account.id, sealed)
                .unwrap();
            let secret = SharedSecret::from_bytes(secret.to_vec()).unwrap();
            let code = body["code"].as_str().unwrap();
            assert_eq!(params.code_at(&secret, now_ms / 1000).unwrap(), code);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
