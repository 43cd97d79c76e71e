//! The Windows COM adapter: typed entry points for GPMC's asynchronous methods, and the real
//! `IGPMAsyncProgress` sink under them (`IGPMGPO::Backup`, `Import`, `CopyTo`,
//! `GenerateReport`, `IGPMDomain::RestoreGPO`, ...).
//!
//! # Calling GPMC
//!
//! One extension trait per windows-rs interface gives its asynchronous methods with Rust
//! arguments: [`GpoExt`] (`IGPMGPO`: [`backup`](GpoExt::backup), [`import`](GpoExt::import),
//! [`copy_to`](GpoExt::copy_to), [`generate_report`](GpoExt::generate_report)),
//! [`DomainExt`] (`IGPMDomain`: `restore_gpo`), [`Domain2Ext`] (`IGPMDomain2`:
//! `load_starter_gpo`, `restore_starter_gpo`), [`BackupExt`], [`RsopExt`] and
//! [`StarterGpoBackupExt`] (`generate_report`), [`StarterGpoExt`] (`IGPMStarterGPO`: `save`,
//! `backup`, `copy_to`, `generate_report`). Each returns a [`Call`]: set the sink's
//! [`rules`](Call::rules), [`observer`](Call::observer) and [`record`](Call::record)er, then
//!
//! - [`start`](Call::start) it: the method runs asynchronously with a new [`ProgressSink`],
//!   and you get an [`Operation`] (`Send + Sync`): [`cancel`](Operation::cancel) from any
//!   thread, [`wait`](Operation::wait), the future (`.await`), and its
//!   [`tracker`](Operation::tracker) for the updates; or
//! - [`run_sync`](Call::run_sync) it: the synchronous form, the same typed outcome.
//!
//! The outcome's result is typed: a [`ResultObject`] (the plain description, and the live
//! `IGPMBackup`, `IGPMGPO`, ... resolved on the thread that asks), a `String` (a report, the
//! saved Starter GPO's GUID), or [`StarterGpoBackupResult`] / [`StarterGpoCopyResult`] where
//! Microsoft's documentation and the method disagree. The VARIANTs, the one `unsafe` call, the
//! order of [`ProgressSink::started`], the cancel handle and dropping the progress VARIANT are
//! handled inside.
//!
//! ```no_run
//! use gpmc_progress::com::GpoExt;
//! use windows::Win32::System::GroupPolicy::IGPMGPO;
//!
//! # fn run(gpo: &IGPMGPO) -> Result<(), Box<dyn std::error::Error>> {
//! let operation = gpo.backup(r"C:\Backups", "nightly").start()?;
//! let outcome = operation.wait()?; // or `operation.await`; `operation.cancel()` anywhere
//! if let Some(backup) = outcome.result() {
//!     println!("{}", backup.description());
//!     let _backup = backup.interface()?; // the IGPMBackup, valid on this thread
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # The sink
//!
//! Windows only, feature `com`. It is a translator in front of the platform-independent
//! [`live`](crate::live) engine: everything COM hands the sink is turned into this crate's
//! plain types during the call and reported to a [`live::Reporter`](crate::live::Reporter);
//! the client consumes it through a [`live::Tracker`](crate::live::Tracker), the same way
//! as on any other platform (and in tests on Linux or macOS, against the simulated server).
//!
//! - [`ProgressSink`] hands out the COM object (`IGPMAsyncProgress` and `IDispatch`, agile:
//!   `Status` may come on any thread, on two at once, before or after the GPMC method
//!   returned). Each call becomes a [`StatusCall`](crate::StatusCall)`<`[`ComResult`]`>`
//!   judged by the tracker's [`StatusMachine`](crate::StatusMachine); the object holds a
//!   reporter, so the server's last `Release` before the end is
//!   [`TrackError::Abandoned`](crate::live::TrackError::Abandoned).
//! - [`ComResult`]: the result VARIANT (borrowed, never cleared) as plain data: which GPMC
//!   object it is and its identifying properties, the whole report string, or the `VARTYPE`
//!   of anything unexpected. The live object is lent to a hook during its call
//!   ([`ProgressSink::on_result_object`]), or kept for any thread
//!   ([`ProgressSink::keep_result_objects`]).
//! - Messages are read through `_NewEnum`, `ErrorCode`/`OperationCode` raw through the
//!   vtable; a failing getter or invalid UTF-16 keeps the message and adds a
//!   [`ReadIssue`](crate::live::ReadIssue) update.
//! - [`CancelHandle`] (from `pvarGPMCancel`) records the cancel request before asking the
//!   server.
//! - Consume through the sink's [`Tracker`](crate::live::Tracker)
//!   ([`ProgressSink::tracker`]): an observer, the waits, the
//!   [`OutcomeFuture`](crate::live::OutcomeFuture) or the [`Updates`](crate::live::Updates)
//!   streams; [`TrackerBuilder::record`](crate::live::TrackerBuilder::record) writes the
//!   trace for `gpmc-trace check`.
//! - [`outcome_from_result`] turns a synchronous call's `IGPMResult` into the same
//!   [`OperationOutcome`](crate::OperationOutcome); [`async_started`] /
//!   [`ProgressSink::started`] handle the asynchronous method's own return value.
//!
//! # Threads, apartments and errors
//!
//! **What crosses threads.** Every handle of this module is `Send + Sync` and cheap to
//! clone: [`Operation`] (its [`OperationFuture`]), [`ProgressSink`], the
//! [`Tracker`](crate::live::Tracker)`<`[`ComResult`]`>` behind them, [`ComResult`] and the
//! typed results ([`ResultObject`], ...), [`OperationError`],
//! [`CancelRequest`](crate::live::CancelRequest). What does not: the windows-rs interfaces
//! (`IGPMGPO`, `IGPMDomain`, ...), [`Gpm`], [`RsopQuery`] and [`CancelHandle`], which hold
//! a pointer valid only in the apartment that obtained it: use them on that thread. A result's
//! live object crosses as its [`ComResult`] and is resolved on the thread that asks
//! ([`ComResult::interface`]). The sink's COM object is agile: GPMC calls `Status` on its own
//! threads, whatever apartment the sink was made in.
//!
//! **Apartments.** [`Gpm::new`] initialises COM on its thread as multithreaded (MTA) and
//! keeps it so; on a thread that is already a single-threaded apartment (STA: a UI thread)
//! it fails with `RPC_E_CHANGED_MODE`. [`Operation::cancel`] and [`ComResult::interface`]
//! work on any thread: on one without COM they are served in the process's MTA, which every
//! kept cancel object and result object keeps alive while it lives. An interface resolved on
//! such a thread is valid only while that holds: keep the [`ComResult`] (or the
//! [`Operation`]) alive for as long as you use the interface.
//!
//! **Waiting.** [`Operation::wait`] and [`Tracker::wait`](crate::live::Tracker::wait) block
//! the calling thread without pumping window messages: fine on an MTA thread, or on an STA
//! thread that does nothing else meanwhile. A thread that must keep pumping (a UI thread, or
//! one whose apartment's objects are called from elsewhere) must not block: poll
//! [`Operation::try_outcome`] from its message loop, or use the observer (on the tracker's own
//! thread), the future or a stream.
//!
//! **A GUI program** therefore does its GPMC work on a worker thread of its own, in the
//! MTA, and hands the UI thread the [`Operation`], which crosses threads:
//!
//! ```no_run
//! use gpmc_progress::com::{Gpm, GpoExt};
//! use std::sync::mpsc;
//!
//! let (started, operations) = mpsc::channel();
//! std::thread::spawn(move || -> windows_core::Result<()> {
//!     // The worker: an MTA thread, where GPMC and its objects live.
//!     let gpm = Gpm::new()?;
//!     let domain = gpm.domain("corp.example", None)?;
//!     let gpo = Gpm::gpo(&domain, "{31B2F340-016D-11D2-945F-00C04FB984F9}")?;
//!     let operation = gpo.backup(r"C:\Backups", "nightly").start()?;
//!     let _ = started.send(operation.clone());
//!     let _ = operation.wait(); // the worker may block; the UI thread must not
//!     Ok(())
//! });
//! // The UI thread, at each tick of its message loop:
//! if let Ok(operation) = operations.try_recv() {
//!     if let Some(end) = operation.try_outcome() {
//!         println!("{end:?}");
//!     } else {
//!         operation.cancel(); // when the user asks: any thread
//!     }
//! }
//! ```
//!
//! An [`Operation`], a [`ComResult`] or a typed result must not live in a `thread_local`:
//! their last drop revokes the kept object and lets the MTA go (`CoDecrementMTAUsage`),
//! which COM does not allow while a thread or the process shuts down. A local, a struct, a
//! closure (a Ctrl-C handler's) or a `static` (never dropped) are fine.
//!
//! **Errors** come in three shapes, at three moments:
//!
//! - a `windows_core::Error`, when a COM call fails at once: [`Gpm::new`] and the look-ups,
//!   [`Call::start`] and [`Call::run_sync`]'s call when the method fails to start,
//!   [`ProgressSink::started`], [`ProgressSink::cancel_handle`], [`ComResult::interface`].
//!   Its `code()` is the HRESULT; [`HResult`](crate::HResult)`::from(error.code())` names the
//!   well-known ones with `{:#}`: `REGDB_E_CLASSNOTREG` (GPMC is not installed),
//!   `RPC_E_CHANGED_MODE` (an STA thread), `CO_E_NOTINITIALIZED` (no COM on this thread),
//!   `E_NOINTERFACE` (not that interface), `HRESULT_FROM_WIN32(ERROR_NO_SUCH_DOMAIN)`,
//!   `HRESULT_FROM_WIN32(ERROR_DS_NO_SUCH_OBJECT)` (no such GPO), `E_ACCESSDENIED`;
//! - an [`OperationError`], when a started operation has no typed outcome
//!   ([`Operation::wait`], the future, [`Call::run_sync`]):
//!   [`OperationError::Track`] with the [`TrackError`](crate::live::TrackError) (the method
//!   failed to start, the server broke the protocol or let go), or
//!   [`OperationError::UnexpectedResult`];
//! - the outcome itself: a failed or cancelled operation is an
//!   [`OperationOutcome`](crate::OperationOutcome) (its `kind()` and `hr()`), not an error;
//!   [`OperationOutcome::into_result`](crate::OperationOutcome::into_result) turns it into
//!   one (an [`OperationFailed`](crate::OperationFailed)) where `?` is wanted.
//!
//! What could not be read faithfully is neither: it is kept as far as it could be read and
//! reported beside it ([`ReadIssue`](crate::live::ReadIssue)).
//!
//! # Example: the sink by hand
//!
//! What [`Call::start`] does, for a method or a server it does not cover:
//!
//! ```no_run
//! use gpmc_progress::com::ProgressSink;
//! use gpmc_progress::live::{Notification, Update};
//! use gpmc_progress::{Event, OperationKind};
//! use windows::Win32::System::GroupPolicy::IGPMGPO;
//! use windows::Win32::System::Variant::VARIANT;
//!
//! # fn run(gpo: &IGPMGPO) -> Result<(), Box<dyn std::error::Error>> {
//! let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
//!     .observer(|notification| match notification {
//!         Notification::Update(Update::Event(Event::Progress(p))) => println!("{}%", p.percent()),
//!         Notification::Update(Update::Event(Event::Message(m))) => println!("{}", m.message),
//!         _ => {}
//!     })
//!     .record(std::fs::File::create("backup.jsonl")?)
//!     .build()
//!     .into();
//! let progress = sink.to_variant();
//! let mut cancel = VARIANT::default();
//! // SAFETY: valid VARIANTs that outlive the call.
//! let started =
//!     unsafe { gpo.Backup(&r"C:\Backups".into(), &"nightly".into(), &progress, &mut cancel) };
//! // `progress` still holds a reference: a failed start is told before the sink is let go.
//! sink.started(started)?;
//! let _cancel = sink.cancel_handle(&cancel)?;
//! drop(progress);
//! let outcome = sink.tracker().wait()?;
//! if let Some(backup) = outcome.result() {
//!     println!("{:?}", backup.description());
//! }
//! # Ok(())
//! # }
//! ```

// First: the macros the modules below use.
#[macro_use]
mod stubs;

mod call;
mod cancel;
#[cfg(feature = "com-fake")]
pub mod fake;
pub(crate) mod global_interface_table;
mod gpm;
mod messages;
mod methods;
mod operation;
mod result;
mod sink;
mod synchronous;
#[cfg(test)]
mod tests;
mod typed;

pub use call::Call;
pub use cancel::CancelHandle;
pub use gpm::{gpo_name_and_id, Gpm, RsopQuery};
pub use methods::{
    AsyncMethod, BackupExt, BackupReport, CopyFlags, DcValidation, Domain2Ext, DomainExt,
    DomainLoadStarterGpo, DomainRestoreGpo, DomainRestoreStarterGpo, GpoBackup, GpoCopy, GpoExt,
    GpoImport, GpoReport, ImportFlags, ReportFormat, RsopExt, RsopReport, SaveAs, StarterGpoBackup,
    StarterGpoBackupExt, StarterGpoBackupReport, StarterGpoCopy, StarterGpoExt, StarterGpoReport,
    StarterGpoSave, SystemStarterGpo,
};
pub use operation::{Operation, OperationError, OperationFuture};
pub use result::ComResult;
pub use sink::{async_started, ProgressSink};
pub use synchronous::{outcome_from_result, SyncOutcome};
pub use typed::{FromComResult, ResultObject, StarterGpoBackupResult, StarterGpoCopyResult};

/// A windows-rs `HRESULT` as the crate's [`HResult`](crate::HResult): the same 32 bits.
///
/// ```
/// use gpmc_progress::HResult;
/// use windows_core::HRESULT;
///
/// let hr = HResult::from(HRESULT(0x8007_0005_u32 as i32));
/// assert_eq!(hr, HResult::E_ACCESSDENIED);
/// assert_eq!(HRESULT::from(hr), HRESULT(0x8007_0005_u32 as i32));
/// ```
impl From<windows_core::HRESULT> for crate::HResult {
    #[inline(always)]
    fn from(hr: windows_core::HRESULT) -> Self {
        crate::HResult::new(hr.0)
    }
}

/// The crate's [`HResult`](crate::HResult) as a windows-rs `HRESULT`: the same 32 bits.
impl From<crate::HResult> for windows_core::HRESULT {
    #[inline(always)]
    fn from(hr: crate::HResult) -> Self {
        windows_core::HRESULT(hr.value())
    }
}

/// The object of this crate behind `object`, when `object` is one (a `T`) and agile.
///
/// windows-rs' dynamic cast (`cast_object_ref`) asks the object, through `QueryInterface`,
/// to write a `&dyn Any` (two words) into the out slot. A proxy would forward the query to
/// its object's apartment and write back an interface pointer (one word) in its place,
/// without the reference the cast expects. An agile object (every object of this crate
/// aggregates the free-threaded marshaler) is never reached through a proxy, so only an
/// object that says it is agile is asked.
#[cfg_attr(not(feature = "com-fake"), allow(dead_code))]
pub(crate) fn ours<T>(object: &impl windows_core::Interface) -> Option<&T::Outer>
where
    T: windows_core::ComObjectInner,
    T::Outer: core::any::Any + windows_core::IUnknownImpl<Impl = T>,
{
    object
        .cast::<windows::Win32::System::Com::IAgileObject>()
        .ok()?;
    object.cast_object_ref::<T>().ok()
}

/// Compile-time proof that the plain values and handles cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<ComResult>();
    send_sync::<ProgressSink>();
    send_sync::<Operation<ResultObject<windows::Win32::System::GroupPolicy::IGPMBackup>>>();
    send_sync::<OperationError>();
};
