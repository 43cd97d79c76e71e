//! What `demo` and `record` draw of a running operation: a live progress bar on a terminal,
//! plain lines otherwise, the engine's updates as they come, Ctrl-C as the client's cancel,
//! and the end (the bar's last look says how it ended) with the exit status `gpmc-trace
//! check` would give its trace.

use std::fmt;
use std::io::{self, IsTerminal, LineWriter, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gpmc_progress::live::{Late, Notification, TrackError, Update};
use gpmc_progress::{Event, OperationOutcome, OutcomeKind, ProgressFraction};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::exit::Status;
use crate::output::StandardOutput;

/// The bar on the screen, for the Ctrl-C handler: a second Ctrl-C draws it one last time,
/// as interrupted, before the process exits.
static SHOWN_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How a run ended, as the bar's last look shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The operation succeeded.
    Succeeded,
    /// The operation failed.
    Failed,
    /// The operation was cancelled (GPMC still ends it at n/n: the bar is full).
    Cancelled,
    /// The server broke a rule.
    Violation,
    /// No outcome: the method failed to start, or the server let go.
    NoOutcome,
    /// A second Ctrl-C: the process exits without waiting for the end.
    Interrupted,
}

impl Ending {
    /// The ending of a tracked operation's end.
    pub fn of<R>(end: &Result<OperationOutcome<R>, TrackError>) -> Self {
        match end {
            Ok(outcome) => match outcome.kind() {
                OutcomeKind::Succeeded => Ending::Succeeded,
                OutcomeKind::Cancelled => Ending::Cancelled,
                _ => Ending::Failed,
            },
            Err(TrackError::Violation(_)) => Ending::Violation,
            Err(_) => Ending::NoOutcome,
        }
    }

    /// The word after the bar's progress.
    pub fn word(self) -> &'static str {
        match self {
            Ending::Succeeded => "succeeded",
            Ending::Failed => "failed",
            Ending::Cancelled => "cancelled",
            Ending::Violation => "violation",
            Ending::NoOutcome => "no outcome",
            Ending::Interrupted => "interrupted",
        }
    }

    /// The bar's last style: no spinner, a colour and a fill of its own.
    fn style(self) -> ProgressStyle {
        let (color, fill) = match self {
            Ending::Succeeded => ("green", "=> "),
            Ending::Failed => ("red", "x> "),
            Ending::Cancelled => ("yellow", "/> "),
            Ending::Violation => ("red", "!> "),
            Ending::NoOutcome | Ending::Interrupted => ("dim", ".> "),
        };
        bar_style(&format!("  {{prefix}} [{{bar:40.{color}}}] {{msg}}"), fill)
    }

    /// Draws `bar` one last time in this ending's style, and leaves it there.
    fn finish(self, bar: &ProgressBar) {
        bar.set_style(self.style());
        let message = bar.message();
        let message = if message.is_empty() || message == WAITING {
            self.word().to_owned()
        } else {
            format!("{message}, {}", self.word())
        };
        bar.abandon_with_message(message);
    }
}

/// The bar's message before the first Status call.
const WAITING: &str = "waiting for the first Status call";

/// A bar style from a template that is known to be valid.
fn bar_style(template: &str, fill: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars(fill)
}

/// The terminal's echo of control characters, off while the bar is drawn. indicatif keeps
/// the cursor at the right edge of the bar's line, where the `^C` a terminal echoes for a
/// Ctrl-C would wrap onto a new line: the next drawing would start there and leave a frozen
/// copy of the bar above it. Restored when the bar is left, and before a second Ctrl-C
/// exits.
#[cfg(unix)]
mod quiet_echo {
    use std::io::{self, IsTerminal};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg, Termios};
    use nix::unistd::{getpgrp, tcgetpgrp};

    /// The settings to restore, while the echo is off.
    static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

    /// Turns the echo of control characters off, when standard input is a terminal that
    /// echoes them and this process is in its foreground (changing a terminal's settings
    /// from the background would stop the process, SIGTTOU).
    pub fn start() {
        let stdin = io::stdin();
        if !stdin.is_terminal() || tcgetpgrp(&stdin) != Ok(getpgrp()) {
            return;
        }
        let Ok(settings) = tcgetattr(&stdin) else {
            return;
        };
        if !settings.local_flags.contains(LocalFlags::ECHOCTL) {
            return;
        }
        let mut quiet = settings.clone();
        quiet.local_flags.remove(LocalFlags::ECHOCTL);
        if tcsetattr(&stdin, SetArg::TCSANOW, &quiet).is_ok() {
            if let Ok(mut saved) = SAVED.lock() {
                *saved = Some(settings);
            }
        }
    }

    /// When the last Ctrl-C came.
    static LAST_INTERRUPT: Mutex<Option<Instant>> = Mutex::new(None);

    /// How long after a Ctrl-C the settings stay as they are.
    const ECHO_SETTLES: Duration = Duration::from_millis(100);

    /// Notes a Ctrl-C.
    pub fn interrupted() {
        if let Ok(mut last) = LAST_INTERRUPT.lock() {
            *last = Some(Instant::now());
        }
    }

    /// Restores the terminal's settings (nothing when they were not changed). The terminal
    /// sends the signal of a Ctrl-C before it echoes it, under the settings of that moment:
    /// restored right after a Ctrl-C, they could let it echo a `^C` below the bar, so they
    /// wait until a short pause after the last one has passed.
    pub fn end() {
        let saved = SAVED.lock().ok().and_then(|mut saved| saved.take());
        if let Some(settings) = saved {
            let last = LAST_INTERRUPT.lock().ok().and_then(|last| *last);
            if let Some(rest) = last.and_then(|at| ECHO_SETTLES.checked_sub(at.elapsed())) {
                std::thread::sleep(rest);
            }
            let _ = tcsetattr(io::stdin(), SetArg::TCSANOW, &settings);
        }
    }
}

/// Elsewhere the console echoes no `^C` after the bar.
#[cfg(not(unix))]
mod quiet_echo {
    pub fn start() {}
    pub fn interrupted() {}
    pub fn end() {}
}

/// Where a command shows what happens: a live progress bar on a terminal, plain lines
/// otherwise (and below the bar once it is left). A plain line that cannot be written is an
/// error that ends the command.
pub struct Display {
    bar: Option<ProgressBar>,
    out: LineWriter<StandardOutput>,
}

impl Display {
    /// Plain lines on standard output, no bar yet.
    pub fn open() -> io::Result<Self> {
        Ok(Display {
            bar: None,
            out: LineWriter::new(StandardOutput::open()?),
        })
    }

    /// Draws a bar of `length` steps named `prefix` when standard output is a terminal.
    pub fn start_bar(&mut self, prefix: &str, length: u32) {
        if !io::stdout().is_terminal() {
            return;
        }
        quiet_echo::start();
        let bar =
            ProgressBar::with_draw_target(Some(length.max(1) as u64), ProgressDrawTarget::stdout());
        bar.set_style(bar_style(
            "{spinner} {prefix} [{bar:40.cyan/blue}] {msg}",
            "=> ",
        ));
        bar.set_prefix(prefix.to_owned());
        bar.set_message(WAITING);
        bar.enable_steady_tick(Duration::from_millis(100));
        if let Ok(mut shown) = SHOWN_BAR.lock() {
            *shown = Some(bar.clone());
        }
        self.bar = Some(bar);
    }

    pub fn line(&mut self, text: &str) -> io::Result<()> {
        match &self.bar {
            Some(bar) => {
                bar.println(text);
                Ok(())
            }
            None => writeln!(self.out, "{text}"),
        }
    }

    fn progress(&mut self, progress: ProgressFraction) -> io::Result<()> {
        let text = format!("{progress} ({}%)", progress.percent());
        match &self.bar {
            Some(bar) => {
                // 0/0 is complete: show a full bar.
                let (position, length) = match progress.denominator() {
                    0 => (1, 1),
                    d => (progress.numerator() as u64, d as u64),
                };
                bar.set_length(length);
                bar.set_position(position);
                bar.set_message(text);
                Ok(())
            }
            None => self.line(&format!("progress {text}")),
        }
    }

    /// Draws the bar one last time as `ending` and leaves it where it stands, without its
    /// spinner; what follows is printed below it, as plain lines.
    pub fn finish(&mut self, ending: Ending) -> io::Result<()> {
        if let Some(bar) = self.bar.take() {
            if let Ok(mut shown) = SHOWN_BAR.lock() {
                shown.take();
            }
            ending.finish(&bar);
            quiet_echo::end();
            // The bar is drawn through its own handle on standard output: all of it before
            // the plain lines.
            io::stdout().flush()?;
        }
        Ok(())
    }

    /// Flushes the plain lines (a bar still drawn ends as having no outcome).
    pub fn close(mut self) -> io::Result<()> {
        self.finish(Ending::NoOutcome)?;
        self.out.flush()
    }
}

impl Drop for Display {
    /// A bar left without [`Display::finish`] (an error) gives the terminal back as it was.
    fn drop(&mut self) {
        if self.bar.is_some() {
            quiet_echo::end();
        }
    }
}

/// Counts Ctrl-C presses; the second one draws the bar a last time, as interrupted, and
/// exits at once with status 130.
pub fn interrupts() -> Arc<AtomicUsize> {
    let interrupts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&interrupts);
    if let Err(error) = ctrlc::set_handler(move || {
        quiet_echo::interrupted();
        if counted.fetch_add(1, Ordering::SeqCst) >= 1 {
            interrupted()
        }
    }) {
        eprintln!("gpmc-trace: Ctrl-C cannot cancel the operation: {error}");
    }
    interrupts
}

/// A second Ctrl-C: leaves the bar drawn as interrupted (no spinner frozen mid-turn), then
/// exits with status 130.
fn interrupted() -> ! {
    let bar = SHOWN_BAR.lock().ok().and_then(|mut shown| shown.take());
    if let Some(bar) = bar {
        Ending::Interrupted.finish(&bar);
    }
    quiet_echo::end();
    let _ = io::stdout().flush();
    std::process::exit(i32::from(Status::Interrupted.code()))
}

/// What the engine's observer hands the main thread.
pub enum Told<R> {
    /// An update, as every consumer sees it; the last is the end.
    Update(Update<R>),
    /// Something after the end.
    Late(Late),
}

impl<R: Clone> Told<R> {
    /// What to send the main thread of a notification.
    pub fn of(notification: Notification<'_, R>) -> Option<Self> {
        match notification {
            Notification::Update(update) => Some(Told::Update(update.clone())),
            Notification::Late(late) => Some(Told::Late(late.clone())),
            _ => None,
        }
    }
}

/// The running operation as the client sees it.
pub struct Follow<'a, R> {
    /// The updates, then what came after the end, from the engine's observer (the channel
    /// closes when the server let go of the operation).
    pub from_server: &'a mpsc::Receiver<Told<R>>,
    /// Ctrl-C presses.
    pub interrupts: &'a AtomicUsize,
}

impl<R> Follow<'_, R> {
    /// Shows the updates until the end. At the first Ctrl-C, calls `interrupt` (the
    /// client's cancel, or a recorded run's stop), which says what it does. Returns
    /// `Some(1)` at a violation (shown, the bar finished) with [`AtViolation::Stop`]; `None`
    /// at another end, or at a violation with [`AtViolation::WaitForServer`] (the bar still
    /// drawn, for [`show_end`]), or when the server let go.
    pub fn show(
        &self,
        display: &mut Display,
        mut interrupt: impl FnMut(&mut Display) -> io::Result<()>,
        at_violation: AtViolation,
    ) -> io::Result<Option<u8>> {
        let mut interrupted = false;
        let mut shown = None;
        loop {
            match self.from_server.recv_timeout(Duration::from_millis(50)) {
                Ok(Told::Update(Update::End(Err(TrackError::Violation(violation)))))
                    if at_violation == AtViolation::Stop =>
                {
                    display.finish(Ending::Violation)?;
                    display.line(&format!("violation: {violation}"))?;
                    return Ok(Some(Status::Violation.code()));
                }
                Ok(Told::Update(Update::End(_))) => return Ok(None),
                // A repeated fraction (a second thread's) shows nothing new.
                Ok(Told::Update(Update::Event(Event::Progress(progress))))
                    if shown.replace(progress) == Some(progress) => {}
                Ok(Told::Update(update)) => show_update(&update, interrupted, display)?,
                // Only after the end.
                Ok(Told::Late(_)) => {}
                Err(RecvTimeoutError::Timeout) => {}
                // The server let go of the operation: nothing more can come.
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            }
            if !interrupted && self.interrupts.load(Ordering::SeqCst) > 0 {
                interrupted = true;
                interrupt(display)?;
            }
        }
    }

    /// After the end was shown: shows what the server does after it, until it lets go of
    /// the operation (a real GPMC server runs in this process, and exiting would stop it in
    /// the middle of its work). Returns whether a `Status` call came after the end, which
    /// `gpmc-trace check` of the trace reports as a violation.
    pub fn after_end(&self, display: &mut Display) -> io::Result<bool> {
        let mut late_call = false;
        let mut waiting = false;
        loop {
            match self.from_server.recv_timeout(Duration::from_millis(50)) {
                Ok(Told::Late(late)) => {
                    late_call |= matches!(late, Late::Status { .. });
                    display.line(&format!("after the end: {late}"))?;
                }
                Ok(Told::Update(_)) => {}
                Err(RecvTimeoutError::Timeout) if !waiting => {
                    waiting = true;
                    display.line(
                        "waiting for the server to let go of the operation \
                         (Ctrl-C twice exits)",
                    )?;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(late_call),
            }
        }
    }
}

/// What [`Follow::show`] does at a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtViolation {
    /// Returns at once (a simulated server, which stops with the process harmlessly).
    Stop,
    /// Returns like at any other end, for the caller to show it and then what the server
    /// does until it lets go of the operation (`record`, on Windows only).
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    WaitForServer,
}

/// Shows one update of the engine: progress on the bar, everything else as its line.
fn show_update<R>(update: &Update<R>, interrupted: bool, display: &mut Display) -> io::Result<()> {
    match update {
        Update::Event(Event::Progress(progress)) => display.progress(*progress),
        Update::Event(Event::CancelRequested) => {
            if !interrupted {
                // A cancel planned in advance (the demo's --cancel-at).
                display.line("client: IGPMAsyncCancel::Cancel")?;
            }
            display.line("cancel requested: waiting for the server")
        }
        update => display.line(&update.to_string()),
    }
}

/// Shows the end: the bar's last look, then the outcome with its `result` (described) and
/// counts, the violation, or why there is none; returns the exit status (what `check` gives
/// the operation's trace).
pub fn show_end<R>(
    end: &Result<OperationOutcome<R>, TrackError>,
    result: Option<&dyn fmt::Display>,
    anomalies: usize,
    display: &mut Display,
) -> io::Result<u8> {
    display.finish(Ending::of(end))?;
    match end {
        Ok(outcome) => {
            let mut text = format!("outcome: {outcome}");
            match result {
                Some(result) => text.push_str(&format!("; result: {result}")),
                None => text.push_str("; no result"),
            }
            let messages = outcome.messages().len();
            text.push_str(&format!(
                "; {}, {}",
                counted(messages, "message", "messages"),
                counted(anomalies, "anomaly", "anomalies")
            ));
            display.line(&text)?;
        }
        Err(TrackError::Violation(violation)) => {
            display.line(&format!("violation: {violation}"))?
        }
        Err(error) => display.line(&format!("no outcome: {error}"))?,
    }
    Ok(Status::of_end(end).code())
}

/// `1 message`, `2 messages`.
fn counted(count: usize, one: &str, more: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { more })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gpmc_progress::HResult;

    #[test]
    fn each_end_has_its_own_last_look() {
        let outcome = |hr, cancel| -> Result<OperationOutcome<()>, TrackError> {
            Ok(OperationOutcome::new(hr, cancel, None, vec![]))
        };
        assert_eq!(Ending::of(&outcome(HResult::S_OK, true)), Ending::Succeeded);
        assert_eq!(
            Ending::of(&outcome(HResult::E_ACCESSDENIED, false)),
            Ending::Failed
        );
        assert_eq!(
            Ending::of(&outcome(HResult::ERROR_CANCELLED, true)),
            Ending::Cancelled
        );
        let start_failed: Result<OperationOutcome<()>, TrackError> =
            Err(TrackError::StartFailed(HResult::E_ACCESSDENIED));
        assert_eq!(Ending::of(&start_failed), Ending::NoOutcome);
        let words: Vec<&str> = [
            Ending::Succeeded,
            Ending::Failed,
            Ending::Cancelled,
            Ending::Violation,
            Ending::NoOutcome,
            Ending::Interrupted,
        ]
        .iter()
        .map(|ending| ending.word())
        .collect();
        assert_eq!(
            words,
            [
                "succeeded",
                "failed",
                "cancelled",
                "violation",
                "no outcome",
                "interrupted"
            ]
        );
    }

    #[test]
    fn the_last_look_keeps_the_progress_and_says_how_it_ended() {
        let bar = ProgressBar::hidden();
        bar.set_length(4);
        bar.set_position(4);
        bar.set_message("4/4 (100%)");
        Ending::Cancelled.finish(&bar);
        assert!(bar.is_finished());
        assert_eq!(bar.position(), 4);
        assert_eq!(bar.message(), "4/4 (100%), cancelled");
        let waiting = ProgressBar::hidden();
        waiting.set_message(WAITING);
        Ending::NoOutcome.finish(&waiting);
        assert_eq!(waiting.message(), "no outcome");
    }

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(counted(1, "message", "messages"), "1 message");
        assert_eq!(counted(0, "message", "messages"), "0 messages");
    }
}
