//! [`CancelHandle`]: GPMC's `IGPMAsyncCancel`, bound to the sink that records each request.

use windows::Win32::Foundation::E_POINTER;
use windows::Win32::System::GroupPolicy::IGPMAsyncCancel;
use windows::Win32::System::Variant::VARIANT;
use windows_core::Interface;

use super::result::borrowed_object;
use super::ComResult;
use crate::live::Tracker;

/// The `IGPMAsyncCancel` GPMC returned in `pvarGPMCancel`, bound to a
/// [`ProgressSink`](super::ProgressSink).
///
/// [`cancel`](Self::cancel) records the request through [`Tracker::cancel`] (in the state
/// machine, and the trace) *before* asking the server, so a failure `hrStatus` that the request provokes is always
/// judged as *cancelled*, whichever thread it arrives on. Like every GPMC interface it stays
/// on the thread (apartment) that received it; to cancel from elsewhere (a Ctrl-C handler),
/// set a flag there and call `cancel` here.
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
    /// then calls `IGPMAsyncCancel::Cancel` and returns what the server answered.
    ///
    /// The request stays recorded even when the server's `Cancel` fails (the client did ask).
    /// A request after the operation ended is recorded nowhere (the tracker refuses it) and
    /// still passed to the server.
    pub fn cancel(&self) -> windows_core::Result<()> {
        self.tracker.cancel();
        // SAFETY: `Cancel` takes no arguments; the interface is live (we hold a reference).
        unsafe { self.cancel.Cancel() }
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
