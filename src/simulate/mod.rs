//! [`Simulation`]: a simulated GPMC server, seeded and reproducible, for demos and for testing
//! checkers and clients on any platform (feature `live`).
//!
//! A simulated operation walks over its client-side extensions: for `n` extensions it reports
//! `0/n`, `1/n`, …, `n/n`, with the operation's result on the last call. On top of that it can
//! attach warning messages at chosen steps, fail at a step, receive the client's cancel
//! request at a step and answer it, and, only when asked, break one rule of the protocol on
//! purpose. A failed or cancelled operation ends as a conforming server ends it: with a
//! finishing call at `n/n` and the failure's HRESULT.
//!
//! Steps are numbered from 0: step `i` is the call that reports `i/n`.
//!
//! The same plan can be used three ways:
//!
//! - [`Simulation::inputs`]: the plan as [`Input`](crate::Input)s, to feed a plain
//!   [`StatusMachine`](crate::StatusMachine) (see there);
//! - [`Simulation::serve`]: a live server on its own thread that reports the plan to a
//!   [`Tracker`](crate::live::Tracker) at a chosen [`pace`](Simulation::pace), answers the
//!   client's cancel as GPMC does, and can also fail to start, let go without finishing and
//!   make overlapping calls from two threads;
//! - `Simulation::events` (feature `trace`): the plan as trace events, beginning with
//!   `begin`, to write a trace.
//!
//! On Windows, the fake GPMC of feature `com-fake` (`com::fake`) runs the same plan as
//! [`serve`](Simulation::serve) does, under COM: the same seeds and options give the same
//! calls through both.
//!
//! ```
//! use gpmc_progress::live::Tracker;
//! use gpmc_progress::simulate::Simulation;
//! use gpmc_progress::{HResult, OperationKind, OutcomeKind};
//!
//! let tracker = Tracker::new(OperationKind::GpoBackup);
//! let server = Simulation::new(OperationKind::GpoBackup)
//!     .extensions(5)
//!     .warning_at(2)
//!     .fail_at(3, HResult::E_ACCESSDENIED)
//!     .seed(7)
//!     .serve(&tracker)?;
//! let outcome = tracker.wait()?;
//! assert_eq!(outcome.kind(), OutcomeKind::Failed);
//! assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED);
//! assert_eq!(server.join().calls, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A recorded trace can stand in for the simulation: [`RecordedRun`] (feature `trace`) serves
//! a real GPMC run, recorded once on Windows, into a tracker on any platform, at its
//! recorded pace or faster.
//!
//! The module's files: `simulation.rs` (the configuration and its errors), `plan.rs` (the
//! plan, pure), `server.rs` (the live server), `recorded.rs` (a recorded trace as a server),
//! `data.rs` (the generated texts, GUIDs and results).

mod data;
mod plan;
#[cfg(feature = "trace")]
mod recorded;
mod server;
mod simulation;

#[cfg(feature = "trace")]
pub use recorded::{Playback, PlaybackError, RecordedRun};
pub use server::{Served, SimulatedCancel, SimulatedServer};
pub use simulation::{Simulation, SimulationError, MAX_EXTENSIONS};

#[cfg(all(windows, feature = "com-fake"))]
pub(crate) use server::{Follower, Port, Script, Signal};
