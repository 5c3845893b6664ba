//! Finding an array member of a JSON object, and its elements, in the object's text
//! without decoding them (for [`super::splice`]).
//!
//! The scan checks the grammar of RFC 8259 §2–§7 (values, objects, arrays, numbers,
//! strings with their escapes, no raw control characters) as serde_json does when it
//! skips a value: whatever it accepts, serde_json accepts too, so text cut out here is
//! JSON. It does not decode strings (their UTF-8 is checked by the caller) and it gives
//! up (`None`) where it is unsure — nesting deeper than [`MAX_DEPTH`] — leaving the
//! text to serde.

use std::ops::Range;

/// Nesting depth beyond which the scan gives up, well below serde_json's recursion
/// limit (128): audit entries nest two or three levels.
pub(crate) const MAX_DEPTH: usize = 64;

/// Where an array member lies in an object's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArrayMember {
    /// The array, brackets included.
    pub(crate) array: Range<usize>,
    /// Each element, without the whitespace around it.
    pub(crate) elements: Vec<Range<usize>>,
}

/// The member `key` of the top-level object in `json` when its value is an array; the
/// key must be written without escapes. `None` when there is no such member, or the
/// text up to the end of that array is not JSON.
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
        i = skip_ws(json, value_end(json, value, 1)?);
        match json.get(i) {
            Some(b',') => i = skip_ws(json, i + 1),
            _ => return None,
        }
    }
    None
}

/// The member `key` when it is written last in the top-level object, compactly
/// (`{"key":[` or `,"key":[` with no whitespace around the colon) and its value is an
/// array, found from the end of the text without scanning the members before it — where
/// [`super::splice`] writes the audit log. `None` when the text does not end that way
/// (the caller then scans from the start with [`array_member`]).
///
/// Only the array's grammar and what follows it are checked here, so the caller must
/// have serde read the text before the array (and after it) as the rest of the object.
/// When serde accepts that text as JSON, the member found is the top-level object's
/// own: its key's opening quote follows `{` or `,`, not a backslash, so it is not an
/// escaped quote inside a string — and a quote that ends a string cannot be followed by
/// `key":`, a bare word; the array is followed by nothing but the object's closing `}`,
/// where a member of a nested value would need one more bracket.
pub(crate) fn last_array_member(json: &[u8], key: &str) -> Option<ArrayMember> {
    let close = json
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?;
    if json[close] != b'}' {
        return None;
    }
    let mut before = close;
    // memrchr: a full audit log's few kilobytes are passed over a word at a time.
    while let Some(open) = memchr::memrchr(b'[', &json[..before]) {
        if let Some(start) = compact_key_before(json, open, key) {
            let member = elements(json, open)?;
            let follows = skip_ws(json, member.array.end) == close;
            return (follows && matches!(json[start - 1], b'{' | b',')).then_some(member);
        }
        before = open;
    }
    None
}

/// Where `"key":` starts when it ends right before `at` (`None`: it does not, or nothing
/// comes before it).
fn compact_key_before(json: &[u8], at: usize, key: &str) -> Option<usize> {
    let start = at.checked_sub(key.len() + 3).filter(|&s| s > 0)?;
    let written = &json[start..at];
    let quoted = written[0] == b'"' && written[key.len() + 1..] == *b"\":";
    (quoted && &written[1..=key.len()] == key.as_bytes()).then_some(start)
}

/// The elements of the array that opens at `open` (inside the top-level object).
fn elements(json: &[u8], open: usize) -> Option<ArrayMember> {
    let mut elements = Vec::new();
    let close = sequence(json, open, 1, |i| {
        let end = value_end(json, i, 2)?;
        elements.push(i..end);
        Some(end)
    })?;
    Some(ArrayMember {
        array: open..close,
        elements,
    })
}

/// The index just after the value that starts at `start`, nested `depth` deep.
fn value_end(json: &[u8], start: usize, depth: usize) -> Option<usize> {
    match *json.get(start)? {
        b'"' => string_end(json, start),
        b'[' => sequence(json, start, depth, |i| value_end(json, i, depth + 1)),
        b'{' => sequence(json, start, depth, |i| {
            if json.get(i) != Some(&b'"') {
                return None;
            }
            let colon = skip_ws(json, string_end(json, i)?);
            if json.get(colon) != Some(&b':') {
                return None;
            }
            value_end(json, skip_ws(json, colon + 1), depth + 1)
        }),
        b't' => literal_end(json, start, b"true"),
        b'f' => literal_end(json, start, b"false"),
        b'n' => literal_end(json, start, b"null"),
        _ => number_end(json, start),
    }
}

/// The index just after the array or object that opens at `open` (`[` or `{`), whose
/// items (elements, or `"key": value` members) `item` scans: given where one starts, it
/// answers where it ends.
fn sequence(
    json: &[u8],
    open: usize,
    depth: usize,
    mut item: impl FnMut(usize) -> Option<usize>,
) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let close = json[open] + 2; // `]` and `}` in ASCII
    let mut i = skip_ws(json, open + 1);
    if json.get(i) == Some(&close) {
        return Some(i + 1);
    }
    loop {
        i = skip_ws(json, item(i)?);
        match json.get(i) {
            Some(b',') => i = skip_ws(json, i + 1),
            Some(&b) if b == close => return Some(i + 1),
            _ => return None,
        }
    }
}

/// The index just after `word` at `start`.
fn literal_end(json: &[u8], start: usize, word: &[u8]) -> Option<usize> {
    let end = start + word.len();
    (json.get(start..end)? == word).then_some(end)
}

/// The index just after the number at `start`: `-? (0 | [1-9][0-9]*) (. [0-9]+)?
/// ([eE] [+-]? [0-9]+)?` (RFC 8259 §6).
fn number_end(json: &[u8], start: usize) -> Option<usize> {
    let digits = |i: usize| {
        json[i.min(json.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = start + usize::from(json.get(start) == Some(&b'-'));
    match json.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(i),
        _ => return None,
    }
    if json.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        (n > 0).then_some(())?;
        i += 1 + n;
    }
    if matches!(json.get(i), Some(b'e' | b'E')) {
        i += 1 + usize::from(matches!(json.get(i + 1), Some(b'+' | b'-')));
        let n = digits(i);
        (n > 0).then_some(())?;
        i += n;
    }
    Some(i)
}

/// The index just after the string whose opening quote is at `start`: no raw control
/// characters, escapes `\" \\ \/ \b \f \n \r \t` and `\u` with four hex digits.
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *json.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                i += match *json.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' if json.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                    _ => return None,
                }
            }
            0..=0x1f => return None,
            _ => i += 1,
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
    use proptest::prelude::*;

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

    #[test]
    fn refuses_what_is_not_json_inside_the_array() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        for entry in [
            "hello",
            "é",
            "1.2.3",
            "1:2",
            "01",
            "-",
            "1.",
            "1e",
            ".5",
            "+1",
            "tru",
            "nul",
            "{]",
            "[}",
            r#"{"a" "b"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            "[1,]",
            r#"{1:2}"#,
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            "\"a\u{1}b\"",
            "\"a\nb\"",
            "\"open",
        ] {
            let json = format!(r#"{{"v":1,"audit":[{{"at_ms":1}},{entry}]}}"#);
            assert_eq!(array_member(json.as_bytes(), "audit"), None, "{entry}");
            assert!(
                serde_json::from_str::<serde_json::Value>(&json).is_err(),
                "{entry}"
            );
        }
        // Deeper than the scan goes (but within serde's limit): left to serde.
        let json = format!(r#"{{"audit":[{deep}]}}"#);
        assert_eq!(array_member(json.as_bytes(), "audit"), None);
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
        let fine = r#"{"audit":[-0.5e+3, 0, 1E9, "\u00e9\n\"", true, false, null, {"a":[{}]}]}"#;
        assert_eq!(
            array_member(fine.as_bytes(), "audit")
                .unwrap()
                .elements
                .len(),
            8
        );
    }

    #[test]
    fn finds_the_last_member_from_the_end_only_where_the_codec_writes_it() {
        let json = r#"{"v":3,"s":"\"audit\":[0]","audit":[{"x":"[]"},2]} "#;
        let member = last_array_member(json.as_bytes(), "audit").unwrap();
        assert_eq!(
            Some(&member),
            array_member(json.as_bytes(), "audit").as_ref()
        );
        assert_eq!(texts(json, &member), [r#"{"x":"[]"}"#, "2"]);
        let alone = last_array_member(br#"{"audit":[]}"#, "audit").unwrap();
        assert_eq!((alone.array, alone.elements), (9..11, vec![]));
        for json in [
            r#"{"audit":[1],"z":2}"#,
            r#"{"o":{"audit":[1]}}"#,
            r#"{"o":[{"audit":[1]}]}"#,
            r#"{"audit":[{"audit":[1]}]}"#,
            r#"{"x\"audit":[1]}"#,
            r#"{"x\\"audit":[1]}"#,
            r#"{"a":1 "audit":[1]}"#,
            r#"{"audit" : [1]}"#,
            r#"{"audit":[1 2]}"#,
            r#"{"audit":[1]"#,
            r#"{"audit":[1]}]"#,
            r#""audit":[1]}"#,
            "",
        ] {
            assert_eq!(last_array_member(json.as_bytes(), "audit"), None, "{json}");
        }
    }

    proptest! {
        /// Against serde_json: in compact text with the array written last — as the codec
        /// writes records — the member found from the end is the one found from the
        /// start, whatever the members before it hold (keys with quotes and escapes
        /// included).
        #[test]
        fn from_the_end_finds_what_the_scan_from_the_start_finds(
            before in proptest::collection::vec((any_key(), any_json()), 0..4),
            entries in proptest::collection::vec(any_json(), 0..6),
        ) {
            let mut object: serde_json::Map<_, _> = before.into_iter().collect();
            object.remove("audit");
            let mut json = serde_json::to_string(&object).unwrap();
            json.pop();
            if json.len() > 1 {
                json.push(',');
            }
            json += &format!(r#""audit":{}}}"#, serde_json::Value::Array(entries));
            let found = last_array_member(json.as_bytes(), "audit");
            prop_assert!(found.is_some(), "{}", json);
            prop_assert_eq!(found, array_member(json.as_bytes(), "audit"));
        }

        /// Against serde_json on damaged text: whenever the array found from the end is
        /// accepted, its text is UTF-8 and serde reads the rest of the text (with `[]`
        /// in the array's place) as JSON, serde reads the whole text as an object whose
        /// `audit` is that array.
        #[test]
        fn from_the_end_is_the_objects_own_member_once_serde_reads_the_rest(
            before in proptest::collection::vec((any_key(), any_json()), 0..3),
            entries in proptest::collection::vec(any_json(), 0..4),
            damage in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..5, any::<u8>()), 1..4),
        ) {
            let mut object: serde_json::Map<_, _> = before.into_iter().collect();
            object.remove("audit");
            object.insert("audit".into(), serde_json::Value::Array(entries));
            let json = damaged(serde_json::to_vec(&object).unwrap(), damage, b"\"\\[]{},:a");
            let Some(member) = last_array_member(&json, "audit") else {
                return Ok(());
            };
            let mut rest = json[..member.array.start].to_vec();
            rest.extend_from_slice(b"[]");
            rest.extend_from_slice(&json[member.array.end..]);
            // As the codec: the rest read by serde, the array's text checked as UTF-8.
            let utf8 = std::str::from_utf8(&json[member.array.clone()]).is_ok();
            if utf8 && serde_json::from_slice::<serde_json::Value>(&rest).is_ok() {
                let whole: serde_json::Value = serde_json::from_slice(&json).unwrap();
                let array: serde_json::Value = serde_json::from_slice(&json[member.array]).unwrap();
                prop_assert_eq!(&whole["audit"], &array);
            }
        }

        /// Against serde_json on damaged text: whatever array the scan accepts, serde
        /// reads as JSON, element by element, and the scan never panics.
        #[test]
        fn accepts_only_what_serde_reads(
            entries in proptest::collection::vec(any_json(), 0..6),
            damage in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..5, any::<u8>()), 1..4),
        ) {
            let object = serde_json::json!({ "v": 3, "audit": entries, "z": [1, "x"] });
            let json = damaged(serde_json::to_vec(&object).unwrap(), damage, b"\"\\[]{},: e-.0u\x01");
            if let Some(member) = array_member(&json, "audit") {
                let array = &json[member.array.clone()];
                prop_assert!(serde_json::from_slice::<serde::de::IgnoredAny>(array).is_ok());
                for element in &member.elements {
                    let text = &json[element.clone()];
                    prop_assert!(serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok());
                }
            }
        }

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

    /// `json` damaged at each index in turn: a byte of `bytes` inserted, a byte removed
    /// or replaced, the text cut there, or two bytes swapped (by `how` modulo 5).
    fn damaged(
        mut json: Vec<u8>,
        damage: Vec<(prop::sample::Index, u8, u8)>,
        bytes: &[u8],
    ) -> Vec<u8> {
        for (at, how, byte) in damage {
            if json.is_empty() {
                break;
            }
            let (i, j) = (at.index(json.len()), at.index(json.len() / 2 + 1));
            let byte = bytes[usize::from(byte) % bytes.len()];
            match how % 5 {
                0 => json.insert(i, byte),
                1 => drop(json.remove(i)),
                2 => json[i] = byte,
                3 => json.truncate(i),
                _ => json.swap(i, j),
            }
        }
        json
    }

    /// Object keys, among them ones that end like the member looked for.
    fn any_key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z\"\\\\:\\[,]{1,6}",
            Just("x\"audit".to_owned()),
            Just("x\\".to_owned()),
            Just(",\"audit\":[".to_owned()),
        ]
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
