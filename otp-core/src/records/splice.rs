//! The account record's codec: its audit log ([`crate::account::AuditLog`]) is cut
//! out of the text before serde decodes the rest of the record, and spliced back as
//! text when the record is written, found by a scan of the JSON's structure that does
//! not decode the array's elements. Decoding 50 audit entries one by one through serde
//! was half of the work of a sign-in on an account with a full history.
//!
//! The scan follows JSON's structure (RFC 8259 §2–§7: strings with their escapes,
//! nested objects and arrays) but checks no more than that structure: what it cuts out
//! is kept and written back byte for byte, and the rest of the record is still decoded
//! by serde. Text the scan does not understand is left to serde (`None`).

use super::{AccountRecord, decode, encode, encoding_failed};
use crate::account::AuditLog;
use crate::ports::StoreError;
use std::ops::Range;

/// Decode an account record of `version` (2 or 3). The audit log is cut out of the
/// text first (see this module) and kept as text, so serde decodes only the rest; a
/// record the cut does not understand is decoded by serde whole.
///
/// Errors: `Corrupt` as [`decode`], or when the audit log is not UTF-8.
pub fn decode_account(bytes: &[u8], version: u16) -> Result<AccountRecord, StoreError> {
    let Some(audit) = array_member(bytes, AUDIT_FIELD) else {
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

/// Where an array member lies in an object's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArrayMember {
    /// The array, brackets included.
    pub(crate) array: Range<usize>,
    /// Each element, without the whitespace around it.
    pub(crate) elements: Vec<Range<usize>>,
}

/// The member `key` of the top-level object in `json` when its value is an array; the
/// key must be written without escapes. `None` when there is no such member or the
/// text is not the shape of a JSON object.
pub(crate) fn array_member(json: &[u8], key: &str) -> Option<ArrayMember> {
    let mut i = skip_ws(json, 0);
    if json.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(json, i + 1);
    while json.get(i) == Some(&b'"') {
        let name_end = string_end(json, i)?;
        let colon = skip_ws(json, name_end);
        if json.get(colon) != Some(&b':') {
            return None;
        }
        let value = skip_ws(json, colon + 1);
        if &json[i + 1..name_end - 1] == key.as_bytes() {
            return (json.get(value) == Some(&b'[')).then(|| elements(json, value))?;
        }
        i = skip_ws(json, value_end(json, value)?);
        match json.get(i) {
            Some(b',') => i = skip_ws(json, i + 1),
            _ => return None,
        }
    }
    None
}

/// The elements of the array that opens at `open`.
fn elements(json: &[u8], open: usize) -> Option<ArrayMember> {
    let mut elements = Vec::new();
    let mut i = skip_ws(json, open + 1);
    if json.get(i) == Some(&b']') {
        return Some(ArrayMember {
            array: open..i + 1,
            elements,
        });
    }
    loop {
        let end = value_end(json, i)?;
        elements.push(i..end);
        i = skip_ws(json, end);
        match json.get(i) {
            Some(b',') => i = skip_ws(json, i + 1),
            Some(b']') => {
                return Some(ArrayMember {
                    array: open..i + 1,
                    elements,
                });
            }
            _ => return None,
        }
    }
}

/// The index just after the value that starts at `start`.
fn value_end(json: &[u8], start: usize) -> Option<usize> {
    match json.get(start)? {
        b'"' => string_end(json, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&b) = json.get(i) {
                match b {
                    b'"' => {
                        i = string_end(json, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        // A number, `true`, `false` or `null`: up to the next delimiter.
        _ => {
            let len = json[start..]
                .iter()
                .position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))?;
            (len > 0).then_some(start + len)
        }
    }
}

/// The index just after the string whose opening quote is at `start`.
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', json.get(i..)?)?;
        match json[i] {
            b'"' => return Some(i + 1),
            _ => i += 2,
        }
    }
}

/// The first index at or after `i` that is not JSON whitespace.
fn skip_ws(json: &[u8], mut i: usize) -> usize {
    while matches!(json.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AUDIT_KEEP;
    use proptest::prelude::*;

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

    fn texts<'a>(json: &'a str, member: &ArrayMember) -> Vec<&'a str> {
        member.elements.iter().map(|r| &json[r.clone()]).collect()
    }

    #[test]
    fn finds_the_member_among_others_of_every_kind() {
        let json = r#" { "v" : 3, "s":"a\"],{b", "o":{"audit":[1]}, "l":[[],{}], "n":null,
            "audit" : [ {"at_ms":1,"x":"]}\\"} , "two" ,3 ] , "after":true }"#;
        let member = array_member(json.as_bytes(), "audit").unwrap();
        assert_eq!(
            texts(json, &member),
            [r#"{"at_ms":1,"x":"]}\\"}"#, r#""two""#, "3"]
        );
        let array = &json[member.array.clone()];
        assert!(array.starts_with("[ {") && array.ends_with("3 ]"));
        let empty = array_member(br#"{"audit":[ ]}"#, "audit").unwrap();
        assert_eq!((empty.array, empty.elements), (9..12, vec![]));
    }

    #[test]
    fn leaves_to_serde_what_is_not_an_object_with_that_array() {
        for json in [
            r#"{"audit":{"a":1}}"#,
            r#"{"other":[1]}"#,
            r#"{"audit":[1 2]}"#,
            r#"{"audit":[1,]"#,
            r#"{"audit":["open]}"#,
            r#"{"a":1 "audit":[]}"#,
            r#"{"au\u0064it":[1]}"#,
            r#"[{"audit":[1]}]"#,
            "",
        ] {
            assert_eq!(array_member(json.as_bytes(), "audit"), None, "{json}");
        }
    }

    proptest! {
        /// Against serde_json: the elements found are the elements serde reads, for any
        /// JSON values (strings with escapes and brackets included) and any member order.
        #[test]
        fn finds_what_serde_reads(
            before in proptest::collection::vec(("[a-z]{1,6}", any_json()), 0..4),
            entries in proptest::collection::vec(any_json(), 0..6),
        ) {
            let mut object = serde_json::Map::new();
            for (key, value) in before {
                if key != "audit" {
                    object.insert(key, value);
                }
            }
            object.insert("audit".into(), serde_json::Value::Array(entries.clone()));
            for pretty in [false, true] {
                let json = match pretty {
                    true => serde_json::to_string_pretty(&object).unwrap(),
                    false => serde_json::to_string(&object).unwrap(),
                };
                let member = array_member(json.as_bytes(), "audit").unwrap();
                let found: Vec<serde_json::Value> = texts(&json, &member)
                    .iter()
                    .map(|t| serde_json::from_str(t).unwrap())
                    .collect();
                prop_assert_eq!(&found, &entries);
                let array: serde_json::Value = serde_json::from_str(&json[member.array]).unwrap();
                prop_assert_eq!(array, serde_json::Value::Array(entries.clone()));
            }
        }
    }

    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z\"\\\\\\[\\]{},: é\u{1F600}\n]{0,8}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-z\"]{0,4}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
