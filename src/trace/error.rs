//! [`TraceReadError`]: why a trace could not be read, and on which line.

use std::fmt;
use std::io;

use crate::ResultType;

/// An input error: the trace could not be read, with the line to blame (see the [crate docs'
/// Traces section](crate#traces)).
///
/// `line` is the 1-based position of the line in the file (blank lines counted), or `None`
/// when no line is to blame (the file could not be opened or read).
///
/// The message is `line N: ` and the [`kind`](Self::kind)'s message. An error of the
/// operating system (opening or reading the file) is not repeated in it: it is the
/// [`source`](std::error::Error::source), so printing the chain of sources says each thing
/// once (`cannot open `trace.jsonl``, then `No such file or directory (os error 2)`).
///
/// ```
/// use gpmc_progress::trace::{TraceErrorKind, TraceReader};
///
/// let trace = "\n{\"event\":\"status\",\"numerator\":1}\n";
/// let err = TraceReader::new(trace.as_bytes()).next().unwrap().unwrap_err();
/// assert_eq!(err.line, Some(2));
/// assert!(matches!(err.kind, TraceErrorKind::MissingField { field: "denominator" }));
/// assert_eq!(err.to_string(), "line 2: required field `denominator` is missing");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct TraceReadError {
    /// The 1-based line to blame, or `None`.
    pub line: Option<u64>,
    /// What is wrong.
    pub kind: TraceErrorKind,
}

/// What is wrong with a trace.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceErrorKind {
    /// The file could not be opened. The operating system's reason is the
    /// [`source`](std::error::Error::source), not part of the message.
    #[error("cannot open `{path}`")]
    Open {
        /// The path as given.
        path: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// Reading failed. The reason is the [`source`](std::error::Error::source), not part of
    /// the message.
    #[error("cannot read the trace")]
    Io(#[source] io::Error),
    /// The line is longer than [`TraceReader::MAX_LINE_BYTES`](super::TraceReader::MAX_LINE_BYTES).
    #[error("the line is longer than {limit} bytes")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The line is not valid UTF-8.
    #[error("invalid utf-8 at byte {column} of the line")]
    InvalidUtf8 {
        /// The 1-based byte position of the first invalid byte in the line.
        column: usize,
    },
    /// serde_json rejected the line: malformed JSON, not an object, an unknown field, an
    /// unknown `event`, `operation` or result `type`, a value of the wrong type or out of
    /// range.
    #[error("{}", column_and(*column, message))]
    Json {
        /// The 1-based character position where serde_json stopped, 0 when it gave none.
        column: usize,
        /// serde_json's description, without its position.
        message: String,
    },
    /// A required field is absent.
    #[error("required field `{field}` is missing")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A required field is `null`.
    #[error("required field `{field}` is null")]
    NullField {
        /// The field's name.
        field: &'static str,
    },
    /// A field that this event does not have (it belongs to another event).
    #[error("unknown field `{field}` on a {event} event")]
    FieldNotAllowed {
        /// The field's name.
        field: &'static str,
        /// The event's name.
        event: &'static str,
    },
    /// A field of a result that its `type` does not have (it belongs to another type).
    #[error("unknown field `{field}` on a result of type `{result_type}`")]
    ResultFieldNotAllowed {
        /// The field's name.
        field: &'static str,
        /// The result's type.
        result_type: ResultType,
    },
    /// A `begin` event after another event that is not a `begin`.
    #[error("`begin` must be the first event, but line {first_event_line} has an earlier event")]
    BeginNotFirst {
        /// The line of the first event.
        first_event_line: u64,
    },
    /// A second `begin` event.
    #[error("second `begin` event: the first is on line {first_begin_line}")]
    SecondBegin {
        /// The line of the first `begin`.
        first_begin_line: u64,
    },
    /// `ms` is a negative integer.
    #[error("`ms` is {value}, a negative number of milliseconds")]
    NegativeMs {
        /// The value as written (at most its first 64 characters).
        value: String,
    },
    /// `ms` is a number with a fraction or an exponent: not a JSON integer.
    #[error("`ms` is {value}, not a whole number of milliseconds (no fraction, no exponent)")]
    FractionalMs {
        /// The value as written (at most its first 64 characters).
        value: String,
    },
    /// `ms` is an integer above 2^63-1.
    #[error("`ms` is {value}, more than the largest 9223372036854775807")]
    MsOutOfRange {
        /// The value as written (at most its first 64 characters).
        value: String,
    },
    /// `ms` is less than the `ms` of an earlier event: time went back.
    #[error("`ms` is {ms}, less than the {previous} on line {previous_line}")]
    MsDecreased {
        /// This event's `ms`.
        ms: u64,
        /// The last `ms` given before it.
        previous: u64,
        /// The line of that `ms`.
        previous_line: u64,
    },
}

/// The error's message followed by each of its sources', separated by `: `.
pub(super) fn message_and_sources(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(error) = source {
        message.push_str(": ");
        message.push_str(&error.to_string());
        source = error.source();
    }
    message
}

/// `column C: message`, or the message alone without a column.
fn column_and(column: usize, message: &str) -> String {
    if column == 0 {
        message.to_owned()
    } else {
        format!("column {column}: {message}")
    }
}

impl TraceReadError {
    /// An error blamed on `line`.
    pub(crate) fn at(line: u64, kind: TraceErrorKind) -> Self {
        TraceReadError {
            line: Some(line),
            kind,
        }
    }

    /// An error no line is to blame for: what a program that reads a trace itself gives
    /// when it cannot open or read it, as `gpmc-trace check` does for a file it cannot open.
    ///
    /// ```
    /// use gpmc_progress::trace::{TraceErrorKind, TraceReadError};
    ///
    /// let source = std::io::Error::from(std::io::ErrorKind::NotFound);
    /// let path = "missing.jsonl".to_owned();
    /// let error = TraceReadError::unplaced(TraceErrorKind::Open { path, source });
    /// assert_eq!(error.line, None);
    /// assert_eq!(error.to_string(), "cannot open `missing.jsonl`");
    /// ```
    pub fn unplaced(kind: TraceErrorKind) -> Self {
        TraceReadError { line: None, kind }
    }

    /// The message followed by each of its sources', separated by `: `, so that one line
    /// says why (`cannot open `t.jsonl`: No such file or directory (os error 2)`): what
    /// `gpmc-trace check` prints.
    ///
    /// ```
    /// use std::io::{BufReader, Read};
    /// use gpmc_progress::trace::TraceReader;
    ///
    /// struct Unplugged;
    /// impl Read for Unplugged {
    ///     fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
    ///         Err(std::io::Error::other("disk gone"))
    ///     }
    /// }
    ///
    /// let error = TraceReader::new(BufReader::new(Unplugged)).read_line().unwrap_err();
    /// assert_eq!(error.to_string(), "cannot read the trace");
    /// assert_eq!(error.message_and_sources(), "cannot read the trace: disk gone");
    /// ```
    pub fn message_and_sources(&self) -> String {
        message_and_sources(self)
    }

    pub(super) fn json(line: u64, error: &serde_json::Error) -> Self {
        let text = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        TraceReadError::at(
            line,
            TraceErrorKind::Json {
                column: error.column(),
                message,
            },
        )
    }
}

/// `line N: ` and the kind's message. The kind's own [`source`](std::error::Error::source)
/// (the operating system's error of [`Open`](TraceErrorKind::Open) and
/// [`Io`](TraceErrorKind::Io)) is this error's source: the kind's message is part of this
/// one, so the kind itself is not returned as a source, and each thing is said once when
/// the chain is printed.
impl fmt::Display for TraceReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

// Written by hand, not derived: the source is the kind's source, not the kind (whose message
// is already in this one's).
impl std::error::Error for TraceReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}
