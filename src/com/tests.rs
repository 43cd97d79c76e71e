//! Unit tests of the COM shell that need a hook inside it, or its crate-private parts: a
//! panic while a `Status` call is read or reported (nothing in the shell panics otherwise;
//! the engine catches the panics of user code), the check that keeps windows-rs' dynamic
//! cast away from proxies, and the HRESULT names against windows-rs' constants.

use std::cell::Cell;

use windows::Win32::Foundation::S_OK;
use windows::Win32::System::GroupPolicy::IGPMStatusMsgCollection;
use windows::Win32::System::Variant::VARIANT;
use windows_core::BSTR;

use super::{ComResult, ProgressSink};
use crate::live::{Fault, Update};
use crate::{Event, OperationKind, ProgressFraction, ResultDescription};

thread_local! {
    static PANIC_IN_STATUS: Cell<bool> = const { Cell::new(false) };
}

/// Called by the sink's full path while it reads a call: panics once when asked to.
pub(crate) fn panic_if_asked() {
    if PANIC_IN_STATUS.with(|asked| asked.replace(false)) {
        panic!("reading the call broke");
    }
}

#[test]
fn a_panic_while_reading_a_call_is_a_fault_and_the_server_gets_s_ok() {
    let sink = ProgressSink::new(OperationKind::GpoReport);
    let object = sink.interface();
    let report = VARIANT::from(BSTR::from("<r/>"));
    let status = || {
        // SAFETY: a valid VARIANT that outlives the call, and a null collection.
        unsafe { object.Status(1, 1, S_OK, &report, None::<&IGPMStatusMsgCollection>) }
    };
    PANIC_IN_STATUS.with(|asked| asked.set(true));
    assert_eq!(status(), Ok(()), "answered S_OK, the panic caught");
    assert_eq!(sink.tracker().progress(), None, "the call was lost");
    assert_eq!(status(), Ok(()));
    let tracker = sink.tracker();
    let end = tracker.try_outcome().expect("decided");
    assert_eq!(
        tracker.updates_so_far(),
        vec![
            Update::Fault(Fault::StatusPanicked("reading the call broke".into())),
            Update::Event(Event::Progress(ProgressFraction::new(1, 1).unwrap())),
            Update::End(end.clone()),
        ]
    );
    let outcome = end.expect("an outcome");
    assert_eq!(
        outcome.result(),
        Some(&ComResult::new(
            ResultDescription::text("<r/>"),
            ComResult::VT_BSTR
        ))
    );
    drop(object);
    assert!(!sink.tracker().is_attached());
}

/// The quiet path (no result, a null collection) is inside the same catch as the full path,
/// the finishing call included: the server is answered `S_OK` and the panic is a fault.
#[test]
fn a_panic_on_the_quiet_path_is_a_fault_and_the_server_gets_s_ok() {
    let sink = ProgressSink::new(OperationKind::GpoCopy);
    let object = sink.interface();
    let quiet = |numerator, denominator| {
        // SAFETY: a null result pointer and a null collection, as a quiet call passes.
        unsafe {
            object.Status(
                numerator,
                denominator,
                S_OK,
                core::ptr::null(),
                None::<&IGPMStatusMsgCollection>,
            )
        }
    };
    assert_eq!(quiet(0, 1), Ok(()));
    PANIC_IN_STATUS.with(|asked| asked.set(true));
    assert_eq!(
        quiet(1, 1),
        Ok(()),
        "the finishing quiet call, its panic caught"
    );
    assert_eq!(
        sink.tracker().updates_so_far(),
        vec![
            Update::Event(Event::Progress(ProgressFraction::new(0, 1).unwrap())),
            Update::Fault(Fault::StatusPanicked("reading the call broke".into())),
        ]
    );
    assert_eq!(quiet(1, 1), Ok(()));
    assert!(sink.tracker().try_outcome().is_some_and(|end| end.is_ok()));
}

/// A COM object that is not one of this crate's and not agile (as a proxy is): it records
/// every interface it is asked for and answers only `IUnknown`.
#[cfg(feature = "com-fake")]
mod foreign {
    use std::ffi::c_void;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    use windows::Win32::Foundation::E_NOINTERFACE;
    use windows_core::{IUnknown, IUnknown_Vtbl, Interface, GUID, HRESULT};

    #[repr(C)]
    pub(super) struct Recorder {
        vtable: *const IUnknown_Vtbl,
        references: AtomicU32,
        pub(super) asked: Mutex<Vec<GUID>>,
    }

    static VTABLE: IUnknown_Vtbl = IUnknown_Vtbl {
        QueryInterface: query_interface,
        AddRef: add_ref,
        Release: release,
    };

    impl Recorder {
        pub(super) fn new() -> Box<Self> {
            Box::new(Recorder {
                vtable: &VTABLE,
                references: AtomicU32::new(1),
                asked: Mutex::new(Vec::new()),
            })
        }
    }

    unsafe extern "system" fn query_interface(
        this: *mut c_void,
        iid: *const GUID,
        out: *mut *mut c_void,
    ) -> HRESULT {
        // SAFETY: COM's contract: `this` is the object, `iid` and `out` valid pointers.
        unsafe {
            let object = &*(this as *const Recorder);
            object.asked.lock().unwrap().push(*iid);
            if *iid == IUnknown::IID {
                add_ref(this);
                *out = this;
                HRESULT(0)
            } else {
                *out = core::ptr::null_mut();
                E_NOINTERFACE
            }
        }
    }

    unsafe extern "system" fn add_ref(this: *mut c_void) -> u32 {
        // SAFETY: `this` is the object, alive while referenced.
        unsafe {
            (*(this as *const Recorder))
                .references
                .fetch_add(1, Ordering::SeqCst)
                + 1
        }
    }

    unsafe extern "system" fn release(this: *mut c_void) -> u32 {
        // SAFETY: as above; the test owns the box, so a count of zero frees nothing here.
        unsafe {
            (*(this as *const Recorder))
                .references
                .fetch_sub(1, Ordering::SeqCst)
                - 1
        }
    }
}

/// The fake's planned cancel looks for this crate's sink behind the interface it was given.
/// windows-rs' dynamic cast must not go through a proxy (it would write a fat pointer into a
/// thin slot, with no reference taken), so an object that is not agile is asked that only,
/// and nothing is recorded on its behalf; the crate's own sink is found.
#[cfg(feature = "com-fake")]
#[test]
fn a_cancel_on_behalf_asks_a_foreign_object_only_whether_it_is_agile() {
    use windows::Win32::System::Com::IAgileObject;
    use windows::Win32::System::GroupPolicy::IGPMAsyncProgress;
    use windows_core::Interface;

    let recorder = foreign::Recorder::new();
    let raw = &*recorder as *const foreign::Recorder as *mut core::ffi::c_void;
    // SAFETY: `raw` is a live COM object (its vtable starts with IUnknown's) that outlives
    // the borrow; only IUnknown's methods are called on it.
    let foreign = unsafe { IGPMAsyncProgress::from_raw_borrowed(&raw) }.unwrap();
    assert!(!super::sink::cancel_on_behalf(foreign));
    assert_eq!(*recorder.asked.lock().unwrap(), [IAgileObject::IID]);

    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let ours = sink.interface();
    assert!(
        super::sink::cancel_on_behalf(&ours),
        "the crate's sink is found"
    );
    assert!(sink
        .tracker()
        .updates_so_far()
        .contains(&Update::Event(Event::CancelRequested)));
}

/// The HRESULT table's COM codes are windows-rs' constants.
#[test]
fn the_named_codes_are_windows_own() {
    use crate::HResult;
    use windows::Win32::Foundation::{
        CLASS_E_NOAGGREGATION, CO_E_CLASSSTRING, CO_E_NOTINITIALIZED, CO_E_SERVER_EXEC_FAILURE,
        ERROR_ALREADY_EXISTS, ERROR_BAD_NETPATH, ERROR_DS_NO_SUCH_OBJECT, ERROR_NOT_FOUND,
        REGDB_E_CLASSNOTREG, REGDB_E_IIDNOTREG, RPC_E_CHANGED_MODE,
    };
    use windows_core::HRESULT;

    for (ours, theirs) in [
        (HResult::REGDB_E_CLASSNOTREG, REGDB_E_CLASSNOTREG),
        (HResult::REGDB_E_IIDNOTREG, REGDB_E_IIDNOTREG),
        (HResult::CLASS_E_NOAGGREGATION, CLASS_E_NOAGGREGATION),
        (HResult::CO_E_CLASSSTRING, CO_E_CLASSSTRING),
        (HResult::CO_E_SERVER_EXEC_FAILURE, CO_E_SERVER_EXEC_FAILURE),
        (HResult::CO_E_NOTINITIALIZED, CO_E_NOTINITIALIZED),
        (HResult::RPC_E_CHANGED_MODE, RPC_E_CHANGED_MODE),
    ] {
        assert_eq!(HRESULT::from(ours), theirs, "{ours:#}");
    }
    for (ours, theirs) in [
        (HResult::ERROR_ALREADY_EXISTS, ERROR_ALREADY_EXISTS),
        (HResult::ERROR_BAD_NETPATH, ERROR_BAD_NETPATH),
        (HResult::ERROR_DS_NO_SUCH_OBJECT, ERROR_DS_NO_SUCH_OBJECT),
        (HResult::ERROR_NOT_FOUND, ERROR_NOT_FOUND),
    ] {
        assert_eq!(
            HRESULT::from(ours),
            HRESULT::from_win32(theirs.0),
            "{ours:#}"
        );
    }
}
