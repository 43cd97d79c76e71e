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
//! # Threads and apartments
//!
//! The sink's COM object is agile (it aggregates the free-threaded marshaler): the server
//! calls `Status` on its own threads, whatever apartment the client created the sink in, and
//! marshaling the object to another apartment hands out the object itself. The tracker's
//! blocking waits ([`Tracker::wait`](crate::live::Tracker::wait),
//! [`Operation::wait`]) block the calling thread without pumping window messages: fine on an
//! MTA thread or on an STA thread that does nothing else meanwhile, but an STA thread that
//! must keep pumping (a UI thread, or one whose apartment's objects are called from
//! elsewhere) must not block: poll `try_outcome` from its message loop, or use the observer,
//! the future or a stream.
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
