//! Unit tests of the COM shell that need a hook inside it: a panic while a `Status` call is
//! read (nothing in the shell panics otherwise; the engine catches the panics of user code).

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
