//! [`CancelRequest`]: what a cancel request came to, as every cancel handle says it.

use core::fmt;

use crate::HResult;

/// What a cancel request came to: whether it came in time, and what the server answered
/// where one was asked. Every cancel handle returns it: [`Tracker::cancel`](super::Tracker::cancel),
/// the simulated server's `SimulatedCancel::cancel`, and on Windows `com::Operation::cancel`
/// and `com::CancelHandle::cancel`, so code shared between platforms asserts the same thing.
///
/// - [`in_time`](Self::in_time): the request was recorded before the operation ended, so a
///   failure the server ends with is judged *cancelled* (a success is still *succeeded*: the
///   server finished first). Once the operation has ended, however it ended, a request is
///   too late: recorded nowhere, it changes nothing.
/// - [`server_answer`](Self::server_answer): what GPMC's `IGPMAsyncCancel::Cancel` returned,
///   for the handles that ask a server; `None` for those that do not (the tracker only
///   records; the simulated server hears the request and answers through its calls). The
///   COM handles ask the server even when the request is too late: after a violation ended
///   the operation, the server may still be running, and the request lets it stop early.
///
/// ```
/// use gpmc_progress::live::Tracker;
/// use gpmc_progress::{OperationKind, ResultDescription, StatusCall};
///
/// let tracker = Tracker::new(OperationKind::GpoReport);
/// let server = tracker.reporter();
/// server.progress(0, 1);
/// let request = tracker.cancel();
/// assert!(request.in_time());
/// assert_eq!(request.server_answer(), None); // a tracker asks no server
/// assert_eq!(request.to_string(), "in time");
///
/// server.status(StatusCall::progress(1, 1).with_result(ResultDescription::text("<r/>")));
/// tracker.wait()?;
/// assert!(!tracker.cancel().in_time()); // the operation had ended
/// # Ok::<(), gpmc_progress::live::TrackError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CancelRequest {
    in_time: bool,
    server_answer: Option<HResult>,
}

impl CancelRequest {
    /// A request recorded before the end (`in_time`) or not, no server asked.
    pub(crate) fn recorded(in_time: bool) -> Self {
        CancelRequest {
            in_time,
            server_answer: None,
        }
    }

    /// The same request, and what the server answered (or what kept it from being asked).
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    pub(crate) fn answered(self, answer: HResult) -> Self {
        CancelRequest {
            server_answer: Some(answer),
            ..self
        }
    }

    /// Whether the request was recorded before the operation ended: a failure the server
    /// then ends with is judged *cancelled*. `false` once the operation has ended, however it
    /// ended (the request changed nothing).
    pub fn in_time(&self) -> bool {
        self.in_time
    }

    /// What the server answered, for a handle that asks one (the COM handles): the code
    /// `IGPMAsyncCancel::Cancel` returned (`S_OK`: the server took the request), or the error
    /// that kept the request from reaching it (`E_POINTER` when the operation handed out no
    /// cancel object). `None` when no server was asked.
    pub fn server_answer(&self) -> Option<HResult> {
        self.server_answer
    }
}

impl fmt::Display for CancelRequest {
    /// `in time` or `too late`, then what the server answered, if one was asked:
    /// `too late; the server answered 0x80004005 (E_FAIL)`.
    ///
    /// ```
    /// use gpmc_progress::live::Tracker;
    /// use gpmc_progress::OperationKind;
    ///
    /// let tracker = Tracker::new(OperationKind::GpoBackup);
    /// drop(tracker.reporter()); // the server let go: the operation ended
    /// assert_eq!(tracker.cancel().to_string(), "too late");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.in_time { "in time" } else { "too late" })?;
        match self.server_answer {
            Some(answer) => write!(f, "; the server answered {answer:#}"),
            None => Ok(()),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn it_says_whether_it_came_in_time_and_what_the_server_answered() {
        let request = CancelRequest::recorded(true).answered(HResult::S_OK);
        assert!(request.in_time());
        assert_eq!(request.server_answer(), Some(HResult::S_OK));
        assert_eq!(
            request.to_string(),
            "in time; the server answered 0x00000000 (S_OK)"
        );
        let late = CancelRequest::recorded(false).answered(HResult::E_FAIL);
        assert_eq!(
            late.to_string(),
            "too late; the server answered 0x80004005 (E_FAIL)"
        );
        assert_eq!(CancelRequest::recorded(false).to_string(), "too late");
    }
}
