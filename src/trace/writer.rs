//! [`TraceWriter`]: writes events in the canonical form of the trace format.

use std::io::{self, Write};

use serde::Serialize;

use crate::{HResult, OperationKind, ResultDescription, StatusCall, StatusMessage};

use super::{TraceErrorKind, TraceEvent, TraceReadError};

/// Writes [`TraceEvent`]s as JSON Lines in the canonical form (see the [crate docs' Traces
/// section](crate#traces)).
///
/// Each write writes exactly one line ending in `\n`, with one `write_all` on the inner
/// writer, and never flushes: wrap a file in a [`BufWriter`](std::io::BufWriter) and call
/// [`flush`](Self::flush) when a reader must see the lines. The canonical form is:
///
/// - keys in the order `event`, `ms`, then `operation` / `numerator`, `denominator`, `hr`,
///   `result`, `messages`;
/// - `ms` written only when given ([`write_event_at`](Self::write_event_at));
/// - `hr` always written, HRESULTs everywhere as `"0x"` and eight uppercase hex digits;
/// - `result` omitted when there is none, and its absent properties omitted;
/// - `messages` omitted for a null collection and written as `[]` for an empty one; each
///   message with all six properties.
///
/// The writer refuses what the reader would refuse of the lines it wrote: a `begin` that is
/// not the first event, and an `ms` less than the last one given. Such a write writes
/// nothing and returns an [`InvalidInput`](io::ErrorKind::InvalidInput) error whose inner
/// error is the reader's [`TraceReadError`] (its line is the one the event would have had
/// among the lines this writer wrote).
///
/// ```
/// use gpmc_progress::trace::{TraceEvent, TraceWriter};
/// use gpmc_progress::{HResult, OperationKind, StatusCall};
///
/// let mut writer = TraceWriter::new(Vec::new());
/// writer.write_event(&TraceEvent::Begin { operation: OperationKind::GpoReport })?;
/// writer.write_event(&StatusCall::progress(0, 2).with_messages(vec![]).into())?;
/// writer.write_event_at(&TraceEvent::Cancel, Some(350))?;
/// writer.write_event_at(&StatusCall::progress(2, 2).with_hr(HResult::ERROR_CANCELLED).into(), Some(420))?;
///
/// // What the reader would refuse is refused, and nothing is written.
/// let refused = writer.write_event(&TraceEvent::Begin { operation: OperationKind::GpoReport });
/// assert_eq!(
///     refused.unwrap_err().to_string(),
///     "line 5: second `begin` event: the first is on line 1"
/// );
/// assert_eq!(
///     String::from_utf8(writer.into_inner()).unwrap(),
///     r#"{"event":"begin","operation":"gpo-report"}
/// {"event":"status","numerator":0,"denominator":2,"hr":"0x00000000","messages":[]}
/// {"event":"cancel","ms":350}
/// {"event":"status","ms":420,"numerator":2,"denominator":2,"hr":"0x800704C7"}
/// "#
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TraceWriter<W: Write> {
    inner: W,
    line: Vec<u8>,
    /// How many lines were written.
    lines: u64,
    /// Whether the first line written was a `begin`.
    began: bool,
    /// The last `ms` written, and its line.
    last_ms: Option<(u64, u64)>,
}

/// One event to write, with its `ms`, borrowing from the event: the serialised form of a
/// trace line, shared by the [`TraceWriter`] and the live engine's recorder (which encodes
/// its lines before it takes its lock).
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub(crate) enum EventOut<'a> {
    Begin {
        #[serde(skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
        operation: OperationKind,
    },
    Status {
        #[serde(skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
        numerator: i32,
        denominator: i32,
        hr: HResult,
        #[serde(skip_serializing_if = "Option::is_none")]
        result: Option<&'a ResultDescription>,
        #[serde(skip_serializing_if = "Option::is_none")]
        messages: Option<&'a [StatusMessage]>,
    },
    Cancel {
        #[serde(skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
    },
}

impl<'a> EventOut<'a> {
    /// The `begin` line of `operation`.
    pub(crate) fn begin(operation: OperationKind, ms: Option<u64>) -> Self {
        EventOut::Begin { ms, operation }
    }

    /// The `status` line of a call whose result describes itself, borrowing the call.
    pub(crate) fn status<R: AsRef<ResultDescription>>(
        call: &'a StatusCall<R>,
        ms: Option<u64>,
    ) -> Self {
        EventOut::Status {
            ms,
            numerator: call.numerator,
            denominator: call.denominator,
            hr: call.hr,
            result: call.result.as_ref().map(AsRef::as_ref),
            messages: call.messages.as_deref(),
        }
    }

    /// The `cancel` line.
    pub(crate) fn cancel(ms: Option<u64>) -> Self {
        EventOut::Cancel { ms }
    }

    /// The line of `event`.
    fn of(event: &'a TraceEvent, ms: Option<u64>) -> Self {
        match event {
            TraceEvent::Begin { operation } => EventOut::begin(*operation, ms),
            TraceEvent::Status(call) => EventOut::status(call, ms),
            TraceEvent::Cancel => EventOut::cancel(ms),
        }
    }

    fn ms(&self) -> Option<u64> {
        match self {
            EventOut::Begin { ms, .. } | EventOut::Status { ms, .. } | EventOut::Cancel { ms } => {
                *ms
            }
        }
    }

    /// Appends the line, with its line end, to `out`.
    fn encode_into(&self, out: &mut Vec<u8>) {
        // Serialising these types into memory cannot fail: every map key is a string, and
        // every value a number, a string or a list of them.
        if serde_json::to_writer(&mut *out, self).is_err() {
            out.clear();
        }
        out.push(b'\n');
    }

    /// The line, with its line end.
    #[cfg(feature = "live")]
    pub(crate) fn to_line(&self) -> Vec<u8> {
        let mut line = Vec::with_capacity(128);
        self.encode_into(&mut line);
        line
    }
}

/// One `status` line (with its line end) for a call whose result describes itself, borrowing
/// the call: what the live engine's recorder writes.
#[cfg(feature = "live")]
pub(crate) fn status_line<R: AsRef<ResultDescription>>(call: &StatusCall<R>) -> Vec<u8> {
    EventOut::status(call, None).to_line()
}

/// A line written without `ms` (`{"event":"status",...}`), with `ms` put where the writer
/// puts it, right after the event's name: the live engine's recorder encodes a line before
/// it takes its lock, and learns its moment (never less than the line before's) under it.
#[cfg(feature = "live")]
pub(crate) fn with_ms(line: &[u8], ms: u64) -> Vec<u8> {
    const EVENT: &[u8] = b"{\"event\":\"";
    let name_end = line
        .get(EVENT.len()..)
        .filter(|_| line.starts_with(EVENT))
        .and_then(|rest| rest.iter().position(|byte| *byte == b'"'))
        .map(|at| EVENT.len() + at + 1);
    let Some(at) = name_end else {
        return line.to_vec();
    };
    let mut out = Vec::with_capacity(line.len() + 24);
    out.extend_from_slice(&line[..at]);
    out.extend_from_slice(format!(",\"ms\":{ms}").as_bytes());
    out.extend_from_slice(&line[at..]);
    out
}

impl<W: Write> TraceWriter<W> {
    /// A writer that writes lines to `inner`.
    pub fn new(inner: W) -> Self {
        TraceWriter {
            inner,
            line: Vec::with_capacity(256),
            lines: 0,
            began: false,
            last_ms: None,
        }
    }

    /// Writes one event as one line, without `ms`. On error the line may be partly written
    /// (as with any `write_all`); nothing else is.
    pub fn write_event(&mut self, event: &TraceEvent) -> io::Result<()> {
        self.write(&EventOut::of(event, None))
    }

    /// Writes one event as one line with its `ms`, the milliseconds since the operation
    /// began (none when `ms` is `None`, as [`write_event`](Self::write_event) writes it).
    /// An `ms` less than the last one written is refused (see the [type docs](Self)).
    pub fn write_event_at(&mut self, event: &TraceEvent, ms: Option<u64>) -> io::Result<()> {
        self.write(&EventOut::of(event, ms))
    }

    /// Writes a `begin` event.
    pub fn write_begin(&mut self, operation: OperationKind) -> io::Result<()> {
        self.write(&EventOut::begin(operation, None))
    }

    /// Writes a `status` event, borrowing the call (nothing is copied).
    pub fn write_status(&mut self, call: &StatusCall) -> io::Result<()> {
        self.write(&EventOut::status(call, None))
    }

    /// Writes a `cancel` event.
    pub fn write_cancel(&mut self) -> io::Result<()> {
        self.write(&EventOut::cancel(None))
    }

    /// Checks the line against the lines written, then writes it.
    fn write(&mut self, out: &EventOut<'_>) -> io::Result<()> {
        let line = self.lines + 1;
        let refuse =
            |kind| io::Error::new(io::ErrorKind::InvalidInput, TraceReadError::at(line, kind));
        if matches!(out, EventOut::Begin { .. }) && self.lines > 0 {
            return Err(refuse(if self.began {
                TraceErrorKind::SecondBegin {
                    first_begin_line: 1,
                }
            } else {
                TraceErrorKind::BeginNotFirst {
                    first_event_line: 1,
                }
            }));
        }
        let ms = out.ms();
        if let (Some(ms), Some((previous, previous_line))) = (ms, self.last_ms) {
            if ms < previous {
                return Err(refuse(TraceErrorKind::MsDecreased {
                    ms,
                    previous,
                    previous_line,
                }));
            }
        }
        self.line.clear();
        out.encode_into(&mut self.line);
        self.inner.write_all(&self.line)?;
        if self.lines == 0 {
            self.began = matches!(out, EventOut::Begin { .. });
        }
        self.lines = line;
        if let Some(ms) = ms {
            self.last_ms = Some((ms, line));
        }
        Ok(())
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
        writer.write_begin(OperationKind::Unknown).unwrap();
        writer.write_status(&call).unwrap();
        writer.write_cancel().unwrap();
        let text = String::from_utf8(writer.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], r#"{"event":"begin","operation":"unknown"}"#);
        assert_eq!(format!("{}\n", lines[1]), line(&call.into()));
        assert_eq!(lines[2], r#"{"event":"cancel"}"#);
    }

    #[test]
    fn ms_comes_second_on_every_event_when_given() {
        let mut writer = TraceWriter::new(Vec::new());
        let begin = TraceEvent::Begin {
            operation: OperationKind::GpoCopy,
        };
        writer.write_event_at(&begin, Some(0)).unwrap();
        writer
            .write_event_at(&StatusCall::progress(0, 2).into(), None)
            .unwrap();
        writer
            .write_event_at(&StatusCall::progress(1, 2).into(), Some(40))
            .unwrap();
        writer
            .write_event_at(&TraceEvent::Cancel, Some(40))
            .unwrap();
        writer
            .write_event_at(&StatusCall::progress(2, 2).into(), Some(u64::MAX >> 1))
            .unwrap();
        assert_eq!(
            String::from_utf8(writer.into_inner()).unwrap(),
            "{\"event\":\"begin\",\"ms\":0,\"operation\":\"gpo-copy\"}\n\
             {\"event\":\"status\",\"numerator\":0,\"denominator\":2,\"hr\":\"0x00000000\"}\n\
             {\"event\":\"status\",\"ms\":40,\"numerator\":1,\"denominator\":2,\"hr\":\"0x00000000\"}\n\
             {\"event\":\"cancel\",\"ms\":40}\n\
             {\"event\":\"status\",\"ms\":9223372036854775807,\"numerator\":2,\"denominator\":2,\"hr\":\"0x00000000\"}\n"
        );
    }

    /// The reader's error inside a refused write's `io::Error`.
    fn refusal(error: io::Error) -> TraceReadError {
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        *error
            .into_inner()
            .expect("an inner error")
            .downcast::<TraceReadError>()
            .expect("the reader's error")
    }

    #[test]
    fn a_begin_that_is_not_first_is_refused_as_the_reader_would() {
        let begin = TraceEvent::Begin {
            operation: OperationKind::Unknown,
        };
        let mut writer = TraceWriter::new(Vec::new());
        writer.write_cancel().unwrap();
        let error = refusal(writer.write_event(&begin).unwrap_err());
        assert_eq!(error.line, Some(2));
        assert!(matches!(
            error.kind,
            TraceErrorKind::BeginNotFirst {
                first_event_line: 1
            }
        ));
        assert_eq!(
            error.to_string(),
            "line 2: `begin` must be the first event, but line 1 has an earlier event"
        );
        let error = refusal(writer.write_begin(OperationKind::GpoCopy).unwrap_err());
        assert_eq!(error.line, Some(2), "nothing was written");
        assert_eq!(writer.get_ref().as_slice(), b"{\"event\":\"cancel\"}\n");

        let mut writer = TraceWriter::new(Vec::new());
        writer.write_event(&begin).unwrap();
        writer.write_status(&StatusCall::progress(0, 1)).unwrap();
        let error = refusal(writer.write_event_at(&begin, Some(3)).unwrap_err());
        assert_eq!(error.line, Some(3));
        assert!(matches!(
            error.kind,
            TraceErrorKind::SecondBegin {
                first_begin_line: 1
            }
        ));
        // What it wrote reads back without an error.
        let written = writer.into_inner();
        assert_eq!(
            super::super::TraceReader::new(&written[..])
                .map(|line| line.map(|line| line.event))
                .collect::<Result<Vec<_>, _>>()
                .unwrap(),
            [begin, StatusCall::progress(0, 1).into()]
        );
    }

    #[test]
    fn a_decreasing_ms_is_refused_as_the_reader_would() {
        let mut writer = TraceWriter::new(Vec::new());
        writer.write_event_at(&TraceEvent::Cancel, Some(7)).unwrap();
        // Events without `ms` do not reset the last one.
        writer.write_cancel().unwrap();
        let error = refusal(
            writer
                .write_event_at(&StatusCall::progress(0, 1).into(), Some(6))
                .unwrap_err(),
        );
        assert_eq!(error.line, Some(3));
        assert!(matches!(
            error.kind,
            TraceErrorKind::MsDecreased {
                ms: 6,
                previous: 7,
                previous_line: 1
            }
        ));
        assert_eq!(
            error.to_string(),
            "line 3: `ms` is 6, less than the 7 on line 1"
        );
        writer.write_event_at(&TraceEvent::Cancel, Some(7)).unwrap();
        assert_eq!(
            writer.into_inner(),
            b"{\"event\":\"cancel\",\"ms\":7}\n{\"event\":\"cancel\"}\n{\"event\":\"cancel\",\"ms\":7}\n"
        );
    }

    #[cfg(feature = "live")]
    #[test]
    fn the_recorder_s_lines_are_the_writer_s() {
        let call = StatusCall::progress(1, 4).with_messages(vec![StatusMessage::new("m")]);
        for ms in [None, Some(0), Some(1234)] {
            let mut writer = TraceWriter::new(Vec::new());
            writer
                .write_event_at(
                    &TraceEvent::Begin {
                        operation: OperationKind::GpoBackup,
                    },
                    ms,
                )
                .unwrap();
            writer.write_event_at(&call.clone().into(), ms).unwrap();
            writer.write_event_at(&TraceEvent::Cancel, ms).unwrap();
            let lines = [
                EventOut::begin(OperationKind::GpoBackup, ms).to_line(),
                EventOut::status(&call, ms).to_line(),
                EventOut::cancel(ms).to_line(),
            ]
            .concat();
            assert_eq!(lines, writer.into_inner());
        }
        assert_eq!(status_line(&call), EventOut::status(&call, None).to_line());
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

    #[cfg(feature = "live")]
    #[test]
    fn a_moment_goes_where_the_writer_puts_it() {
        let call = StatusCall::progress(1, 2);
        for (event, ms) in [
            (EventOut::status(&call, None), 7),
            (EventOut::cancel(None), 0),
            (
                EventOut::begin(crate::OperationKind::GpoBackup, None),
                u64::MAX,
            ),
        ] {
            let expected = match event {
                EventOut::Status { .. } => EventOut::status(&call, Some(ms)),
                EventOut::Cancel { .. } => EventOut::cancel(Some(ms)),
                EventOut::Begin { operation, .. } => EventOut::begin(operation, Some(ms)),
            };
            assert_eq!(with_ms(&event.to_line(), ms), expected.to_line());
        }
        assert_eq!(with_ms(b"not a line", 3), b"not a line");
    }
}
