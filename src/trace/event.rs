//! [`TraceEvent`]: one line of a trace.

use core::fmt;

use crate::{Input, OperationKind, ResultDescription, StatusCall};

/// One event of a trace (see the [crate docs' Traces section](crate#traces)): the operation's
/// kind, a `Status` call from the server, or the client's cancel request.
///
/// The result type `R` is [`ResultDescription`] for everything read from or written to a
/// trace; other edges (a COM adapter) may carry their own result and convert it with
/// [`map_result`](Self::map_result) before writing.
///
/// ```
/// use gpmc_progress::trace::TraceEvent;
/// use gpmc_progress::{OperationKind, StatusCall};
///
/// let events: Vec<TraceEvent> = vec![
///     TraceEvent::Begin { operation: OperationKind::GpoBackup },
///     StatusCall::progress(0, 3).into(),
///     TraceEvent::Cancel,
/// ];
/// assert!(matches!(events[1], TraceEvent::Status(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceEvent<R = ResultDescription> {
    /// `{"event":"begin","operation":…}`: which operation the trace records. Optional in a
    /// trace; when present it is the first event.
    Begin {
        /// The operation's kind.
        operation: OperationKind,
    },
    /// `{"event":"status",…}`: the server called `IGPMAsyncProgress::Status`.
    Status(StatusCall<R>),
    /// `{"event":"cancel"}`: the client called `IGPMAsyncCancel::Cancel`.
    Cancel,
}

impl<R> TraceEvent<R> {
    /// The event's name as written in the `event` field: `begin`, `status` or `cancel`.
    ///
    /// ```
    /// use gpmc_progress::trace::TraceEvent;
    /// assert_eq!(TraceEvent::<()>::Cancel.name(), "cancel");
    /// ```
    pub const fn name(&self) -> &'static str {
        match self {
            TraceEvent::Begin { .. } => "begin",
            TraceEvent::Status(_) => "status",
            TraceEvent::Cancel => "cancel",
        }
    }

    /// Replaces the result of a `Status` event with `f(result)`, keeping everything else.
    pub fn map_result<S>(self, f: impl FnOnce(R) -> S) -> TraceEvent<S> {
        match self {
            TraceEvent::Begin { operation } => TraceEvent::Begin { operation },
            TraceEvent::Status(call) => TraceEvent::Status(call.map_result(f)),
            TraceEvent::Cancel => TraceEvent::Cancel,
        }
    }

    /// The state machine's input for this event; `None` for `Begin`, which only names the
    /// operation.
    pub fn into_input(self) -> Option<Input<R>> {
        match self {
            TraceEvent::Begin { .. } => None,
            TraceEvent::Status(call) => Some(Input::Status(call)),
            TraceEvent::Cancel => Some(Input::Cancel),
        }
    }
}

impl<R> From<StatusCall<R>> for TraceEvent<R> {
    fn from(call: StatusCall<R>) -> Self {
        TraceEvent::Status(call)
    }
}

impl<R> From<Input<R>> for TraceEvent<R> {
    fn from(input: Input<R>) -> Self {
        match input {
            Input::Status(call) => TraceEvent::Status(call),
            Input::Cancel => TraceEvent::Cancel,
        }
    }
}

/// The event on one line: `begin` and the operation, `status` and the call (see
/// [`StatusCall`]'s `Display`), or `cancel`.
///
/// ```
/// use gpmc_progress::trace::TraceEvent;
/// use gpmc_progress::{HResult, OperationKind, StatusCall};
///
/// let begin: TraceEvent = TraceEvent::Begin { operation: OperationKind::GpoBackup };
/// assert_eq!(begin.to_string(), "begin gpo-backup");
/// let failed: TraceEvent = StatusCall::progress(1, 3).with_hr(HResult::E_FAIL).into();
/// assert_eq!(failed.to_string(), "status 1/3, 0x80004005 (E_FAIL)");
/// assert_eq!(TraceEvent::Cancel::<gpmc_progress::ResultDescription>.to_string(), "cancel");
/// ```
impl<R: fmt::Display> fmt::Display for TraceEvent<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEvent::Begin { operation } => write!(f, "begin {operation}"),
            TraceEvent::Status(call) => write!(f, "status {call}"),
            TraceEvent::Cancel => f.write_str("cancel"),
        }
    }
}
