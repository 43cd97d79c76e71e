//! The operation's thread: the simulation's [`Script`] run over a [`ComPort`], which calls
//! `IGPMAsyncProgress::Status` through the sink's vtable in the multithreaded apartment.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use windows::Win32::Foundation::S_FALSE;
use windows::Win32::System::Com::{
    CoInitializeEx, CoUninitialize, IDispatch, COINIT_MULTITHREADED,
};
use windows::Win32::System::GroupPolicy::{
    IGPMAsyncCancel, IGPMAsyncProgress, IGPMResult, IGPMStatusMsgCollection,
};
use windows::Win32::System::Variant::{VARIANT, VT_DISPATCH};
use windows_core::Interface;

use super::objects::{collection, result_variant, FakeCancel, FakeResult};
use super::{invalid_argument, FakeGpmc};
use crate::com::global_interface_table::GlobalInterface;
use crate::simulate::{Follower, Port, Script, Served, Signal, Simulation};
use crate::{HResult, StatusCall};

/// The synchronous form: the simulation's outcome without cancel, as an `IGPMResult`.
pub(super) fn run_sync(
    gpmc: &FakeGpmc,
    simulation: &Simulation,
) -> windows_core::Result<IGPMResult> {
    let outcome = simulation.synchronous().map_err(|_| invalid_argument())?;
    let (hr, _, result, messages) = outcome.into_parts();
    Ok(FakeResult::new(gpmc, hr, messages, result).into())
}

/// The asynchronous form: hands the cancel object out, starts the thread, and answers as
/// GPMC does (`S_OK` with a null `IGPMResult`).
pub(super) fn start(
    gpmc: &FakeGpmc,
    script: Script,
    progress: &VARIANT,
    cancel_out: *mut VARIANT,
) -> windows_core::Result<IGPMResult> {
    if progress.vt() != VT_DISPATCH {
        return Err(invalid_argument());
    }
    let sink: IGPMAsyncProgress = IDispatch::try_from(progress)?.cast()?;
    // The sink crosses to the operation's thread through the GIT: a foreign sink that is
    // not agile gets a proxy there.
    let entry = Arc::new(GlobalInterface::register(&sink)?);
    drop(sink);
    let signal = Arc::new(Signal::default());
    if !cancel_out.is_null() {
        let cancel: IGPMAsyncCancel = FakeCancel::new(gpmc, Arc::clone(&signal)).into();
        // SAFETY: GPMC's `[out] VARIANT*`, checked non-null: written, not assigned (the
        // caller's memory holds no value of ours to release).
        unsafe { cancel_out.write(VARIANT::from(IDispatch::from(cancel))) };
    }
    let owner = gpmc.clone();
    let overlapping = script.is_overlapping();
    let worker = std::thread::Builder::new()
        .name("fake GPMC operation".into())
        .spawn(move || {
            let apartment = Apartment::enter();
            let served = catch_unwind(AssertUnwindSafe(|| {
                let Ok(sink) = entry.get() else {
                    return Served::default();
                };
                let follower = if overlapping {
                    let entry = Arc::clone(&entry);
                    let owner = owner.clone();
                    Follower::start(move || {
                        let apartment = Apartment::enter();
                        let sink = entry.get().ok();
                        drop(entry);
                        ComPort {
                            sink,
                            gpmc: owner,
                            _apartment: apartment,
                        }
                    })
                    .ok()
                } else {
                    None
                };
                drop(entry);
                let client = sink.clone();
                let port = ComPort {
                    sink: Some(sink),
                    gpmc: owner,
                    _apartment: Apartment::none(),
                };
                let served = script.run(
                    port,
                    follower,
                    &|| {
                        crate::com::sink::cancel_on_behalf(&client);
                    },
                    &signal,
                );
                drop(client);
                served
            }));
            drop(apartment);
            served.unwrap_or_default()
        })
        .map_err(|_| {
            windows_core::Error::from_hresult(windows::Win32::Foundation::E_OUTOFMEMORY)
        })?;
    gpmc.push_worker(worker);
    // S_OK with a null IGPMResult, as windows-rs spells it.
    Err(windows_core::Error::empty())
}

/// One server thread's way to the sink.
struct ComPort {
    /// `None` when the sink could not be read back on this thread: the calls go nowhere.
    sink: Option<IGPMAsyncProgress>,
    gpmc: FakeGpmc,
    /// Last: the apartment outlives the sink's reference.
    _apartment: Apartment,
}

impl Port for ComPort {
    fn status(&mut self, call: StatusCall) {
        let Some(sink) = &self.sink else { return };
        let variant = call
            .result
            .as_ref()
            .map(|result| result_variant(result, &self.gpmc));
        let messages: Option<IGPMStatusMsgCollection> = call
            .messages
            .map(|messages| collection(messages, &self.gpmc));
        let pointer = variant
            .as_ref()
            .map_or(core::ptr::null(), |variant| variant as *const VARIANT);
        // SAFETY: the VARIANT and the collection are ours and outlive the call; the sink's
        // answer changes nothing (GPMC ignores it too).
        let _ = unsafe {
            sink.Status(
                call.numerator,
                call.denominator,
                call.hr.into(),
                pointer,
                messages.as_ref(),
            )
        };
    }

    fn progress(&mut self, numerator: i32, denominator: i32, hr: HResult) {
        let Some(sink) = &self.sink else { return };
        // SAFETY: a null result pointer and a null collection are what a quiet call passes.
        let _ = unsafe {
            sink.Status(
                numerator,
                denominator,
                hr.into(),
                core::ptr::null(),
                None::<&IGPMStatusMsgCollection>,
            )
        };
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
            entered: hr.is_ok() || hr == S_FALSE,
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
