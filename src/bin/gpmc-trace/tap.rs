//! [`LineTap`]: a reader that keeps a copy of the last line read through it, so that a
//! diagnostic can quote the line where the checker stopped, even on standard input, while
//! the checker streams the trace.

use std::io::{self, BufRead, Read};

/// Passes a [`BufRead`] through, keeping the last line consumed (with its line end) and its
/// 1-based number. Memory: one line, as the trace reader's own buffer.
#[derive(Debug)]
pub struct LineTap<Rd> {
    inner: Rd,
    last: LastLine,
}

/// The line being consumed.
#[derive(Debug, Default)]
struct LastLine {
    bytes: Vec<u8>,
    /// Whether `bytes` is a line that ended (the next byte starts a new one).
    ended: bool,
    /// Its 1-based number, 0 before the first byte.
    number: u64,
}

impl<Rd: BufRead> LineTap<Rd> {
    pub fn new(inner: Rd) -> Self {
        LineTap {
            inner,
            last: LastLine::default(),
        }
    }

    /// The last line read (without its line end) when it is line `number`.
    pub fn line(&self, number: u64) -> Option<&[u8]> {
        if number != self.last.number || number == 0 {
            return None;
        }
        let line = &self.last.bytes[..];
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

impl LastLine {
    /// The buffer's capacity kept from one line to the next.
    const KEPT_BYTES: usize = 1 << 20;

    fn record(&mut self, bytes: &[u8]) {
        let mut bytes = bytes;
        while !bytes.is_empty() {
            if self.ended || self.number == 0 {
                self.bytes.clear();
                if self.bytes.capacity() > Self::KEPT_BYTES {
                    self.bytes.shrink_to(Self::KEPT_BYTES);
                }
                self.number += 1;
                self.ended = false;
            }
            let (line, rest) = match bytes.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    self.ended = true;
                    bytes.split_at(end + 1)
                }
                None => (bytes, &[][..]),
            };
            self.bytes.extend_from_slice(line);
            bytes = rest;
        }
    }
}

impl<Rd: BufRead> Read for LineTap<Rd> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.last.record(&buf[..read]);
        Ok(read)
    }
}

impl<Rd: BufRead> BufRead for LineTap<Rd> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // What `fill_buf` handed out is still the inner reader's buffer.
        if let Ok(buffer) = self.inner.fill_buf() {
            self.last.record(&buffer[..amount.min(buffer.len())]);
        }
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_line_with_its_number() {
        let mut tap = LineTap::new(&b"one\r\ntwo\n\nfour"[..]);
        let mut line = Vec::new();
        tap.read_until(b'\n', &mut line).unwrap();
        assert_eq!(tap.line(1), Some(&b"one"[..]));
        assert_eq!(tap.line(2), None);
        tap.read_until(b'\n', &mut line).unwrap();
        tap.read_until(b'\n', &mut line).unwrap();
        assert_eq!(tap.line(3), Some(&b""[..]));
        tap.read_until(b'\n', &mut line).unwrap();
        assert_eq!(tap.line(4), Some(&b"four"[..]));
        assert_eq!(tap.line(3), None);
    }

    #[test]
    fn reads_through_a_small_buffer_and_plain_reads() {
        let text = b"{\"a\":1}\n{\"b\":22222222}\nlast";
        let inner = io::BufReader::with_capacity(3, &text[..]);
        let mut tap = LineTap::new(inner);
        let mut all = Vec::new();
        tap.read_until(b'\n', &mut all).unwrap();
        tap.read_until(b'\n', &mut all).unwrap();
        assert_eq!(tap.line(2), Some(&b"{\"b\":22222222}"[..]));
        let mut rest = String::new();
        tap.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "last");
        assert_eq!(tap.line(3), Some(&b"last"[..]));
    }
}
