//! The audit log of an account, kept as the JSON text of its entries.

use super::{AUDIT_KEEP, AuditEntry, AuditEvent, AuditKind};
use serde::de::{SeqAccess, Visitor};
use serde::ser::{Error as _, SerializeSeq};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::ops::Range;
use std::sync::Arc;

/// The audit log, oldest first, at most [`AUDIT_KEEP`] entries, each kept as its JSON
/// text: appending encodes one entry, and reading or writing the account moves the
/// others without decoding them. The entries read with the account are one text shared
/// by every copy of it (each round of a write copies the account) and never copied
/// again: appending adds to the copy's own entries and only counts the oldest shared
/// ones out.
///
/// Stored as the JSON array of the entries (record field `audit`). The account record's
/// codec ([`crate::records::decode_account`], [`crate::records::encode_account`]) cuts
/// that array out of the record's text and splices it back, so serde neither scans nor
/// copies the entries one by one; the `Serialize` and `Deserialize` impls here are the
/// general (slower) path and give the same JSON.
#[derive(Debug, Clone, Default)]
pub struct AuditLog {
    /// The entries as read, oldest first.
    stored: Arc<Stored>,
    /// How many of the oldest `stored` entries appends have pushed out.
    dropped: usize,
    /// Entries appended since, oldest first.
    added: Vec<String>,
}

/// Entries as read: one text and where each entry lies in it.
#[derive(Debug, Default)]
struct Stored {
    text: String,
    entries: Vec<Range<usize>>,
}

impl AuditLog {
    /// A log of the entries at `entries` in `text` (byte ranges, oldest first); only the
    /// newest [`AUDIT_KEEP`] count. `None` when a range is not a part of `text` that
    /// starts and ends on a character boundary.
    pub(crate) fn from_text(text: String, entries: Vec<Range<usize>>) -> Option<Self> {
        let fits = entries.iter().all(|r| text.get(r.clone()).is_some());
        fits.then(|| AuditLog::stored(text, entries))
    }

    /// A log of what was read: `text` with its `entries`, known to fit it.
    fn stored(text: String, entries: Vec<Range<usize>>) -> Self {
        AuditLog {
            dropped: entries.len().saturating_sub(AUDIT_KEEP),
            stored: Arc::new(Stored { text, entries }),
            added: Vec::new(),
        }
    }

    /// A log of `entries` (JSON texts of [`AuditEntry`]), oldest first; only the newest
    /// [`AUDIT_KEEP`] count.
    pub(crate) fn from_entries<'a>(entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut text = String::new();
        let mut ranges = Vec::new();
        for entry in entries {
            ranges.push(text.len()..text.len() + entry.len());
            text.push_str(entry);
        }
        AuditLog::stored(text, ranges)
    }

    /// The entries' JSON texts, oldest first.
    fn entries(&self) -> impl DoubleEndedIterator<Item = &str> {
        let stored = self.stored.entries.get(self.dropped..).unwrap_or_default();
        let text = &self.stored.text;
        stored
            .iter()
            .map(|r| &text[r.clone()])
            .chain(self.added.iter().map(String::as_str))
    }

    /// Bytes of [`AuditLog::write_json`]'s array.
    pub(crate) fn json_len(&self) -> usize {
        let (count, bytes) = self
            .entries()
            .fold((0, 0), |(n, b), e| (n + 1, b + e.len()));
        bytes + usize::saturating_sub(count, 1) + 2
    }

    /// The JSON array of the entries, appended to `out` (`[e1,e2,…]`).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, entry) in self.entries().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(entry.as_bytes());
        }
        out.push(b']');
    }

    /// Append an event (dropping the oldest beyond [`AUDIT_KEEP`]).
    pub(crate) fn push(&mut self, event: &AuditEvent) {
        let entry = AuditEntry {
            at_ms: event.at_ms,
            event: event.kind.as_str().to_owned(),
            client: event.client.clone(),
            detail: event.detail.clone(),
        };
        let Ok(text) = serde_json::to_string(&entry) else {
            return;
        };
        self.added.push(text);
        let stored = self.stored.entries.len();
        if stored - self.dropped + self.added.len() > AUDIT_KEEP {
            match self.dropped < stored {
                true => self.dropped += 1,
                false => drop(self.added.remove(0)),
            }
        }
    }

    /// The events, newest first; entries that do not decode are skipped.
    pub(crate) fn events(&self) -> Vec<AuditEvent> {
        self.entries()
            .rev()
            .filter_map(|raw| serde_json::from_str::<AuditEntry>(raw).ok())
            .map(|e| AuditEvent {
                at_ms: e.at_ms,
                kind: AuditKind::parse(&e.event),
                client: e.client,
                detail: e.detail,
            })
            .collect()
    }
}

impl PartialEq for AuditLog {
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.stored, &other.stored) && self.dropped == other.dropped {
            return self.added == other.added;
        }
        self.entries().eq(other.entries())
    }
}
impl Eq for AuditLog {}

impl Serialize for AuditLog {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for entry in self.entries() {
            let raw: &RawValue = serde_json::from_str(entry).map_err(S::Error::custom)?;
            seq.serialize_element(raw)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for AuditLog {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EntriesVisitor)
    }
}

/// Reads the array's entries as their JSON texts.
struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = AuditLog;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of audit entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AuditLog, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = seq.next_element::<Box<RawValue>>()? {
            entries.push(entry);
        }
        Ok(AuditLog::from_entries(entries.iter().map(|e| e.get())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AuditKind;

    fn event(at_ms: u64) -> AuditEvent {
        AuditEvent {
            at_ms,
            kind: AuditKind::SignedIn,
            client: Some("192.0.2.1".into()),
            detail: None,
        }
    }

    fn times(log: &AuditLog) -> Vec<u64> {
        log.events().iter().map(|e| e.at_ms).collect()
    }

    #[test]
    fn the_log_keeps_the_newest_entries_newest_first() {
        let mut log = AuditLog::default();
        for at_ms in 0..60 {
            log.push(&event(at_ms));
        }
        assert_eq!(times(&log), (10..60).rev().collect::<Vec<_>>());
    }

    #[test]
    fn a_copy_appends_without_touching_the_log_it_was_read_with() {
        let entries: Vec<String> = (0..AUDIT_KEEP as u64)
            .map(|i| format!(r#"{{"at_ms":{i},"event":"signed_in","client":null}}"#))
            .collect();
        let text = format!("[{}]", entries.join(","));
        let read: AuditLog = serde_json::from_str(&text).unwrap();
        assert_eq!(read, serde_json::from_str::<AuditLog>(&text).unwrap());
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            text,
            "written as read"
        );

        let mut copy = read.clone();
        assert_eq!(copy, read);
        copy.push(&event(1000));
        assert_ne!(copy, read);
        assert_eq!(times(&read).len(), AUDIT_KEEP);
        let mut expected: Vec<u64> = (1..AUDIT_KEEP as u64).collect();
        expected.push(1000);
        expected.reverse();
        assert_eq!(times(&copy), expected, "the oldest pushed out");
        let written = serde_json::to_string(&copy).unwrap();
        let again: AuditLog = serde_json::from_str(&written).unwrap();
        assert_eq!(again, copy);
        assert_eq!(times(&again), expected);
    }
}
