//! Finds where each field of an already-validated JSON text is written.

use super::super::path::FieldPath;
use std::collections::HashMap;

/// Records the byte offset of every object key and array element of `text`
/// (which must be valid JSON) under its field path.
pub(super) fn collect(text: &str, spans: &mut HashMap<String, usize>) {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
        spans,
    };
    scanner.value(&FieldPath::root());
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    spans: &'a mut HashMap<String, usize>,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> u8 {
        self.bytes.get(self.pos).copied().unwrap_or(0)
    }

    fn value(&mut self, path: &FieldPath) {
        self.skip_ws();
        match self.peek() {
            b'{' => self.object(path),
            b'[' => self.array(path),
            b'"' => {
                self.string();
            }
            0 => {}
            _ => {
                while self.pos < self.bytes.len() && !b",]} \t\r\n".contains(&self.bytes[self.pos])
                {
                    self.pos += 1;
                }
            }
        }
    }

    fn object(&mut self, path: &FieldPath) {
        self.pos += 1;
        loop {
            self.skip_ws();
            match self.peek() {
                b'}' | 0 => break,
                b',' => self.pos += 1,
                _ => {
                    let start = self.pos;
                    let key = self.string();
                    let child = path.key(&key);
                    self.spans.insert(child.to_string(), start);
                    self.skip_ws();
                    self.pos += 1; // the ':'
                    self.value(&child);
                }
            }
        }
        self.pos += 1;
    }

    fn array(&mut self, path: &FieldPath) {
        self.pos += 1;
        let mut index = 0;
        loop {
            self.skip_ws();
            match self.peek() {
                b']' | 0 => break,
                b',' => self.pos += 1,
                _ => {
                    let child = path.index(index);
                    self.spans.insert(child.to_string(), self.pos);
                    self.value(&child);
                    index += 1;
                }
            }
        }
        self.pos += 1;
    }

    /// Reads a string literal; escapes are decoded through serde_json.
    fn string(&mut self) -> String {
        let start = self.pos;
        self.pos += 1;
        while self.pos < self.bytes.len() && self.bytes[self.pos] != b'"' {
            if self.bytes[self.pos] == b'\\' {
                self.pos += 1;
            }
            self.pos += 1;
        }
        self.pos += 1;
        let end = self.pos.min(self.bytes.len());
        let raw = std::str::from_utf8(&self.bytes[start..end]).unwrap_or("\"\"");
        serde_json::from_str(raw).unwrap_or_default()
    }
}
