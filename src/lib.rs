//! The progress protocol of the Windows Group Policy Management Console (GPMC) COM API,
//! `IGPMAsyncProgress::Status`, as platform-independent value types and a sans-IO state
//! machine that judges a sequence of `Status` calls against named rules.
//!
//! # The protocol
//!
//! A GPMC method such as `IGPMGPO::Backup` runs asynchronously when the caller passes an
//! `IGPMAsyncProgress` sink. The server then calls
//! `Status(numerator, denominator, hrStatus, pResult, messages)` on it as the work goes on,
//! and hands the caller an `IGPMAsyncCancel` to stop it. Microsoft documents three things
//! about those calls ([IGPMAsyncProgress::Status]):
//!
//! 1. the operation is complete when `numerator == denominator`;
//! 2. the result object (an `IGPMBackup`, an `IGPMGPO`, a report string, …) is only returned
//!    when the operation is complete;
//! 3. the message collection is null when there are no errors or no detailed messages.
//!
//! Everything else is undocumented: whether the denominator stays fixed, whether the
//! numerator can go back, whether a failure can arrive before completion, what a cancelled
//! operation reports. This crate enforces the documented rules always and turns every
//! undocumented question into an explicit, named [`Rule`] that [`Rules`] make a violation or
//! an anomaly.
//!
//! # The rules
//!
//! In precedence order (when one call breaks several, they are judged in this order):
//!
//! | rule | a `Status` call breaks it when | under `documented` |
//! |---|---|---|
//! | `status-after-completion` | it arrives after the finishing call | always a violation |
//! | `negative-progress` | the numerator or the denominator is negative | always a violation |
//! | `numerator-exceeds-denominator` | numerator > denominator | always a violation |
//! | `denominator-changed` | the denominator differs from the previous call's | anomaly: the new one is taken |
//! | `numerator-decreased` | the numerator is lower than the previous call's | anomaly: the lower one is taken |
//! | `failure-before-completion` | `hrStatus` is a failure and numerator < denominator | anomaly: the call finishes the operation |
//! | `result-before-completion` | it carries a result and is not the finishing call | always a violation |
//! | `result-on-failure` | it finishes the operation with a failure and a result | anomaly: the result is kept |
//! | `unexpected-result` | its result's type is not one the operation allows | anomaly: the result is kept |
//! | `missing-result` | it finishes the operation, succeeds, and lacks the operation's result | anomaly: success without result |
//!
//! A call *finishes* the operation when `numerator == denominator` (`0/0` included), or when it is a
//! failure before completion and `failure-before-completion` is an anomaly. Before the
//! finishing call, repeated fractions and a first call at any fraction are fine. A null and an
//! empty message collection both mean "no messages"; messages may come on any call.
//!
//! The [`Preset::Documented`] rules (the default) are what a client needs to survive real
//! servers; [`Preset::Strict`] makes every rule a violation, for testing servers and
//! simulators; each configurable rule can also be set on its own.
//!
//! # Outcomes
//!
//! The finishing call decides the [`OperationOutcome`]: a success `hrStatus` (any non-negative
//! HRESULT) *succeeded*, with the result and every message of the operation; a failure is
//! *failed*, or *cancelled* when the client had requested cancel before it. A success after a
//! cancel request is still a success, and a cancel request after the finishing call changes
//! nothing. Percent progress is `floor(100 * numerator / denominator)`, exact over the whole
//! `i32` range, so only a complete fraction shows 100% ([`ProgressFraction::percent`]). A
//! complete fraction is not a success: a failed or cancelled operation usually finishes at
//! n/n too, and only its outcome says how it went.
//!
//! # Operations and their results
//!
//! [`OperationKind`] names the asynchronous GPMC methods and the [`ResultType`]s each delivers
//! on success (`IGPMGPO::Backup` an `IGPMBackup`, `Import`/`CopyTo`/`IGPMDomain::RestoreGPO`
//! an `IGPMGPO`, every `GenerateReport` a report string, the Starter GPO methods a Starter GPO
//! or its backup). The machine is generic over the result it carries ([`TypedResult`]): plain
//! [`ResultDescription`]s for traces and tests, live objects for a COM adapter.
//!
//! | operation id | GPMC method | result type on success |
//! |---|---|---|
//! | `gpo-backup` | `IGPMGPO::Backup` | `backup` |
//! | `gpo-import` | `IGPMGPO::Import` | `gpo` |
//! | `gpo-copy` | `IGPMGPO::CopyTo` | `gpo` |
//! | `gpo-report` | `IGPMGPO::GenerateReport` | `text` |
//! | `domain-restore-gpo` | `IGPMDomain::RestoreGPO` | `gpo` |
//! | `backup-report` | `IGPMBackup::GenerateReport` | `text` |
//! | `rsop-report` | `IGPMRSOP::GenerateReport` | `text` |
//! | `domain-load-starter-gpo` | `IGPMDomain2::LoadStarterGPO` | `starter-gpo` |
//! | `domain-restore-starter-gpo` | `IGPMDomain2::RestoreStarterGPO` | `starter-gpo` |
//! | `starter-gpo-save` | `IGPMStarterGPO::Save` | `text` (the GUID) |
//! | `starter-gpo-backup` | `IGPMStarterGPO::Backup` | `starter-gpo-backup` or `backup` |
//! | `starter-gpo-copy` | `IGPMStarterGPO::CopyTo` | `starter-gpo` or `gpo` |
//! | `starter-gpo-report` | `IGPMStarterGPO::GenerateReport` | `text` |
//! | `starter-gpo-backup-report` | `IGPMStarterGPOBackup::GenerateReport` | `text` |
//! | `unknown` | any | any (`missing-result` and `unexpected-result` are not checked) |
//!
//! The sixth result type, `object`, is an object whose interface was not identified; only
//! `unknown` allows it.
//!
//! # Building values, and what may grow
//!
//! The protocol's values are plain data. [`StatusCall`] (the five parameters of `Status`) and
//! [`StatusMessage`] (the six properties of `IGPMStatusMessage`) have public fields and are
//! built with struct literals as well as with their constructors and `with_` methods.
//! [`Input`], [`Phase`], [`OutcomeKind`] and [`RuleSetting`] list everything the protocol
//! allows, so a `match` on them needs no wildcard. The tables that a later version may extend
//! are `#[non_exhaustive]`: [`Rule`], [`Preset`], [`OperationKind`], [`ResultType`],
//! [`Event`], the trace events and every error type.
//!
//! The types that carry a result ([`StatusMachine`], [`StatusCall`], [`OperationOutcome`], the
//! live tracker) carry plain [`ResultDescription`]s unless told otherwise. Their plain
//! constructors ([`StatusMachine::new`], [`StatusMachine::default`], [`StatusCall::progress`],
//! `Tracker::new`, `TrackerBuilder::new`) make that default and need no annotation; the
//! *typed* ones ([`StatusMachine::typed`], [`StatusCall::typed_progress`],
//! `TrackerBuilder::typed`) carry any other result type, such as the COM adapter's.
//!
//! # The end of an operation
//!
//! One word runs through the API: an operation *finishes* with its *finishing call*, the
//! `Status` call that decides its [`OperationOutcome`] ([`Phase::Finished`],
//! [`Event::Finished`], [`StatusMachine::finishing_call`]). *Complete* is kept for the
//! fraction, as Microsoft uses it: `numerator == denominator`
//! ([`ProgressFraction::is_complete`]); a failure at 1/3 finishes an operation that is not
//! complete. The live tracker's *end* is what waiting returns: the outcome of a finished
//! operation, or the error that stopped tracking it.
//!
//! # Example
//!
//! ```
//! use gpmc_progress::{
//!     HResult, OperationKind, OutcomeKind, ResultDescription, Rules, StatusCall, StatusMachine,
//!     StatusMessage,
//! };
//!
//! fn main() -> Result<(), gpmc_progress::Violation> {
//!     // A backup of a GPO with four extensions, as the GPMC server reports it.
//!     let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::documented());
//!     machine.handle_status(StatusCall::progress(0, 4))?;
//!     machine.handle_status(
//!         StatusCall::progress(2, 4)
//!             .with_messages(vec![StatusMessage::new("one registry setting was skipped")]),
//!     )?;
//!     machine.handle_status(StatusCall::progress(4, 4).with_result(ResultDescription::Backup {
//!         id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
//!         gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
//!         directory: Some(r"C:\Backups".into()),
//!         comment: Some("nightly".into()),
//!     }))?;
//!
//!     while let Some(event) = machine.poll_event() {
//!         // `progress 2/4 (50%)`, `message: one registry setting was skipped`, ...,
//!         // `finished: succeeded`
//!         println!("{event}");
//!     }
//!     let outcome = machine.outcome().expect("the last call finished the operation");
//!     assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
//!     assert_eq!(outcome.to_string(), "succeeded");
//!     assert_eq!(outcome.hr(), HResult::S_OK);
//!     assert_eq!(outcome.messages().len(), 1);
//!     assert!(machine.anomalies().is_empty());
//!     Ok(())
//! }
//! ```
//!
//! # Traces
//!
//! A trace (module `trace`, feature `trace`) records one
//! operation as JSON Lines: one JSON object per line, UTF-8. A leading byte-order mark is
//! ignored and lines may end in LF or CRLF. Blank lines (empty, or only spaces, tabs and CR)
//! are skipped but counted: a line number is the 1-based position in the file.
//!
//! ```text
//! {"event":"begin","ms":0,"operation":"gpo-backup"}
//! {"event":"status","ms":15,"numerator":0,"denominator":3,"hr":"0x00000000"}
//! {"event":"status","ms":840,"numerator":1,"denominator":3,"messages":[{"extension_name":"Security","error_code":"0x80070005","message":"a group could not be resolved"}]}
//! {"event":"cancel","ms":1210}
//! {"event":"status","ms":1232,"numerator":3,"denominator":3,"hr":"0x800704C7"}
//! ```
//!
//! | event | fields |
//! |---|---|
//! | `begin` | `operation` (required): an operation id from the table above. Optional; if present, the first event. Without it the operation is `unknown`. |
//! | `status` | `numerator`, `denominator` (required, 32-bit signed JSON integers: no fraction, no exponent); `hr` (default S_OK); `result` (absent = no result); `messages` (a list; absent = a null collection, `[]` = an empty one) |
//! | `cancel` | none: the client called `IGPMAsyncCancel::Cancel` |
//! | every event | `ms` (optional): the milliseconds since the operation began (the `begin` line, or the first event without one), a JSON integer from 0 to 2^63-1, never less than the last `ms` given before it |
//!
//! - An HRESULT is a string, `0x` or `0X` and 1 to 8 hex digits in any case, or a JSON
//!   integer in -2147483648..=4294967295 (negative as signed, large as the unsigned bit
//!   pattern). Writers emit `"0x"` and 8 uppercase hex digits.
//! - A result is `{"type": T, ...}` with optional string properties: `gpo` (`id`,
//!   `display_name`, `domain`), `backup` and `starter-gpo-backup` (`id`, `gpo_id`,
//!   `directory`, `comment`), `starter-gpo` (`id`, `display_name`), `text` (`value`),
//!   `object` (none).
//! - A message has optional `object_path`, `extension_name`, `settings_name`, `message`
//!   (strings, default empty) and `error_code`, `operation_code` (HRESULTs, default 0).
//! - `ms` is when the event happened, as a recorder saw it; a trace without it has no
//!   timing. Checking a trace does not judge timing, but a negative, fractional, too large
//!   or decreasing `ms` is an input error.
//! - An optional field given as JSON null is the same as absent; a required one (`event`,
//!   `operation`, `numerator`, `denominator`, a result's `type`) given as null is an input
//!   error.
//! - Malformed JSON, a line that is not a JSON object, invalid UTF-8, unknown fields (on
//!   every event), unknown events, operations and result types, a missing required field, a
//!   value of the wrong JSON type, a number out of range and a `begin` that is not first are
//!   input errors that name their line; so is a line longer than 64 MiB.
//! - An empty trace, or one with only a `begin`, is an operation that has not reported yet.
//! - Writers omit absent optional fields and keep an empty message collection (`[]`) apart
//!   from a null one (field omitted), so a trace read and written again means the same.
//!
//! # Checking traces
//!
//! Checking a trace (`gpmc-trace check`, or `trace::Verdict::to_json` in the library) gives
//! one verdict per trace, one JSON object on one line:
//!
//! - `{"file":F,"verdict":"complete","outcome":"failed","result":null,"hr":"0x80004005","anomalies":[]}`:
//!   the finishing call was reached. `outcome` is `succeeded`, `failed` or `cancelled`;
//!   `result` is the type of the result the outcome kept, or null; `hr` is there for failed
//!   and cancelled outcomes; `anomalies` lists `{"line":N,"rule":ID}` in line order (several
//!   on one line in the rules' precedence order).
//! - `{"file":F,"verdict":"violation","line":3,"rule":"numerator-decreased","message":"..."}`:
//!   the first call that breaks a rule that is a violation under the rules in force. A call
//!   after the finishing one (a *late* call, rule `status-after-completion`) changes nothing
//!   of the end that call decided, so its verdict also carries that end: `outcome`, `result`
//!   and, for failed and cancelled, `hr`, as a `complete` verdict has them
//!   (`{"file":F,"verdict":"violation","line":5,"rule":"status-after-completion","message":"...","outcome":"cancelled","result":null,"hr":"0x800704C7"}`).
//! - `{"file":F,"verdict":"incomplete","progress":"4/9","anomalies":[]}`: the trace ended
//!   before the finishing call; `progress` is the last `Status` call's fraction, or null when
//!   there was none.
//! - `{"file":F,"verdict":"error","line":2,"message":"..."}`: the input is unreadable;
//!   `line` is null when no line is to blame (a file that cannot be opened).
//!
//! A violation's `message` counts `Status` calls (`status call 3`), its `line` counts lines:
//! they differ when a `begin` or `cancel` line came before. In the library, `complete` is
//! `trace::Verdict::Finished` and `incomplete` is `trace::Verdict::Unfinished`: *complete*
//! there means that the operation finished, whatever its fraction (a failure at 1/3 is
//! `complete`); the checker's names are part of its output format and stay as they are.
//!
//! Reading stops at the first violation or input error: later lines are not read.
//! `gpmc-trace check` exits with 0 for a complete trace, 1 violation, 3 incomplete, 2 error;
//! for several, 2 if any is 2, else 1 if any is 1, else 3 if any is 3, else 0.
//!
//! # Features
//!
//! No feature is on by default: the core needs nothing but `thiserror`.
//!
//! - `serde`: `Serialize`/`Deserialize` for the value types, the rules and the outcome.
//!   HRESULTs are written as `"0x80070005"` in human-readable formats.
//! - `proptest`: the `strategy` module, proptest strategies and a reference model for
//!   property-testing code against these semantics.
//! - `trace`: the `trace` module (JSON Lines traces: read, write, replay, check), the live
//!   tracker's trace recorder and `Simulation::events` (a simulation's plan as a trace).
//!   Implies `serde`.
//! - `live`: the `live` module, the thread-safe engine on every platform (a tracker for the
//!   client, reporters for the server's threads, waits, a future, a stream, observers), and
//!   the `simulate` module: a seeded simulated GPMC server, as a plan of inputs for a plain
//!   state machine or live on its own thread driving a tracker (cancel, failures, a broken
//!   rule, a failed start, a server that lets go, overlapping calls). Needs no `serde_json`.
//! - `cli`: the `gpmc-trace` command-line tool (`check`, `show`, `simulate`, `demo`; `record`
//!   with `com` on Windows). Implies `trace` and `live`.
//! - `com` (Windows only): the `com` module: safe, typed entry points for the 14
//!   asynchronous GPMC methods (an operation handle to cancel, wait, await or stream, with
//!   the typed result), and below them a real `IGPMAsyncProgress` sink built on the
//!   `windows` crate, a translator in front of the `live` engine (blocking and async waiting,
//!   observer, trace recorder), and a cancel handle. Implies `live` and `trace`. The only
//!   module allowed `unsafe` code. Elsewhere it only gives the live engine its spin lock.
//! - `com-fake` (Windows only): `com::fake`, a fake GPMC to test against, whose objects run
//!   a `simulate::Simulation` through the sink's vtable on their own thread, as GPMC does.
//!   Implies `com`.
//!
//! [IGPMAsyncProgress::Status]: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/api/gpmgmt/nf-gpmgmt-igpmasyncprogress-status

#![deny(unsafe_code)]
#![warn(missing_docs)]
// Crate-internal items are `pub(crate)`: `pub` means part of the public API.
#![warn(unreachable_pub)]
// On docs.rs (`--cfg docsrs`, nightly), every item gated by a feature or a platform shows
// it as a badge; the badges are derived from the `cfg` attributes themselves.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod breach;
mod call;
mod fraction;
mod hresult;
mod id;
mod machine;
mod message;
mod operation;
mod outcome;
mod result;
mod rule;

#[cfg(feature = "proptest")]
pub mod strategy;

#[cfg(feature = "live")]
pub mod simulate;
#[cfg(feature = "trace")]
pub mod trace;

#[cfg(all(windows, feature = "com"))]
#[allow(unsafe_code)]
pub mod com;

#[cfg(feature = "live")]
pub mod live;

pub use breach::{Anomaly, Breach, Violation};
pub use call::{Input, StatusCall};
pub use fraction::{FractionError, ProgressFraction};
pub use hresult::{HResult, ParseHResultError};
pub use id::ParseIdError;
pub use machine::{Accepted, Event, Phase, StatusMachine};
pub use message::StatusMessage;
pub use operation::{OperationKind, ResultType};
pub use outcome::{OperationFailed, OperationOutcome, OutcomeKind};
pub use result::{ResultDescription, TypedResult};
pub use rule::{Preset, Rule, RuleNotConfigurable, RuleSetting, Rules};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
