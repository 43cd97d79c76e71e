//! The operation's thread: a simulation's [`Script`] run over a [`ComPort`], or hand-written
//! [`Step`]s, each `Status` call made through the sink's vtable in the multithreaded
//! apartment.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use windows::Win32::Foundation::E_OUTOFMEMORY;
use windows::Win32::System::Com::{
    CoInitializeEx, CoUninitialize, IDispatch, COINIT_MULTITHREADED,
};
use windows::Win32::System::GroupPolicy::{IGPMAsyncCancel, IGPMAsyncProgress, IGPMResult};
use windows::Win32::System::Variant::{VARIANT, VT_DISPATCH};
use windows_core::Interface;

use super::operation::{FakeCancel, FakeResult, OnCancel};
use super::script::{CallSpec, CollectionSpec, MessageSpec, ResultSpec, Step};
use super::status::play;
use super::{invalid_argument, FakeGpmc, Reflect};
use crate::com::global_interface_table::GlobalInterface;
use crate::simulate::{Follower, Port, Script, Served, Signal, Simulation};
use crate::{HResult, OperationKind, StatusCall};

/// What an operation's thread runs.
pub(super) enum Run {
    /// A simulation's script, its results reflecting the method's arguments.
    Simulation {
        script: Script,
        reflect: Reflect,
        operation: OperationKind,
    },
    /// Hand-written steps.
    Steps(Vec<Step>),
}

/// The synchronous form of a simulation: its outcome without cancel, as an `IGPMResult`.
pub(super) fn simulation_sync(
    gpmc: &FakeGpmc,
    simulation: &Simulation,
    reflect: &Reflect,
) -> windows_core::Result<IGPMResult> {
    let outcome = simulation.synchronous().map_err(|_| invalid_argument())?;
    let (hr, _, mut result, messages) = outcome.into_parts();
    if let Some(result) = result.as_mut() {
        reflect.apply(result);
        gpmc.keep_backup(simulation.operation(), result);
    }
    let messages = CollectionSpec::of(messages.iter().map(MessageSpec::from).collect());
    let result = result
        .as_ref()
        .map_or(ResultSpec::NullPointer, ResultSpec::from);
    Ok(FakeResult::new(gpmc, hr, messages, result).into())
}

/// The synchronous form of hand-written steps: their last call as an `IGPMResult`
/// (`E_INVALIDARG` when there is none).
pub(super) fn steps_sync(gpmc: &FakeGpmc, steps: &[Step]) -> windows_core::Result<IGPMResult> {
    let last = steps
        .iter()
        .rev()
        .find_map(|step| match step {
            Step::Call(call) => Some(call),
            _ => None,
        })
        .ok_or_else(invalid_argument)?;
    Ok(FakeResult::new(gpmc, last.hr, last.messages.clone(), last.result.clone()).into())
}

/// The asynchronous form: starts the thread, then hands the cancel object out, and answers
/// as GPMC does (`S_OK` with a null `IGPMResult`). A thread that cannot start is
/// `E_OUTOFMEMORY`, with `cancel_out` left as it was.
pub(super) fn start(
    gpmc: &FakeGpmc,
    run: Run,
    progress: &VARIANT,
    cancel_out: *mut VARIANT,
) -> windows_core::Result<IGPMResult> {
    if progress.vt() != VT_DISPATCH {
        return Err(invalid_argument());
    }
    let sink: IGPMAsyncProgress = IDispatch::try_from(progress)?.cast()?;
    let (on_cancel, request): (OnCancel, Request) = match &run {
        Run::Simulation { .. } => {
            let signal = Arc::new(Signal::default());
            let raise = Arc::clone(&signal);
            (Arc::new(move || raise.raise()), Request::Simulation(signal))
        }
        Run::Steps(_) => {
            let flag = Arc::new(Flag::default());
            let raise = Arc::clone(&flag);
            (Arc::new(move || raise.raise()), Request::Steps(flag))
        }
    };
    let worker = spawn(gpmc, &sink, run, request)?;
    gpmc.push_worker(worker);
    if !cancel_out.is_null() {
        let cancel: IGPMAsyncCancel = FakeCancel::new(gpmc, on_cancel).into();
        // SAFETY: GPMC's `[out] VARIANT*`, checked non-null: written, not assigned (the
        // caller's memory holds no value of ours to release).
        unsafe { cancel_out.write(VARIANT::from(IDispatch::from(cancel))) };
    }
    // S_OK with a null IGPMResult, as windows-rs spells it.
    Err(windows_core::Error::empty())
}

/// `steps` played to `sink` on a thread of their own, with no method and no cancel object.
pub(super) fn serve(
    gpmc: &FakeGpmc,
    sink: &IGPMAsyncProgress,
    steps: Vec<Step>,
) -> windows_core::Result<JoinHandle<Served>> {
    if steps.iter().any(|step| matches!(step, Step::AwaitCancel)) {
        return Err(invalid_argument());
    }
    spawn(
        gpmc,
        sink,
        Run::Steps(steps),
        Request::Steps(Arc::default()),
    )
}

/// How the client's cancel request reaches the thread.
enum Request {
    Simulation(Arc<Signal>),
    Steps(Arc<Flag>),
}

/// The operation's thread. The sink crosses to it through the Global Interface Table: a
/// foreign sink that is not agile gets a proxy there.
fn spawn(
    gpmc: &FakeGpmc,
    sink: &IGPMAsyncProgress,
    run: Run,
    request: Request,
) -> windows_core::Result<JoinHandle<Served>> {
    let entry = Arc::new(GlobalInterface::register(sink)?);
    #[cfg(test)]
    if gpmc.inner.hooks.fail_spawn() {
        return Err(E_OUTOFMEMORY.into());
    }
    let gpmc = gpmc.clone();
    std::thread::Builder::new()
        .name("fake GPMC operation".into())
        .spawn(move || {
            let apartment = Apartment::enter();
            let (gone, second_port_gone) = mpsc::channel::<()>();
            let served = catch_unwind(AssertUnwindSafe(move || match (run, request) {
                (
                    Run::Simulation {
                        script,
                        reflect,
                        operation,
                    },
                    Request::Simulation(signal),
                ) => {
                    let port = Template {
                        gpmc,
                        reflect,
                        operation,
                    };
                    run_script(script, &port, entry, &signal, gone)
                }
                (Run::Steps(steps), Request::Steps(flag)) => {
                    drop(gone);
                    run_steps(&gpmc, steps, entry, &flag)
                }
                _ => unreachable!("a run and its request are made together"),
            }));
            // Whatever happened, the second thread's port (which holds the sink) is gone
            // before this thread ends: the server's last release is this thread's.
            let _ = second_port_gone.recv();
            drop(apartment);
            served.unwrap_or_default()
        })
        .map_err(|_| E_OUTOFMEMORY.into())
}

/// What each thread's [`ComPort`] is made from.
struct Template {
    gpmc: FakeGpmc,
    reflect: Reflect,
    operation: OperationKind,
}

/// A simulation's script, over one port on this thread and, when it overlaps, a second on
/// a thread of its own (which says it is gone through `gone`).
fn run_script(
    script: Script,
    template: &Template,
    entry: Arc<GlobalInterface<IGPMAsyncProgress>>,
    signal: &Signal,
    gone: mpsc::Sender<()>,
) -> Served {
    let Ok(sink) = entry.get() else {
        return Served::default();
    };
    let follower = if script.is_overlapping() {
        let entry = Arc::clone(&entry);
        let gpmc = template.gpmc.clone();
        let reflect = template.reflect.clone();
        let operation = template.operation;
        Follower::start(move || {
            let apartment = Apartment::enter();
            let sink = entry.get().ok();
            drop(entry);
            ComPort {
                sink,
                gpmc,
                reflect,
                operation,
                _gone: Some(gone),
                _apartment: apartment,
            }
        })
        .ok()
    } else {
        drop(gone);
        None
    };
    drop(entry);
    let client = sink.clone();
    let port = ComPort {
        sink: Some(sink),
        gpmc: template.gpmc.clone(),
        reflect: template.reflect.clone(),
        operation: template.operation,
        _gone: None,
        _apartment: Apartment::none(),
    };
    let served = script.run(
        port,
        follower,
        &|| {
            crate::com::sink::cancel_on_behalf(&client);
        },
        signal,
    );
    drop(client);
    served
}

/// Hand-written steps, on this thread.
fn run_steps(
    gpmc: &FakeGpmc,
    steps: Vec<Step>,
    entry: Arc<GlobalInterface<IGPMAsyncProgress>>,
    flag: &Flag,
) -> Served {
    let sink = entry.get().ok();
    drop(entry);
    let Some(sink) = sink else {
        return Served::default();
    };
    let mut served = Served::default();
    for step in steps {
        match step {
            Step::Call(call) => {
                if play_caught(&sink, &call, gpmc) {
                    served.calls += 1;
                }
            }
            Step::AwaitCancel => served.cancel_received |= flag.wait(Duration::from_secs(60)),
            Step::Meet(barrier) => {
                barrier.wait();
            }
        }
    }
    served
}

/// [`play`], with a panic of the fake's own (none is known) caught: the call counts as not
/// made, and the script goes on. Whether the call was made.
fn play_caught(sink: &IGPMAsyncProgress, call: &CallSpec, gpmc: &FakeGpmc) -> bool {
    match catch_unwind(AssertUnwindSafe(|| play(sink, call, gpmc))) {
        Ok(()) => true,
        Err(payload) => {
            crate::live::drop_payload(payload);
            false
        }
    }
}

/// One server thread's way to the sink.
struct ComPort {
    /// `None` when the sink could not be read back on this thread: the calls go nowhere.
    sink: Option<IGPMAsyncProgress>,
    gpmc: FakeGpmc,
    reflect: Reflect,
    operation: OperationKind,
    /// Dropped with the port: the operation's thread waits for the second port's.
    _gone: Option<mpsc::Sender<()>>,
    /// Last: the apartment outlives the sink's reference.
    _apartment: Apartment,
}

impl Port for ComPort {
    fn status(&mut self, mut call: StatusCall) {
        let Some(sink) = &self.sink else { return };
        if let Some(result) = call.result.as_mut() {
            self.reflect.apply(result);
            self.gpmc.keep_backup(self.operation, result);
        }
        play_caught(sink, &CallSpec::from(&call), &self.gpmc);
    }

    fn progress(&mut self, numerator: i32, denominator: i32, hr: HResult) {
        let Some(sink) = &self.sink else { return };
        let call = CallSpec::progress(numerator, denominator).hr(hr);
        play_caught(sink, &call, &self.gpmc);
    }
}

/// A cancel request for hand-written steps: raised by the cancel object, awaited by
/// [`Step::AwaitCancel`].
#[derive(Default)]
struct Flag {
    raised: Mutex<bool>,
    changed: Condvar,
}

impl Flag {
    fn raise(&self) {
        *self.raised.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    /// Waits for a request (at most `limit`) and takes it: whether one came.
    fn wait(&self, limit: Duration) -> bool {
        let raised = self.raised.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut raised, _) = self
            .changed
            .wait_timeout_while(raised, limit, |raised| !*raised)
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *raised)
    }
}

/// COM initialised on this thread in the multithreaded apartment, until dropped.
struct Apartment {
    entered: bool,
}

impl Apartment {
    fn enter() -> Self {
        // SAFETY: no pointers; a success (S_OK, or S_FALSE when already initialised) is
        // balanced by CoUninitialize in `drop`, on this thread.
        let hr = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
        Apartment {
            entered: hr.is_ok(),
        }
    }

    /// Nothing to balance (the thread's apartment is held by another guard).
    fn none() -> Self {
        Apartment { entered: false }
    }
}

impl Drop for Apartment {
    fn drop(&mut self) {
        if self.entered {
            // SAFETY: balances the successful CoInitializeEx of `enter`, on this thread.
            unsafe { CoUninitialize() };
        }
    }
}
