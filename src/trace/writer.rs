//! [`TraceWriter`]: writes events in the canonical form of the trace format.

use std::io::{self, Write};

use serde::Serialize;

use crate::{HResult, OperationKind, ResultDescription, StatusCall, StatusMessage};

use super::TraceEvent;

/// Writes [`TraceEvent`]s as JSON Lines in the canonical form (see the [crate docs' Traces
/// section](crate#traces)).
///
/// Each [`write_event`](Self::write_event) writes exactly one line ending in `\n`, with one
/// `write_all` on the inner writer, and never flushes: wrap a file in a
/// [`BufWriter`](std::io::BufWriter) and call [`flush`](Self::flush) when a reader must see the
/// lines. The canonical form is:
///
/// - keys in the order `event`, `operation` / `numerator`, `denominator`, `hr`, `result`,
///   `messages`;
/// - `hr` always written, HRESULTs everywhere as `"0x"` and eight uppercase hex digits;
/// - `result` omitted when there is none, and its absent properties omitted;
/// - `messages` omitted for a null collection and written as `[]` for an empty one; each
///   message with all six properties.
///
/// ```
/// use gpmc_progress::trace::{TraceEvent, TraceWriter};
/// use gpmc_progress::{HResult, OperationKind, StatusCall};
///
/// let mut writer = TraceWriter::new(Vec::new());
/// writer.write_event(&TraceEvent::Begin { operation: OperationKind::GpoReport })?;
/// writer.write_event(&StatusCall::progress(0, 2).with_messages(vec![]).into())?;
/// writer.write_event(&TraceEvent::Cancel)?;
/// writer.write_event(&StatusCall::progress(2, 2).with_hr(HResult::ERROR_CANCELLED).into())?;
/// assert_eq!(
///     String::from_utf8(writer.into_inner()).unwrap(),
///     r#"{"event":"begin","operation":"gpo-report"}
/// {"event":"status","numerator":0,"denominator":2,"hr":"0x00000000","messages":[]}
/// {"event":"cancel"}
/// {"event":"status","numerator":2,"denominator":2,"hr":"0x800704C7"}
/// "#
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TraceWriter<W: Write> {
    inner: W,
    line: Vec<u8>,
}

/// The serialised form of one event, borrowing from it.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum WireEventOut<'a> {
    Begin {
        operation: OperationKind,
    },
    Status {
        numerator: i32,
        denominator: i32,
        hr: HResult,
        #[serde(skip_serializing_if = "Option::is_none")]
        result: Option<&'a ResultDescription>,
        #[serde(skip_serializing_if = "Option::is_none")]
        messages: Option<&'a [StatusMessage]>,
    },
    Cancel,
}

impl<'a> WireEventOut<'a> {
    /// The `status` event of a call whose result describes itself, borrowing the call.
    fn status<R: AsRef<ResultDescription>>(call: &'a StatusCall<R>) -> Self {
        WireEventOut::Status {
            numerator: call.numerator,
            denominator: call.denominator,
            hr: call.hr,
            result: call.result.as_ref().map(AsRef::as_ref),
            messages: call.messages.as_deref(),
        }
    }
}

impl<'a> From<&'a TraceEvent> for WireEventOut<'a> {
    fn from(event: &'a TraceEvent) -> Self {
        match event {
            TraceEvent::Begin { operation } => WireEventOut::Begin {
                operation: *operation,
            },
            TraceEvent::Status(call) => WireEventOut::status(call),
            TraceEvent::Cancel => WireEventOut::Cancel,
        }
    }
}

/// One `status` line (with its line end) for a call whose result describes itself, borrowing
/// the call: what the live engine's recorder writes.
#[cfg(feature = "live")]
pub(crate) fn status_line<R: AsRef<ResultDescription>>(call: &StatusCall<R>) -> Vec<u8> {
    let wire = WireEventOut::status(call);
    let mut line = Vec::with_capacity(128);
    // Serialising these types into memory cannot fail: every map key is a string.
    if serde_json::to_writer(&mut line, &wire).is_err() {
        line.clear();
    }
    line.push(b'\n');
    line
}

impl<W: Write> TraceWriter<W> {
    /// A writer that writes lines to `inner`.
    pub fn new(inner: W) -> Self {
        TraceWriter {
            inner,
            line: Vec::with_capacity(256),
        }
    }

    /// Writes one event as one line. On error the line may be partly written (as with any
    /// `write_all`); nothing else is.
    pub fn write_event(&mut self, event: &TraceEvent) -> io::Result<()> {
        self.line.clear();
        // Serialising these types into memory cannot fail: every map key is a string.
        serde_json::to_writer(&mut self.line, &WireEventOut::from(event))
            .map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.inner.write_all(&self.line)
    }

    /// Writes a `begin` event.
    pub fn write_begin(&mut self, operation: OperationKind) -> io::Result<()> {
        self.write_event(&TraceEvent::Begin { operation })
    }

    /// Writes a `status` event, borrowing the call (nothing is copied).
    pub fn write_status(&mut self, call: &StatusCall) -> io::Result<()> {
        self.line.clear();
        let wire = WireEventOut::status(call);
        serde_json::to_writer(&mut self.line, &wire).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.inner.write_all(&self.line)
    }

    /// Writes a `cancel` event.
    pub fn write_cancel(&mut self) -> io::Result<()> {
        self.write_event(&TraceEvent::Cancel)
    }

    /// Flushes the inner writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably (writing to it directly can break the line structure).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Returns the inner writer, without flushing it.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(event: &TraceEvent) -> String {
        let mut writer = TraceWriter::new(Vec::new());
        writer.write_event(event).unwrap();
        String::from_utf8(writer.into_inner()).unwrap()
    }

    #[test]
    fn status_with_everything_is_one_canonical_line() {
        let call = StatusCall::progress(3, 3)
            .with_hr(HResult::from_bits(0x4c7))
            .with_result(ResultDescription::Backup {
                id: Some("{1}".into()),
                gpo_id: None,
                directory: Some(r"C:\b".into()),
                comment: None,
            })
            .with_messages(vec![StatusMessage::new("m\n")
                .with_error_code(HResult::E_ACCESSDENIED)
                .with_extension_name("Security")]);
        assert_eq!(
            line(&call.into()),
            "{\"event\":\"status\",\"numerator\":3,\"denominator\":3,\"hr\":\"0x000004C7\",\
             \"result\":{\"type\":\"backup\",\"id\":\"{1}\",\"directory\":\"C:\\\\b\"},\
             \"messages\":[{\"object_path\":\"\",\"error_code\":\"0x80070005\",\
             \"extension_name\":\"Security\",\"settings_name\":\"\",\
             \"operation_code\":\"0x00000000\",\"message\":\"m\\n\"}]}\n"
        );
    }

    #[test]
    fn null_and_empty_collections_stay_apart() {
        assert!(!line(&StatusCall::progress(0, 1).into()).contains("messages"));
        assert!(
            line(&StatusCall::progress(0, 1).with_messages(vec![]).into())
                .contains("\"messages\":[]")
        );
    }

    #[test]
    fn write_status_matches_write_event() {
        let call = StatusCall::progress(1, 2).with_messages(vec![StatusMessage::new("x")]);
        let mut writer = TraceWriter::new(Vec::new());
        writer.write_status(&call).unwrap();
        writer.write_begin(OperationKind::Unknown).unwrap();
        writer.write_cancel().unwrap();
        let text = String::from_utf8(writer.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(format!("{}\n", lines[0]), line(&call.into()));
        assert_eq!(lines[1], r#"{"event":"begin","operation":"unknown"}"#);
        assert_eq!(lines[2], r#"{"event":"cancel"}"#);
    }

    #[test]
    fn io_errors_are_returned() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut writer = TraceWriter::new(Full);
        let err = writer.write_cancel().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }
}
