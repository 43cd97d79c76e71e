//! [`Update`]: what a tracked operation reports as calls arrive, [`Fault`]: work the engine
//! could not do, and [`ReadIssue`]: what an adapter could not read faithfully from the
//! server's objects.

use core::fmt;

use super::TrackError;
use crate::{Event, HResult, OperationOutcome, ResultDescription};

/// One thing a [`Tracker`](super::Tracker) reports, in the order it happened; the last is
/// always [`End`](Update::End).
///
/// Every consumer sees the same updates: each [`Updates`](super::Updates) stream (made
/// before, during or after the operation), the observer, and
/// [`Tracker::updates_so_far`](super::Tracker::updates_so_far). Progress is a latest value,
/// not a list: a consumer that reads more slowly than the server calls skips the progress it
/// did not read in time, but before every other update it is handed the progress that came
/// just before that update, so no consumer ever shows an older fraction beside a newer
/// message, and every consumer shows the same progress when the end comes.
///
/// For one `Status` call the order is: its [`Issue`](Update::Issue)s (what could not be read),
/// its progress, its messages, its anomalies, and for the call that ends the operation,
/// the end. What the server does after the end never shows here: see
/// [`Tracker::after_end`](super::Tracker::after_end).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update<R = ResultDescription> {
    /// An event of the state machine: progress, a message, an anomaly or the cancel request
    /// ([`Event::Finished`] never shows: the [`End`](Update::End) carries the outcome).
    Event(Event),
    /// Something in `Status` call number `call` could not be read as it should; what could be
    /// read was kept.
    Issue {
        /// The 1-based index of the `Status` call.
        call: u64,
        /// What went wrong, and where.
        issue: ReadIssue,
    },
    /// The engine itself could not do part of its work (recording, an observer or a waker
    /// that panicked, updates dropped from a full log).
    Fault(Fault),
    /// How the operation ended, the same value [`Tracker::wait`](super::Tracker::wait)
    /// returns: the outcome of the finishing call, or the [`TrackError`] of a violation, a
    /// failed start or a server that let go. Always the last update, once.
    End(Result<OperationOutcome<R>, TrackError>),
}

impl<R> Update<R> {
    /// Whether this is the [`End`](Update::End).
    pub fn is_end(&self) -> bool {
        matches!(self, Update::End(_))
    }
}

impl<R> fmt::Display for Update<R> {
    /// One line starting with what kind of update it is:
    ///
    /// - an event as [`Event`]'s Display shows it (`progress 2/4 (50%)`, `message: ...`,
    ///   `anomaly: ...`, `cancel requested`);
    /// - `issue: status call N: ` and the [`ReadIssue`];
    /// - `fault: ` and the [`Fault`];
    /// - `end: ` and the outcome (`end: succeeded`, `end: failed with 0x80004005 (E_FAIL)`)
    ///   or the [`TrackError`].
    ///
    /// ```
    /// use gpmc_progress::live::{Fault, Location, ReadIssue, ReadProblem, TrackError, Update};
    /// use gpmc_progress::{Event, HResult, OperationOutcome};
    ///
    /// assert_eq!(Update::<()>::Event(Event::CancelRequested).to_string(), "cancel requested");
    /// assert_eq!(Update::<()>::Event(Event::Progress("1/3".parse()?)).to_string(), "progress 1/3 (33%)");
    /// let issue = ReadIssue::new(Location::Message(0), "ErrorCode", ReadProblem::GetterFailed(HResult::E_FAIL));
    /// assert_eq!(
    ///     Update::<()>::Issue { call: 2, issue }.to_string(),
    ///     "issue: status call 2: message 0: ErrorCode: the getter failed with 0x80004005 (E_FAIL)"
    /// );
    /// assert_eq!(
    ///     Update::<()>::Fault(Fault::RecordingFailed("disk full".into())).to_string(),
    ///     "fault: recording stopped: disk full"
    /// );
    /// let failed = OperationOutcome::<()>::new(HResult::E_FAIL, false, None, vec![]);
    /// assert_eq!(Update::End(Ok(failed)).to_string(), "end: failed with 0x80004005 (E_FAIL)");
    /// assert_eq!(
    ///     Update::<()>::End(Err(TrackError::Abandoned { calls_received: 1 })).to_string(),
    ///     "end: the server let go of the operation after 1 status call without finishing"
    /// );
    /// # Ok::<(), gpmc_progress::FractionError>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Update::Event(event) => write!(f, "{event}"),
            Update::Issue { call, issue } => write!(f, "issue: status call {call}: {issue}"),
            Update::Fault(fault) => write!(f, "fault: {fault}"),
            Update::End(Ok(outcome)) => write!(f, "end: {outcome}"),
            Update::End(Err(error)) => write!(f, "end: {error}"),
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
    /// The thread that calls the observer and writes the trace could not be started (the
    /// platform's error): neither happens for this operation.
    DeliveryNotStarted(String),
    /// The update log was full: this many messages, anomalies, issues and faults were left
    /// out of it before the end (progress and the end are never left out). Reported once,
    /// just before the end.
    UpdatesDropped(u64),
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
            Fault::DeliveryNotStarted(message) => write!(
                f,
                "the thread for the observer and the recorder could not start: {message}"
            ),
            Fault::UpdatesDropped(1) => f.write_str("1 update was left out of the full log"),
            Fault::UpdatesDropped(count) => {
                write!(f, "{count} updates were left out of the full log")
            }
        }
    }
}
