//! [`Update`]: what a tracked operation reports as calls arrive, [`Fault`]: work the engine
//! could not do, and [`ReadIssue`]: what an adapter could not read faithfully from the
//! server's objects.

use core::fmt;

use crate::{Event, HResult, Violation};

/// One thing a [`Tracker`](super::Tracker) reports, in the order it happened. The
/// [`Updates`](super::Updates) stream and
/// [`Tracker::updates_so_far`](super::Tracker::updates_so_far) read the same log, where
/// progress nobody has read yet is merged into the latest; the observer is handed every
/// call's updates unmerged, in the same order, except the faults about itself (its own panic
/// or drop) and a failed `begin` line of the recorder, which happen before or after it can
/// be told.
///
/// For one `Status` call the order is: its [`Issue`](Update::Issue)s (what could not be read),
/// then either the state machine's events (progress, messages, anomalies, finished) or the
/// [`Violation`](Update::Violation) that rejected the call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update {
    /// An event of the state machine: progress, a message, an anomaly, the cancel request or
    /// the end of the operation.
    Event(Event),
    /// A `Status` call broke a rule that is a violation under the rules in force: it was not
    /// applied. The first one sets how the operation ends for the tracker's consumers.
    Violation(Violation),
    /// Something in `Status` call number `call` could not be read as it should; what could be
    /// read was kept.
    Issue {
        /// The 1-based index of the `Status` call.
        call: u64,
        /// What went wrong, and where.
        issue: ReadIssue,
    },
    /// The engine itself could not do part of its work (recording, an observer or a waker
    /// that panicked).
    Fault(Fault),
}

impl fmt::Display for Update {
    /// One line starting with what kind of update it is:
    ///
    /// - an event as [`Event`]'s Display shows it (`progress 2/4 (50%)`, `message: ...`,
    ///   `anomaly: ...`, `cancel requested`, `finished: succeeded`);
    /// - `violation: ` and the [`Violation`];
    /// - `issue: status call N: ` and the [`ReadIssue`];
    /// - `fault: ` and the [`Fault`].
    ///
    /// ```
    /// use gpmc_progress::live::{Fault, Location, ReadIssue, ReadProblem, Update};
    /// use gpmc_progress::{Event, HResult, StatusCall, StatusMachine};
    ///
    /// assert_eq!(Update::Event(Event::CancelRequested).to_string(), "cancel requested");
    /// assert_eq!(Update::Event(Event::Progress("1/3".parse()?)).to_string(), "progress 1/3 (33%)");
    /// let violation = StatusMachine::default()
    ///     .handle_status(StatusCall::progress(5, 3))
    ///     .unwrap_err();
    /// assert_eq!(
    ///     Update::Violation(violation).to_string(),
    ///     "violation: status call 1 violates numerator-exceeds-denominator: numerator 5 exceeds denominator 3"
    /// );
    /// let issue = ReadIssue::new(Location::Message(0), "ErrorCode", ReadProblem::GetterFailed(HResult::E_FAIL));
    /// assert_eq!(
    ///     Update::Issue { call: 2, issue }.to_string(),
    ///     "issue: status call 2: message 0: ErrorCode: the getter failed with 0x80004005 (E_FAIL)"
    /// );
    /// assert_eq!(
    ///     Update::Fault(Fault::RecordingFailed("disk full".into())).to_string(),
    ///     "fault: recording stopped: disk full"
    /// );
    /// # Ok::<(), gpmc_progress::FractionError>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Update::Event(event) => write!(f, "{event}"),
            Update::Violation(violation) => write!(f, "violation: {violation}"),
            Update::Issue { call, issue } => write!(f, "issue: status call {call}: {issue}"),
            Update::Fault(fault) => write!(f, "fault: {fault}"),
        }
    }
}

/// Where in a `Status` call (or a synchronous `IGPMResult`) a [`ReadIssue`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// The message collection itself (`_NewEnum`, `IEnumVARIANT::Next`, `Count`, `Item`).
    Collection,
    /// The message at this 0-based position in the call's collection.
    Message(usize),
    /// The result: the `pResult` VARIANT, or a property of the object it holds.
    Result,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Collection => f.write_str("message collection"),
            Location::Message(index) => write!(f, "message {index}"),
            Location::Result => f.write_str("result"),
        }
    }
}

/// What went wrong while reading a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadProblem {
    /// The getter failed with this HRESULT. The value is left at its default (an empty string
    /// for a message property, `None` for a result property) and everything else is kept.
    GetterFailed(HResult),
    /// The `BSTR` was not valid UTF-16 (an unpaired surrogate). The kept string has each
    /// invalid unit replaced by U+FFFD; `units` is the whole string exactly as received.
    InvalidUtf16 {
        /// The string's UTF-16 code units, as received.
        units: Vec<u16>,
    },
    /// An element of the message collection was not an `IGPMStatusMessage` (its `VARTYPE`,
    /// or the interface query failed on an object). An empty message stands in for it, so
    /// the other messages keep their positions.
    NotAMessage {
        /// The element's `VARTYPE`.
        vartype: u16,
    },
    /// The enumerator kept returning elements; reading stopped after this many.
    TooManyMessages {
        /// How many messages were kept.
        kept: usize,
    },
    /// A synchronous GPMC method returned `S_OK` with a null `IGPMResult`: there is nothing
    /// to read.
    NullResultObject,
    /// A getter that returns an object (such as the collection's `_NewEnum`) succeeded
    /// without one: there was nothing to read through it.
    NullObject,
    /// The result object could not be kept for later (registering it in COM's Global
    /// Interface Table failed with this HRESULT): its description was read, but its
    /// interface cannot be handed out.
    NotRegistered(HResult),
}

/// One value of a server object that could not be read faithfully.
///
/// ```
/// use gpmc_progress::live::{Location, ReadIssue, ReadProblem};
/// use gpmc_progress::HResult;
///
/// let issue = ReadIssue::new(Location::Message(2), "ObjectPath", ReadProblem::GetterFailed(HResult::E_FAIL));
/// assert_eq!(
///     issue.to_string(),
///     "message 2: ObjectPath: the getter failed with 0x80004005 (E_FAIL)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ReadIssue {
    /// Where.
    pub location: Location,
    /// The property or step concerned (`ObjectPath`, `ErrorCode`, `_NewEnum`, `ID`, `value`,
    /// `element`, ...).
    pub property: &'static str,
    /// What went wrong.
    pub problem: ReadProblem,
}

impl ReadIssue {
    /// An issue from its parts.
    pub fn new(location: Location, property: &'static str, problem: ReadProblem) -> Self {
        ReadIssue {
            location,
            property,
            problem,
        }
    }
}

impl fmt::Display for ReadIssue {
    /// The location, the property and the problem, separated by `: `; a failed getter's
    /// code is in [`HResult`]'s alternate form (with its name when it is well known).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: ", self.location, self.property)?;
        match &self.problem {
            ReadProblem::GetterFailed(hr) => write!(f, "the getter failed with {hr:#}"),
            ReadProblem::InvalidUtf16 { units } => write!(
                f,
                "invalid UTF-16 in a string of {} units (kept with U+FFFD replacements)",
                units.len()
            ),
            ReadProblem::NotAMessage { vartype } => {
                write!(f, "not a status message (VARTYPE {vartype})")
            }
            ReadProblem::TooManyMessages { kept } => {
                write!(f, "the enumeration was stopped after {kept} messages")
            }
            ReadProblem::NullResultObject => f.write_str("the method returned no IGPMResult"),
            ReadProblem::NullObject => f.write_str("the getter succeeded without an object"),
            ReadProblem::NotRegistered(hr) => {
                write!(
                    f,
                    "the object could not be kept: registering it failed with {hr:#}"
                )
            }
        }
    }
}

impl std::error::Error for ReadIssue {}

/// Work the engine could not do; it carries on and keeps taking the server's calls.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// Writing the trace failed; recording stopped (everything else goes on).
    RecordingFailed(String),
    /// The observer panicked with this message; it is not called again.
    ObserverPanicked(String),
    /// Handling a `Status` call panicked with this message (a bug in this crate). The server
    /// was answered with `S_OK` and the call may be missing from the state machine.
    StatusPanicked(String),
    /// Waking a task that waited on the outcome or the updates, or dropping the waker a new
    /// poll replaced, panicked with this message (a bug in the executor); the other tasks
    /// were still woken, and the new waker still registered.
    WakePanicked(String),
    /// Dropping the observer panicked with this message.
    ObserverDropPanicked(String),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::RecordingFailed(message) => write!(f, "recording stopped: {message}"),
            Fault::ObserverPanicked(message) => write!(f, "the observer panicked: {message}"),
            Fault::StatusPanicked(message) => {
                write!(f, "handling a status call panicked: {message}")
            }
            Fault::WakePanicked(message) => write!(f, "waking a waiting task panicked: {message}"),
            Fault::ObserverDropPanicked(message) => {
                write!(f, "dropping the observer panicked: {message}")
            }
        }
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
