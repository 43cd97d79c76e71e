//! [`Late`]: what the server (or the engine) did after the end, and [`AfterEnd`], the bounded
//! record of it.

use core::fmt;

use super::Fault;
use crate::HResult;

/// Something that happened after the operation's end. It never changes the end and never
/// reaches a stream: it is counted and kept in [`AfterEnd`], handed to the observer as a
/// [`Notification::Late`](super::Notification::Late), and a late `Status` call is written
/// to the recorded trace like any other.
///
/// ```
/// use gpmc_progress::live::Late;
/// use gpmc_progress::HResult;
///
/// let late = Late::Status { call: 4, numerator: 3, denominator: 3, hr: HResult::S_OK };
/// assert_eq!(
///     late.to_string(),
///     "status call 4 (3/3, 0x00000000) came after the end: it breaks status-after-completion"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Late {
    /// A `Status` call after the end. Whatever it carries, it breaks
    /// `status-after-completion`: nothing may follow the call (or the event) that ended the
    /// operation. It was not applied.
    Status {
        /// The 1-based index of the call among every `Status` call received.
        call: u64,
        /// The numerator it gave.
        numerator: i32,
        /// The denominator it gave.
        denominator: i32,
        /// Its `hrStatus`.
        hr: HResult,
    },
    /// The asynchronous method was reported as failing to start, after the end.
    StartFailed(HResult),
    /// The engine could not do part of its work after the end (recording a late call, the
    /// observer panicking on a late notification, a waker).
    Fault(Fault),
}

impl fmt::Display for Late {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Late::Status {
                call,
                numerator,
                denominator,
                hr,
            } => write!(
                f,
                "status call {call} ({numerator}/{denominator}, {hr}) came after the end: \
                 it breaks status-after-completion"
            ),
            Late::StartFailed(hr) => write!(
                f,
                "the asynchronous method was reported failing with {hr:#} after the end"
            ),
            Late::Fault(fault) => write!(f, "fault after the end: {fault}"),
        }
    }
}

/// What happened after the operation's end
/// ([`Tracker::after_end`](super::Tracker::after_end)): the first
/// [`AfterEnd::CAPACITY`] events in order, and a count of the rest, so that a server that
/// keeps calling cannot make it grow.
///
/// ```
/// use gpmc_progress::live::{Late, Tracker};
/// use gpmc_progress::{OperationKind, ResultDescription, StatusCall};
///
/// let tracker = Tracker::new(OperationKind::GpoReport);
/// let server = tracker.reporter();
/// server.status(StatusCall::progress(1, 1).with_result(ResultDescription::text("<r/>")));
/// server.progress(1, 1); // after the finishing call: late
/// assert!(tracker.wait().is_ok()); // the end stands
/// let after = tracker.after_end();
/// assert_eq!(after.status_calls, 1);
/// assert!(matches!(after.events[..], [Late::Status { call: 2, .. }]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AfterEnd {
    /// How many `Status` calls came after the end.
    pub status_calls: u64,
    /// The first [`AfterEnd::CAPACITY`] events after the end, in order.
    pub events: Vec<Late>,
    /// How many events came after those and were only counted.
    pub not_kept: u64,
}

impl AfterEnd {
    /// How many events are kept.
    pub const CAPACITY: usize = 256;

    /// Whether nothing happened after the end.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.not_kept == 0
    }

    /// Records `late`, or only counts it once full.
    pub(crate) fn push(&mut self, late: Late) {
        if matches!(late, Late::Status { .. }) {
            self.status_calls = self.status_calls.saturating_add(1);
        }
        if self.events.len() < Self::CAPACITY {
            self.events.push(late);
        } else {
            self.not_kept = self.not_kept.saturating_add(1);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_record_keeps_the_first_events_and_counts_the_rest() {
        let mut after = AfterEnd::default();
        assert!(after.is_empty());
        for call in 0..AfterEnd::CAPACITY as u64 + 3 {
            after.push(Late::Status {
                call,
                numerator: 1,
                denominator: 1,
                hr: HResult::S_OK,
            });
        }
        after.push(Late::StartFailed(HResult::E_FAIL));
        assert_eq!(after.events.len(), AfterEnd::CAPACITY);
        assert_eq!(after.not_kept, 4);
        assert_eq!(after.status_calls, AfterEnd::CAPACITY as u64 + 3);
        assert!(matches!(after.events[0], Late::Status { call: 0, .. }));
        assert!(!after.is_empty());
    }

    #[test]
    fn each_late_event_names_itself() {
        assert_eq!(
            Late::StartFailed(HResult::E_ACCESSDENIED).to_string(),
            "the asynchronous method was reported failing with 0x80070005 (E_ACCESSDENIED) after the end"
        );
        assert_eq!(
            Late::Fault(Fault::ObserverPanicked("boom".into())).to_string(),
            "fault after the end: the observer panicked: boom"
        );
    }
}
