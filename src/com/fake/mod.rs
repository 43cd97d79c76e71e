//! A fake GPMC to test against (feature `com-fake`, Windows only), and the one the crate's
//! own COM tests run against.
//!
//! [`FakeGpmc`] hands out fake GPMC objects: the root object `IGPM` ([`FakeGpmc::gpm`]), for
//! [`Gpm`](super::Gpm) and its look-ups; a domain (`IGPMDomain2`, also an `IGPMDomain`) with
//! the GPOs a test wants ([`FakeGpmc::with_gpo`]); a GPO, a backup, an RSoP object, a
//! Starter GPO and a Starter GPO backup. Their 14 asynchronous methods play an operation as
//! GPMC runs the real one. The operation of each method comes from one of two sources:
//!
//! - a [`Simulation`] ([`FakeGpmc::simulation`]; by default `Simulation::new(kind)`, a
//!   conforming, successful run with seed 0): the crate's simulated server, the one
//!   [`Simulation::serve`] runs for a [`Tracker`](crate::live::Tracker) on any platform, so
//!   the same seeds and options give the same calls through both. Its results reflect the
//!   method's arguments (see below);
//! - a hand-written [`script`] ([`FakeGpmc::play`]): calls a simulation never makes (failing
//!   getters, invalid UTF-16, elements that are not messages, unexpected VARIANTs), waits for
//!   the client's cancel, meetings with the test.
//!
//! A method call goes as follows:
//!
//! - the method records its arguments ([`FakeGpmc::calls`]);
//! - when the simulation [fails to start](Simulation::fail_to_start), it returns that
//!   HRESULT and starts nothing (a simulation that cannot run as configured, a
//!   [`SimulationError`](crate::simulate::SimulationError), is `E_INVALIDARG`);
//! - with a null `pvarGPMProgress` it runs synchronously and returns an `IGPMResult`
//!   (`OverallStatus`, `Status`, `Result`): a simulation's outcome without the cancel, the
//!   broken rule and the let-go, or a script's last call;
//! - otherwise it reads the sink from `pvarGPMProgress` (a `VT_DISPATCH` VARIANT; anything
//!   else is `E_INVALIDARG`), starts the operation's thread in the multithreaded apartment,
//!   writes an `IGPMAsyncCancel` to `pvarGPMCancel` (as `VT_DISPATCH`), and returns `S_OK`
//!   with a null `IGPMResult` (windows-rs: an error whose code is `S_OK`, which
//!   [`ProgressSink::started`](super::ProgressSink::started) takes as a start). A thread that
//!   cannot start is `E_OUTOFMEMORY`, with `pvarGPMCancel` untouched;
//! - the thread calls `IGPMAsyncProgress::Status` through the sink's vtable, with a fresh
//!   result VARIANT and message collection per call (quiet calls pass a null `pResult` and
//!   a null collection), and releases the sink when the operation ends (after a
//!   [let-go](Simulation::let_go_at): before the finishing call);
//! - `IGPMAsyncCancel::Cancel` tells the running operation, which answers with the
//!   simulation's [`cancel_answer`](Simulation::cancel_answer) at its next step (or lets a
//!   script's [`Step::AwaitCancel`] go on), unless the fake
//!   [refuses cancels](FakeGpmc::refuse_cancel). A planned
//!   [`cancel_at`](Simulation::cancel_at) is requested on the client's behalf, as `serve`
//!   does, when the sink is this crate's [`ProgressSink`](super::ProgressSink); a foreign
//!   sink only sees the server's answer.
//!
//! # Look-ups and results
//!
//! The domain is [`DOMAIN`] (`IGPM::GetDomain` of another name fails with
//! `HRESULT_FROM_WIN32(ERROR_NO_SUCH_DOMAIN)`). It holds the GPO "Default Domain Policy"
//! ([`GPO_ID`]) and those added with [`FakeGpmc::with_gpo`]: `IGPMDomain::GetGPO` finds one
//! by ID (ignoring ASCII case; another ID fails with
//! `HRESULT_FROM_WIN32(ERROR_DS_NO_SUCH_OBJECT)`), and `SearchGPOs` with the fake's own
//! search criteria (`IGPM::CreateSearchCriteria`) finds those whose display name equals the
//! one asked for: none, one or several. `IGPM::GetBackupDir(dir).GetBackup(id)` finds the
//! backups of GPOs the fake made into `dir`, and [`FakeGpmc::backup`]'s in
//! `C:\GPO Backups` (another fails with `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`).
//! `IGPM::GetRSOP` gives the RSoP object, whose logging setters and query results succeed.
//!
//! A simulation's result reflects the arguments of the method that runs it: a backup
//! (`IGPMGPO::Backup`, `IGPMStarterGPO::Backup`) has the directory and comment it was given
//! and the ID of the GPO (or Starter GPO) backed up; a copy (`CopyTo`) has the new display
//! name when one was given. The rest (the backup's own ID, a report) is the simulation's.
//!
//! Every fake object is agile (it aggregates the free-threaded marshaler), and every other
//! method of these interfaces answers `E_NOTIMPL`.
//!
//! # What a test can check
//!
//! [`FakeGpmc::objects_alive`] counts the fake objects alive (result objects, messages,
//! collections, enumerators, cancel objects included): after [`FakeGpmc::join`] and once the
//! client released what it was given, it is back to zero. [`FakeGpmc::sink_errors`] lists
//! what the client's sink did wrong in the fake's `Status` calls (an answer other than
//! `S_OK`, a change to the server's VARIANT). Dropping the fake leaves running operations to
//! their end (their threads are detached): [`join`](FakeGpmc::join) first to wait for them.
//!
//! # Example
//!
//! A user's code under test, driven against the fake through the typed entry points (no
//! `unsafe`, no VARIANT):
//!
//! ```
//! use gpmc_progress::com::fake::FakeGpmc;
//! use gpmc_progress::com::GpoExt;
//! use gpmc_progress::simulate::Simulation;
//! use gpmc_progress::{HResult, OperationKind, ResultDescription};
//! use windows::Win32::System::GroupPolicy::IGPMGPO;
//!
//! /// The code under test: backs a GPO up and says where the backup went.
//! fn back_up(gpo: &IGPMGPO) -> Result<String, Box<dyn std::error::Error>> {
//!     let outcome = gpo.backup(r"C:\Backups", "nightly").start()?.wait()?;
//!     match outcome.result().map(|backup| backup.description()) {
//!         Some(ResultDescription::Backup { directory: Some(dir), .. }) => Ok(dir.clone()),
//!         _ => Err(format!("the backup {}", outcome.kind()).into()),
//!     }
//! }
//!
//! let gpmc = FakeGpmc::new().simulation(
//!     Simulation::new(OperationKind::GpoBackup).extensions(3).warning_at(1).seed(7),
//! );
//! assert_eq!(back_up(&gpmc.gpo())?, r"C:\Backups");
//!
//! let failing = FakeGpmc::new()
//!     .simulation(Simulation::new(OperationKind::GpoBackup).fail_at(1, HResult::E_ACCESSDENIED));
//! assert!(back_up(&failing.gpo()).is_err());
//!
//! for fake in [gpmc, failing] {
//!     fake.join();
//!     assert_eq!(fake.objects_alive(), 0);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod objects;
mod operation;
mod root;
pub mod script;
mod status;
#[cfg(test)]
mod tests;
mod worker;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use windows::Win32::Foundation::{E_INVALIDARG, VARIANT_BOOL};
use windows::Win32::System::GroupPolicy::{
    IGPMAsyncProgress, IGPMBackup, IGPMDomain2, IGPMResult, IGPMStarterGPO, IGPMStarterGPOBackup,
    IGPM, IGPMGPO, IGPMRSOP,
};
use windows::Win32::System::Variant::{
    VARIANT, VT_BSTR, VT_DISPATCH, VT_EMPTY, VT_I4, VT_NULL, VT_UNKNOWN,
};
use windows_core::{Interface, BSTR};

use crate::simulate::{Served, Simulation};
use crate::{HResult, OperationKind, ResultDescription};
use script::{CallSpec, Props, Step};

/// The GPO the fake's domain holds from the start ([`FakeGpmc::gpo`]): its `ID`. Its display
/// name is "Default Domain Policy".
pub const GPO_ID: &str = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
/// The fake's domain, the domain of every fake object.
pub const DOMAIN: &str = "example.test";

/// The fake backup of [`FakeGpmc::backup`]: its `ID` (of [`GPO_ID`], in `C:\GPO Backups`).
const BACKUP_ID: &str = "{6E2A6B8C-1B1F-4D2E-9C3A-2F5D8E7A9B01}";

/// `HRESULT_FROM_WIN32(ERROR_DS_NO_SUCH_OBJECT)`: what `GetGPO` answers for an unknown ID.
const NO_SUCH_OBJECT: HResult = HResult::ERROR_DS_NO_SUCH_OBJECT;

/// A fake GPMC: where each method's operation comes from, the domain's GPOs, the calls it
/// received, the threads it started and the fake objects alive. Cheap to clone (every clone
/// is the same fake), `Send + Sync`.
#[derive(Clone)]
pub struct FakeGpmc {
    inner: Arc<Inner>,
}

struct Inner {
    sources: Mutex<Vec<(OperationKind, Source)>>,
    /// The domain's GPOs: (ID, display name).
    gpos: Mutex<Vec<(String, String)>>,
    /// The GPO backups made so far: (directory, properties).
    backups: Mutex<Vec<(String, Props)>>,
    cancel_refusal: Mutex<Option<HResult>>,
    calls: Mutex<Vec<FakeCall>>,
    workers: Mutex<Vec<JoinHandle<Served>>>,
    sink_errors: Mutex<Vec<String>>,
    alive: AtomicUsize,
    #[cfg(test)]
    hooks: tests::Hooks,
}

/// Where a method's operation comes from.
#[derive(Clone)]
enum Source {
    Simulation(Simulation),
    Script(Vec<Step>),
}

/// One call of an asynchronous method, as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeCall {
    /// The operation the method starts (one per method).
    pub operation: OperationKind,
    /// Whether it was called asynchronously (a non-null `pvarGPMProgress`).
    pub asynchronous: bool,
    /// The method's own arguments before `pvarGPMProgress`, by their windows-rs names.
    pub arguments: Vec<(&'static str, FakeArgument)>,
}

/// An argument as received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FakeArgument {
    /// A `BSTR`, or a VARIANT holding one.
    Text(String),
    /// An integer: flags, a report type, or a VARIANT holding a `VT_I4`.
    Number(i32),
    /// A `VARIANT_BOOL`.
    Bool(bool),
    /// An interface, or a VARIANT holding one.
    Object,
    /// A null pointer, a null interface, or an empty VARIANT.
    Missing,
    /// A VARIANT of another type: its `VARTYPE`.
    Variant(u16),
}

impl core::fmt::Debug for FakeGpmc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FakeGpmc")
            .field("objects_alive", &self.objects_alive())
            .finish_non_exhaustive()
    }
}

impl Default for FakeGpmc {
    fn default() -> Self {
        FakeGpmc::new()
    }
}

impl FakeGpmc {
    /// A fake whose every operation runs `Simulation::new(kind)` (a conforming, successful
    /// run with seed 0), whose domain holds the Default Domain Policy, and which has made one
    /// backup of it.
    pub fn new() -> Self {
        let backup = Props::of(&[
            ("ID", BACKUP_ID),
            ("GPOID", GPO_ID),
            ("BackupDir", r"C:\GPO Backups"),
            ("Comment", "fake backup"),
        ]);
        FakeGpmc {
            inner: Arc::new(Inner {
                sources: Mutex::default(),
                gpos: Mutex::new(vec![(GPO_ID.into(), "Default Domain Policy".into())]),
                backups: Mutex::new(vec![(r"C:\GPO Backups".into(), backup)]),
                cancel_refusal: Mutex::default(),
                calls: Mutex::default(),
                workers: Mutex::default(),
                sink_errors: Mutex::default(),
                alive: AtomicUsize::new(0),
                #[cfg(test)]
                hooks: tests::Hooks::default(),
            }),
        }
    }

    /// Runs `simulation` for its operation ([`Simulation::operation`]) from now on,
    /// replacing what was set for it before.
    #[must_use]
    pub fn simulation(self, simulation: Simulation) -> Self {
        self.set_source(simulation.operation(), Source::Simulation(simulation));
        self
    }

    /// Plays `steps` for `operation` from now on, replacing what was set for it before:
    /// hand-written calls (see [`script`]), for what a simulation never does. The
    /// synchronous form reports the last call as its `IGPMResult`.
    #[must_use]
    pub fn play(self, operation: OperationKind, steps: impl IntoIterator<Item = Step>) -> Self {
        self.set_source(operation, Source::Script(steps.into_iter().collect()));
        self
    }

    /// Adds a GPO to the domain (a display name may be given to several).
    #[must_use]
    pub fn with_gpo(self, id: &str, display_name: &str) -> Self {
        lock(&self.inner.gpos).push((id.into(), display_name.into()));
        self
    }

    /// Makes every `IGPMAsyncCancel::Cancel` fail with `hr` (a failure code), without
    /// telling the operation: a server that will not stop.
    #[must_use]
    pub fn refuse_cancel(self, hr: HResult) -> Self {
        *lock(&self.inner.cancel_refusal) = Some(hr);
        self
    }

    /// The fake root object, `IGPM` (what `CoCreateInstance` of `GPMgmt.GPM` gives), for
    /// [`Gpm`](super::Gpm) (`Gpm::from(fake.gpm())`) and its look-ups.
    pub fn gpm(&self) -> IGPM {
        root::FakeGpm::new(self).into()
    }

    /// The domain's Default Domain Policy ([`GPO_ID`], in [`DOMAIN`]): `Backup`, `Import`,
    /// `CopyTo`, `GenerateReport`.
    pub fn gpo(&self) -> IGPMGPO {
        objects::FakeGpo::in_domain(self, GPO_ID, "Default Domain Policy").into()
    }

    /// The domain ([`DOMAIN`]), also an `IGPMDomain`: `GetGPO`, `SearchGPOs`,
    /// `RestoreGPO`, `LoadStarterGPO`, `RestoreStarterGPO`.
    pub fn domain(&self) -> IGPMDomain2 {
        objects::FakeDomain::new(self).into()
    }

    /// A backup of the Default Domain Policy in `C:\GPO Backups`: `GenerateReport`.
    pub fn backup(&self) -> IGPMBackup {
        let props = self
            .backup_entry(r"C:\GPO Backups", BACKUP_ID)
            .unwrap_or_default();
        objects::FakeBackup::new(self, props).into()
    }

    /// An RSoP object: `GenerateReport`.
    pub fn rsop(&self) -> IGPMRSOP {
        objects::FakeRsop::new(self).into()
    }

    /// A Starter GPO: `Save`, `Backup`, `CopyTo`, `GenerateReport`.
    pub fn starter_gpo(&self) -> IGPMStarterGPO {
        let props = Props::of(&[
            ("ID", "{9A3F0C1E-7B2D-4E8F-A6C5-1D0B3E2F4A55}"),
            ("DisplayName", "Fake Starter GPO"),
        ]);
        objects::FakeStarterGpo::new(self, props).into()
    }

    /// A Starter GPO backup: `GenerateReport`.
    pub fn starter_gpo_backup(&self) -> IGPMStarterGPOBackup {
        let props = Props::of(&[
            ("ID", "{0C4D2B7A-5E6F-4A1B-8C9D-3E2F1A0B9C77}"),
            ("StarterGPOID", "{9A3F0C1E-7B2D-4E8F-A6C5-1D0B3E2F4A55}"),
            ("BackupDir", r"C:\Starter GPO Backups"),
            ("Comment", "fake backup"),
        ]);
        objects::FakeStarterGpoBackup::new(self, props).into()
    }

    /// Plays `steps` to `sink` on a thread of their own in the multithreaded apartment, as a
    /// GPMC worker thread does, without a method: no call is recorded and no cancel object
    /// is handed out (so `steps` may not await one: `E_INVALIDARG`). The thread releases the
    /// sink at its end; join it to know it did. COM must be initialised on this thread.
    pub fn serve(
        &self,
        sink: &IGPMAsyncProgress,
        steps: impl IntoIterator<Item = Step>,
    ) -> windows_core::Result<JoinHandle<Served>> {
        worker::serve(self, sink, steps.into_iter().collect())
    }

    /// Makes one `Status` call to `sink` on this thread, with fresh objects.
    pub fn status(&self, sink: &IGPMAsyncProgress, call: &CallSpec) {
        status::play(sink, call, self);
    }

    /// An `IGPMResult` reporting `call` as a synchronous method does: `OverallStatus` is its
    /// `hr`, `Status` its messages, `Result` its result.
    pub fn sync_result(&self, call: &CallSpec) -> IGPMResult {
        operation::FakeResult::new(self, call.hr, call.messages.clone(), call.result.clone()).into()
    }

    /// Every call of an asynchronous method so far, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        lock(&self.inner.calls).clone()
    }

    /// Waits for every operation thread started so far (by a method, not by
    /// [`serve`](Self::serve)), and says what each did, in the order they started.
    pub fn join(&self) -> Vec<Served> {
        let workers = std::mem::take(&mut *lock(&self.inner.workers));
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or_default())
            .collect()
    }

    /// The fake objects alive: handed out, delivered as results, messages, collections,
    /// enumerators, cancel objects, synchronous `IGPMResult`s and look-up results.
    pub fn objects_alive(&self) -> usize {
        self.inner.alive.load(Ordering::SeqCst)
    }

    /// What the client's sink did wrong in the fake's `Status` calls so far, one sentence
    /// each: an answer other than `S_OK` (GPMC ignores it), a change to the VARIANT the
    /// server passed (it belongs to the server).
    pub fn sink_errors(&self) -> Vec<String> {
        lock(&self.inner.sink_errors).clone()
    }

    fn set_source(&self, operation: OperationKind, source: Source) {
        let mut sources = lock(&self.inner.sources);
        sources.retain(|(kind, _)| *kind != operation);
        sources.push((operation, source));
    }

    fn source(&self, operation: OperationKind) -> Source {
        lock(&self.inner.sources)
            .iter()
            .find(|(kind, _)| *kind == operation)
            .map(|(_, source)| source.clone())
            .unwrap_or_else(|| Source::Simulation(Simulation::new(operation)))
    }

    /// One asynchronous method, called: recorded, then failed, started or run synchronously.
    fn call(
        &self,
        operation: OperationKind,
        arguments: Vec<(&'static str, FakeArgument)>,
        reflect: Reflect,
        progress: *const VARIANT,
        cancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        // SAFETY: GPMC's `[in] VARIANT*`: null, or a VARIANT the caller keeps alive for the
        // call; only borrowed.
        let progress = unsafe { progress.as_ref() };
        lock(&self.inner.calls).push(FakeCall {
            operation,
            asynchronous: progress.is_some(),
            arguments,
        });
        match self.source(operation) {
            Source::Simulation(simulation) => {
                let script = simulation.script().map_err(|_| invalid_argument())?;
                if let Some(hr) = script.start_failure() {
                    return Err(windows_core::HRESULT::from(hr).into());
                }
                match progress {
                    None => worker::simulation_sync(self, &simulation, &reflect),
                    Some(progress) => {
                        let run = worker::Run::Simulation {
                            script,
                            reflect,
                            operation,
                        };
                        worker::start(self, run, progress, cancel)
                    }
                }
            }
            Source::Script(steps) => match progress {
                None => worker::steps_sync(self, &steps),
                Some(progress) => worker::start(self, worker::Run::Steps(steps), progress, cancel),
            },
        }
    }

    fn push_worker(&self, worker: JoinHandle<Served>) {
        lock(&self.inner.workers).push(worker);
    }

    fn sink_error(&self, error: String) {
        lock(&self.inner.sink_errors).push(error);
    }

    fn cancel_refusal(&self) -> Option<HResult> {
        *lock(&self.inner.cancel_refusal)
    }

    fn gpo_entries(&self) -> Vec<(String, String)> {
        lock(&self.inner.gpos).clone()
    }

    /// The domain's GPO with this ID (ignoring ASCII case).
    fn gpo_entry(&self, id: &str) -> Option<(String, String)> {
        lock(&self.inner.gpos)
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(id))
            .cloned()
    }

    /// The properties of the GPO backup `id` in `directory` (both ignoring ASCII case, the
    /// directory a trailing `\` too).
    fn backup_entry(&self, directory: &str, id: &str) -> Option<Props> {
        let directory = directory.trim_end_matches('\\');
        lock(&self.inner.backups)
            .iter()
            .find(|(dir, props)| {
                dir.trim_end_matches('\\').eq_ignore_ascii_case(directory)
                    && matches!(props.get("ID"), Some(Ok(units))
                        if String::from_utf16_lossy(units).eq_ignore_ascii_case(id))
            })
            .map(|(_, props)| props.clone())
    }

    /// Keeps a GPO backup that `operation` reports, for `IGPMBackupDir::GetBackup`.
    fn keep_backup(&self, operation: OperationKind, result: &ResultDescription) {
        if let (OperationKind::GpoBackup, ResultDescription::Backup { directory, .. }) =
            (operation, result)
        {
            if let (Some(directory), script::ResultSpec::Backup(props)) =
                (directory, script::ResultSpec::from(result))
            {
                lock(&self.inner.backups).push((directory.clone(), props));
            }
        }
    }
}

/// What a method's arguments make of the result a simulation reports.
#[derive(Clone, Debug, Default)]
struct Reflect {
    /// The ID of the GPO (or Starter GPO) the method was called on.
    target_id: Option<String>,
    /// A backup's directory.
    directory: Option<String>,
    /// A backup's comment.
    comment: Option<String>,
    /// A copy's new display name.
    new_name: Option<String>,
}

impl Reflect {
    fn apply(&self, result: &mut ResultDescription) {
        match result {
            ResultDescription::Backup {
                gpo_id,
                directory,
                comment,
                ..
            }
            | ResultDescription::StarterGpoBackup {
                gpo_id,
                directory,
                comment,
                ..
            } => {
                for (field, value) in [
                    (gpo_id, &self.target_id),
                    (directory, &self.directory),
                    (comment, &self.comment),
                ] {
                    if value.is_some() {
                        field.clone_from(value);
                    }
                }
            }
            ResultDescription::Gpo { display_name, .. }
            | ResultDescription::StarterGpo { display_name, .. }
                if self.new_name.is_some() =>
            {
                display_name.clone_from(&self.new_name);
            }
            _ => {}
        }
    }
}

/// Compile-time proof that the fake crosses threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<FakeGpmc>();
    send_sync::<FakeCall>();
};

/// Held by every fake object: counts it among those alive, and reaches its fake GPMC.
pub(crate) struct Counted(FakeGpmc);

impl Counted {
    fn new(gpmc: &FakeGpmc) -> Self {
        gpmc.inner.alive.fetch_add(1, Ordering::SeqCst);
        Counted(gpmc.clone())
    }

    fn gpmc(&self) -> &FakeGpmc {
        &self.0
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.inner.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Argument recorders.
fn text(value: &BSTR) -> FakeArgument {
    FakeArgument::Text(String::from_utf16_lossy(value))
}

fn number(value: i32) -> FakeArgument {
    FakeArgument::Number(value)
}

fn boolean(value: VARIANT_BOOL) -> FakeArgument {
    FakeArgument::Bool(value.as_bool())
}

fn object<T: Interface>(value: Option<&T>) -> FakeArgument {
    match value {
        Some(_) => FakeArgument::Object,
        None => FakeArgument::Missing,
    }
}

fn variant(value: *const VARIANT) -> FakeArgument {
    // SAFETY: an `[in, optional] VARIANT*`: null, or a VARIANT the caller keeps alive for the
    // call; only borrowed.
    let Some(value) = (unsafe { value.as_ref() }) else {
        return FakeArgument::Missing;
    };
    let vt = value.vt();
    if vt == VT_EMPTY || vt == VT_NULL {
        FakeArgument::Missing
    } else if vt == VT_BSTR {
        // SAFETY: `vt` says the active member is `bstrVal`; borrowed only.
        let bstr: &BSTR = unsafe { &value.Anonymous.Anonymous.Anonymous.bstrVal };
        text(bstr)
    } else if vt == VT_I4 {
        // SAFETY: `vt` says the active member is `lVal`.
        FakeArgument::Number(unsafe { value.Anonymous.Anonymous.Anonymous.lVal })
    } else if vt == VT_DISPATCH || vt == VT_UNKNOWN {
        match super::result::borrowed_object(value) {
            Some(_) => FakeArgument::Object,
            None => FakeArgument::Missing,
        }
    } else {
        FakeArgument::Variant(vt.0)
    }
}

/// `E_INVALIDARG` as an error.
fn invalid_argument() -> windows_core::Error {
    E_INVALIDARG.into()
}
