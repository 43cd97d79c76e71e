//! Traces: a recorded operation as JSON Lines (the format is in the [crate docs' Traces
//! section](crate#traces)), read, written and replayed through the
//! [`StatusMachine`](crate::StatusMachine).
//!
//! A trace holds one operation, one JSON object per line:
//!
//! ```text
//! {"event":"begin","operation":"gpo-backup"}
//! {"event":"status","numerator":0,"denominator":3,"hr":"0x00000000"}
//! {"event":"cancel"}
//! {"event":"status","numerator":3,"denominator":3,"hr":"0x800704C7"}
//! ```
//!
//! Any event may carry `ms`, the milliseconds since the operation began
//! (`{"event":"cancel","ms":1210}`); a trace without it has no timing.
//!
//! - [`TraceReader`] reads events one line at a time in constant memory, each as a
//!   [`TraceLine`] (the event, its line and its `ms`), naming the line of any input error
//!   ([`TraceReadError`]);
//! - [`TraceWriter`] writes events in the canonical form, with or without `ms`, and refuses
//!   what the reader would refuse (a late `begin`, a decreasing `ms`);
//! - [`replay`] runs a whole trace through the state machine and returns its [`Verdict`],
//!   which [`Verdict::to_json`] turns into the checker's output (see the [crate docs'
//!   Checking traces section](crate#checking-traces)), in memory bounded by the longest
//!   line (each message is read and checked, none is kept).
//!
//! Available with the `trace` feature.

mod error;
mod event;
mod reader;
mod replay;
mod wire;
mod writer;

pub use error::{TraceErrorKind, TraceReadError};
pub use event::TraceEvent;
pub use reader::{TraceLine, TraceReader};
pub use replay::{replay, TraceAnomaly, Verdict};
pub use writer::TraceWriter;
#[cfg(feature = "live")]
pub(crate) use writer::{status_line, with_ms, EventOut};
