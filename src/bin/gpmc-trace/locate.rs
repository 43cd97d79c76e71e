//! Where a field is on a trace line: byte ranges of keys and values, found by a small
//! tolerant scan of the JSON text, for the carets of `check`'s diagnostics (the reader names
//! a line, and a column only for what serde_json rejected).
//!
//! The scan never fails: on malformed or cut-short text it keeps what it found before the
//! point where the text stops making sense.

use std::ops::Range;

/// One `"key": value` pair of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The key's path: `numerator` at the top level, `result.type` inside the result,
    /// `messages.error_code` inside any message of the list.
    pub path: String,
    /// The key with its quotes.
    pub key: Range<usize>,
    /// The value (up to where the text ends when it is cut short).
    pub value: Range<usize>,
}

/// Every field of the line, in text order (a nested object's fields after its own key).
pub fn fields(line: &str) -> Vec<Field> {
    let mut scan = Scan {
        text: line.as_bytes(),
        at: 0,
        fields: Vec::new(),
    };
    scan.value("");
    scan.fields
}

/// The first field at `path`.
pub fn find<'a>(fields: &'a [Field], path: &str) -> Option<&'a Field> {
    fields.iter().find(|field| field.path == path)
}

/// The innermost field whose key or value holds byte `at`.
pub fn at(fields: &[Field], at: usize) -> Option<&Field> {
    fields
        .iter()
        .filter(|field| field.key.start <= at && at < field.value.end)
        .min_by_key(|field| field.value.end - field.key.start)
}

struct Scan<'a> {
    text: &'a [u8],
    at: usize,
    fields: Vec<Field>,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    /// A value at `path`; returns whether it was complete (the scan goes on after it).
    fn value(&mut self, path: &str) -> bool {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(path),
            Some(b'[') => self.array(path),
            Some(b'"') => self.string(),
            Some(_) => self.scalar(),
            None => false,
        }
    }

    fn object(&mut self, path: &str) -> bool {
        self.at += 1;
        loop {
            self.skip_space();
            match self.peek() {
                Some(b'}') => {
                    self.at += 1;
                    return true;
                }
                Some(b',') => self.at += 1,
                Some(b'"') => {
                    let start = self.at;
                    if !self.string() {
                        return false;
                    }
                    let key = start..self.at;
                    let name = String::from_utf8_lossy(&self.text[start + 1..self.at - 1]);
                    let path = if path.is_empty() {
                        name.into_owned()
                    } else {
                        format!("{path}.{name}")
                    };
                    self.skip_space();
                    if self.peek() != Some(b':') {
                        return false;
                    }
                    self.at += 1;
                    self.skip_space();
                    let index = self.fields.len();
                    let value_start = self.at;
                    self.fields.push(Field {
                        path: path.clone(),
                        key,
                        value: value_start..value_start,
                    });
                    let complete = self.value(&path);
                    self.fields[index].value = value_start..self.at;
                    if !complete {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    fn array(&mut self, path: &str) -> bool {
        self.at += 1;
        loop {
            self.skip_space();
            match self.peek() {
                Some(b']') => {
                    self.at += 1;
                    return true;
                }
                Some(b',') => self.at += 1,
                Some(_) => {
                    if !self.value(path) {
                        return false;
                    }
                }
                None => return false,
            }
        }
    }

    /// A string with its quotes; false when the text ends inside it.
    fn string(&mut self) -> bool {
        self.at += 1;
        while let Some(byte) = self.peek() {
            self.at += 1;
            match byte {
                b'"' => return true,
                b'\\' => self.at = (self.at + 1).min(self.text.len()),
                _ => {}
            }
        }
        false
    }

    /// A number, `true`, `false`, `null` or anything else up to the next delimiter.
    fn scalar(&mut self) -> bool {
        let start = self.at;
        while let Some(byte) = self.peek() {
            if matches!(
                byte,
                b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n' | b'"'
            ) {
                break;
            }
            self.at += 1;
        }
        self.at > start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(line: &str) -> Vec<(String, &str, &str)> {
        fields(line)
            .into_iter()
            .map(|f| (f.path, &line[f.key], &line[f.value]))
            .collect()
    }

    #[test]
    fn every_field_with_its_key_and_value() {
        let line = r#"{"event":"status", "numerator": -1,"denominator":3,"result":{"type":"backup","id":"{X}"},"messages":[{"message":"a \"b\""},{"error_code":5}]}"#;
        assert_eq!(
            spans(line),
            [
                ("event".into(), r#""event""#, r#""status""#),
                ("numerator".into(), r#""numerator""#, "-1"),
                ("denominator".into(), r#""denominator""#, "3"),
                (
                    "result".into(),
                    r#""result""#,
                    r#"{"type":"backup","id":"{X}"}"#
                ),
                ("result.type".into(), r#""type""#, r#""backup""#),
                ("result.id".into(), r#""id""#, r#""{X}""#),
                (
                    "messages".into(),
                    r#""messages""#,
                    r#"[{"message":"a \"b\""},{"error_code":5}]"#
                ),
                ("messages.message".into(), r#""message""#, r#""a \"b\"""#),
                ("messages.error_code".into(), r#""error_code""#, "5"),
            ]
        );
        let fields = fields(line);
        assert_eq!(find(&fields, "denominator").unwrap().value, 49..50);
        // Inside the result's type: the type, not the result.
        assert_eq!(at(&fields, 70).unwrap().path, "result.type");
        // On the key, the value or the blanks between.
        assert_eq!(at(&fields, 20).unwrap().path, "numerator");
        assert_eq!(at(&fields, 33).unwrap().path, "numerator");
        // Past the value, on the comma: no field.
        assert!(at(&fields, 34).is_none());
        assert!(at(&fields, 0).is_none());
    }

    #[test]
    fn cut_short_or_malformed_text_keeps_what_came_before() {
        assert_eq!(
            spans(r#"{"event":"status","numerator":1,"messages":[{"message":"unfin"#),
            [
                ("event".into(), r#""event""#, r#""status""#),
                ("numerator".into(), r#""numerator""#, "1"),
                ("messages".into(), r#""messages""#, r#"[{"message":"unfin"#),
                ("messages.message".into(), r#""message""#, r#""unfin"#),
            ]
        );
        // A missing comma is passed over.
        assert_eq!(
            spans(r#"{"event":"status" "numerator":1}"#),
            [
                ("event".into(), r#""event""#, r#""status""#),
                ("numerator".into(), r#""numerator""#, "1")
            ]
        );
        assert_eq!(spans(r#"{"event" "status"}"#), []);
        assert_eq!(spans(r#"{"event"#), []);
        assert_eq!(spans(r#"{"a":"#), [("a".into(), r#""a""#, "")]);
        assert_eq!(spans("[1,2]"), []);
        assert_eq!(spans(""), []);
        assert_eq!(spans("\\"), []);
        assert_eq!(spans(r#"{"a":"\"#), [("a".into(), r#""a""#, r#""\"#)]);
    }
}
