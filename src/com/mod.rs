//! The Windows COM adapter: a real `IGPMAsyncProgress` sink for GPMC's asynchronous methods
//! (`IGPMGPO::Backup`, `Import`, `CopyTo`, `GenerateReport`, `IGPMDomain::RestoreGPO`, ...).
//!
//! Windows only, feature `com`. Everything COM hands the sink is turned into this crate's
//! plain types during the call, so the rest of the crate (and its tests) stay
//! platform-independent:
//!
//! - [`ProgressSink`] implements `IGPMAsyncProgress` (and `IDispatch`), agile: `Status` may
//!   come on any thread, on two at once, before or after the GPMC method returned. Each call
//!   becomes a [`StatusCall`](crate::StatusCall)`<`[`ComResult`]`>` and feeds a
//!   [`StatusMachine`](crate::StatusMachine) judged by [`Rules`](crate::Rules).
//! - [`ComResult`]: the result VARIANT (borrowed, never cleared) as plain data: which GPMC
//!   object it is and its identifying properties, the whole report string, or the `VARTYPE`
//!   of anything unexpected.
//! - Messages are read through `_NewEnum`, `ErrorCode`/`OperationCode` raw through the
//!   vtable; a failing getter or invalid UTF-16 keeps the message and adds a [`ReadIssue`].
//! - [`CancelHandle`] (from `pvarGPMCancel`) records the cancel request before asking the
//!   server.
//! - Consume with an observer, [`ProgressSink::wait`], the [`OutcomeFuture`] or the
//!   [`Updates`] stream; [`SinkBuilder::record`] writes the trace for `gpmc-trace check`.
//! - [`outcome_from_result`] turns a synchronous call's `IGPMResult` into the same
//!   [`OperationOutcome`](crate::OperationOutcome); [`async_started`] /
//!   [`ProgressSink::started`] handle the asynchronous method's own return value.
//!
//! # Example
//!
//! ```no_run
//! use gpmc_progress::com::{ProgressSink, Update};
//! use gpmc_progress::{Event, OperationKind};
//! use windows::Win32::System::GroupPolicy::IGPMGPO;
//! use windows::Win32::System::Variant::VARIANT;
//!
//! # fn run(gpo: &IGPMGPO) -> Result<(), Box<dyn std::error::Error>> {
//! let sink = ProgressSink::builder(OperationKind::GpoBackup)
//!     .observer(|notification| {
//!         for update in notification.updates() {
//!             match update {
//!                 Update::Event(Event::Progress(p)) => println!("{}%", p.percent()),
//!                 Update::Event(Event::Message(m)) => println!("{}", m.message),
//!                 _ => {}
//!             }
//!         }
//!     })
//!     .record(std::fs::File::create("backup.jsonl")?)
//!     .build();
//! let progress = sink.to_variant();
//! let mut cancel = VARIANT::default();
//! // SAFETY: valid VARIANTs that outlive the call.
//! let started =
//!     unsafe { gpo.Backup(&r"C:\Backups".into(), &"nightly".into(), &progress, &mut cancel) };
//! let _cancel = sink.cancel_handle(&cancel)?;
//! sink.started(started)?;
//! drop(progress);
//! let outcome = sink.wait()?;
//! if let Some(backup) = outcome.result() {
//!     println!("{:?}", backup.description());
//! }
//! # Ok(())
//! # }
//! ```

mod cancel;
mod messages;
mod recorder;
mod result;
mod sink;
mod sync;

mod wait;

pub use cancel::CancelHandle;
pub use result::ComResult;
pub use sink::{async_started, Notification, ProgressSink, SinkBuilder};
pub use sync::{outcome_from_result, SyncOutcome};
pub use update::{Fault, Location, ReadIssue, ReadProblem, Update};
pub use wait::{OutcomeFuture, SinkError, Updates};

/// Compile-time proof that the plain values and handles cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<ComResult>();
    send_sync::<ProgressSink>();
    send_sync::<Update>();
    send_sync::<OutcomeFuture>();
    send_sync::<Updates>();
    send_sync::<SinkError>();
};
