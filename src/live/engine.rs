//! The shared state behind a [`Tracker`](super::Tracker) and its [`Reporter`](super::Reporter)s:
//! the state machine, the update log, the decision, and the delivery of each call's updates
//! to the observer and the recorder.
//!
//! One lock guards the state and only work in memory happens under it. User code (the
//! observer and its drop, a waker's wake and drop, the recorder's writer) always runs after
//! the lock was released, and inside `catch_unwind`, so a panic there never leaves the state
//! half-updated nor reaches the server's thread.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::sync::{self, Arc, AtomicUsize, Condvar, Guard, Lock, Mutex, WakerSlot};
use super::update::panic_message;
use super::{Fault, Notification, ReadIssue, TrackError, Update};
use crate::{Accepted, Event, HResult, StatusCall, StatusMachine, TypedResult, Violation};

/// How the operation ended for the consumers, decided once.
pub(crate) type Decision<R> = Result<crate::OperationOutcome<R>, TrackError>;

/// The observer: called with each [`Notification`], never under a lock.
pub(crate) type Observer = dyn FnMut(&Notification<'_>) + Send;

/// Turns a call into its trace line (set when a recorder was asked for).
pub(crate) type Encoder<R> = fn(&StatusCall<R>) -> Vec<u8>;

/// Where the observer is.
enum ObserverState {
    /// There is none: never given, let go after the server let go, or it panicked.
    Absent,
    /// Waiting for the next parcel, here in the state.
    Ready(Box<Observer>),
    /// Out with the thread delivering parcels.
    Delivering,
    /// Out with the delivering thread, to be dropped when it is done (the server let go).
    DeliveringThenRetire,
}

impl ObserverState {
    fn is_present(&self) -> bool {
        matches!(self, ObserverState::Ready(_) | ObserverState::Delivering)
    }
}

/// Where the trace recorder is.
enum RecorderState {
    /// No recorder, or it stopped for good (a write failed or its writer panicked).
    Off,
    /// Waiting for the next line, here in the state.
    Ready(Box<dyn super::recorder::LineWriter>),
    /// Out with the thread delivering parcels.
    Writing,
}

/// What one published change hands to the observer and the recorder, in order.
struct Parcel {
    ticket: u64,
    call: Option<u64>,
    updates: Vec<Update>,
    line: Option<Vec<u8>>,
}

/// What a waiting task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    /// Any change (a stream).
    Updates,
    /// The decision (a future).
    End,
}

/// Whether a published change wakes the waiting tasks.
#[derive(Clone, Copy)]
enum WakeTasks {
    Yes,
    No,
}

/// What the delivering thread carries.
struct Courier {
    observer: Option<Box<Observer>>,
    recorder: Option<Box<dyn super::recorder::LineWriter>>,
}

pub(crate) struct State<R> {
    pub(crate) machine: StatusMachine<R>,
    decision: Option<Decision<R>>,
    /// Every update, kept while a consumer exists (streams read it by position). A progress
    /// update that no stream has yielded yet is replaced by the next one when nothing came
    /// between them. The progress of quiet calls waits in the machine until the log is next
    /// read or added to.
    log: Vec<Update>,
    /// How far the furthest stream has read the log.
    log_read: usize,
    consumers: usize,
    /// Blocking waiters asleep (or about to be) on [`Shared::decided`].
    sleepers: usize,
    /// The streams that found nothing and wait to be woken by the next change.
    awaiting_updates: Vec<Arc<WakerSlot>>,
    /// The futures that found no decision and wait to be woken by it (quiet progress never
    /// decides, so these do not keep it off the fast path).
    awaiting_end: Vec<Arc<WakerSlot>>,
    observer: ObserverState,
    recorder: RecorderState,
    parcels: VecDeque<Parcel>,
    next_ticket: u64,
    scratch: Vec<Update>,
}

impl<R> Drop for State<R> {
    /// The observer and the recorder's writer are user code, dropped here with the last
    /// handle (perhaps the server's last reporter, on its thread): a panic is caught, and
    /// nobody is left to tell.
    fn drop(&mut self) {
        let observer = std::mem::replace(&mut self.observer, ObserverState::Absent);
        let recorder = std::mem::replace(&mut self.recorder, RecorderState::Off);
        let waiting = (
            std::mem::take(&mut self.awaiting_updates),
            std::mem::take(&mut self.awaiting_end),
        );
        let _ = catch_unwind(AssertUnwindSafe(move || drop(observer)));
        let _ = catch_unwind(AssertUnwindSafe(move || drop(recorder)));
        let _ = catch_unwind(AssertUnwindSafe(move || drop(waiting)));
    }
}

impl<R> State<R> {
    /// Whether a `Status` call that only reports progress can leave that progress in the
    /// state machine: nobody has to hear of it at once.
    #[inline(always)]
    fn is_quiet(&self) -> bool {
        matches!(self.observer, ObserverState::Absent) && self.awaiting_updates.is_empty()
    }

    /// Moves what the state machine still holds (at most the progress of quiet calls) to the
    /// log. Everything that reads the log or adds to it does this first, so the log keeps
    /// the order of the calls.
    pub(crate) fn settle(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            if self.consumers > 0 {
                self.append(Update::Event(event));
            }
        }
    }

    /// The update at `position` of the log, which a stream has now read.
    pub(crate) fn read_log(&mut self, position: usize) -> Option<Update> {
        self.settle();
        let update = self.log.get(position)?.clone();
        self.log_read = self.log_read.max(position + 1);
        Some(update)
    }

    pub(crate) fn log(&mut self) -> &[Update] {
        self.settle();
        &self.log
    }

    fn append(&mut self, update: Update) {
        let unread = self.log_read < self.log.len();
        match (self.log.last_mut(), &update) {
            (Some(last @ Update::Event(Event::Progress(_))), Update::Event(Event::Progress(_)))
                if unread =>
            {
                *last = update;
            }
            _ => self.log.push(update),
        }
    }

    pub(crate) fn decision(&self) -> Option<&Decision<R>> {
        self.decision.as_ref()
    }

    /// Decides the end, unless it already was: the first decision stands.
    fn decide(&mut self, decision: Decision<R>) {
        if self.decision.is_none() {
            self.decision = Some(decision);
        }
    }

    /// Puts `slot` among the tasks to wake (once): at the next change for
    /// [`Interest::Updates`], at the decision for [`Interest::End`].
    pub(crate) fn arm(&mut self, slot: &Arc<WakerSlot>, interest: Interest) {
        let list = match interest {
            Interest::Updates => &mut self.awaiting_updates,
            Interest::End => &mut self.awaiting_end,
        };
        if !list.iter().any(|armed| Arc::ptr_eq(armed, slot)) {
            list.push(Arc::clone(slot));
        }
    }

    /// Takes `slot` out of the tasks to wake; the caller drops it after unlocking.
    #[must_use]
    pub(crate) fn disarm(
        &mut self,
        slot: &Arc<WakerSlot>,
        interest: Interest,
    ) -> Option<Arc<WakerSlot>> {
        let list = match interest {
            Interest::Updates => &mut self.awaiting_updates,
            Interest::End => &mut self.awaiting_end,
        };
        let position = list.iter().position(|armed| Arc::ptr_eq(armed, slot))?;
        Some(list.swap_remove(position))
    }

    /// The tasks a change wakes: every stream waiting, and the futures once decided.
    fn take_awaiting(&mut self) -> Vec<Arc<WakerSlot>> {
        let mut woken = std::mem::take(&mut self.awaiting_updates);
        if self.decision.is_some() {
            woken.append(&mut self.awaiting_end);
        }
        woken
    }
}

/// What the tracker, its reporters and every consumer share.
pub(crate) struct Shared<R> {
    state: Lock<State<R>>,
    /// Held by a blocking waiter from its look at the decision until it sleeps on `decided`,
    /// and taken by whoever decides before notifying: no wake-up is lost.
    sleep: Mutex<()>,
    decided: Condvar,
    /// Live reporters; the last one dropped before the end abandons the operation.
    reporters: AtomicUsize,
    encoder: Option<Encoder<R>>,
}

/// The parts a [`TrackerBuilder`](super::TrackerBuilder) gives.
pub(crate) struct Parts<R> {
    pub(crate) machine: StatusMachine<R>,
    pub(crate) observer: Option<Box<Observer>>,
    pub(crate) recorder: Option<Box<dyn super::recorder::LineWriter>>,
    pub(crate) encoder: Option<Encoder<R>>,
    pub(crate) log: Vec<Update>,
}

impl<R> Shared<R> {
    pub(crate) fn new(parts: Parts<R>) -> Self {
        let recording = parts.recorder.is_some();
        Shared {
            state: Lock::new(State {
                machine: parts.machine,
                decision: None,
                log: parts.log,
                log_read: 0,
                consumers: 0,
                sleepers: 0,
                awaiting_updates: Vec::new(),
                awaiting_end: Vec::new(),
                observer: match parts.observer {
                    Some(observer) => ObserverState::Ready(observer),
                    None => ObserverState::Absent,
                },
                recorder: match parts.recorder {
                    Some(recorder) => RecorderState::Ready(recorder),
                    None => RecorderState::Off,
                },
                parcels: VecDeque::new(),
                next_ticket: 0,
                scratch: Vec::new(),
            }),
            sleep: Mutex::new(()),
            decided: Condvar::new(),
            reporters: AtomicUsize::new(0),
            encoder: parts.encoder.filter(|_| recording),
        }
    }

    pub(crate) fn lock(&self) -> Guard<'_, State<R>> {
        self.state.lock()
    }
}

impl<R: TypedResult + Clone> Shared<R> {
    /// A progress-only call (no result, a null collection). Never panics.
    #[inline(always)]
    pub(crate) fn progress(&self, numerator: i32, denominator: i32, hr: HResult) {
        if !self.quiet_progress(numerator, denominator, hr) {
            self.progress_in_full(numerator, denominator, hr);
        }
    }

    /// The fast path, when it applies: a progress-only call that only moves the progress on
    /// while nobody has to hear of it at once ([`State::is_quiet`]) and nothing is recorded.
    /// The progress stays in the machine's event queue (merged into the previous one nobody
    /// read) until the log is next read or added to. `false` when it did nothing, which
    /// includes finding the lock taken (the full path waits for it).
    ///
    /// Nothing in it can panic: the one panic in reach is the event queue's capacity
    /// overflow, and the queue is empty here (every other path drains it; quiet progress
    /// waits beside it, not in it).
    #[inline(always)]
    fn quiet_progress(&self, numerator: i32, denominator: i32, hr: HResult) -> bool {
        if self.encoder.is_some() {
            return false;
        }
        let Some(mut st) = self.state.try_lock() else {
            return false;
        };
        st.is_quiet()
            && st
                .machine
                .quiet_progress_call(numerator, denominator, hr)
                .is_some()
    }

    #[inline(never)]
    fn progress_in_full(&self, numerator: i32, denominator: i32, hr: HResult) {
        let call = StatusCall::new(numerator, denominator, hr, None, None);
        self.status(call, Vec::new(), None);
    }

    /// Judges one `Status` call that was read (with what could not be read), and publishes
    /// what it caused. `live` is offered to the observer if it runs on this thread for this
    /// call.
    pub(crate) fn status(
        &self,
        call: StatusCall<R>,
        issues: Vec<ReadIssue>,
        live: Option<&dyn Any>,
    ) {
        // Encoded before the lock is taken; queued under it, so lines keep the judged order.
        let line = self.encoder.map(|encode| encode(&call));
        let mut st = self.state.lock();
        st.settle();
        let index = st.machine.calls_received().saturating_add(1);
        let mut updates = std::mem::take(&mut st.scratch);
        updates.extend(
            issues
                .into_iter()
                .map(|issue| Update::Issue { call: index, issue }),
        );
        let verdict = st.machine.handle_status(call);
        conclude(&mut st, &mut updates, verdict);
        self.publish(st, Some(index), updates, line, live);
    }
}

impl<R> Shared<R> {
    /// The client's cancel request, recorded before the server is asked. Returns what
    /// [`StatusMachine::handle_cancel`] returned.
    pub(crate) fn cancel(&self) -> bool {
        let line = self.encoder.map(|_| super::recorder::cancel_line());
        let mut st = self.state.lock();
        st.settle();
        let mut updates = std::mem::take(&mut st.scratch);
        let recorded = st.machine.handle_cancel();
        drain_events(&mut st.machine, &mut updates);
        self.publish(st, None, updates, line, None);
        recorded
    }

    /// The asynchronous method failed: no `Status` call is coming. Decides the end unless it
    /// was already decided.
    pub(crate) fn start_failed(&self, hr: HResult) {
        let mut st = self.state.lock();
        st.decide(Err(TrackError::StartFailed(hr)));
        st.settle();
        let updates = std::mem::take(&mut st.scratch);
        self.publish(st, None, updates, None, None);
    }

    /// A fault found outside the lock (a panic while handling a call), told like an update.
    pub(crate) fn fault(&self, fault: Fault) {
        let mut st = self.state.lock();
        st.settle();
        let mut updates = std::mem::take(&mut st.scratch);
        updates.push(Update::Fault(fault));
        self.publish(st, None, updates, None, None);
    }

    pub(crate) fn attach(&self) {
        self.reporters.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn is_attached(&self) -> bool {
        self.reporters.load(Ordering::Acquire) > 0
    }

    /// A reporter was dropped; when the last goes before the end, the server let go.
    pub(crate) fn detach(&self) {
        if self.reporters.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let mut st = self.state.lock();
        st.settle();
        let calls_received = st.machine.calls_received();
        st.decide(Err(TrackError::Abandoned { calls_received }));
        // No call can come any more: let the observer go (it may hold a handle of this
        // tracker, a cycle that would otherwise keep everything alive). A thread delivering
        // lets it go when it is done.
        let retired = match std::mem::replace(&mut st.observer, ObserverState::Absent) {
            ObserverState::Ready(observer) => Some(observer),
            ObserverState::Delivering => {
                st.observer = ObserverState::DeliveringThenRetire;
                None
            }
            other => {
                st.observer = other;
                None
            }
        };
        let updates = std::mem::take(&mut st.scratch);
        self.publish(st, None, updates, None, None);
        if let Some(observer) = retired {
            self.drop_observer(observer);
        }
    }

    /// Hands one change's updates to every consumer: the log (for streams), sleeping waiters,
    /// waiting tasks, the observer and the recorder. Takes the lock guard and releases it
    /// before any user code runs.
    fn publish(
        &self,
        st: Guard<'_, State<R>>,
        call: Option<u64>,
        updates: Vec<Update>,
        line: Option<Vec<u8>>,
        live: Option<&dyn Any>,
    ) {
        self.publish_and(st, call, updates, line, live, WakeTasks::Yes);
    }

    /// [`publish`](Self::publish), waking the waiting tasks or not.
    fn publish_and(
        &self,
        mut st: Guard<'_, State<R>>,
        call: Option<u64>,
        mut updates: Vec<Update>,
        line: Option<Vec<u8>>,
        live: Option<&dyn Any>,
        wake_tasks: WakeTasks,
    ) {
        st.next_ticket += 1;
        let ticket = st.next_ticket;
        let observed = st.observer.is_present() && !updates.is_empty();
        let line = line.filter(|_| !matches!(st.recorder, RecorderState::Off));
        if observed || line.is_some() {
            let parcel = Parcel {
                ticket,
                call,
                updates: if observed {
                    updates.clone()
                } else {
                    Vec::new()
                },
                line,
            };
            st.parcels.push_back(parcel);
        }
        if st.consumers > 0 {
            for update in updates.drain(..) {
                st.append(update);
            }
        } else {
            updates.clear();
        }
        st.scratch = updates;
        let notify_sleepers = st.sleepers > 0 && st.decision.is_some();
        let waiting = match wake_tasks {
            WakeTasks::Yes => st.take_awaiting(),
            WakeTasks::No => Vec::new(),
        };
        let courier = if st.parcels.is_empty() {
            None
        } else {
            take_courier(&mut st)
        };
        drop(st);

        if notify_sleepers {
            // Taken once a sleeper is asleep (or has not looked yet, and will see the decision).
            drop(sync::lock(&self.sleep));
            self.decided.notify_all();
        }
        self.wake(waiting);
        if let Some(courier) = courier {
            self.deliver(courier, ticket, live);
        }
    }

    /// Wakes the tasks, each inside `catch_unwind`; a panic is reported as a fault to the
    /// log and the observer like any update, without waking the tasks again (a waker that
    /// panics each time would never stop).
    fn wake(&self, waiting: Vec<Arc<WakerSlot>>) {
        if waiting.is_empty() {
            return;
        }
        let mut panics = Vec::new();
        for slot in waiting {
            let woken = catch_unwind(AssertUnwindSafe(|| {
                slot.wake();
                // Dropped here (perhaps the last reference, and with it a waker): caught too.
                drop(slot);
            }));
            if let Err(payload) = woken {
                panics.push(Fault::WakePanicked(panic_message(&*payload)));
            }
        }
        if !panics.is_empty() {
            let mut st = self.state.lock();
            st.settle();
            let updates = panics.into_iter().map(Update::Fault).collect();
            self.publish_and(st, None, updates, None, None, WakeTasks::No);
        }
    }

    /// Hands every queued parcel to the recorder and the observer, in order, without holding
    /// the lock. Only one thread delivers at a time (it holds the [`Courier`]); others, and
    /// calls made from inside the observer, only queue.
    fn deliver(&self, mut courier: Courier, own_ticket: u64, live: Option<&dyn Any>) {
        let mut st = self.state.lock();
        while let Some(parcel) = st.parcels.pop_front() {
            drop(st);
            let mut faults = Vec::new();
            if let (Some(line), Some(recorder)) = (&parcel.line, courier.recorder.as_mut()) {
                if let Err(fault) = super::recorder::write_line(recorder.as_mut(), line) {
                    // Stopped for good: a trace with a hole would be checked as a run that
                    // did not happen.
                    faults.push(fault);
                    if let Some(recorder) = courier.recorder.take() {
                        faults.extend(super::recorder::drop_writer(recorder));
                    }
                }
            }
            if let Some(observer) = courier.observer.as_mut() {
                if !parcel.updates.is_empty() {
                    let notification = Notification {
                        call: parcel.call,
                        updates: &parcel.updates,
                        live: if parcel.ticket == own_ticket {
                            live
                        } else {
                            None
                        },
                    };
                    let called = catch_unwind(AssertUnwindSafe(|| observer(&notification)));
                    if let Err(payload) = called {
                        faults.push(Fault::ObserverPanicked(panic_message(&*payload)));
                        if let Some(observer) = courier.observer.take() {
                            if let Some(fault) = self.drop_observer_caught(observer) {
                                faults.push(fault);
                            }
                        }
                    }
                }
            }
            st = self.state.lock();
            if courier.recorder.is_none() && matches!(st.recorder, RecorderState::Writing) {
                st.recorder = RecorderState::Off;
            }
            if courier.observer.is_none() && !matches!(st.observer, ObserverState::Absent) {
                st.observer = ObserverState::Absent;
            }
            if !faults.is_empty() {
                st.settle();
                if st.consumers > 0 {
                    for fault in &faults {
                        st.append(Update::Fault(fault.clone()));
                    }
                }
                // The faults go to the observer too, if it is still there (a recording
                // failure), in order after what it has already been handed.
                if courier.observer.is_some() {
                    let updates = faults.into_iter().map(Update::Fault).collect();
                    st.next_ticket += 1;
                    let ticket = st.next_ticket;
                    st.parcels.push_back(Parcel {
                        ticket,
                        call: None,
                        updates,
                        line: None,
                    });
                }
                let waiting = st.take_awaiting();
                drop(st);
                self.wake(waiting);
                st = self.state.lock();
            }
        }
        // Put back what is still there, or let the observer go if the server did meanwhile.
        let retired = match std::mem::replace(&mut st.observer, ObserverState::Absent) {
            ObserverState::Delivering => {
                if let Some(observer) = courier.observer.take() {
                    st.observer = ObserverState::Ready(observer);
                }
                None
            }
            ObserverState::DeliveringThenRetire => courier.observer.take(),
            other => {
                st.observer = other;
                None
            }
        };
        if matches!(st.recorder, RecorderState::Writing) {
            st.recorder = match courier.recorder.take() {
                Some(recorder) => RecorderState::Ready(recorder),
                None => RecorderState::Off,
            };
        }
        drop(st);
        if let Some(observer) = retired {
            self.drop_observer(observer);
        }
    }

    /// Drops the observer outside the lock, a panic caught and reported.
    fn drop_observer(&self, observer: Box<Observer>) {
        if let Some(fault) = self.drop_observer_caught(observer) {
            self.fault(fault);
        }
    }

    fn drop_observer_caught(&self, observer: Box<Observer>) -> Option<Fault> {
        catch_unwind(AssertUnwindSafe(move || drop(observer)))
            .err()
            .map(|payload| Fault::ObserverDropPanicked(panic_message(&*payload)))
    }
}

impl<R: Clone> Shared<R> {
    /// Blocks until the decision, or until `deadline`.
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> Option<Decision<R>> {
        let mut asleep = sync::lock(&self.sleep);
        loop {
            let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            {
                let mut st = self.state.lock();
                if let Some(decision) = &st.decision {
                    return Some(decision.clone());
                }
                if left.is_some_and(|left| left.is_zero()) {
                    return None;
                }
                st.sleepers += 1;
            }
            asleep = match left {
                None => self
                    .decided
                    .wait(asleep)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(left) => {
                    self.decided
                        .wait_timeout(asleep, left)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0
                }
            };
            self.state.lock().sleepers -= 1;
        }
    }
}

impl<R> Shared<R> {
    pub(crate) fn add_consumer(&self) {
        self.state.lock().consumers += 1;
    }

    pub(crate) fn remove_consumer(&self) {
        let mut st = self.state.lock();
        st.consumers -= 1;
        if st.consumers == 0 {
            let log = std::mem::take(&mut st.log);
            st.log_read = 0;
            drop(st);
            drop(log);
        }
    }
}

/// Takes the observer and the recorder out of the state for the thread that will deliver,
/// unless another thread already delivers or there is nothing to deliver to.
fn take_courier<R>(st: &mut State<R>) -> Option<Courier> {
    let busy = matches!(
        st.observer,
        ObserverState::Delivering | ObserverState::DeliveringThenRetire
    ) || matches!(st.recorder, RecorderState::Writing);
    if busy {
        return None;
    }
    let observer = match std::mem::replace(&mut st.observer, ObserverState::Absent) {
        ObserverState::Ready(observer) => {
            st.observer = ObserverState::Delivering;
            Some(observer)
        }
        other => {
            st.observer = other;
            None
        }
    };
    let recorder = match std::mem::replace(&mut st.recorder, RecorderState::Off) {
        RecorderState::Ready(recorder) => {
            st.recorder = RecorderState::Writing;
            Some(recorder)
        }
        other => {
            st.recorder = other;
            None
        }
    };
    if observer.is_none() && recorder.is_none() {
        // Nobody to deliver to any more (the observer panicked, the recorder stopped).
        st.parcels.clear();
        return None;
    }
    Some(Courier { observer, recorder })
}

/// Turns the machine's verdict on a call into updates, and decides the end if it came.
fn conclude<R: Clone>(
    st: &mut State<R>,
    updates: &mut Vec<Update>,
    verdict: Result<Accepted, Violation>,
) {
    drain_events(&mut st.machine, updates);
    match verdict {
        Ok(accepted) => {
            if accepted.finished.is_some() {
                if let Some(outcome) = st.machine.outcome().cloned() {
                    st.decide(Ok(outcome));
                }
            }
        }
        Err(violation) => {
            updates.push(Update::Violation(violation));
            st.decide(Err(TrackError::Violation(violation)));
        }
    }
}

fn drain_events<R>(machine: &mut StatusMachine<R>, updates: &mut Vec<Update>) {
    while let Some(event) = machine.poll_event() {
        updates.push(Update::Event(event));
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::future::Future as _;
    use std::sync::atomic::AtomicBool;
    use std::task::{Wake, Waker};

    use super::*;
    use crate::live::{Reporter, Tracker};
    use crate::{OperationKind, ProgressFraction};

    fn progress(numerator: i32, denominator: i32) -> Update {
        Update::Event(Event::Progress(
            ProgressFraction::new(numerator, denominator).unwrap(),
        ))
    }

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    /// Nothing left behind once every delivery is done: the observer is back, no parcel is
    /// queued, no task is armed, no sleeper counted.
    fn assert_at_rest(tracker: &Tracker) {
        let st = tracker.shared().lock();
        assert!(matches!(
            st.observer,
            ObserverState::Ready(_) | ObserverState::Absent
        ));
        assert!(!matches!(st.recorder, RecorderState::Writing));
        assert!(st.parcels.is_empty());
        assert!(st.awaiting_updates.is_empty());
        assert!(st.awaiting_end.is_empty());
        assert_eq!(st.sleepers, 0);
    }

    #[test]
    fn delivery_puts_the_observer_back_and_leaves_nothing_queued() {
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .observer(|_| {})
            .build();
        let server = tracker.reporter();
        server.progress(0, 2);
        tracker.cancel();
        assert!(matches!(
            tracker.shared().lock().observer,
            ObserverState::Ready(_)
        ));
        assert_at_rest(&tracker);
        assert_eq!(tracker.wait_timeout(std::time::Duration::ZERO), None);
        assert_at_rest(&tracker);
    }

    /// The last reporter dropped from inside the observer (a cancel request delivered on the
    /// client's thread): the observer is let go once its callback returned, never during it.
    #[test]
    fn the_last_reporter_dropped_inside_the_observer_retires_it_afterwards() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let slot: Arc<std::sync::Mutex<Option<Reporter>>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .observer({
                let flag = Flag(Arc::clone(&dropped));
                let slot = Arc::clone(&slot);
                let dropped = Arc::clone(&dropped);
                let calls = Arc::clone(&calls);
                move |_| {
                    let _ = &flag;
                    calls.fetch_add(1, Ordering::SeqCst);
                    drop(slot.lock().unwrap().take());
                    assert!(!dropped.load(Ordering::SeqCst), "dropped while running");
                }
            })
            .build();
        *slot.lock().unwrap() = Some(tracker.reporter());
        assert!(matches!(
            tracker.shared().lock().observer,
            ObserverState::Ready(_)
        ));
        tracker.cancel();
        assert!(dropped.load(Ordering::SeqCst));
        assert!(matches!(
            tracker.shared().lock().observer,
            ObserverState::Absent
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            tracker.try_outcome(),
            Some(Err(TrackError::Abandoned { calls_received: 0 }))
        );
        // No fault: the observer's drop did not panic.
        assert_eq!(
            tracker.updates_so_far(),
            vec![Update::Event(Event::CancelRequested)]
        );
        assert_at_rest(&tracker);
    }

    #[test]
    fn a_timed_out_wait_leaves_no_sleeper() {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let _server = tracker.reporter();
        let deadline = Some(Instant::now() + std::time::Duration::from_millis(2));
        assert!(tracker.shared().wait_until(deadline).is_none());
        assert_at_rest(&tracker);
    }

    /// Woken streams leave the waiting list, and quiet progress takes the fast path again:
    /// it stays in the machine until the log is read.
    #[test]
    fn woken_tasks_leave_the_waiting_list_and_the_fast_path_resumes() {
        use futures_core::Stream;
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        server.progress(0, 4);
        let mut updates = tracker.updates();
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(std::pin::Pin::new(&mut updates)
            .poll_next(&mut cx)
            .is_ready());
        assert!(std::pin::Pin::new(&mut updates)
            .poll_next(&mut cx)
            .is_pending());
        assert!(!tracker.shared().lock().is_quiet());
        server.progress(1, 4);
        assert!(tracker.shared().lock().is_quiet());
        server.progress(2, 4);
        assert_eq!(
            tracker.shared().lock().log,
            vec![progress(0, 4), progress(1, 4)]
        );
        assert_eq!(
            tracker.updates_so_far(),
            vec![progress(0, 4), progress(2, 4)]
        );
        drop(updates);
        assert_at_rest(&tracker);
    }

    /// A future waits for the decision only: quiet progress keeps the fast path, and the
    /// future is woken by the end.
    #[test]
    fn a_waiting_future_keeps_quiet_progress_on_the_fast_path() {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        server.progress(0, 4);
        let mut future = tracker.outcome();
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(std::pin::Pin::new(&mut future).poll(&mut cx).is_pending());
        assert!(tracker.shared().lock().is_quiet());
        server.progress(1, 4);
        // Still waiting: progress does not wake a future.
        assert_eq!(tracker.shared().lock().awaiting_end.len(), 1);
        server.status(
            crate::StatusCall::progress(4, 4).with_result(crate::ResultDescription::text("r")),
        );
        assert!(tracker.shared().lock().awaiting_end.is_empty());
        assert!(std::pin::Pin::new(&mut future).poll(&mut cx).is_ready());
        drop(future);
        assert_at_rest(&tracker);
    }

    /// A progress update merges into the previous one only while no stream has read it.
    #[test]
    fn unread_progress_merges_and_read_progress_stays() {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let mut st = tracker.shared().lock();
        st.append(progress(0, 4));
        st.append(progress(1, 4));
        assert_eq!(st.log, vec![progress(1, 4)]);
        assert_eq!(st.read_log(0), Some(progress(1, 4)));
        st.append(progress(2, 4));
        st.append(Update::Event(Event::CancelRequested));
        st.append(progress(3, 4));
        st.append(progress(4, 4));
        assert_eq!(
            st.log,
            vec![
                progress(1, 4),
                progress(2, 4),
                Update::Event(Event::CancelRequested),
                progress(4, 4)
            ]
        );
        assert_eq!(st.read_log(4), None);
        assert_eq!(st.log_read, 1);
    }

    #[cfg(feature = "trace")]
    #[test]
    fn a_writer_that_panicked_leaves_the_recorder_off() {
        struct Broken(usize);
        impl std::io::Write for Broken {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0 += 1;
                assert!(self.0 < 2, "writer bug");
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .record(Broken(0))
            .build();
        tracker.reporter().progress(0, 1);
        assert!(matches!(
            tracker.shared().lock().recorder,
            RecorderState::Off
        ));
        assert_at_rest(&tracker);
    }
}
