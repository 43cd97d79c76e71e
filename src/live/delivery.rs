//! The delivery thread: hands every update to the observer and writes every recorded line,
//! in order, on a thread of its own, so a slow observer or disk never holds up a server's
//! `Status` call, and no server thread ever delivers another's notifications.
//!
//! It reads the same log and progress as every stream (so the observer's backlog never grows
//! with the call count: progress it had no time for is skipped, as for a slow stream), then
//! what came after the end. It publishes the end once it has handed it to the observer and
//! written every line before it, and stops once the server let go and it has caught up.

use super::engine::Shared;
use super::state::{Cursor, Delivery, Line, Read, Wake};
use super::sync::{self, Arc};
use super::unwind::catch;
use super::{Fault, Notification, Update};

/// The observer: called with each [`Notification`] on the delivery thread.
pub(crate) type Observer<R> = dyn FnMut(Notification<'_, R>) + Send;

/// What the delivery thread carries: the user's observer and trace writer.
pub(crate) struct Courier<R> {
    pub(crate) observer: Option<Box<Observer<R>>>,
    pub(crate) recorder: Option<Box<dyn super::recorder::LineWriter>>,
}

/// One turn's work, taken under the lock: the lines waiting, or else the next thing to
/// hand the observer. Lines go first, so every line before the end is written before the
/// end is read.
enum Turn<R> {
    /// The lines, and whom taking them out of the queue wakes.
    Lines(Vec<Line>, Wake),
    Read(Read<R>),
}

/// The thread's body.
pub(crate) fn run<R: Clone>(shared: &Arc<Shared<R>>, mut courier: Courier<R>) {
    let me = sync::current_thread();
    {
        let mut st = shared.lock();
        st.delivery = Delivery::Running(me);
    }
    let mut cursor = Cursor::default();
    while let Some(turn) = take_turn(shared, &courier, &mut cursor) {
        match turn {
            Turn::Lines(lines, wake) => {
                shared.notify(wake);
                write_lines(shared, &mut courier, &lines);
            }
            Turn::Read(Read::Update(update)) => {
                let update = (*update).clone();
                let end = update.is_end();
                observe(shared, &mut courier, Notification::Update(&update), end);
                if end {
                    let mut st = shared.lock();
                    let ended = st.publish();
                    let wake = st.wake(ended);
                    drop(st);
                    shared.notify(wake);
                }
            }
            Turn::Read(Read::Progress(progress)) => {
                let update = Update::Event(crate::Event::Progress(progress));
                observe(shared, &mut courier, Notification::Update(&update), false);
            }
            Turn::Read(Read::Late(late)) => {
                observe(shared, &mut courier, Notification::Late(&late), true);
            }
            Turn::Read(Read::Nothing | Read::Ended) => {}
        }
    }
    // Let the observer and the writer go (user code: a panic in their drops is caught and
    // reported after the end).
    let Courier { observer, recorder } = courier;
    let mut faults = Vec::new();
    if let Some(observer) = observer {
        if let Err(message) = catch(move || drop(observer)) {
            faults.push(Fault::ObserverDropPanicked(message));
        }
    }
    faults.extend(recorder.and_then(super::recorder::drop_writer));
    if !faults.is_empty() {
        let mut st = shared.lock();
        for fault in faults {
            st.late_fault(fault);
        }
        let wake = st.wake(false);
        drop(st);
        shared.notify(wake);
    }
}

/// Waits for work; `None` when the thread is done: the server let go, the end was handed
/// out and everything after it so far, and every line was written; or nothing is left to
/// deliver to.
fn take_turn<R>(shared: &Shared<R>, courier: &Courier<R>, cursor: &mut Cursor) -> Option<Turn<R>> {
    loop {
        if let Some(turn) = try_turn(shared, courier, cursor) {
            return turn;
        }
        let listener = shared.changed.listen();
        if let Some(turn) = try_turn(shared, courier, cursor) {
            return turn;
        }
        sync::wait(listener, None);
    }
}

/// `Some(Some(turn))`: work; `Some(None)`: done; `None`: nothing yet.
fn try_turn<R>(
    shared: &Shared<R>,
    courier: &Courier<R>,
    cursor: &mut Cursor,
) -> Option<Option<Turn<R>>> {
    let mut st = shared.lock();
    if !st.lines.is_empty() {
        let lines = st.lines.drain(..).collect();
        return Some(Some(Turn::Lines(lines, st.wake_room(false))));
    }
    // Without an observer the cursor still moves (to the end, handed to nobody), so the
    // end is published once the lines before it are written.
    match st.read(cursor, true) {
        Read::Nothing | Read::Ended => {}
        read => return Some(Some(Turn::Read(read))),
    }
    let observing = courier.observer.is_some();
    let nothing_left = courier.observer.is_none() && courier.recorder.is_none();
    let caught_up = st.has_let_go() && st.read_all(cursor, observing);
    if nothing_left || caught_up {
        st.delivery = Delivery::Off;
        st.observing = false;
        st.recording = false;
        let ended = st.publish();
        let wake = st.wake_room(ended);
        drop(st);
        shared.notify(wake);
        return Some(None);
    }
    st.listen_for_change();
    None
}

/// Writes the lines; the first failure stops recording for good (a trace with a hole
/// would be checked as a run that did not happen). Its fault is reported where the line
/// belongs: before the end, or after it for a late call's line.
fn write_lines<R>(shared: &Shared<R>, courier: &mut Courier<R>, lines: &[Line]) {
    let Some(recorder) = courier.recorder.as_mut() else {
        return;
    };
    for line in lines {
        let bytes = super::recorder::at_moment(&line.bytes, line.ms);
        if let Err(fault) = super::recorder::write_line(recorder.as_mut(), line.event, &bytes) {
            let dropped = courier
                .recorder
                .take()
                .and_then(super::recorder::drop_writer);
            let mut st = shared.lock();
            st.recording = false;
            st.lines.clear();
            for fault in std::iter::once(fault).chain(dropped) {
                if line.late {
                    st.late_fault(fault);
                } else {
                    st.fault(fault);
                }
            }
            let wake = st.wake_room(false);
            drop(st);
            shared.notify(wake);
            return;
        }
    }
}

/// Hands one notification to the observer; a panic drops it for good, reported before the
/// end, or after it when the notification was the end or came after it (`late`).
fn observe<R>(
    shared: &Shared<R>,
    courier: &mut Courier<R>,
    notification: Notification<'_, R>,
    late: bool,
) {
    let Some(observer) = courier.observer.as_mut() else {
        return;
    };
    if let Err(message) = catch(|| observer(notification)) {
        let observer = courier.observer.take();
        let dropped = catch(move || drop(observer)).err();
        let mut st = shared.lock();
        st.observing = false;
        let faults = std::iter::once(Fault::ObserverPanicked(message))
            .chain(dropped.map(Fault::ObserverDropPanicked));
        for fault in faults {
            if late {
                st.late_fault(fault);
            } else {
                st.fault(fault);
            }
        }
        let wake = st.wake(false);
        drop(st);
        shared.notify(wake);
    }
}
