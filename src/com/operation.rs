//! [`Operation`]: a started asynchronous GPMC method, with its cancel and its typed end.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use windows::Win32::System::GroupPolicy::IGPMAsyncCancel;

use super::global_interface_table::{with_com, GlobalInterface};
use super::typed::FromComResult;
use super::{ComResult, ProgressSink};
use crate::live::{CancelRequest, OutcomeFuture, TrackError, Tracker};
use crate::{HResult, OperationOutcome};

/// Why an [`Operation`] (or a synchronous call) has no typed outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperationError {
    /// The tracker's end is an error: the method failed to start, the server broke the
    /// protocol or let go without finishing.
    #[error(transparent)]
    Track(#[from] TrackError),
    /// The operation ended with a result that is not of the method's type: possible only
    /// when the rules in force let an unexpected result through (an anomaly under
    /// `documented`). The plain outcome is kept. A success without a result is not this
    /// error: it is an outcome whose `result()` is `None`.
    #[error("the operation ended with a result of another type: {0}")]
    UnexpectedResult(Box<OperationOutcome<ComResult>>),
}

/// Converts the plain outcome into the method's typed one.
pub(crate) fn typed<T: FromComResult>(
    outcome: OperationOutcome<ComResult>,
) -> Result<OperationOutcome<T>, OperationError> {
    let (hr, cancel_requested, result, messages) = outcome.into_parts();
    match result.map(T::from_com_result).transpose() {
        Ok(result) => Ok(OperationOutcome::new(
            hr,
            cancel_requested,
            result,
            messages,
        )),
        Err(result) => Err(OperationError::UnexpectedResult(Box::new(
            OperationOutcome::new(hr, cancel_requested, Some(*result), messages),
        ))),
    }
}

fn typed_end<T: FromComResult>(
    end: Result<OperationOutcome<ComResult>, TrackError>,
) -> Result<OperationOutcome<T>, OperationError> {
    typed(end?)
}

/// The server's `IGPMAsyncCancel`, kept in the Global Interface Table so any thread can
/// call it; or why there is none.
pub(crate) type CancelEntry = Result<GlobalInterface<IGPMAsyncCancel>, HResult>;

/// A started asynchronous GPMC operation: what COM adds to its [`Tracker`]: the cancel that
/// reaches the server, and the end typed as the method's result `T`. Follow its progress
/// through [`tracker`](Self::tracker) (streams, the updates so far, what came after the end),
/// as on any platform.
///
/// Made by [`Call::start`](super::Call::start). It is plain (`Send + Sync`, cheap to clone):
/// wait on another thread, cancel from a Ctrl-C handler, await it on any executor. Keep it
/// in a local, a struct or a `static`, not in a `thread_local`: its last drop revokes the
/// server's cancel object and lets the multithreaded apartment go, which COM does not allow
/// while a thread shuts down (see the module's "Threads, apartments and errors").
///
/// ```no_run
/// use gpmc_progress::com::GpoExt;
/// # fn run(gpo: &windows::Win32::System::GroupPolicy::IGPMGPO) -> Result<(), Box<dyn std::error::Error>> {
/// let operation = gpo.backup(r"C:\Backups", "nightly").start()?;
/// let canceller = operation.clone();
/// std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_secs(60));
///     canceller.cancel(); // any thread
/// });
/// let outcome = operation.wait()?;
/// println!("{outcome}");
/// # Ok(())
/// # }
/// ```
pub struct Operation<T> {
    sink: ProgressSink,
    cancel: Arc<CancelEntry>,
    _result: PhantomData<fn() -> T>,
}

impl<T> Clone for Operation<T> {
    fn clone(&self) -> Self {
        Operation {
            sink: self.sink.clone(),
            cancel: Arc::clone(&self.cancel),
            _result: PhantomData,
        }
    }
}

impl<T> core::fmt::Debug for Operation<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Operation")
            .field("sink", &self.sink)
            .field("cancel", &self.cancel.is_ok())
            .finish()
    }
}

impl<T: FromComResult> Operation<T> {
    pub(crate) fn new(sink: ProgressSink, cancel: CancelEntry) -> Self {
        Operation {
            sink,
            cancel: Arc::new(cancel),
            _result: PhantomData,
        }
    }

    /// Requests cancel, from any thread: records the request on the tracker first (so a
    /// failure it provokes is judged *cancelled*), then calls the server's
    /// `IGPMAsyncCancel::Cancel`, and says whether the request came in time and what the
    /// server answered ([`CancelRequest`]).
    ///
    /// The server is asked even when the request came too late (after a violation ended the
    /// operation, the server may still be running; the request lets it stop early). On a
    /// thread without COM, COM is initialised (multithreaded) for the call. The answer is
    /// `E_POINTER` when the server gave no cancel object, or the error that kept it from
    /// being registered or read back here; the request stays recorded.
    ///
    /// "From any thread" has two limits. A server whose cancel object belongs to a
    /// single-threaded apartment (GPMC created in an STA) answers only when that apartment's
    /// thread pumps messages: a blocked UI thread holds the request up. And the result hook
    /// ([`ProgressSink::on_result_object`]) runs inside the server's `Status` call: a cancel
    /// from there re-enters GPMC within its own call, which GPMC does not document, so
    /// don't. The observer runs on the tracker's own thread, never inside a `Status` call:
    /// it may cancel.
    pub fn cancel(&self) -> CancelRequest {
        let request = self.sink.tracker().cancel();
        let answer = match &*self.cancel {
            Ok(entry) => with_com(|| {
                let cancel = entry.get()?;
                // SAFETY: `Cancel` takes no arguments; `cancel` is valid in this apartment
                // (the table handed it out here) and is released before COM is left.
                unsafe { cancel.Cancel() }
            }),
            Err(hr) => Err(windows_core::Error::from_hresult((*hr).into())),
        };
        request.answered(answer.map_or_else(|error| error.code().into(), |()| HResult::S_OK))
    }

    /// Blocks until the end is known ([`Tracker::wait`], typed). It blocks without pumping
    /// window messages: don't call it on a thread that must pump them (a UI thread); poll
    /// [`try_outcome`](Self::try_outcome) there.
    pub fn wait(&self) -> Result<OperationOutcome<T>, OperationError> {
        typed_end(self.tracker().wait())
    }

    /// Blocks until the end is known or `timeout` has passed (`None`).
    pub fn wait_timeout(
        &self,
        timeout: Duration,
    ) -> Option<Result<OperationOutcome<T>, OperationError>> {
        self.tracker().wait_timeout(timeout).map(typed_end)
    }

    /// The end, if already known; never blocks.
    pub fn try_outcome(&self) -> Option<Result<OperationOutcome<T>, OperationError>> {
        self.tracker().try_outcome().map(typed_end)
    }

    /// A future of the typed end, for any executor (also `operation.await`, through
    /// [`IntoFuture`]).
    pub fn outcome(&self) -> OperationFuture<T> {
        OperationFuture {
            inner: self.tracker().outcome(),
            _result: PhantomData,
        }
    }

    /// The operation's tracker: its progress, updates and end as on any platform, for code
    /// written against [`Tracker`].
    pub fn tracker(&self) -> &Tracker<ComResult> {
        self.sink.tracker()
    }
}

impl<T: FromComResult> IntoFuture for Operation<T> {
    type Output = Result<OperationOutcome<T>, OperationError>;
    type IntoFuture = OperationFuture<T>;

    /// The typed end, as [`Operation::outcome`].
    fn into_future(self) -> OperationFuture<T> {
        self.outcome()
    }
}

/// The typed end of an [`Operation`], as a future (runtime-agnostic, see
/// [`OutcomeFuture`]).
#[must_use = "futures do nothing unless polled"]
pub struct OperationFuture<T> {
    inner: OutcomeFuture<ComResult>,
    _result: PhantomData<fn() -> T>,
}

impl<T: FromComResult> Future for OperationFuture<T> {
    type Output = Result<OperationOutcome<T>, OperationError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        Pin::new(&mut this.inner).poll(cx).map(typed_end)
    }
}

impl<T> core::fmt::Debug for OperationFuture<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OperationFuture").finish_non_exhaustive()
    }
}
