//! [`Shared`]: what a tracker, its reporters and every consumer share: the one lock on the
//! [`State`], and the events that wake whoever waits for a change.
//!
//! Every operation takes the lock for work in memory only, releases it, then notifies. User
//! code never runs under the lock: the observer and the trace writer run on the delivery
//! thread, a waker's wake inside `event-listener`'s notification (caught here), and a
//! result's clone and drop after the lock was released.

use std::time::Instant;

use super::delivery::{self, Courier};
use super::state::{Delivery, Line, Read, State, Wake, LINE_CAPACITY};
use super::sync::{self, Arc, Mutex, MutexGuard, Notice};
use super::unwind::catch;
use super::waker::Inbox;
use super::{Fault, ReadIssue, TrackError, Update};
use crate::{HResult, OperationOutcome, StatusCall, StatusMachine, TypedResult};

/// How an operation ended for its consumers.
pub(crate) type End<R> = Result<OperationOutcome<R>, TrackError>;

/// Turns a call into its trace line (set when a recorder was asked for).
pub(crate) type Encoder<R> = fn(&StatusCall<R>) -> Vec<u8>;

pub(crate) struct Shared<R> {
    state: Mutex<State<R, Courier<R>>>,
    /// Anything a reader may wait for: an update, new progress, the end published, an event
    /// after the end, a recorded line, the server letting go.
    pub(crate) changed: Notice,
    /// The end published (blocking waits and futures).
    pub(crate) ended: Notice,
    /// Room in the recorder's queue of lines.
    pub(crate) room: Notice,
    /// Panics of the tasks' wakers, to report.
    pub(crate) inbox: std::sync::Arc<Inbox>,
    encoder: Option<Encoder<R>>,
    /// When the operation began (its `begin` line), for the recorded lines' moments.
    began: Instant,
}

impl<R> Drop for Shared<R> {
    /// An observer and a recorder that never started (no reporter was ever made) are user
    /// code, dropped here with the last handle: a panic is caught, and nobody is left to
    /// tell.
    fn drop(&mut self) {
        let mut st = sync::lock(&self.state);
        let delivery = std::mem::replace(&mut st.delivery, Delivery::Off);
        drop(st);
        let _ = catch(move || drop(delivery));
    }
}

impl<R> Shared<R> {
    pub(crate) fn new(
        machine: StatusMachine<R>,
        courier: Option<Courier<R>>,
        encoder: Option<Encoder<R>>,
        log: Vec<Update<R>>,
        began: Instant,
    ) -> Self {
        let observing = courier.as_ref().is_some_and(|c| c.observer.is_some());
        let recording = courier.as_ref().is_some_and(|c| c.recorder.is_some());
        let mut state = State::new(machine, courier, observing, recording);
        for update in log {
            state.log(update);
        }
        Shared {
            state: Mutex::new(state),
            changed: Notice::default(),
            ended: Notice::default(),
            room: Notice::default(),
            inbox: std::sync::Arc::default(),
            encoder: encoder.filter(|_| recording),
            began,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<R, Courier<R>>> {
        sync::lock(&self.state)
    }

    /// Notifies, after the lock was released, whom a change wakes (taken under the lock
    /// with [`State::wake`]); then reports the wakers that panicked (caught inside them).
    pub(crate) fn notify(&self, wake: Wake) {
        if wake.changed {
            self.changed.notify();
        }
        if wake.ended {
            self.ended.notify();
        }
        if wake.room {
            self.room.notify();
        }
        self.report_wakers();
    }

    /// Reports the panics of wakers kept in the inbox, if any.
    pub(crate) fn report_wakers(&self) {
        // Each round's notification may catch more panics; a waker panics at most once
        // per registration, so this ends.
        loop {
            let messages = self.inbox.take();
            if messages.is_empty() {
                return;
            }
            let mut st = self.lock();
            for message in messages {
                st.fault(Fault::WakePanicked(message));
            }
            let wake = st.wake(false);
            drop(st);
            if wake.changed {
                self.changed.notify();
            }
        }
    }

    /// A fault found outside the lock, told like an update.
    pub(crate) fn fault(&self, fault: Fault) {
        let mut st = self.lock();
        st.fault(fault);
        let wake = st.wake(false);
        drop(st);
        self.notify(wake);
    }

    /// Queues a recorded line (under the lock, so lines keep the judged order and their
    /// moments never go back) unless recording stopped; `true` when the queue is full.
    #[inline]
    fn queue_line(
        &self,
        st: &mut State<R, Courier<R>>,
        event: &'static str,
        bytes: Option<Vec<u8>>,
    ) -> bool {
        bytes.is_some_and(|bytes| self.queue_encoded(st, event, bytes))
    }

    /// [`queue_line`](Self::queue_line) for a line that was encoded (a recorder is there).
    #[inline(never)]
    fn queue_encoded(
        &self,
        st: &mut State<R, Courier<R>>,
        event: &'static str,
        bytes: Vec<u8>,
    ) -> bool {
        // Once the server let go, a reporter made later is not recorded.
        if !st.recording || st.has_let_go() {
            return false;
        }
        let late = st.is_decided();
        let elapsed = u64::try_from(self.began.elapsed().as_millis()).unwrap_or(u64::MAX);
        let ms = st.next_ms(elapsed);
        st.lines.push_back(Line {
            event,
            bytes,
            ms,
            late,
        });
        st.lines.len() >= LINE_CAPACITY
            && matches!(st.delivery, Delivery::Running(_) | Delivery::Starting)
    }

    /// Waits until the recorder's queue has room, unless this is the delivery thread (which
    /// empties it) or recording stopped.
    fn wait_for_room(&self) {
        let me = sync::current_thread();
        let full = |st: &mut State<R, Courier<R>>| {
            let full = st.recording
                && st.lines.len() >= LINE_CAPACITY
                && !st.is_delivery_thread(me)
                && !matches!(st.delivery, Delivery::Off);
            if full {
                st.listen_for_room();
            }
            full
        };
        loop {
            if !full(&mut self.lock()) {
                return;
            }
            let listener = self.room.listen();
            if !full(&mut self.lock()) {
                return;
            }
            sync::wait(listener, None);
        }
    }

    /// Notifies whom a change wakes, reports the wakers that panicked, and waits for room
    /// in the recorder's queue when it is full: what every server call does after its change.
    /// With nobody to wake (the common case), a load.
    #[inline]
    fn finish(&self, wake: Wake) {
        if wake.is_nobody() {
            if self.inbox.has_any() {
                self.report_wakers();
            }
            return;
        }
        self.notify(wake);
        if wake.full {
            self.wait_for_room();
        }
    }

    /// The client's cancel request, recorded before the server is asked. `false` once the
    /// end was decided: then nothing is recorded.
    pub(crate) fn cancel(&self) -> bool {
        let mut st = self.lock();
        if st.is_decided() {
            return false;
        }
        let recorded = st.machine.handle_cancel();
        st.take_events();
        let line = self.encoder.map(|_| super::recorder::cancel_line());
        let full = self.queue_line(&mut st, "cancel", line);
        let wake = Wake {
            full,
            ..st.wake(false)
        };
        drop(st);
        self.finish(wake);
        recorded
    }

    /// The asynchronous method failed: no `Status` call is coming. Decides the end, unless
    /// it was decided already (then it is late).
    pub(crate) fn start_failed(&self, hr: HResult) {
        let mut st = self.lock();
        let ended = if st.is_decided() {
            st.after_end.push(super::Late::StartFailed(hr));
            false
        } else {
            st.decide(Err(TrackError::StartFailed(hr)))
        };
        let wake = st.wake(ended);
        drop(st);
        self.notify(wake);
    }
}

impl<R: Clone + Send + Sync + 'static> Shared<R> {
    /// A reporter was made.
    pub(crate) fn attach(shared: &Arc<Self>) {
        let mut st = shared.lock();
        st.attach();
        let courier = match std::mem::replace(&mut st.delivery, Delivery::Off) {
            Delivery::Waiting(courier) => {
                st.delivery = Delivery::Starting;
                Some(courier)
            }
            other => {
                st.delivery = other;
                None
            }
        };
        drop(st);
        if let Some(courier) = courier {
            Self::start_delivery(shared, courier);
        }
    }

    /// Starts the delivery thread; if the platform refuses, neither the observer nor the
    /// recorder will run, and that is reported.
    fn start_delivery(shared: &Arc<Self>, courier: Courier<R>) {
        let delivering = Arc::clone(shared);
        // A refused spawn drops the closure, and with it the observer: caught too.
        let started = catch(move || sync::spawn(move || delivery::run(&delivering, courier)));
        let problem = match started {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error.to_string(),
            Err(panic) => panic,
        };
        let mut st = shared.lock();
        st.delivery = Delivery::Off;
        st.observing = false;
        st.recording = false;
        st.lines.clear();
        st.fault(Fault::DeliveryNotStarted(problem));
        let ended = st.publish();
        let wake = st.wake(ended);
        drop(st);
        shared.notify(wake);
    }
}

impl<R> Shared<R> {
    /// A reporter was dropped; when the last one goes (the first time), the server let go,
    /// which ends the operation unless it had ended.
    pub(crate) fn detach(&self) {
        let mut st = self.lock();
        let mut ended = false;
        if st.detach() && !st.is_decided() {
            let calls_received = st.machine.calls_received();
            ended = st.decide(Err(TrackError::Abandoned { calls_received }));
        }
        let wake = st.wake(ended);
        drop(st);
        self.notify(wake);
    }

    pub(crate) fn is_attached(&self) -> bool {
        self.lock().reporters() > 0
    }

    /// The end, once every consumer may see it; copied after the lock was released.
    pub(crate) fn visible_end(&self) -> Option<End<R>>
    where
        R: Clone,
    {
        let end = {
            let mut st = self.lock();
            let on_delivery_thread = || st.is_delivery_thread(sync::current_thread());
            match st.visible_end(on_delivery_thread) {
                Some(end) => end,
                None => {
                    st.listen_for_end();
                    return None;
                }
            }
        };
        match &*end {
            Update::End(end) => Some(end.clone()),
            _ => None,
        }
    }

    /// Blocks until the end is visible, or until `deadline`.
    pub(crate) fn wait_end(&self, deadline: Option<Instant>) -> Option<End<R>>
    where
        R: Clone,
    {
        loop {
            if let Some(end) = self.visible_end() {
                return Some(end);
            }
            let listener = self.ended.listen();
            if let Some(end) = self.visible_end() {
                return Some(end);
            }
            if !sync::wait(listener, deadline) {
                return self.visible_end();
            }
        }
    }

    /// Every update so far, copied after the lock was released.
    pub(crate) fn updates_so_far(&self) -> Vec<Update<R>>
    where
        R: Clone,
    {
        let reads = self.lock().so_far();
        reads.into_iter().filter_map(Read::into_update).collect()
    }
}

impl<R> Read<R> {
    /// The update read, copied (outside the lock).
    pub(crate) fn into_update(self) -> Option<Update<R>>
    where
        R: Clone,
    {
        match self {
            Read::Update(update) => Some((*update).clone()),
            Read::Progress(progress) => Some(Update::Event(crate::Event::Progress(progress))),
            Read::Late(_) | Read::Nothing | Read::Ended => None,
        }
    }
}

impl<R: TypedResult> Shared<R> {
    /// A progress-only call (no result, a null collection): the server's most common one.
    #[inline]
    pub(crate) fn progress(&self, numerator: i32, denominator: i32, hr: HResult) {
        let line = self
            .encoder
            .map(|encode| encode(&StatusCall::new(numerator, denominator, hr, None, None)));
        let mut st = self.lock();
        let ended = if st.is_decided() {
            st.late_status(numerator, denominator, hr);
            false
        } else {
            match st.machine.handle_progress(numerator, denominator, hr) {
                Ok(accepted) => {
                    st.take_events();
                    accepted.finished.is_some() && Self::finished(&mut st)
                }
                Err(violation) => {
                    st.take_events();
                    st.decide(Err(TrackError::Violation(violation)))
                }
            }
        };
        let full = self.queue_line(&mut st, "status", line);
        let wake = Wake {
            full,
            ..st.wake(ended)
        };
        drop(st);
        self.finish(wake);
    }

    /// Judges one `Status` call that was read (with what could not be read of it), and
    /// publishes what it caused.
    pub(crate) fn status(&self, call: StatusCall<R>, issues: Vec<ReadIssue>) {
        let line = self.encoder.map(|encode| encode(&call));
        let mut st = self.lock();
        let (ended, rejected) = if st.is_decided() {
            st.late_status(call.numerator, call.denominator, call.hr);
            (false, Some(call))
        } else {
            let index = st.next_call();
            for issue in issues {
                st.log(Update::Issue { call: index, issue });
            }
            match st.machine.handle_status_or_return(call) {
                Ok(accepted) => {
                    st.take_events();
                    (accepted.finished.is_some() && Self::finished(&mut st), None)
                }
                Err((violation, call)) => {
                    st.take_events();
                    (st.decide(Err(TrackError::Violation(violation))), Some(call))
                }
            }
        };
        let full = self.queue_line(&mut st, "status", line);
        let wake = Wake {
            full,
            ..st.wake(ended)
        };
        drop(st);
        // A rejected or late call's result is dropped here, outside the lock.
        drop(rejected);
        self.finish(wake);
    }

    /// The finishing call was accepted: its outcome (moved out of the machine, never
    /// cloned under the lock) is the end.
    fn finished(st: &mut State<R, Courier<R>>) -> bool {
        match st.machine.take_outcome() {
            Some(outcome) => st.decide(Ok(outcome)),
            None => false,
        }
    }
}
