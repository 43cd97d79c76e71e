//! [`Reporter`]: the server's side of a live operation.

use super::engine::Shared;
use super::sync::Arc;
use super::ReadIssue;
use crate::{HResult, ResultDescription, StatusCall, TypedResult};

/// The server's side of a live operation: any thread reports `Status` calls through it.
///
/// Cheap to clone, `Send + Sync`. Every clone counts: when the last one is dropped before
/// the end, the server let go and the operation is
/// [`TrackError::Abandoned`](super::TrackError::Abandoned). A GPMC server holds the progress
/// sink the same way: the COM adapter's sink object holds a reporter.
///
/// Two ways in: [`status`](Self::status), a whole `Status` call, and
/// [`progress`](Self::progress), the common call that only reports progress. Reporting never
/// panics and never blocks for long: the tracker's lock is held only for work in memory, and
/// the observer and the recorder run on the tracker's own thread (a server that calls faster
/// than a trace can be written waits for it, with 1024 lines queued).
///
/// ```
/// use gpmc_progress::live::{TrackError, Tracker};
/// use gpmc_progress::OperationKind;
///
/// let tracker = Tracker::new(OperationKind::GpoBackup);
/// let server = tracker.reporter();
/// server.progress(1, 4);
/// assert!(!server.is_closed());
/// drop(server); // the server let go before finishing
/// assert_eq!(tracker.wait(), Err(TrackError::Abandoned { calls_received: 1 }));
/// ```
pub struct Reporter<R = ResultDescription> {
    shared: Arc<Shared<R>>,
}

impl<R: Clone + Send + Sync + 'static> Reporter<R> {
    pub(crate) fn new(shared: &Arc<Shared<R>>) -> Self {
        Shared::attach(shared);
        Reporter {
            shared: Arc::clone(shared),
        }
    }
}

impl<R: Clone + Send + Sync + 'static> Clone for Reporter<R> {
    fn clone(&self) -> Self {
        Reporter::new(&self.shared)
    }
}

impl<R> Drop for Reporter<R> {
    fn drop(&mut self) {
        self.shared.detach();
    }
}

impl<R> Reporter<R> {
    /// Whether nobody can learn anything more of the operation: every [`Tracker`](super::Tracker)
    /// handle, stream and future was dropped, and there is no observer or recorder (or they
    /// stopped). A server may stop early then, as a channel's sender stops when every
    /// receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().is_closed()
    }
}

impl<R: TypedResult> Reporter<R> {
    /// One `Status` call, as the server made it.
    pub fn status(&self, call: StatusCall<R>) {
        self.shared.status(call, Vec::new());
    }

    /// A `Status` call that carries no result and a null message collection, with `S_OK`:
    /// the same as `status(StatusCall::new(numerator, denominator, HResult::S_OK, None,
    /// None))`, and the fast path of a server's most common call.
    #[inline]
    pub fn progress(&self, numerator: i32, denominator: i32) {
        self.shared.progress(numerator, denominator, HResult::S_OK);
    }

    /// The asynchronous method failed with `hr` (a failure code): no `Status` call is coming.
    /// Ends the operation ([`TrackError::StartFailed`](super::TrackError::StartFailed)),
    /// unless it had ended (then it is late).
    pub fn start_failed(&self, hr: HResult) {
        self.shared.start_failed(hr);
    }

    /// The COM adapter's quiet call: progress only, with the server's `hrStatus`.
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    pub(crate) fn progress_with_hr(&self, numerator: i32, denominator: i32, hr: HResult) {
        self.shared.progress(numerator, denominator, hr);
    }

    /// The COM adapter's full call: read from the server's objects, with what could not be
    /// read faithfully (reported as [`Update::Issue`](super::Update::Issue)s before the
    /// call's own updates).
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    pub(crate) fn status_with_issues(&self, call: StatusCall<R>, issues: Vec<ReadIssue>) {
        self.shared.status(call, issues);
    }

    /// The client's cancel request, made on the client's behalf by a server that plans it
    /// (the fake GPMC): the same as [`Tracker::cancel`](super::Tracker::cancel).
    #[cfg_attr(not(all(windows, feature = "com-fake")), allow(dead_code))]
    pub(crate) fn client_cancel(&self) -> bool {
        self.shared.cancel()
    }

    /// A fault found by an adapter (a panic while reading a call), told like an update.
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    pub(crate) fn fault(&self, fault: super::Fault) {
        self.shared.fault(fault);
    }
}

impl<R> core::fmt::Debug for Reporter<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reporter").finish_non_exhaustive()
    }
}
