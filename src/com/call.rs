//! [`Call`]: one GPMC method with its arguments, the sink's options, and how to run it.

use windows::Win32::Foundation::E_POINTER;
use windows::Win32::System::GroupPolicy::{IGPMAsyncCancel, IGPMResult};
use windows::Win32::System::Variant::VARIANT;
use windows_core::Interface;

use super::global_interface_table::GlobalInterface;
use super::methods::AsyncMethod;
use super::operation::{typed, CancelEntry, Operation, OperationError};
use super::result::borrowed_object;
use super::synchronous::{read_sync, SyncOutcome};
use super::{ComResult, ProgressSink};
use crate::live::{Notification, TrackerBuilder};
use crate::{HResult, Rules};

/// One asynchronous GPMC method on its object, with its arguments: set the sink's options,
/// then [`start`](Self::start) it asynchronously or [`run_sync`](Self::run_sync) it.
///
/// Made by the extension traits ([`GpoExt`](super::GpoExt), [`DomainExt`](super::DomainExt),
/// ...). Nothing happens until `start` or `run_sync`.
///
/// ```no_run
/// use gpmc_progress::com::{GpoExt, ReportFormat};
/// use gpmc_progress::Rules;
/// # fn run(gpo: &windows::Win32::System::GroupPolicy::IGPMGPO) -> Result<(), Box<dyn std::error::Error>> {
/// let report = gpo
///     .generate_report(ReportFormat::Html)
///     .rules(Rules::strict())
///     .observer(|notification| eprintln!("{notification:?}"))
///     .record(std::fs::File::create("report.jsonl")?)
///     .start()?
///     .wait()?;
/// if let Some(html) = report.result() {
///     std::fs::write("report.html", html)?;
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "a call does nothing until it is started or run"]
pub struct Call<'a, M: AsyncMethod> {
    target: &'a M::Target,
    method: M,
    tracker: TrackerBuilder<ComResult>,
}

impl<M: AsyncMethod> core::fmt::Debug for Call<'_, M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Call")
            .field("operation", &M::KIND)
            .field("tracker", &self.tracker)
            .finish_non_exhaustive()
    }
}

impl<'a, M: AsyncMethod> Call<'a, M> {
    pub(crate) fn new(target: &'a M::Target, method: M) -> Self {
        Call {
            target,
            method,
            tracker: ProgressSink::builder(M::KIND),
        }
    }

    /// The rules the `Status` calls are judged by (default: `documented`).
    pub fn rules(mut self, rules: Rules) -> Self {
        self.tracker = self.tracker.rules(rules);
        self
    }

    /// An observer, called on the tracker's own thread with each update
    /// ([`TrackerBuilder::observer`]).
    pub fn observer(
        mut self,
        observer: impl FnMut(Notification<'_, ComResult>) + Send + 'static,
    ) -> Self {
        self.tracker = self.tracker.observer(observer);
        self
    }

    /// Writes the trace (JSON Lines, for `gpmc-trace check`) to `writer`
    /// ([`TrackerBuilder::record`]).
    pub fn record(mut self, writer: impl std::io::Write + Send + 'static) -> Self {
        self.tracker = self.tracker.record(writer);
        self
    }

    /// Starts the method asynchronously with a new [`ProgressSink`], and returns the
    /// operation.
    ///
    /// The sink's VARIANT is kept until the method's return value was told to the tracker,
    /// the cancel object the server wrote is registered for any thread, then the VARIANT is
    /// released. A method that fails to start ends the tracker with
    /// [`TrackError::StartFailed`](crate::live::TrackError::StartFailed) and returns its
    /// error. An observer is handed that end (and nothing before it); a recorder's trace has
    /// its `begin` line only (an unfinished trace for `gpmc-trace check`, which has no line
    /// for a failed start).
    pub fn start(self) -> windows_core::Result<Operation<M::Output>> {
        let sink = ProgressSink::from(self.tracker.build()).keep_result_objects();
        let progress = sink.to_variant();
        let mut cancel = VARIANT::default();
        // SAFETY: `progress` (VT_DISPATCH of the sink) and `cancel` (VT_EMPTY, ours) are
        // valid VARIANTs that outlive the call.
        let started = unsafe { self.method.invoke(self.target, &progress, &mut cancel) };
        sink.started(started)?;
        let cancel = cancel_entry(&cancel);
        drop(progress);
        Ok(Operation::new(sink, cancel))
    }

    /// Runs the method synchronously (null `pvarGPMProgress` and `pvarGPMCancel`) and
    /// converts its `IGPMResult` as [`outcome_from_result`](super::outcome_from_result) does,
    /// typed (the result object kept as by an asynchronous call).
    ///
    /// The sink's options do not apply: there are no `Status` calls to judge, observe or
    /// record, and a synchronous call cannot be cancelled.
    pub fn run_sync(self) -> Result<SyncOutcome<M::Output>, OperationError> {
        // SAFETY: null progress and cancel pointers ask for a synchronous call.
        let call: windows_core::Result<IGPMResult> = unsafe {
            self.method
                .invoke(self.target, core::ptr::null(), core::ptr::null_mut())
        };
        read_sync(call, true).try_map(typed)
    }
}

/// The cancel object the server wrote, registered in the Global Interface Table.
fn cancel_entry(variant: &VARIANT) -> CancelEntry {
    let object = borrowed_object(variant).ok_or(HResult::from(E_POINTER))?;
    let cancel: IGPMAsyncCancel = object.cast().map_err(|e| HResult::from(e.code()))?;
    GlobalInterface::register(&cancel).map_err(|e| HResult::from(e.code()))
}
