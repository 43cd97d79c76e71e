//! User code that panics, and a trace writer that fails, against the crate's fake GPMC: a
//! panic never unwinds into the server (whose `Status` and `Release` calls come through the
//! COM vtable, where an unwinding panic aborts the process), the panicking piece is let go,
//! the fault is reported (after the end when it comes after the end), and the operation
//! goes on. A panic while the sink *reads* a call is tested in the crate's unit tests.
#![cfg(all(windows, feature = "com-fake"))]

mod com_support;
mod trace_buffer;

use std::future::Future;
use std::io::Write;
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::task::{Context, Wake, Waker};
use std::thread;

use com_support::*;
use gpmc_progress::com::fake::script::{
    CallSpec, CollectionSpec, MessageSpec, Props, ResultSpec, Step,
};
use gpmc_progress::com::fake::FakeGpmc;
use gpmc_progress::com::ProgressSink;
use gpmc_progress::live::{Fault, Late, TrackError};
use gpmc_progress::{OperationKind, OutcomeKind, StatusMessage};
use trace_buffer::SharedBuffer;

fn backup_props() -> Props {
    Props::of(&[
        ("ID", "{2C5A3F7E-0000-4000-8000-000000000001}"),
        ("GPOID", "{31B2F340-016D-11D2-945F-00C04FB984F9}"),
        ("BackupDir", r"C:\Backups"),
        ("Comment", "nightly"),
    ])
}

/// Accepts `lines` writes, then fails every write.
struct FailingWriter {
    lines: usize,
    writes: Arc<Mutex<usize>>,
}

impl Write for FailingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut writes = self.writes.lock().unwrap();
        *writes += 1;
        if *writes > self.lines {
            Err(std::io::Error::other("disk full"))
        } else {
            Ok(bytes.len())
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_recorder_is_reported_once_and_the_sink_goes_on() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let writes = Arc::new(Mutex::new(0));
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup).record(
        FailingWriter {
            lines: 2,
            writes: Arc::clone(&writes),
        },
    ));
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 2).into(),
            CallSpec::progress(1, 2)
                .messages(CollectionSpec::of(vec![MessageSpec::new("kept")]))
                .into(),
            CallSpec::progress(2, 2)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
    );
    let faults: Vec<Update> = seen
        .all()
        .into_iter()
        .filter(|u| matches!(u, Update::Fault(_)))
        .collect();
    // The lines before the end are written (or not) by the time the end is known: begin
    // and the first status line were written; the second failed; nothing more tried.
    assert_eq!(*writes.lock().unwrap(), 3);
    assert_eq!(
        faults,
        vec![Update::Fault(Fault::RecordingFailed(
            "writing the status line: disk full".into()
        ))]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(outcome.messages(), &[StatusMessage::new("kept")]);
    assert_released(&gpmc);
}

#[test]
fn a_panicking_observer_is_dropped_and_reported() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let calls = Arc::new(Mutex::new(0));
    let sink: ProgressSink = ProgressSink::builder(OperationKind::Unknown)
        .observer({
            let calls = Arc::clone(&calls);
            move |_| {
                *calls.lock().unwrap() += 1;
                panic!("observer bug");
            }
        })
        .build()
        .into();
    let meet = Arc::new(Barrier::new(2));
    let object = sink.interface();
    let server = gpmc
        .serve(
            &object,
            vec![
                CallSpec::progress(0, 1)
                    .messages(CollectionSpec::of(vec![]))
                    .into(),
                Step::Meet(Arc::clone(&meet)),
                CallSpec::progress(1, 1).into(),
            ],
        )
        .expect("served");
    // The observer panics on the first call's progress, while the server waits.
    let mut stream = sink.tracker().updates();
    assert_eq!(stream.next_timeout(GUARD), Ok(progress(0, 1)));
    assert_eq!(
        stream.next_timeout(GUARD),
        Ok(Update::Fault(Fault::ObserverPanicked(
            "observer bug".into()
        )))
    );
    meet.wait();
    server.join().expect("the server thread");
    assert_eq!(refcount(&object), 1, "the server released the sink");
    drop(object);
    let end = finished(&sink, OutcomeKind::Succeeded);
    assert_eq!(
        sink.tracker().updates_so_far(),
        vec![
            progress(0, 1),
            Update::Fault(Fault::ObserverPanicked("observer bug".into())),
            progress(1, 1),
            end,
        ]
    );
    assert_eq!(*calls.lock().unwrap(), 1, "not called after it panicked");
    assert_released(&gpmc);
}

/// Panics on its `panic_on`-th write (a bug in user code).
struct PanickingWriter {
    panic_on: usize,
    writes: Arc<Mutex<usize>>,
}

impl Write for PanickingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let writes = {
            let mut writes = self.writes.lock().unwrap();
            *writes += 1;
            *writes
        };
        assert_ne!(writes, self.panic_on, "writer bug");
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// User code that panics never unwinds into the server. The trace writer runs on the
/// tracker's own thread: recording stops and the fault is reported in its place. The live
/// result hook is the one piece of user code inside `Status`: its panic is caught there,
/// the server is answered `S_OK`, and the fault is reported (after the end: the hook runs
/// once the finishing call was reported). A panic while *reading* a call is tested in the
/// crate's unit tests.
#[test]
fn a_panic_in_user_code_never_reaches_the_server() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let writes = Arc::new(Mutex::new(0));
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup).record(
        PanickingWriter {
            panic_on: 2,
            writes: Arc::clone(&writes),
        },
    ));
    let meet = Arc::new(Barrier::new(2));
    let object = sink.interface();
    // The server asserts that every call is answered S_OK; a panic unwinding into its
    // vtable call would abort the whole test process instead.
    let server = gpmc
        .serve(
            &object,
            vec![
                CallSpec::progress(0, 1).into(),
                Step::Meet(Arc::clone(&meet)),
                CallSpec::progress(1, 1)
                    .result(ResultSpec::Backup(backup_props()))
                    .into(),
            ],
        )
        .expect("served");
    // The writer panics on the first call's line, while the server waits.
    let mut stream = sink.tracker().updates();
    assert_eq!(stream.next_timeout(GUARD), Ok(progress(0, 1)));
    match stream.next_timeout(GUARD) {
        Ok(Update::Fault(Fault::RecordingFailed(message))) if message.contains("writer bug") => {}
        other => panic!("{other:?}"),
    }
    meet.wait();
    server.join().expect("the server thread");
    assert_eq!(refcount(&object), 1, "the server released the sink");
    drop(object);
    let updates = seen.all();
    assert_eq!(updates[0], progress(0, 1));
    assert!(
        matches!(&updates[1], Update::Fault(Fault::RecordingFailed(message)) if message.contains("writer bug")),
        "{updates:?}"
    );
    assert_eq!(
        updates[2..],
        [progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    // Recording stopped for good: the begin line and the one that panicked.
    assert_eq!(*writes.lock().unwrap(), 2);
    assert_released(&gpmc);

    let gpmc = FakeGpmc::new();
    let sink = ProgressSink::new(OperationKind::GpoBackup).on_result_object(|_| panic!("hook bug"));
    serve_to(
        &gpmc,
        &sink,
        vec![CallSpec::progress(1, 1)
            .result(ResultSpec::Backup(backup_props()))
            .into()],
    );
    assert_eq!(
        sink.tracker().updates_so_far(),
        [progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::Fault(Fault::StatusPanicked("hook bug".into()))]
    );
    assert_released(&gpmc);
}

/// Panics when dropped.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A task's waker that panics when woken (a bug in an executor).
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker bug");
    }
}

/// The server's last `Release` ends the operation (abandoned). Without an observer the end
/// is published right there, on the server's thread, waking the future that waits for it:
/// its waker panics there. With an observer, the observer is let go on the tracker's own
/// thread once it was handed the end, and its drop panics there. The server's thread
/// survives (a panic unwinding into its `Release` would abort the process) and each panic
/// is reported after the end.
#[test]
fn panics_after_the_last_release_are_late_faults() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let abandoned = Err(TrackError::Abandoned { calls_received: 1 });

    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let meet = Arc::new(Barrier::new(2));
    // The server makes one call, waits while the client polls, then releases the sink.
    let server = gpmc
        .serve(
            &sink.interface(),
            vec![
                CallSpec::progress(0, 2).into(),
                Step::Meet(Arc::clone(&meet)),
                Step::Meet(Arc::clone(&meet)),
            ],
        )
        .expect("served");
    meet.wait();
    let mut outcome = Box::pin(sink.tracker().outcome());
    let waker = Waker::from(Arc::new(PanickingWaker));
    assert!(outcome
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    meet.wait();
    server
        .join()
        .expect("the server thread survived its last Release");
    assert!(!sink.tracker().is_attached());
    assert_eq!(
        sink.tracker().updates_so_far(),
        [progress(0, 2), Update::End(abandoned.clone())]
    );
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::Fault(Fault::WakePanicked("waker bug".into()))]
    );
    assert_eq!(block_on(outcome), abandoned);

    let bomb = PanicOnDrop("observer drop bug");
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .observer(move |_| {
            let _ = (&guard, &bomb);
        })
        .build()
        .into();
    serve_to(&gpmc, &sink, vec![CallSpec::progress(0, 2).into()]);
    dropped
        .recv_timeout(GUARD)
        .expect("the observer was let go (deadlock guard)");
    // The observer's other captures are dropped around the one that told us; the panic is
    // reported right after.
    let deadline = std::time::Instant::now() + GUARD;
    while sink.tracker().after_end().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no fault reported");
        thread::yield_now();
    }
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::Fault(Fault::ObserverDropPanicked(
            "observer drop bug".into()
        ))]
    );
    assert_eq!(ended(&sink), abandoned);
    assert_eq!(gpmc.objects_alive(), 0);
}

/// A trace writer whose drop panics.
struct WriterPanickingOnDrop {
    trace: SharedBuffer,
    _bomb: PanicOnDrop,
}

impl Write for WriterPanickingOnDrop {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.trace.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// With every consumer gone, the server's last `Release` lets the engine go: the recorder's
/// writer is dropped on the tracker's own thread once every line was written, and its drop
/// panics there. The panic is caught (by the engine, and the sink's `Release` guards
/// whatever else could unwind), and the server's thread goes on.
#[test]
fn a_panic_freeing_the_engine_in_the_last_release_stays_in_the_sink() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let trace = SharedBuffer::default();
    let (writer, writer_dropped) = Signalling::new(WriterPanickingOnDrop {
        trace: trace.clone(),
        _bomb: PanicOnDrop("writer drop bug"),
    });
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(writer)
        .build()
        .into();
    let object = sink.interface();
    drop(sink);
    let meet = Arc::new(Barrier::new(2));
    let server = gpmc
        .serve(
            &object,
            vec![
                Step::Meet(Arc::clone(&meet)),
                CallSpec::progress(0, 2).into(),
            ],
        )
        .expect("served");
    // The server's reference is the last one.
    drop(object);
    meet.wait();
    server
        .join()
        .expect("the server thread survived its last Release");
    writer_dropped
        .recv_timeout(GUARD)
        .expect("the writer was dropped (deadlock guard)");
    assert_eq!(trace.text().lines().count(), 2, "begin and one status line");
    assert_eq!(Arc::strong_count(&trace.0), 1, "the writer was dropped");
    assert_eq!(gpmc.objects_alive(), 0);
}
