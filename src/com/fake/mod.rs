//! A fake GPMC to test against (feature `com-fake`, Windows only): [`FakeGpmc`] hands out
//! fake `IGPMGPO`, `IGPMDomain2` (also an `IGPMDomain`), `IGPMBackup`, `IGPMRSOP`,
//! `IGPMStarterGPO` and `IGPMStarterGPOBackup` objects whose 14 asynchronous methods run a
//! scripted operation, as GPMC runs the real one:
//!
//! - the method records its arguments ([`FakeGpmc::calls`]);
//! - when the operation's [`Simulation`] [fails to start](Simulation::fail_to_start), it
//!   returns that HRESULT and starts nothing;
//! - otherwise it reads the sink from `pvarGPMProgress` (a `VT_DISPATCH` VARIANT; anything
//!   else is `E_INVALIDARG`), writes an `IGPMAsyncCancel` to `pvarGPMCancel` (as
//!   `VT_DISPATCH`), starts the simulation on its own thread in the multithreaded apartment,
//!   and returns `S_OK` with a null `IGPMResult` (windows-rs: an error whose code is `S_OK`,
//!   which [`ProgressSink::started`](super::ProgressSink::started) takes as a start);
//! - the thread calls `IGPMAsyncProgress::Status` through the sink's vtable, with a fresh
//!   result VARIANT (a fake result object whose properties are the simulation's
//!   [`ResultDescription`], or a BSTR for reports) and a fresh message collection per call;
//!   quiet calls pass a null `pResult` and a null collection. It releases the sink when the
//!   script ends (after a [let-go](Simulation::let_go_at): before the finishing call);
//! - `IGPMAsyncCancel::Cancel` tells the running script, which answers with the
//!   simulation's [`cancel_answer`](Simulation::cancel_answer) at its next step;
//! - with a null `pvarGPMProgress` the method runs synchronously and returns an
//!   `IGPMResult` (`OverallStatus`, `Status`, `Result`): what
//!   [`outcome_from_result`](super::outcome_from_result) reads is the asynchronous run's
//!   outcome without the cancel, the broken rule and the let-go.
//!
//! The script is the crate's [`Simulation`], the one [`Simulation::serve`] runs for a
//! [`Tracker`](crate::live::Tracker) on any platform: the same seeds and options give the
//! same calls through both. A planned [`cancel_at`](Simulation::cancel_at) is requested on
//! the client's behalf, as `serve` does, when the sink is this crate's
//! [`ProgressSink`](super::ProgressSink); a foreign sink only sees the server's answer.
//!
//! A simulation that cannot run as configured (a [`SimulationError`](crate::simulate::SimulationError))
//! makes the method fail with `E_INVALIDARG`, starting nothing.
//!
//! Every other method of the six interfaces answers `E_NOTIMPL`, except the properties the
//! sink reads of a result object (`ID`, `DisplayName`, `DomainName`, `GPOID`, `BackupDir`,
//! `Comment`, `StarterGPOID`) and `IGPMDomain::Domain`. All fake objects are agile (they
//! aggregate the free-threaded marshaler).
//!
//! [`FakeGpmc::live_objects`] counts the fake objects alive (including result objects,
//! messages, collections and cancel objects): after [`FakeGpmc::join`] and once the client
//! released what it was given, it is back to zero.
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
//! assert_eq!(back_up(&gpmc.gpo())?, r"C:\GPO Backups");
//!
//! let failing = FakeGpmc::new()
//!     .simulation(Simulation::new(OperationKind::GpoBackup).fail_at(1, HResult::E_ACCESSDENIED));
//! assert!(back_up(&failing.gpo()).is_err());
//!
//! for fake in [gpmc, failing] {
//!     fake.join();
//!     assert_eq!(fake.live_objects(), 0);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod objects;
mod worker;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use windows::Win32::Foundation::{E_INVALIDARG, VARIANT_BOOL};
use windows::Win32::System::GroupPolicy::{
    IGPMBackup, IGPMDomain2, IGPMResult, IGPMStarterGPO, IGPMStarterGPOBackup, IGPMGPO, IGPMRSOP,
};
use windows::Win32::System::Variant::{
    VARIANT, VT_BSTR, VT_DISPATCH, VT_EMPTY, VT_I4, VT_NULL, VT_UNKNOWN,
};
use windows_core::{Interface, BSTR};

use crate::simulate::{Served, Simulation};
use crate::{OperationKind, ResultDescription};

/// The GPO the fake hands out with [`FakeGpmc::gpo`]: its `ID`.
pub const GPO_ID: &str = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
/// The domain of every fake object.
pub const DOMAIN: &str = "example.test";

/// A fake GPMC: the simulations it runs, the calls it received, the threads it started and
/// the fake objects alive. Cheap to clone (every clone is the same fake), `Send + Sync`.
#[derive(Clone, Default)]
pub struct FakeGpmc {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    simulations: Mutex<Vec<Simulation>>,
    calls: Mutex<Vec<FakeCall>>,
    workers: Mutex<Vec<JoinHandle<Served>>>,
    live: AtomicUsize,
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
            .field("live_objects", &self.live_objects())
            .finish_non_exhaustive()
    }
}

impl FakeGpmc {
    /// A fake whose every operation runs `Simulation::new(kind)`: a conforming, successful
    /// run with seed 0.
    pub fn new() -> Self {
        FakeGpmc::default()
    }

    /// Runs `simulation` for its operation ([`Simulation::operation`]) from now on,
    /// replacing the one set before.
    #[must_use]
    pub fn simulation(self, simulation: Simulation) -> Self {
        {
            let mut simulations = lock(&self.inner.simulations);
            simulations.retain(|s| s.operation() != simulation.operation());
            simulations.push(simulation);
        }
        self
    }

    /// The simulation run for `operation`.
    pub fn simulation_of(&self, operation: OperationKind) -> Simulation {
        lock(&self.inner.simulations)
            .iter()
            .find(|s| s.operation() == operation)
            .cloned()
            .unwrap_or_else(|| Simulation::new(operation))
    }

    /// A fake GPO (`ID` [`GPO_ID`], `DisplayName` "Default Domain Policy", in [`DOMAIN`]):
    /// `Backup`, `Import`, `CopyTo`, `GenerateReport`.
    pub fn gpo(&self) -> IGPMGPO {
        objects::FakeGpo::new(
            self,
            ResultDescription::Gpo {
                id: Some(GPO_ID.into()),
                display_name: Some("Default Domain Policy".into()),
                domain: Some(DOMAIN.into()),
            },
        )
        .into()
    }

    /// A fake domain ([`DOMAIN`]), also an `IGPMDomain`: `RestoreGPO`, `LoadStarterGPO`,
    /// `RestoreStarterGPO`.
    pub fn domain(&self) -> IGPMDomain2 {
        objects::FakeDomain::new(self).into()
    }

    /// A fake GPO backup: `GenerateReport`.
    pub fn backup(&self) -> IGPMBackup {
        objects::FakeBackup::new(
            self,
            ResultDescription::Backup {
                id: Some("{6E2A6B8C-1B1F-4D2E-9C3A-2F5D8E7A9B01}".into()),
                gpo_id: Some(GPO_ID.into()),
                directory: Some(r"C:\GPO Backups".into()),
                comment: Some("fake backup".into()),
            },
        )
        .into()
    }

    /// A fake RSoP object: `GenerateReport`.
    pub fn rsop(&self) -> IGPMRSOP {
        objects::FakeRsop::new(self).into()
    }

    /// A fake Starter GPO: `Save`, `Backup`, `CopyTo`, `GenerateReport`.
    pub fn starter_gpo(&self) -> IGPMStarterGPO {
        objects::FakeStarterGpo::new(
            self,
            ResultDescription::StarterGpo {
                id: Some("{9A3F0C1E-7B2D-4E8F-A6C5-1D0B3E2F4A55}".into()),
                display_name: Some("Fake Starter GPO".into()),
            },
        )
        .into()
    }

    /// A fake Starter GPO backup: `GenerateReport`.
    pub fn starter_gpo_backup(&self) -> IGPMStarterGPOBackup {
        objects::FakeStarterGpoBackup::new(
            self,
            ResultDescription::StarterGpoBackup {
                id: Some("{0C4D2B7A-5E6F-4A1B-8C9D-3E2F1A0B9C77}".into()),
                gpo_id: Some("{9A3F0C1E-7B2D-4E8F-A6C5-1D0B3E2F4A55}".into()),
                directory: Some(r"C:\Starter GPO Backups".into()),
                comment: Some("fake backup".into()),
            },
        )
        .into()
    }

    /// Every call of an asynchronous method so far, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        lock(&self.inner.calls).clone()
    }

    /// Waits for every operation thread started so far, and says what each did, in the order
    /// they started.
    pub fn join(&self) -> Vec<Served> {
        let workers = std::mem::take(&mut *lock(&self.inner.workers));
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or_default())
            .collect()
    }

    /// The fake objects alive: handed out, delivered as results, messages, collections,
    /// enumerators, cancel objects and synchronous `IGPMResult`s.
    pub fn live_objects(&self) -> usize {
        self.inner.live.load(Ordering::SeqCst)
    }

    /// One asynchronous method, called: recorded, then failed, started or run synchronously.
    fn call(
        &self,
        operation: OperationKind,
        arguments: Vec<(&'static str, FakeArgument)>,
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
        let simulation = self.simulation_of(operation);
        let script = simulation.script().map_err(|_| invalid_argument())?;
        if let Some(hr) = script.start_failure() {
            return Err(windows_core::HRESULT::from(hr).into());
        }
        match progress {
            None => worker::run_sync(self, &simulation),
            Some(progress) => worker::start(self, script, progress, cancel),
        }
    }

    fn push_worker(&self, worker: JoinHandle<Served>) {
        lock(&self.inner.workers).push(worker);
    }
}

/// Compile-time proof that the fake crosses threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<FakeGpmc>();
    send_sync::<FakeCall>();
};

/// Held by every fake object: counts it among the live ones, and reaches its fake GPMC.
pub(crate) struct Live(FakeGpmc);

impl Live {
    fn new(gpmc: &FakeGpmc) -> Self {
        gpmc.inner.live.fetch_add(1, Ordering::SeqCst);
        Live(gpmc.clone())
    }

    fn gpmc(&self) -> &FakeGpmc {
        &self.0
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.inner.live.fetch_sub(1, Ordering::SeqCst);
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
