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
//!   reporter before the end means the server let go.
//! - the client's side is a [`Tracker`], the one way to follow an operation: it records the
//!   cancel request, waits ([`Tracker::wait`], [`Tracker::wait_timeout`]), answers at once
//!   ([`Tracker::try_outcome`]), gives a runtime-agnostic [`OutcomeFuture`] and [`Updates`]
//!   streams, the updates so far, an observer, and records the trace (feature `trace`).
//!
//! # One truth
//!
//! How the operation ends (its *end*: the outcome, or a [`TrackError`]) is decided once, by
//! the first of: the finishing call, a violation, a failed start, the server letting go.
//! Every consumer sees the same updates and then the end, once, last
//! ([`Update::End`]): each stream (made before, during or after the operation, read eagerly
//! or late), the observer, the updates so far, the waits and the future, and the recorded
//! trace replayed through [`trace::replay`](crate::trace::replay) (which has no line for a
//! failed start or a server letting go: such a trace is unfinished). What the server does
//! after the end is *late*: late `Status` calls are judged (each breaks
//! `status-after-completion`), counted and kept apart ([`Tracker::after_end`], the
//! observer's [`Notification::Late`], lines in the trace), and never reach a stream. A cancel
//! request after the end is refused (it is too late:
//! [`CancelRequest::in_time`] is `false`) and recorded nowhere. Once the server let go it stays so: a reporter made later only reports late
//! calls.
//!
//! # Memory and threads
//!
//! Progress is a latest value that each consumer reads at its own pace, not a list: a slow
//! stream or observer skips the progress it had no time for, and memory does not grow with
//! the number of calls. The other updates (messages, anomalies, read issues, faults, the
//! end) are a log that keeps the first 8192 (a hostile server's later ones are counted and
//! reported as one [`Fault::UpdatesDropped`]); what comes after the end keeps the first
//! [`AfterEnd::CAPACITY`].
//!
//! One lock guards the state, held for work in memory only; waiting threads and tasks are
//! woken through `event-listener`. The observer and the trace writer run on a thread of the
//! tracker's own, so a server's `Status` call never runs user code, and a panic in any user
//! code (the observer, a waker, the writer, their drops) is caught and reported as a
//! [`Fault`].
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
//! assert!(tracker.cancel().in_time());
//! ask_to_stop.send(()).unwrap();
//! let outcome = tracker.wait()?;
//! worker.join().unwrap();
//! assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
//! let updates = tracker.updates_so_far();
//! assert!(updates.contains(&Update::Event(Event::CancelRequested)));
//! assert_eq!(updates.last(), Some(&Update::End(Ok(outcome))));
//! // Too late now.
//! assert!(!tracker.cancel().in_time());
//! # Ok::<(), gpmc_progress::live::TrackError>(())
//! ```

mod cancel;
mod delivery;
mod engine;
mod error;
mod late;
mod outcome;
mod recorder;
mod reporter;
mod state;
mod sync;
mod tracker;
mod unwind;
mod update;
mod updates;
mod waker;

pub use cancel::CancelRequest;
pub use error::TrackError;
pub use late::{AfterEnd, Late};
pub use outcome::OutcomeFuture;
pub use reporter::Reporter;
pub use tracker::{Notification, Tracker, TrackerBuilder};
pub use update::{Fault, Location, ReadIssue, ReadProblem, Update};
pub use updates::{NoUpdate, Updates};

#[cfg(all(windows, feature = "com"))]
pub(crate) use unwind::{catch, drop_payload, panic_message};

/// Compile-time proof that the handles and values cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Tracker>();
    send_sync::<Reporter>();
    send_sync::<Update>();
    send_sync::<OutcomeFuture>();
    send_sync::<Updates>();
    send_sync::<TrackError>();
    send_sync::<AfterEnd>();
    send_sync::<CancelRequest>();
};
