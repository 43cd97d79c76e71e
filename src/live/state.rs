//! [`State`]: everything the engine's one lock guards, and the logic that needs nothing
//! else: the state machine, the latest progress, the log of updates ending in the end, what
//! came after the end, and the counts of handles.
//!
//! It never runs user code: an update's contents (a result type's clone and drop among
//! them) are shared as `Arc`s and copied by readers after the lock was released.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{AfterEnd, Late, TrackError, Update};
use crate::{Event, HResult, OperationOutcome, ProgressFraction, StatusMachine};

/// How many messages, anomalies, issues and faults the log keeps before the end; later ones
/// are counted and reported as one fault (progress and the end are never left out).
pub(crate) const LOG_CAPACITY: usize = 8192;

/// How many recorded lines may wait for the delivery thread before a server's call waits
/// for room.
pub(crate) const LINE_CAPACITY: usize = 1024;

/// One line of the recorded trace, waiting for the delivery thread.
pub(crate) struct Line {
    /// The event it holds (`status` or `cancel`), to name it in an error.
    pub(crate) event: &'static str,
    /// The line, encoded without its moment.
    pub(crate) bytes: Vec<u8>,
    /// Its moment: milliseconds since the operation began, never less than the line
    /// before's.
    pub(crate) ms: u64,
    /// Whether it was judged after the end.
    pub(crate) late: bool,
}

/// One logged update, with the progress that was current when it was logged.
struct Entry<R> {
    /// How many progress updates came before it (0: none).
    progress_version: u64,
    progress: Option<ProgressFraction>,
    update: Arc<Update<R>>,
}

/// Where one consumer (a stream, the observer, a copy of the updates so far) has read.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    /// The next log entry to hand out.
    next: usize,
    /// The progress version handed out last.
    seen: u64,
    /// The next event after the end to hand out (the observer's).
    late: usize,
}

/// What a consumer reads next.
pub(crate) enum Read<R> {
    /// A logged update (the end among them).
    Update(Arc<Update<R>>),
    /// The progress the consumer has not seen.
    Progress(ProgressFraction),
    /// Something after the end (read only by the observer).
    Late(Late),
    /// Nothing yet.
    Nothing,
    /// The end was read: nothing more will come.
    Ended,
}

/// Who found nothing when they last looked, and listens for a change: said under the lock by
/// a waiter after it started listening, taken under the lock by the next change, which then
/// notifies (see [`Notice`](super::sync::Notice)). A change nobody waits for notifies nobody:
/// a server's call costs no notification's own lock.
#[derive(Debug, Default)]
pub(crate) struct Listening {
    /// A stream or the delivery thread waits for any change.
    changed: bool,
    /// A wait or a future waits for the end.
    ended: bool,
    /// A server's thread waits for room in the recorder's queue.
    room: bool,
}

/// What a change wakes, taken under the lock and notified once it is released.
#[derive(Clone, Copy, Debug, Default)]
#[must_use]
pub(crate) struct Wake {
    /// The streams and the delivery thread.
    pub(crate) changed: bool,
    /// The waits and the futures (the end was published).
    pub(crate) ended: bool,
    /// The server threads waiting for room.
    pub(crate) room: bool,
    /// The recorder's queue is full: the calling thread waits for room.
    pub(crate) full: bool,
}

impl Wake {
    /// Whether it wakes nobody and asks for no room.
    #[inline]
    pub(crate) fn is_nobody(self) -> bool {
        !(self.changed || self.ended || self.room || self.full)
    }
}

/// The thread that calls the observer and writes the trace.
pub(crate) enum Delivery<C> {
    /// There is none: no observer and no recorder, or it is over.
    Off,
    /// Waiting for the first reporter, with what it will carry.
    Waiting(C),
    /// Being started.
    Starting,
    /// Running on this thread.
    Running(super::sync::ThreadId),
}

pub(crate) struct State<R, C> {
    pub(crate) machine: StatusMachine<R>,
    progress: Option<ProgressFraction>,
    progress_version: u64,
    log: Vec<Entry<R>>,
    /// Updates left out of the full log.
    dropped: u64,
    /// The position of the end in the log, once decided.
    end: Option<usize>,
    /// Whether waits, futures and streams may see the end: at once without a delivery
    /// thread, else once it has handed the end to the observer and written every line
    /// before it.
    published: bool,
    pub(crate) after_end: AfterEnd,
    reporters: usize,
    /// The server let go: every reporter was dropped once (it stays so).
    let_go: bool,
    /// How many events after the end the observer is told: those that came before the
    /// server let go (later ones, from a reporter made afterwards, are only kept).
    told_after_end: Option<usize>,
    /// Tracker handles, streams and futures.
    clients: usize,
    pub(crate) delivery: Delivery<C>,
    /// Whether an observer is there to be told.
    pub(crate) observing: bool,
    /// Whether recorded lines are still written.
    pub(crate) recording: bool,
    /// Recorded lines waiting for the delivery thread, in judged order.
    pub(crate) lines: VecDeque<Line>,
    /// Whether the delivery thread has read the end (to hand it to the observer).
    end_taken: bool,
    /// The moment of the last recorded line.
    last_ms: u64,
    /// Who waits for what.
    listening: Listening,
}

impl<R, C> State<R, C> {
    pub(crate) fn new(
        machine: StatusMachine<R>,
        delivery: Option<C>,
        observing: bool,
        recording: bool,
    ) -> Self {
        State {
            machine,
            progress: None,
            progress_version: 0,
            log: Vec::new(),
            dropped: 0,
            end: None,
            published: false,
            after_end: AfterEnd::default(),
            reporters: 0,
            let_go: false,
            told_after_end: None,
            clients: 0,
            delivery: match delivery {
                Some(courier) => Delivery::Waiting(courier),
                None => Delivery::Off,
            },
            observing,
            recording,
            lines: VecDeque::new(),
            end_taken: false,
            last_ms: 0,
            listening: Listening::default(),
        }
    }

    /// The moment of the next recorded line: `elapsed` milliseconds since the operation
    /// began, or the last line's when the clock read earlier (two threads read it before
    /// taking the lock in the other order).
    pub(crate) fn next_ms(&mut self, elapsed: u64) -> u64 {
        self.last_ms = self.last_ms.max(elapsed);
        self.last_ms
    }

    /// A stream or the delivery thread found nothing, and listens for a change.
    pub(crate) fn listen_for_change(&mut self) {
        self.listening.changed = true;
    }

    /// A wait or a future found no end, and listens for it.
    pub(crate) fn listen_for_end(&mut self) {
        self.listening.ended = true;
    }

    /// A server's thread found the recorder's queue full, and listens for room.
    pub(crate) fn listen_for_room(&mut self) {
        self.listening.room = true;
    }

    /// What the change just made wakes: whoever listens for a change, and for the end when
    /// `published` (it was just published).
    pub(crate) fn wake(&mut self, published: bool) -> Wake {
        Wake {
            changed: std::mem::take(&mut self.listening.changed),
            ended: published && std::mem::take(&mut self.listening.ended),
            room: false,
            full: false,
        }
    }

    /// [`wake`](Self::wake), and room was made in the recorder's queue (or it stopped):
    /// whoever listens for room too.
    pub(crate) fn wake_room(&mut self, published: bool) -> Wake {
        Wake {
            room: std::mem::take(&mut self.listening.room),
            ..self.wake(published)
        }
    }

    pub(crate) fn is_decided(&self) -> bool {
        self.end.is_some()
    }

    pub(crate) fn is_published(&self) -> bool {
        self.published
    }

    pub(crate) fn progress(&self) -> Option<ProgressFraction> {
        self.progress
    }

    /// Logs `update`, or counts it when the log is full.
    pub(crate) fn log(&mut self, update: Update<R>) {
        debug_assert!(self.end.is_none(), "nothing is logged after the end");
        if self.log.len() < LOG_CAPACITY {
            self.log.push(Entry {
                progress_version: self.progress_version,
                progress: self.progress,
                update: Arc::new(update),
            });
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Moves the state machine's events to the progress cell and the log. The finishing
    /// call's `Finished` is left out: [`decide`](Self::decide) logs the end.
    #[inline]
    pub(crate) fn take_events(&mut self) {
        if !self.machine.anomalies().is_empty() {
            // Logged as events below: the machine need not keep them too.
            self.machine.forget_anomalies();
        }
        while let Some(event) = self.machine.poll_event() {
            match event {
                Event::Progress(progress) => {
                    self.progress = Some(progress);
                    self.progress_version += 1;
                }
                event => self.log_event(event),
            }
        }
    }

    /// Logs an event other than progress (the finishing call's `Finished` is left out).
    #[inline(never)]
    fn log_event(&mut self, event: Event) {
        if !matches!(event, Event::Finished(_)) {
            self.log(Update::Event(event));
        }
    }

    /// Decides the end (the caller checked it was not): logs it last, after a fault
    /// counting what the full log left out. Published at once unless a delivery thread
    /// hands it out first. Returns whether it was published.
    pub(crate) fn decide(&mut self, end: Result<OperationOutcome<R>, TrackError>) -> bool {
        debug_assert!(self.end.is_none(), "the end is decided once");
        if self.dropped > 0 {
            let fault = Update::Fault(super::Fault::UpdatesDropped(self.dropped));
            self.push_unbounded(fault);
        }
        self.push_unbounded(Update::End(end));
        self.end = Some(self.log.len() - 1);
        self.published = !self.delivers();
        self.published
    }

    fn push_unbounded(&mut self, update: Update<R>) {
        self.log.push(Entry {
            progress_version: self.progress_version,
            progress: self.progress,
            update: Arc::new(update),
        });
    }

    /// Publishes the end (the delivery thread handed it out, or is gone). Returns whether
    /// this published it.
    pub(crate) fn publish(&mut self) -> bool {
        let now = self.end.is_some() && !self.published;
        self.published |= now;
        now
    }

    /// Whether a delivery thread will hand out the end (it is running or about to).
    fn delivers(&self) -> bool {
        matches!(self.delivery, Delivery::Starting | Delivery::Running(_))
    }

    /// The index the next `Status` call gets, late ones included.
    pub(crate) fn next_call(&self) -> u64 {
        self.machine
            .calls_received()
            .saturating_add(self.after_end.status_calls)
            .saturating_add(1)
    }

    /// Records a `Status` call after the end.
    pub(crate) fn late_status(&mut self, numerator: i32, denominator: i32, hr: HResult) {
        let call = self.next_call();
        self.after_end.push(Late::Status {
            call,
            numerator,
            denominator,
            hr,
        });
    }

    /// A fault, where it happened: logged before the end; once the end was decided but
    /// before any consumer could read it, just before the end (so it stays last); after
    /// that, kept apart with what came after the end.
    pub(crate) fn fault(&mut self, fault: super::Fault) {
        match self.end {
            None => self.log(Update::Fault(fault)),
            Some(end) if !self.published && !self.end_taken => {
                self.log.insert(
                    end,
                    Entry {
                        progress_version: self.progress_version,
                        progress: self.progress,
                        update: Arc::new(Update::Fault(fault)),
                    },
                );
                self.end = Some(end + 1);
            }
            Some(_) => self.after_end.push(Late::Fault(fault)),
        }
    }

    /// A fault after the end (handing out the end or a late notification, a late line).
    pub(crate) fn late_fault(&mut self, fault: super::Fault) {
        self.after_end.push(Late::Fault(fault));
    }

    /// The end, once every consumer may see it; on the delivery thread as soon as it is
    /// decided.
    pub(crate) fn visible_end(
        &self,
        on_delivery_thread: impl FnOnce() -> bool,
    ) -> Option<Arc<Update<R>>> {
        let end = self.end?;
        if self.published || on_delivery_thread() {
            Some(Arc::clone(&self.log[end].update))
        } else {
            None
        }
    }

    /// Whether `thread` is the delivery thread.
    pub(crate) fn is_delivery_thread(&self, thread: super::sync::ThreadId) -> bool {
        matches!(self.delivery, Delivery::Running(running) if running == thread)
    }

    /// What the consumer at `cursor` reads next. Before each logged update it is handed
    /// the progress current when that update was logged, if it has not seen it; with
    /// nothing logged left, the latest progress. The end is read once published, or by the
    /// delivery thread (`delivering`) as soon as it is decided; what came after the end is
    /// read by the delivery thread only.
    pub(crate) fn read(&mut self, cursor: &mut Cursor, delivering: bool) -> Read<R> {
        if let Some(entry) = self.log.get(cursor.next) {
            if entry.progress_version > cursor.seen {
                if let Some(progress) = entry.progress {
                    cursor.seen = entry.progress_version;
                    return Read::Progress(progress);
                }
            }
            if Some(cursor.next) == self.end {
                if !self.published && !delivering {
                    return Read::Nothing;
                }
                self.end_taken |= delivering;
            }
            cursor.next += 1;
            return Read::Update(Arc::clone(&entry.update));
        }
        match self.end {
            Some(end) if cursor.next > end => {
                if !delivering {
                    return Read::Ended;
                }
                let told = self.told_after_end.unwrap_or(usize::MAX);
                match self
                    .after_end
                    .events
                    .get(cursor.late)
                    .filter(|_| cursor.late < told)
                {
                    Some(event) => {
                        cursor.late += 1;
                        Read::Late(event.clone())
                    }
                    None => Read::Nothing,
                }
            }
            _ => match self.progress {
                Some(progress) if self.progress_version > cursor.seen => {
                    cursor.seen = self.progress_version;
                    Read::Progress(progress)
                }
                _ => Read::Nothing,
            },
        }
    }

    /// Whether the consumer at `cursor` read the end and, with `late`, every event after it
    /// kept so far.
    pub(crate) fn read_all(&self, cursor: &Cursor, late: bool) -> bool {
        let told = self
            .told_after_end
            .unwrap_or(usize::MAX)
            .min(self.after_end.events.len());
        matches!(self.end, Some(end) if cursor.next > end) && (!late || cursor.late >= told)
    }

    /// Every update so far, as a new stream would read them now: shared, to be copied
    /// after the lock is released.
    pub(crate) fn so_far(&mut self) -> Vec<Read<R>> {
        let mut cursor = Cursor::default();
        let mut reads = Vec::with_capacity(self.log.len() + 1);
        loop {
            match self.read(&mut cursor, false) {
                Read::Nothing | Read::Ended => return reads,
                read => reads.push(read),
            }
        }
    }

    pub(crate) fn attach(&mut self) {
        self.reporters += 1;
    }

    pub(crate) fn reporters(&self) -> usize {
        self.reporters
    }

    /// A reporter was dropped. When it was the last one the first time, the server let go:
    /// returns `true`, and the caller decides the end if it was not.
    pub(crate) fn detach(&mut self) -> bool {
        self.reporters = self.reporters.saturating_sub(1);
        let letting_go = self.reporters == 0 && !self.let_go;
        if letting_go {
            self.let_go = true;
            self.told_after_end = Some(self.after_end.events.len());
        }
        letting_go
    }

    pub(crate) fn has_let_go(&self) -> bool {
        self.let_go
    }

    pub(crate) fn add_client(&mut self) {
        self.clients += 1;
    }

    pub(crate) fn remove_client(&mut self) {
        self.clients = self.clients.saturating_sub(1);
    }

    /// Whether nobody can learn anything more of the operation: no tracker handle, stream
    /// or future, and no observer or recorder.
    pub(crate) fn is_closed(&self) -> bool {
        self.clients == 0 && !self.observing && !self.recording
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{OperationKind, OutcomeKind, Rules, StatusCall, StatusMessage};

    type Plain = State<crate::ResultDescription, ()>;

    fn state() -> Plain {
        State::new(
            StatusMachine::new(OperationKind::GpoReport, Rules::documented()),
            None,
            false,
            false,
        )
    }

    fn call(st: &mut Plain, call: StatusCall) {
        let accepted = st.machine.handle_status(call).unwrap();
        st.take_events();
        if accepted.finished.is_some() {
            let outcome = st.machine.take_outcome().unwrap();
            st.decide(Ok(outcome));
        }
    }

    /// Reads until nothing more, as text.
    fn drain(st: &mut Plain, cursor: &mut Cursor, delivering: bool) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match st.read(cursor, delivering) {
                Read::Update(update) => seen.push(update.to_string()),
                Read::Progress(progress) => seen.push(format!("progress {progress}")),
                Read::Late(late) => seen.push(late.to_string()),
                Read::Nothing => return seen,
                Read::Ended => {
                    seen.push("ended".to_owned());
                    return seen;
                }
            }
        }
    }

    #[test]
    fn a_late_reader_gets_the_progress_before_each_update_and_the_latest() {
        let mut st = state();
        let mut eager = Cursor::default();
        call(&mut st, StatusCall::progress(0, 4));
        assert_eq!(drain(&mut st, &mut eager, false), ["progress 0/4"]);
        call(&mut st, StatusCall::progress(1, 4));
        call(
            &mut st,
            StatusCall::progress(2, 4).with_messages(vec![StatusMessage::new("m")]),
        );
        call(&mut st, StatusCall::progress(3, 4));
        assert_eq!(
            drain(&mut st, &mut eager, false),
            ["progress 2/4", "message: m", "progress 3/4"]
        );
        let mut late = Cursor::default();
        assert_eq!(
            drain(&mut st, &mut late, false),
            ["progress 2/4", "message: m", "progress 3/4"]
        );
        assert_eq!(drain(&mut st, &mut late, false), Vec::<String>::new());
    }

    #[test]
    fn the_end_is_read_once_last_and_only_once_published() {
        let mut st = state();
        call(&mut st, StatusCall::progress(1, 2));
        st.delivery = Delivery::Starting;
        call(
            &mut st,
            StatusCall::progress(2, 2).with_result(crate::ResultDescription::text("r")),
        );
        assert!(st.is_decided() && !st.is_published());
        let mut cursor = Cursor::default();
        // Not published: the progress before it is read, the end is not.
        assert_eq!(drain(&mut st, &mut cursor, false), ["progress 2/2"]);
        assert!(st.visible_end(|| false).is_none());
        assert!(st.visible_end(|| true).is_some());
        // A fault now goes just before the end.
        st.fault(super::super::Fault::UpdatesDropped(1));
        assert_eq!(
            drain(&mut st, &mut cursor, false),
            ["fault: 1 update was left out of the full log"]
        );
        assert!(st.publish());
        assert!(!st.publish());
        assert_eq!(
            drain(&mut st, &mut cursor, false),
            ["end: succeeded", "ended"]
        );
        assert!(st.read(&mut cursor, false).is_ended());
        // A late call changes nothing a stream reads; the delivery thread reads it after
        // the end, and a fault now is late too.
        st.late_status(2, 2, HResult::S_OK);
        st.fault(super::super::Fault::UpdatesDropped(2));
        assert!(st.read(&mut cursor, false).is_ended());
        assert_eq!(
            drain(&mut st, &mut cursor, true),
            [
                "status call 3 (2/2, 0x00000000) came after the end: it breaks status-after-completion",
                "fault after the end: 2 updates were left out of the full log"
            ]
        );
        assert!(st.read_all(&cursor, true));
    }

    /// Once the delivery thread has read the end, a fault is late even before the end is
    /// published: no consumer could read it before the end any more.
    #[test]
    fn a_fault_after_the_delivery_thread_read_the_end_is_late() {
        let mut st = state();
        st.delivery = Delivery::Starting;
        call(
            &mut st,
            StatusCall::progress(1, 1).with_result(crate::ResultDescription::text("r")),
        );
        let mut delivery = Cursor::default();
        assert_eq!(
            drain(&mut st, &mut delivery, true),
            ["progress 1/1", "end: succeeded"]
        );
        st.fault(super::super::Fault::UpdatesDropped(1));
        assert_eq!(st.after_end.events.len(), 1);
        assert!(st.publish());
        assert_eq!(
            drain(&mut st, &mut Cursor::default(), false),
            ["progress 1/1", "end: succeeded", "ended"]
        );
    }

    #[test]
    fn a_full_log_counts_what_it_leaves_out_and_still_ends() {
        let mut st = state();
        for index in 0..LOG_CAPACITY + 5 {
            st.log(Update::Event(Event::Message(StatusMessage::new(
                index.to_string(),
            ))));
        }
        st.decide(Err(TrackError::StartFailed(HResult::E_FAIL)));
        let reads = st.so_far();
        assert_eq!(reads.len(), LOG_CAPACITY + 2);
        let last: Vec<String> = reads[LOG_CAPACITY..]
            .iter()
            .map(|read| match read {
                Read::Update(update) => update.to_string(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            last,
            [
                "fault: 5 updates were left out of the full log",
                "end: the asynchronous method failed with 0x80004005 (E_FAIL)"
            ]
        );
    }

    #[test]
    fn letting_go_happens_once() {
        let mut st = state();
        st.attach();
        st.attach();
        assert!(!st.detach());
        assert!(st.detach());
        assert!(st.has_let_go());
        st.attach();
        assert_eq!(st.reporters(), 1);
        assert!(!st.detach(), "a revived reporter does not let go again");
    }

    #[test]
    fn late_calls_are_numbered_after_the_received_ones() {
        let mut st = state();
        call(
            &mut st,
            StatusCall::progress(1, 1).with_result(crate::ResultDescription::text("r")),
        );
        assert_eq!(st.next_call(), 2);
        st.late_status(1, 1, HResult::S_OK);
        st.late_status(1, 1, HResult::S_OK);
        assert_eq!(st.next_call(), 4);
        assert_eq!(st.after_end.status_calls, 2);
        let _ = OutcomeKind::Succeeded;
    }

    impl<R> Read<R> {
        fn is_ended(&self) -> bool {
            matches!(self, Read::Ended)
        }
    }
}
