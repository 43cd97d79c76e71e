//! [`TraceReader`]: reads a trace line by line, in constant memory.

use std::io::{BufRead, Read};

use crate::{HResult, StatusCall};

use super::wire::{EventName, Given, Messages, Ms, Object, ResultProblem, WireEvent};
use super::{TraceErrorKind, TraceEvent, TraceReadError};

/// One event read from a trace, with the 1-based line it was on and its moment, if given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceLine {
    /// The line's 1-based position in the file (blank lines counted).
    pub line: u64,
    /// The event.
    pub event: TraceEvent,
    /// The line's `ms`: milliseconds since the operation began, `None` when the line has
    /// none (absent or null). The reader has checked that it is at least the last `ms`
    /// given before it.
    pub ms: Option<u64>,
}

/// Reads the events of a trace from any [`BufRead`], one line at a time (the format is in the
/// [crate docs' Traces section](crate#traces)).
///
/// Memory stays constant whatever the number of lines: one line buffer is reused (up to
/// 1 MiB of it; a longer line's buffer is given back as soon as the line is parsed), and each
/// event is handed out as it is read. A leading UTF-8 byte-order mark is skipped, lines may
/// end in LF or CRLF, and blank lines (empty, or only spaces, tabs and CR) are skipped but
/// counted. The first input error ends the trace: it is returned once and the reader then
/// yields nothing more.
///
/// Each event's `ms` (milliseconds since the operation began) is read and checked: a JSON
/// integer from 0 to 2^63-1, never less than the last one given before it; null is the same
/// as absent. A negative, fractional, too large or decreasing `ms` is an input error naming
/// its line ([`NegativeMs`](TraceErrorKind::NegativeMs),
/// [`FractionalMs`](TraceErrorKind::FractionalMs),
/// [`MsOutOfRange`](TraceErrorKind::MsOutOfRange),
/// [`MsDecreased`](TraceErrorKind::MsDecreased)). Nothing else about timing is judged.
///
/// ```
/// use gpmc_progress::trace::{TraceEvent, TraceReader};
/// use gpmc_progress::OperationKind;
///
/// let trace = "\u{feff}{\"event\":\"begin\",\"operation\":\"gpo-copy\"}\r\n\r\n\
///              {\"event\":\"status\",\"numerator\":0,\"denominator\":2,\"hr\":null}\r\n";
/// let mut reader = TraceReader::new(trace.as_bytes());
/// let begin = reader.read_line()?.unwrap();
/// assert_eq!((begin.line, begin.event), (1, TraceEvent::Begin { operation: OperationKind::GpoCopy }));
/// let status = reader.read_line()?.unwrap();
/// assert_eq!((status.line, status.ms), (3, None));
/// assert!(reader.read_line()?.is_none());
///
/// let timed = "{\"event\":\"status\",\"numerator\":1,\"denominator\":2,\"ms\":1500}\n\
///              {\"event\":\"cancel\",\"ms\":1200}\n";
/// let mut reader = TraceReader::new(timed.as_bytes());
/// assert_eq!(reader.read_line()?.unwrap().ms, Some(1500));
/// let error = reader.read_line().unwrap_err();
/// assert_eq!(error.to_string(), "line 2: `ms` is 1200, less than the 1500 on line 1");
/// # Ok::<(), gpmc_progress::trace::TraceReadError>(())
/// ```
#[derive(Debug)]
pub struct TraceReader<Rd> {
    input: Rd,
    buffer: Vec<u8>,
    line: u64,
    /// The first event's line, and whether it was a `begin`.
    first_event: Option<(u64, bool)>,
    /// The last `ms` given, and its line.
    last_ms: Option<(u64, u64)>,
    done: bool,
    keep_messages: bool,
}

impl<Rd: BufRead> TraceReader<Rd> {
    /// The longest line read, in bytes without the line end (LF or CR LF; a leading
    /// byte-order mark counts as part of the first line): 64 MiB, far more than any GPMC
    /// report string. A line of exactly this length is read; a longer one is an input error
    /// naming its line, rather than unbounded memory.
    pub const MAX_LINE_BYTES: usize = 64 << 20;

    /// The line buffer's capacity kept from one line to the next; a longer line's buffer is
    /// given back once the line is parsed.
    const KEPT_BUFFER_BYTES: usize = 1 << 20;

    /// A reader of the trace in `input`.
    pub fn new(input: Rd) -> Self {
        TraceReader {
            input,
            buffer: Vec::with_capacity(256),
            line: 0,
            first_event: None,
            last_ms: None,
            done: false,
            keep_messages: true,
        }
    }

    /// This reader, reading and checking each status event's messages as before but keeping
    /// none: an event's `messages` is an empty list where the line has a list. For
    /// [`replay`](super::replay), whose verdict keeps no message.
    pub(super) fn without_messages(mut self) -> Self {
        self.keep_messages = false;
        self
    }

    /// How many lines were read so far (the number of the last line read).
    pub fn lines_read(&self) -> u64 {
        self.line
    }

    /// Returns the inner reader.
    pub fn into_inner(self) -> Rd {
        self.input
    }

    /// The next event, `Ok(None)` at the end of the trace (or after an error).
    pub fn read_line(&mut self) -> Result<Option<TraceLine>, TraceReadError> {
        if self.done {
            return Ok(None);
        }
        let result = self.read_next();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    /// Empties the line buffer, and gives back all of it but [`Self::KEPT_BUFFER_BYTES`]
    /// after a long line: its size is not kept for the rest of the trace.
    fn release_long_buffer(&mut self) {
        self.buffer.clear();
        if self.buffer.capacity() > Self::KEPT_BUFFER_BYTES {
            self.buffer.shrink_to(Self::KEPT_BUFFER_BYTES);
        }
    }

    fn read_next(&mut self) -> Result<Option<TraceLine>, TraceReadError> {
        loop {
            self.release_long_buffer();
            // At most the longest line and a CR LF line end: a line at the limit is read
            // whole with its line end, and a longer one shows as more than the limit.
            let most = Self::MAX_LINE_BYTES as u64 + 2;
            let read = (&mut self.input)
                .take(most)
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| TraceReadError::unplaced(TraceErrorKind::Io(e)))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            let line = self.line;
            let mut bytes = without_line_end(&self.buffer);
            if bytes.len() > Self::MAX_LINE_BYTES {
                return Err(TraceReadError::at(
                    line,
                    TraceErrorKind::LineTooLong {
                        limit: Self::MAX_LINE_BYTES,
                    },
                ));
            }
            let mut start = 0;
            if line == 1 {
                if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
                    (bytes, start) = (rest, 3);
                }
            }
            if bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            let text = std::str::from_utf8(bytes).map_err(|e| {
                TraceReadError::at(
                    line,
                    TraceErrorKind::InvalidUtf8 {
                        column: start + e.valid_up_to() + 1,
                    },
                )
            })?;
            let (event, ms) = if self.keep_messages {
                parse_line::<true>(line, text)?
            } else {
                parse_line::<false>(line, text)?
            };
            self.release_long_buffer();
            let begin = matches!(event, TraceEvent::Begin { .. });
            match self.first_event {
                None => self.first_event = Some((line, begin)),
                Some((first_begin_line, true)) if begin => {
                    return Err(TraceReadError::at(
                        line,
                        TraceErrorKind::SecondBegin { first_begin_line },
                    ));
                }
                Some((first_event_line, _)) if begin => {
                    return Err(TraceReadError::at(
                        line,
                        TraceErrorKind::BeginNotFirst { first_event_line },
                    ));
                }
                Some(_) => {}
            }
            if let Some(ms) = ms {
                if let Some((previous, previous_line)) = self.last_ms {
                    if ms < previous {
                        return Err(TraceReadError::at(
                            line,
                            TraceErrorKind::MsDecreased {
                                ms,
                                previous,
                                previous_line,
                            },
                        ));
                    }
                }
                self.last_ms = Some((ms, line));
            }
            return Ok(Some(TraceLine { line, event, ms }));
        }
    }
}

impl<Rd: BufRead> Iterator for TraceReader<Rd> {
    type Item = Result<TraceLine, TraceReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_line().transpose()
    }
}

/// A line read with its line end, without it: LF or CR LF (a CR not followed by LF, such as
/// one at the end of the file, is part of the line).
fn without_line_end(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(bytes)
}

/// Parses one non-blank line (without its line end) into an event and its `ms`; without
/// `KEEP_MESSAGES`, a status event's messages are read and checked but not kept (its list is
/// empty).
fn parse_line<const KEEP_MESSAGES: bool>(
    line: u64,
    text: &str,
) -> Result<(TraceEvent, Option<u64>), TraceReadError> {
    let Object(wire) = serde_json::from_str::<Object<WireEvent<KEEP_MESSAGES>>>(text)
        .map_err(|e| TraceReadError::json(line, &e))?;
    let name = required(line, "event", wire.event)?;
    let ms = match wire.ms {
        None => None,
        Some(Ms::Valid(ms)) => Some(ms),
        Some(Ms::Negative(value)) => {
            return Err(TraceReadError::at(
                line,
                TraceErrorKind::NegativeMs { value },
            ))
        }
        Some(Ms::Fractional(value)) => {
            return Err(TraceReadError::at(
                line,
                TraceErrorKind::FractionalMs { value },
            ))
        }
        Some(Ms::OutOfRange(value)) => {
            return Err(TraceReadError::at(
                line,
                TraceErrorKind::MsOutOfRange { value },
            ))
        }
    };
    let event = event_of::<KEEP_MESSAGES>(line, name, wire)?;
    Ok((event, ms))
}

/// The event of a line whose `event` is `name`.
fn event_of<const KEEP_MESSAGES: bool>(
    line: u64,
    name: EventName,
    wire: WireEvent<KEEP_MESSAGES>,
) -> Result<TraceEvent, TraceReadError> {
    let not_allowed = |field: &'static str, given: bool| -> Result<(), TraceReadError> {
        if given {
            Err(TraceReadError::at(
                line,
                TraceErrorKind::FieldNotAllowed {
                    field,
                    event: name.as_str(),
                },
            ))
        } else {
            Ok(())
        }
    };
    match name {
        EventName::Begin => {
            not_allowed("numerator", wire.numerator.is_some())?;
            not_allowed("denominator", wire.denominator.is_some())?;
            not_allowed("hr", wire.hr.is_some())?;
            not_allowed("result", wire.result.is_some())?;
            not_allowed("messages", wire.messages.is_some())?;
            let operation = required(line, "operation", wire.operation)?;
            Ok(TraceEvent::Begin { operation })
        }
        EventName::Cancel => {
            not_allowed("operation", wire.operation.is_some())?;
            not_allowed("numerator", wire.numerator.is_some())?;
            not_allowed("denominator", wire.denominator.is_some())?;
            not_allowed("hr", wire.hr.is_some())?;
            not_allowed("result", wire.result.is_some())?;
            not_allowed("messages", wire.messages.is_some())?;
            Ok(TraceEvent::Cancel)
        }
        EventName::Status => {
            not_allowed("operation", wire.operation.is_some())?;
            let numerator = required(line, "numerator", wire.numerator)?.get();
            let denominator = required(line, "denominator", wire.denominator)?.get();
            let hr = wire.hr.flatten().map_or(HResult::S_OK, |hr| hr.get());
            let result = match wire.result.flatten() {
                None => None,
                Some(Object(result)) => Some(result.into_result().map_err(|problem| {
                    let kind = match problem {
                        ResultProblem::Type { null: false } => {
                            TraceErrorKind::MissingField { field: "type" }
                        }
                        ResultProblem::Type { null: true } => {
                            TraceErrorKind::NullField { field: "type" }
                        }
                        ResultProblem::Field { field, result_type } => {
                            TraceErrorKind::ResultFieldNotAllowed { field, result_type }
                        }
                    };
                    TraceReadError::at(line, kind)
                })?),
            };
            let messages = wire.messages.flatten().map(|Messages(messages)| messages);
            Ok(TraceEvent::Status(StatusCall::new(
                numerator,
                denominator,
                hr,
                result,
                messages,
            )))
        }
    }
}

fn required<T>(line: u64, field: &'static str, given: Given<T>) -> Result<T, TraceReadError> {
    match given {
        Some(Some(value)) => Ok(value),
        Some(None) => Err(TraceReadError::at(
            line,
            TraceErrorKind::NullField { field },
        )),
        None => Err(TraceReadError::at(
            line,
            TraceErrorKind::MissingField { field },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OperationKind, ResultDescription, StatusMessage};

    /// The error of a one-line trace.
    fn error_of(line: &str) -> TraceReadError {
        let text = format!("\n{line}\n");
        let mut reader = TraceReader::new(text.as_bytes());
        match reader.read_line() {
            Err(error) => error,
            Ok(event) => panic!("{line}: read {event:?}"),
        }
    }

    fn json_message(line: &str) -> String {
        let error = error_of(line);
        assert_eq!(error.line, Some(2), "{line}");
        match error.kind {
            TraceErrorKind::Json { message, .. } => message,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn event_of(line: &str) -> TraceEvent {
        TraceReader::new(line.as_bytes())
            .read_line()
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .unwrap()
            .event
    }

    #[test]
    fn numbers_must_be_i32_integers() {
        let i32s = "expected an integer in -2147483648..=2147483647";
        for (value, expected) in [
            ("1.0", "invalid type: a number with a fraction `1.0`"),
            ("1e2", "invalid type: a number with an exponent `1e2`"),
            ("1E0", "invalid type: a number with an exponent `1E0`"),
            ("1.5e-3", "invalid type: a number with an exponent `1.5e-3`"),
            ("2147483648", "invalid value: integer `2147483648`"),
            ("-2147483649", "invalid value: integer `-2147483649`"),
            ("\"1\"", "invalid type: string \"1\""),
            ("true", "invalid type: boolean `true`"),
            ("[1]", "invalid type: sequence"),
            ("{}", "invalid type: map"),
        ] {
            let line = format!(r#"{{"event":"status","numerator":{value},"denominator":3}}"#);
            let column = 30 + value.len();
            assert_eq!(
                error_of(&line).to_string(),
                format!("line 2: column {column}: {expected}, {i32s}"),
                "{value}"
            );
        }
        // A number of any length is shown by its first 64 characters.
        let long = format!("1{}", "0".repeat(99));
        assert_eq!(
            json_message(&format!(
                r#"{{"event":"status","numerator":{long},"denominator":3}}"#
            )),
            format!("invalid value: integer `{}`, {i32s}", &long[..64])
        );
        assert_eq!(
            event_of(r#"{"event":"status","numerator":-2147483648,"denominator":2147483647}"#),
            TraceEvent::Status(StatusCall::progress(i32::MIN, i32::MAX))
        );
        // `-0` is a JSON integer (serde_json alone reads it as a float); `-0.0` is not.
        assert_eq!(
            event_of(
                r#"{"event":"status","numerator":-0,"denominator":-0,"hr":-0,"messages":[{"error_code":-0,"operation_code":-0}]}"#
            ),
            TraceEvent::Status(
                StatusCall::progress(0, 0).with_messages(vec![StatusMessage::default()])
            )
        );
        for value in ["-0.0", "-0e0", "-00", "- 0", "0.0"] {
            json_message(&format!(
                r#"{{"event":"status","numerator":{value},"denominator":3}}"#
            ));
            json_message(&format!(
                r#"{{"event":"status","numerator":0,"denominator":3,"hr":{value}}}"#
            ));
            json_message(&format!(
                r#"{{"event":"status","numerator":0,"denominator":3,"messages":[{{"error_code":{value}}}]}}"#
            ));
        }
    }

    #[test]
    fn hresults_in_every_accepted_form() {
        for (value, bits) in [
            ("\"0x80070005\"", 0x8007_0005_u32),
            ("\"0X4c7\"", 0x4C7),
            ("\"0x0\"", 0),
            ("-2147467259", 0x8000_4005),
            ("4294967295", 0xFFFF_FFFF),
            ("-2147483648", 0x8000_0000),
            ("null", 0),
        ] {
            let event = event_of(&format!(
                r#"{{"event":"status","numerator":1,"denominator":1,"hr":{value}}}"#
            ));
            assert_eq!(
                event,
                TraceEvent::Status(StatusCall::progress(1, 1).with_hr(HResult::from_bits(bits))),
                "{value}"
            );
        }
        let hresults = "expected an hresult: a string 0x and 1 to 8 hex digits, or an integer in -2147483648..=4294967295";
        for (value, expected) in [
            (
                "\"0x\"",
                "invalid hresult `0x`: expected 0x and 1 to 8 hex digits".to_owned(),
            ),
            (
                "\"0x123456789\"",
                "invalid hresult `0x123456789`: expected 0x and 1 to 8 hex digits".to_owned(),
            ),
            (
                "\"1223\"",
                "invalid hresult `1223`: expected 0x and 1 to 8 hex digits".to_owned(),
            ),
            (
                "\"0xZZ\"",
                "invalid hresult `0xZZ`: expected 0x and 1 to 8 hex digits".to_owned(),
            ),
            (
                "4294967296",
                format!("invalid value: integer `4294967296`, {hresults}"),
            ),
            (
                "-2147483649",
                format!("invalid value: integer `-2147483649`, {hresults}"),
            ),
            (
                "1.5",
                format!("invalid type: a number with a fraction `1.5`, {hresults}"),
            ),
            (
                "1e0",
                format!("invalid type: a number with an exponent `1e0`, {hresults}"),
            ),
            ("true", format!("invalid type: boolean `true`, {hresults}")),
        ] {
            assert_eq!(
                json_message(&format!(
                    r#"{{"event":"status","numerator":1,"denominator":1,"hr":{value}}}"#
                )),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn unknown_names_and_fields_are_errors() {
        let status = r#"{"event":"status","numerator":1,"denominator":1,"#;
        let mut wrong = Vec::new();
        for (line, expected) in [
            (
                r#"{"event":"pause"}"#.to_owned(),
                "column 16: unknown event `pause`, expected begin, status or cancel",
            ),
            (
                r#"{"event":"begin","operation":"gpo-delete"}"#.to_owned(),
                "column 41: unknown operation `gpo-delete`",
            ),
            (
                format!(r#"{status}"result":{{"type":"report"}}}}"#),
                "column 73: unknown result type `report`",
            ),
            (
                format!(r#"{status}"result":{{"id":"x"}}}}"#),
                "required field `type` is missing",
            ),
            (
                format!(r#"{status}"result":{{"type":null}}}}"#),
                "required field `type` is null",
            ),
            (
                format!(r#"{status}"result":{{"type":"text","colour":"x"}}}}"#),
                "column 80: unknown field `colour`, expected one of `type`, `id`, `display_name`, `domain`, `gpo_id`, `directory`, `comment`, `value`",
            ),
            (
                format!(r#"{status}"result":{{"type":"object","id":"x"}}}}"#),
                "unknown field `id` on a result of type `object`",
            ),
            (
                format!(r#"{status}"result":{{"type":"text","id":null}}}}"#),
                "unknown field `id` on a result of type `text`",
            ),
            (
                format!(r#"{status}"messages":[{{"text":"x"}}]}}"#),
                "column 67: unknown field `text`, expected one of `object_path`, `error_code`, `extension_name`, `settings_name`, `operation_code`, `message`",
            ),
            (
                format!(r#"{status}"messages":[null]}}"#),
                "column 64: invalid type: null, expected a status message object",
            ),
            (
                format!(r#"{status}"messages":{{}}}}"#),
                "column 59: invalid type: map, expected a list of status message objects",
            ),
            (
                format!(r#"{status}"progress":1}}"#),
                "column 58: unknown field `progress`, expected one of `event`, `operation`, `numerator`, `denominator`, `hr`, `result`, `messages`, `ms`",
            ),
            (
                r#"{"event":"cancel","reason":"user"}"#.to_owned(),
                "column 26: unknown field `reason`, expected one of `event`, `operation`, `numerator`, `denominator`, `hr`, `result`, `messages`, `ms`",
            ),
            (
                r#"{"event":"cancel","event":"cancel"}"#.to_owned(),
                "column 25: duplicate field `event`",
            ),
            (
                r#"{"event":{"cancel":null}}"#.to_owned(),
                "column 9: invalid type: map, expected an event name: begin, status or cancel",
            ),
            (
                r#"{"event":"Cancel"}"#.to_owned(),
                "column 17: unknown event `Cancel`, expected begin, status or cancel",
            ),
            (
                status.to_owned(),
                "column 48: EOF while parsing a value",
            ),
            (
                r#"{"event":"status","numerator":1"#.to_owned(),
                "column 31: EOF while parsing an object",
            ),
            (
                r#"{"event":"status","numerator":1,"denominator":1} x"#.to_owned(),
                "column 50: trailing characters",
            ),
            (
                format!(r#"{status}"messages":[{{"message":"\ud800"}}]}}"#),
                "column 79: unexpected end of hex escape",
            ),
        ] {
            let found = error_of(&line).to_string();
            if found != format!("line 2: {expected}") {
                wrong.push(format!("{line}\n  found:    {found}\n  expected: line 2: {expected}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// The `ms` of each line of `text`, or the first error.
    fn ms_of(text: &str) -> Result<Vec<Option<u64>>, TraceReadError> {
        TraceReader::new(text.as_bytes())
            .map(|line| line.map(|line| line.ms))
            .collect()
    }

    #[test]
    fn ms_on_every_event_null_as_absent() {
        let text = "{\"event\":\"begin\",\"operation\":\"gpo-backup\",\"ms\":0}\n\
                    {\"event\":\"status\",\"numerator\":0,\"denominator\":2,\"ms\":null}\n\
                    {\"ms\":-0,\"event\":\"status\",\"numerator\":1,\"denominator\":2}\n\
                    {\"event\":\"cancel\",\"ms\":1200}\n\
                    {\"event\":\"cancel\"}\n\
                    {\"event\":\"cancel\",\"ms\":1200}\n\
                    {\"event\":\"status\",\"numerator\":2,\"denominator\":2,\"ms\":9223372036854775807}\n";
        assert_eq!(
            ms_of(text).unwrap(),
            [
                Some(0),
                None,
                Some(0),
                Some(1200),
                None,
                Some(1200),
                Some(i64::MAX as u64)
            ]
        );
        // The events are those of the same lines without `ms`.
        let events: Vec<TraceEvent> = TraceReader::new(text.as_bytes())
            .map(|line| line.unwrap().event)
            .collect();
        assert_eq!(
            events[0],
            TraceEvent::Begin {
                operation: OperationKind::GpoBackup
            }
        );
        assert_eq!(events[2], TraceEvent::Status(StatusCall::progress(1, 2)));
        assert_eq!(events[3], TraceEvent::Cancel);
    }

    #[test]
    fn bad_ms_values_are_errors_naming_value_and_line() {
        for (value, expected) in [
            ("-1", "`ms` is -1, a negative number of milliseconds"),
            (
                "-9223372036854775809",
                "`ms` is -9223372036854775809, a negative number of milliseconds",
            ),
            (
                "1.5",
                "`ms` is 1.5, not a whole number of milliseconds (no fraction, no exponent)",
            ),
            (
                "1.0",
                "`ms` is 1.0, not a whole number of milliseconds (no fraction, no exponent)",
            ),
            (
                "1e3",
                "`ms` is 1e3, not a whole number of milliseconds (no fraction, no exponent)",
            ),
            (
                "-0.0",
                "`ms` is -0.0, not a whole number of milliseconds (no fraction, no exponent)",
            ),
            (
                "-2.5E1",
                "`ms` is -2.5E1, not a whole number of milliseconds (no fraction, no exponent)",
            ),
            (
                "9223372036854775808",
                "`ms` is 9223372036854775808, more than the largest 9223372036854775807",
            ),
            (
                "18446744073709551616",
                "`ms` is 18446744073709551616, more than the largest 9223372036854775807",
            ),
        ] {
            for line in [
                format!(r#"{{"event":"cancel","ms":{value}}}"#),
                format!(r#"{{"event":"begin","ms":{value},"operation":"unknown"}}"#),
                format!(r#"{{"event":"status","numerator":0,"denominator":1,"ms":{value}}}"#),
            ] {
                let error = error_of(&line);
                assert_eq!(error.to_string(), format!("line 2: {expected}"), "{line}");
                let kind_matches = match &error.kind {
                    TraceErrorKind::NegativeMs { value: v }
                    | TraceErrorKind::FractionalMs { value: v }
                    | TraceErrorKind::MsOutOfRange { value: v } => v == value,
                    _ => false,
                };
                assert!(kind_matches, "{line}: {:?}", error.kind);
            }
        }
        // A long value is shown by its first 64 characters.
        let long = format!("-{}", "9".repeat(99));
        let error = error_of(&format!(r#"{{"event":"cancel","ms":{long}}}"#));
        assert!(
            matches!(&error.kind, TraceErrorKind::NegativeMs { value } if *value == long[..64]),
            "{error}"
        );
        // Other JSON types are of the wrong type, as for any field.
        let expected = "expected milliseconds: an integer in 0..=9223372036854775807";
        for (value, found) in [
            ("\"5\"", "invalid type: string \"5\""),
            ("true", "invalid type: boolean `true`"),
            ("[5]", "invalid type: sequence"),
            ("{}", "invalid type: map"),
        ] {
            let message = json_message(&format!(r#"{{"event":"cancel","ms":{value}}}"#));
            assert_eq!(message, format!("{found}, {expected}"), "{value}");
        }
    }

    #[test]
    fn a_decreasing_ms_is_an_error_naming_both_lines() {
        let text = "{\"event\":\"cancel\",\"ms\":10}\n\
                    \n\
                    {\"event\":\"cancel\"}\n\
                    {\"event\":\"status\",\"numerator\":0,\"denominator\":1,\"ms\":10}\n\
                    {\"event\":\"cancel\",\"ms\":null}\n\
                    {\"event\":\"cancel\",\"ms\":9}\n";
        let mut reader = TraceReader::new(text.as_bytes());
        for _ in 0..4 {
            reader.read_line().unwrap();
        }
        let error = reader.read_line().unwrap_err();
        assert_eq!(error.line, Some(6));
        assert!(
            matches!(
                error.kind,
                TraceErrorKind::MsDecreased {
                    ms: 9,
                    previous: 10,
                    previous_line: 4
                }
            ),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "line 6: `ms` is 9, less than the 10 on line 4"
        );
        assert!(reader.read_line().unwrap().is_none());
        // Reading without keeping messages checks the same.
        let verdict = super::super::replay(text.as_bytes(), crate::Rules::strict());
        assert!(
            matches!(&verdict, super::super::Verdict::Error(error) if error.line == Some(6)),
            "{verdict:?}"
        );
    }

    #[test]
    fn fields_of_another_event_are_unknown_even_when_null() {
        for (line, field, event) in [
            (r#"{"event":"cancel","hr":null}"#, "hr", "cancel"),
            (
                r#"{"event":"begin","operation":"unknown","numerator":1}"#,
                "numerator",
                "begin",
            ),
            (
                r#"{"event":"status","numerator":1,"denominator":1,"operation":"unknown"}"#,
                "operation",
                "status",
            ),
        ] {
            let error = error_of(line);
            assert!(
                matches!(error.kind, TraceErrorKind::FieldNotAllowed { field: f, event: e } if f == field && e == event),
                "{line}: {error}"
            );
        }
    }

    #[test]
    fn required_fields_missing_or_null() {
        for (line, field, null) in [
            (r#"{"numerator":1,"denominator":1}"#, "event", false),
            (r#"{"event":null}"#, "event", true),
            (r#"{"event":"begin"}"#, "operation", false),
            (r#"{"event":"begin","operation":null}"#, "operation", true),
            (r#"{"event":"status","denominator":1}"#, "numerator", false),
            (
                r#"{"event":"status","numerator":null,"denominator":1}"#,
                "numerator",
                true,
            ),
            (r#"{"event":"status","numerator":1}"#, "denominator", false),
            (
                r#"{"event":"status","numerator":1,"denominator":null}"#,
                "denominator",
                true,
            ),
            (
                r#"{"event":"status","numerator":1,"denominator":1,"result":{"value":"v"}}"#,
                "type",
                false,
            ),
            (
                r#"{"event":"status","numerator":1,"denominator":1,"result":{"type":null}}"#,
                "type",
                true,
            ),
        ] {
            let error = error_of(line);
            assert_eq!(error.line, Some(2));
            let how = if null { "null" } else { "missing" };
            assert_eq!(
                error.to_string(),
                format!("line 2: required field `{field}` is {how}")
            );
            match error.kind {
                TraceErrorKind::MissingField { field: f } if !null => assert_eq!(f, field),
                TraceErrorKind::NullField { field: f } if null => assert_eq!(f, field),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn optional_nulls_are_absent() {
        let event = event_of(
            r#"{"event":"status","numerator":1,"denominator":1,"hr":null,"result":null,"messages":null}"#,
        );
        assert_eq!(event, TraceEvent::Status(StatusCall::progress(1, 1)));
        let event = event_of(
            r#"{"event":"status","numerator":1,"denominator":1,"result":{"type":"gpo","id":null,"display_name":"x"},"messages":[{},{"message":null,"error_code":null,"object_path":"p"}]}"#,
        );
        let expected = StatusCall::progress(1, 1)
            .with_result(ResultDescription::Gpo {
                id: None,
                display_name: Some("x".into()),
                domain: None,
            })
            .with_messages(vec![
                StatusMessage::default(),
                StatusMessage::default().with_object_path("p"),
            ]);
        assert_eq!(event, TraceEvent::Status(expected));
    }

    #[test]
    fn objects_only_never_arrays_of_fields() {
        for line in [
            r#"["status",1,1]"#,
            r#""status""#,
            "42",
            "null",
            r#"{"event":"status","numerator":1,"denominator":1,"result":["text","v"]}"#,
            r#"{"event":"status","numerator":1,"denominator":1,"messages":[["p","0x0","e","s","0x0","m"]]}"#,
        ] {
            let message = json_message(line);
            assert!(message.contains("expected a"), "{line}: {message}");
            assert!(message.contains("object"), "{line}: {message}");
        }
        // Not JSON at all.
        json_message("nul");
    }

    #[test]
    fn invalid_utf8_names_line_and_byte() {
        let prefix = r#"{"event":"status","numerator":1,"denominator":1,"messages":[{"message":""#;
        let mut text = b"{\"event\":\"cancel\"}\n \t\r\n".to_vec();
        text.extend_from_slice(prefix.as_bytes());
        text.extend_from_slice(b"\xC3\x28\"}]}\n");
        let mut reader = TraceReader::new(&text[..]);
        assert_eq!(reader.read_line().unwrap().unwrap().line, 1);
        let error = reader.read_line().unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(
            matches!(error.kind, TraceErrorKind::InvalidUtf8 { column } if column == prefix.len() + 1),
            "{error}"
        );
        assert!(
            reader.read_line().unwrap().is_none(),
            "reading stops after an error"
        );
    }

    #[test]
    fn bom_crlf_blank_lines_and_a_last_line_without_end() {
        let text = "\u{feff}  \r\n\t\r\n\r\n{\"event\":\"begin\",\"operation\":\"unknown\"}\r\n\n{\"event\":\"cancel\"}";
        let events: Vec<_> = TraceReader::new(text.as_bytes())
            .map(Result::unwrap)
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].line, 4);
        assert_eq!(
            events[0].event,
            TraceEvent::Begin {
                operation: OperationKind::Unknown
            }
        );
        assert_eq!(events[1].line, 6);
        // A byte-order mark anywhere else is not whitespace.
        json_message("\u{feff}{\"event\":\"cancel\"}");
    }

    #[test]
    fn begin_only_first() {
        let text = "\n{\"event\":\"cancel\"}\n{\"event\":\"begin\",\"operation\":\"unknown\"}\n";
        let mut reader = TraceReader::new(text.as_bytes());
        reader.read_line().unwrap();
        let error = reader.read_line().unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(matches!(
            error.kind,
            TraceErrorKind::BeginNotFirst {
                first_event_line: 2
            }
        ));
        assert_eq!(
            error.to_string(),
            "line 3: `begin` must be the first event, but line 2 has an earlier event"
        );
        let text = "{\"event\":\"begin\",\"operation\":\"unknown\"}\n\n{\"event\":\"begin\",\"operation\":\"unknown\"}\n";
        let error = TraceReader::new(text.as_bytes())
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(matches!(
            error.kind,
            TraceErrorKind::SecondBegin {
                first_begin_line: 1
            }
        ));
        assert_eq!(
            error.to_string(),
            "line 3: second `begin` event: the first is on line 1"
        );
        // A begin after a begin and other events is still a second begin.
        let text = "{\"event\":\"begin\",\"operation\":\"unknown\"}\n{\"event\":\"cancel\"}\n{\"event\":\"begin\",\"operation\":\"gpo-copy\"}\n";
        let error = TraceReader::new(text.as_bytes())
            .nth(2)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3: second `begin` event: the first is on line 1"
        );
    }

    #[test]
    fn an_endless_line_is_an_error_not_unbounded_memory() {
        let limit = TraceReader::<&[u8]>::MAX_LINE_BYTES;
        let mut text = b"{\"event\":\"cancel\"}\n".to_vec();
        text.resize(text.len() + limit + 10, b' ');
        let mut reader = TraceReader::new(&text[..]);
        reader.read_line().unwrap();
        let error = reader.read_line().unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            matches!(error.kind, TraceErrorKind::LineTooLong { .. }),
            "{error}"
        );
    }

    /// A trace whose second line is a status event (1/2) of exactly `length` bytes, padded
    /// with spaces inside the object, followed by `end`; and where to add a byte to it.
    fn trace_with_a_long_line(length: usize, end: &[u8]) -> (Vec<u8>, usize) {
        let first = b"{\"event\":\"cancel\"}\n";
        let mut text = Vec::with_capacity(first.len() + length + 3);
        text.extend_from_slice(first);
        text.extend_from_slice(br#"{"event":"status","numerator":1,"denominator":2"#);
        text.resize(first.len() + length - 1, b' ');
        text.push(b'}');
        text.extend_from_slice(end);
        (text, first.len() + 1)
    }

    /// Reads the trace of [`trace_with_a_long_line`] at the limit, then one byte longer.
    fn exactly_the_limit_then_one_byte_more(end: &[u8]) {
        let limit = TraceReader::<&[u8]>::MAX_LINE_BYTES;
        let (mut text, inside) = trace_with_a_long_line(limit, end);
        let mut reader = TraceReader::new(&text[..]);
        reader.read_line().unwrap();
        let event = reader.read_line().unwrap().unwrap();
        assert_eq!(event.line, 2);
        assert_eq!(event.event, TraceEvent::Status(StatusCall::progress(1, 2)));
        assert!(reader.read_line().unwrap().is_none());

        text.insert(inside, b' ');
        let mut reader = TraceReader::new(&text[..]);
        reader.read_line().unwrap();
        let error = reader.read_line().unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            matches!(error.kind, TraceErrorKind::LineTooLong { limit: l } if l == limit),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!("line 2: the line is longer than {limit} bytes")
        );
    }

    #[test]
    fn line_limit_is_exact_with_lf() {
        exactly_the_limit_then_one_byte_more(b"\n");
    }

    #[test]
    fn line_limit_is_exact_with_crlf_whose_cr_is_not_counted() {
        exactly_the_limit_then_one_byte_more(b"\r\n");
    }

    #[test]
    fn line_limit_is_exact_for_a_last_line_without_line_end() {
        exactly_the_limit_then_one_byte_more(b"");
    }

    #[test]
    fn a_long_line_s_buffer_is_given_back() {
        let kept = TraceReader::<&[u8]>::KEPT_BUFFER_BYTES;
        let (mut text, _) = trace_with_a_long_line(4 * kept, b"\n");
        text.extend_from_slice(b"{\"event\":\"cancel\"}\n");
        let mut reader = TraceReader::new(&text[..]);
        reader.read_line().unwrap();
        assert!(reader.buffer.capacity() <= kept);
        reader.read_line().unwrap();
        assert!(
            reader.buffer.capacity() <= kept,
            "{}",
            reader.buffer.capacity()
        );
        assert_eq!(
            reader.read_line().unwrap().unwrap().event,
            TraceEvent::Cancel
        );
    }

    #[test]
    fn io_errors_have_no_line() {
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("device gone"))
            }
        }
        let mut reader = TraceReader::new(std::io::BufReader::new(Broken));
        let error = reader.read_line().unwrap_err();
        assert_eq!(error.line, None);
        assert_eq!(error.to_string(), "cannot read the trace");
        let source = std::error::Error::source(&error).expect("the reason is the source");
        assert_eq!(source.to_string(), "device gone");
        assert!(source.source().is_none());
    }
}
