//! [`CancelHandle`]: GPMC's `IGPMAsyncCancel`, bound to the sink that records each request.

use windows::Win32::Foundation::E_POINTER;
use windows::Win32::System::GroupPolicy::IGPMAsyncCancel;
use windows::Win32::System::Variant::VARIANT;
use windows_core::Interface;

use super::result::borrowed_object;
use super::ComResult;
use crate::live::{CancelRequest, Tracker};
use crate::HResult;

/// The `IGPMAsyncCancel` GPMC returned in `pvarGPMCancel`, bound to a
/// [`ProgressSink`](super::ProgressSink).
///
/// [`cancel`](Self::cancel) records the request through [`Tracker::cancel`] (in the state
/// machine, and the trace) *before* asking the server, so a failure `hrStatus` that the
/// request provokes is always judged as *cancelled*, whichever thread it arrives on.
///
/// It holds the windows-rs interface, which is valid in the apartment (the thread, for a
/// single-threaded one) that received it, so the handle is neither `Send` nor `Sync`: call
/// it there. To cancel from any thread (a Ctrl-C handler), use the typed entry points'
/// [`Operation::cancel`](super::Operation::cancel), which keeps the server's cancel object
/// in COM's Global Interface Table for that.
#[derive(Clone)]
pub struct CancelHandle {
    cancel: IGPMAsyncCancel,
    tracker: Tracker<ComResult>,
}

impl CancelHandle {
    pub(crate) fn from_variant(
        variant: &VARIANT,
        tracker: Tracker<ComResult>,
    ) -> windows_core::Result<Self> {
        let object =
            borrowed_object(variant).ok_or_else(|| windows_core::Error::from_hresult(E_POINTER))?;
        Ok(CancelHandle {
            cancel: object.cast()?,
            tracker,
        })
    }

    /// Requests cancel: records it (the `cancel` trace line, the machine's cancel request),
    /// then calls `IGPMAsyncCancel::Cancel`, and says whether the request came in time and
    /// what the server answered ([`CancelRequest`]).
    ///
    /// The request stays recorded even when the server's `Cancel` fails (the client did ask).
    /// A request after the operation ended is recorded nowhere (the tracker refuses it) and
    /// still passed to the server, which may still be running after a violation ended the
    /// operation.
    pub fn cancel(&self) -> CancelRequest {
        let request = self.tracker.cancel();
        // SAFETY: `Cancel` takes no arguments; the interface is live (we hold a reference).
        let answer = unsafe { self.cancel.Cancel() };
        request.answered(answer.map_or_else(|error| error.code().into(), |()| HResult::S_OK))
    }

    /// The server's cancel interface.
    pub fn interface(&self) -> &IGPMAsyncCancel {
        &self.cancel
    }
}

impl core::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CancelHandle").finish_non_exhaustive()
    }
}
