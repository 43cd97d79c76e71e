//! Live tracking of one GPMC operation on any platform: a thread-safe engine around the
//! [`StatusMachine`](crate::StatusMachine) (feature `live`).
//!
//! A GPMC server calls `IGPMAsyncProgress::Status` on its own threads, sometimes two at once,
//! while the client waits, draws a progress bar or asks to cancel. This module is that
//! meeting point, with no COM in it, so the same code runs behind the Windows COM sink, behind
//! the simulated server of [`simulate`](crate::simulate), and in your own tests on Linux or
//! macOS:
//!
//! - the server's side is a [`Reporter`]: cloneable, `Send + Sync`; any thread reports
//!   `Status` calls through it ([`Reporter::status`], or [`Reporter::progress`] for the common
//!   progress-only call), or that the asynchronous method failed to start. Dropping the last
//!   reporter before the finishing call means the server let go.
//! - the client's side is a [`Tracker`]: it records the cancel request, calls an observer,
//!   waits ([`Tracker::wait`], [`Tracker::wait_timeout`]), answers at once
//!   ([`Tracker::try_outcome`]), gives a runtime-agnostic [`OutcomeFuture`] and an [`Updates`]
//!   stream, the updates so far and the violations, and records the trace (feature `trace`).
//!
//! How the operation ends is set once, by the first of: the finishing call, a violation,
//! a failed start, the server letting go; every consumer sees the same end.
//!
//! The engine holds one lock, for work in memory only: the observer and its drop, a waker's
//! wake and drop, and the recorder's writer all run after it was released, and a panic in
//! any of them is caught and reported as a [`Fault`] update.
//!
//! ```
//! use gpmc_progress::live::{Tracker, Update};
//! use gpmc_progress::{Event, HResult, OperationKind, OutcomeKind, StatusCall};
//! use std::sync::mpsc;
//!
//! let tracker = Tracker::new(OperationKind::GpoImport);
//! let server = tracker.reporter();
//! let (ask_to_stop, stop_asked) = mpsc::channel();
//! let worker = std::thread::spawn(move || {
//!     server.progress(0, 3);
//!     server.progress(1, 3);
//!     // GPMC's IGPMAsyncCancel::Cancel reaches the server; it answers with a failure.
//!     stop_asked.recv().unwrap();
//!     server.status(StatusCall::progress(3, 3).with_hr(HResult::ERROR_CANCELLED));
//! });
//! // Recorded first, then the server is asked.
//! tracker.cancel();
//! ask_to_stop.send(()).unwrap();
//! let outcome = tracker.wait()?;
//! worker.join().unwrap();
//! assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
//! assert!(tracker.updates_so_far().contains(&Update::Event(Event::CancelRequested)));
//! # Ok::<(), gpmc_progress::live::TrackError>(())
//! ```

mod engine;
mod recorder;
mod sync;
mod tracker;
mod update;
mod wait;

pub use tracker::{Notification, Reporter, Tracker, TrackerBuilder};
pub use update::{Fault, Location, ReadIssue, ReadProblem, Update};
pub use wait::{OutcomeFuture, TrackError, Updates};

#[cfg(all(windows, feature = "com"))]
pub(crate) use update::panic_message;

/// Compile-time proof that the handles and values cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Tracker>();
    send_sync::<Reporter>();
    send_sync::<Update>();
    send_sync::<OutcomeFuture>();
    send_sync::<Updates>();
    send_sync::<TrackError>();
};
