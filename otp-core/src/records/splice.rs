//! The account record's codec: its audit log ([`crate::account::AuditLog`]) is cut
//! out of the text before serde decodes the rest of the record, and spliced back as
//! text when the record is written. Decoding 50 audit entries one by one through serde
//! was half of the work of a sign-in on an account with a full history.
//!
//! The log is found by [`super::json_scan`], which checks JSON's grammar without
//! decoding: what it cuts out is JSON, kept and written back byte for byte; the rest of
//! the record is decoded by serde; a record the scan refuses is decoded by serde whole
//! (and refused by it when it is not JSON). A record as [`encode_account`] writes it
//! ends with the log, which is found from the end; any other (a record of the release
//! before, with the log between other fields) by scanning the members from the start.

use super::json_scan::{array_member, last_array_member};
use super::{AccountRecord, decode, encode, encoding_failed};
use crate::account::AuditLog;
use crate::ports::StoreError;

/// Decode an account record of `version` (2 or 3). The audit log is cut out of the
/// text first (see this module) and kept as text, so serde decodes only the rest; a
/// record the cut does not understand is decoded by serde whole.
///
/// Errors: `Corrupt` as [`decode`], or when the audit log is not UTF-8.
pub fn decode_account(bytes: &[u8], version: u16) -> Result<AccountRecord, StoreError> {
    // Found from the end, the log is the record's own only once serde has read the rest
    // as JSON (`last_array_member`), which `decode` below does.
    let audit = last_array_member(bytes, AUDIT_FIELD).or_else(|| array_member(bytes, AUDIT_FIELD));
    let Some(audit) = audit else {
        return decode(bytes, version);
    };
    let array = audit.array.clone();
    let mut rest = Vec::with_capacity(bytes.len() - array.len() + 2);
    rest.extend_from_slice(&bytes[..array.start]);
    rest.extend_from_slice(b"[]");
    rest.extend_from_slice(&bytes[array.end..]);
    let mut record: AccountRecord = decode(&rest, version)?;
    let corrupt = || StoreError::Corrupt("account audit log".into());
    let text = String::from_utf8(bytes[array.clone()].to_vec()).map_err(|_| corrupt())?;
    let entries = audit.elements.into_iter();
    let entries = entries.map(|r| r.start - array.start..r.end - array.start);
    record.audit = AuditLog::from_text(text, entries.collect()).ok_or_else(corrupt)?;
    Ok(record)
}

/// Encode an account record: serde writes all but the audit log, which is the last
/// field, and the log's text is spliced in (the same bytes as [`encode`]).
///
/// Errors: as [`encode`].
pub fn encode_account(mut record: AccountRecord) -> Result<Vec<u8>, StoreError> {
    let audit = std::mem::take(&mut record.audit);
    // Room for the whole record at once (serde's own start, 128 bytes, grows by doubling).
    let mut out = Vec::with_capacity(audit.json_len() + RECORD_WITHOUT_AUDIT);
    serde_json::to_writer(&mut out, &record).map_err(encoding_failed)?;
    if !out.ends_with(EMPTY_AUDIT_LAST) {
        record.audit = audit;
        return encode(&record);
    }
    out.truncate(out.len() - 3);
    audit.write_json(&mut out);
    out.push(b'}');
    Ok(out)
}

/// The account record's field that holds the audit log.
const AUDIT_FIELD: &str = "audit";
/// Room for an account record's fields other than its audit log, bytes: a record with
/// OTP active, recovery codes, a few sessions and a challenge.
const RECORD_WITHOUT_AUDIT: usize = 2048;
/// How an account record without audit entries ends.
const EMPTY_AUDIT_LAST: &[u8] = br#""audit":[]}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AUDIT_KEEP;

    /// An account record as the release before wrote it (the audit log between other
    /// fields), with `n` audit entries, one with escapes and brackets in its detail.
    fn stored_account(n: u64) -> String {
        let entries: Vec<String> = (0..n)
            .map(|i| {
                let detail = r#","detail":"a \"quoted\" ],{ reason é""#;
                let detail = if i == 1 { detail } else { "" };
                format!(r#"{{"at_ms":{i},"event":"phone_changed","client":"127.0.0.1"{detail}}}"#)
            })
            .collect();
        format!(
            r#"{{"v":3,"rev":7,"ops":["0123456789abcdef"],"id":"0123456789abcdef0123456789abcdef","email":"a@example.com","password":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA","phone":"+12025550143","otp":{{"status":"disabled"}},"created_ms":1,"code_throttle":{{"failures":0,"locked_until_ms":0}},"sessions":[],"challenges":[],"links":[],"recovery_emails":{{"start_ms":0,"count":0}},"audit":[ {} ],"legacy_seen":["x"]}}"#,
            entries.join(" , ")
        )
    }

    fn bytes_of(record: &AccountRecord) -> Vec<u8> {
        encode(record).unwrap()
    }

    #[test]
    fn the_codec_reads_and_writes_what_serde_does() {
        for n in [0, 1, 3, AUDIT_KEEP as u64, AUDIT_KEEP as u64 + 5] {
            let stored = stored_account(n);
            let by_serde: AccountRecord = decode(stored.as_bytes(), 3).unwrap();
            let cut = decode_account(stored.as_bytes(), 3).unwrap();
            assert_eq!(bytes_of(&cut), bytes_of(&by_serde), "{n} entries");
            let written = encode_account(cut.clone()).unwrap();
            assert_eq!(
                written,
                bytes_of(&cut),
                "{n} entries: spliced as serde writes"
            );
            let again = decode_account(&written, 3).unwrap();
            assert_eq!(
                encode_account(again).unwrap(),
                written,
                "{n} entries: stable"
            );

            let mut account = cut.to_domain().unwrap();
            account.audit.push(&crate::account::AuditEvent {
                at_ms: 99,
                kind: crate::account::AuditKind::SignedIn,
                client: None,
                detail: Some("\"]}".into()),
            });
            let events = account.audit.events();
            assert_eq!(events.len(), (n as usize + 1).min(AUDIT_KEEP));
            assert_eq!(events[0].detail.as_deref(), Some("\"]}"));
            let record = AccountRecord::from_domain(&account, 8, vec![]);
            let written = encode_account(record.clone()).unwrap();
            assert_eq!(written, bytes_of(&record), "{n} entries and one appended");
            let read = decode_account(&written, 3).unwrap().to_domain().unwrap();
            assert_eq!(read.audit.events(), events);
        }
    }

    #[test]
    fn a_record_the_cut_does_not_understand_is_left_to_serde() {
        let stored = stored_account(2).replace(r#""audit":["#, r#""audit":{"x":["#);
        let stored = stored.replace(r#"],"legacy_seen""#, r#"]},"legacy_seen""#);
        assert!(matches!(
            decode_account(stored.as_bytes(), 3),
            Err(StoreError::Corrupt(_))
        ));
        let escaped = stored_account(2).replace('é', "\\u00e9").into_bytes();
        assert!(decode_account(&escaped, 3).is_ok());
        let mut invalid = stored_account(2).into_bytes();
        let at = invalid
            .windows(2)
            .position(|w| w == "é".as_bytes())
            .unwrap();
        invalid[at] = 0xff;
        assert!(matches!(
            decode_account(&invalid, 3),
            Err(StoreError::Corrupt(_))
        ));
    }
}
