//! What `demo` and `record` draw of a running operation: a live progress bar on a terminal,
//! plain lines otherwise, the engine's updates as they come, Ctrl-C as the client's cancel,
//! and the end with the exit status `gpmc-trace check` would give its trace.

use std::fmt;
use std::io::{self, IsTerminal, LineWriter, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use gpmc_progress::live::{Late, Notification, TrackError, Update};
use gpmc_progress::{Event, OperationOutcome, ProgressFraction};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::StandardOutput;

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
        let bar =
            ProgressBar::with_draw_target(Some(length.max(1) as u64), ProgressDrawTarget::stdout());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} [{bar:40.cyan/blue}] {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(prefix.to_owned());
        bar.set_message("waiting for the first Status call");
        bar.enable_steady_tick(Duration::from_millis(100));
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

    /// Leaves the bar where it stands; what follows is printed below it, as plain lines.
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
            // The bar is drawn through std's `Stdout`: all of it before the plain lines.
            io::stdout().flush()?;
        }
        Ok(())
    }

    /// Leaves the bar and flushes the plain lines.
    pub fn close(mut self) -> io::Result<()> {
        self.finish()?;
        self.out.flush()
    }
}

/// Counts Ctrl-C presses; the second one exits at once with status 130.
pub fn interrupts() -> Arc<AtomicUsize> {
    let interrupts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&interrupts);
    if let Err(error) = ctrlc::set_handler(move || {
        if counted.fetch_add(1, Ordering::SeqCst) >= 1 {
            std::process::exit(130);
        }
    }) {
        eprintln!("gpmc-trace: Ctrl-C cannot cancel the operation: {error}");
    }
    interrupts
}

/// What the engine's observer hands the main thread.
pub enum Told<R> {
    /// An update, as every consumer sees it.
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
    /// The updates, then what came after the end, from the engine's observer.
    pub from_server: &'a mpsc::Receiver<Told<R>>,
    /// Ctrl-C presses.
    pub interrupts: &'a AtomicUsize,
}

impl<R> Follow<'_, R> {
    /// Shows the updates until the end (or with [`AtViolation::WaitForServer`] and a
    /// violation, until the server let go of the operation, showing what it does later). At
    /// the first Ctrl-C, calls `cancel`. Returns `Some(1)` at a violation (shown), `None`
    /// at another end or when the server let go.
    ///
    /// A real GPMC server runs in this process, and exiting at a violation would stop it in
    /// the middle of its work: `record` waits for it.
    pub fn show(
        &self,
        display: &mut Display,
        mut cancel: impl FnMut(&mut Display) -> io::Result<()>,
        at_violation: AtViolation,
    ) -> io::Result<Option<u8>> {
        let mut interrupted = false;
        let mut shown = None;
        let mut violated = false;
        loop {
            match self.from_server.recv_timeout(Duration::from_millis(50)) {
                Ok(Told::Update(Update::End(Err(TrackError::Violation(violation))))) => {
                    display.finish()?;
                    display.line(&format!("violation: {violation}"))?;
                    if at_violation == AtViolation::Stop {
                        return Ok(Some(1));
                    }
                    display.line(
                        "waiting for the server to let go of the operation \
                         (Ctrl-C cancels, twice exits)",
                    )?;
                    violated = true;
                }
                Ok(Told::Update(Update::End(_))) if !violated => break,
                Ok(Told::Update(update)) => match update {
                    // A repeated fraction (a second thread's) shows nothing new.
                    Update::Event(Event::Progress(progress))
                        if shown.replace(progress) == Some(progress) => {}
                    update => show_update(&update, interrupted, display)?,
                },
                Ok(Told::Late(late)) => display.line(&late.to_string())?,
                Err(RecvTimeoutError::Timeout) => {}
                // The server let go of the operation: nothing more can come.
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if !interrupted && self.interrupts.load(Ordering::SeqCst) > 0 {
                interrupted = true;
                display.line("client: IGPMAsyncCancel::Cancel (Ctrl-C)")?;
                cancel(display)?;
            }
        }
        display.finish()?;
        Ok(violated.then_some(1))
    }
}

/// What [`Follow::show`] does at a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtViolation {
    /// Returns at once (a simulated server, which stops with the process harmlessly).
    Stop,
    /// Goes on showing the server's calls until it lets go of the operation (`record`, on
    /// Windows only).
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

/// How `gpmc-trace check` would judge the trace of an operation with this end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The operation ended (succeeded, failed or cancelled): 0.
    Complete,
    /// The server broke the rules: 1.
    Violation,
    /// No outcome (the server let go without finishing): 3.
    Incomplete,
}

impl Verdict {
    /// The verdict of the tracker's end.
    pub fn of<R>(end: &Result<OperationOutcome<R>, TrackError>) -> Self {
        match end {
            Ok(_) => Verdict::Complete,
            Err(TrackError::Violation(_)) => Verdict::Violation,
            Err(_) => Verdict::Incomplete,
        }
    }

    /// The exit status, as `gpmc-trace check` gives it.
    pub fn exit_status(self) -> u8 {
        match self {
            Verdict::Complete => 0,
            Verdict::Violation => 1,
            Verdict::Incomplete => 3,
        }
    }
}

/// Shows the end: the outcome with its `result` (described) and counts, the violation, or
/// why there is none; returns the exit status.
pub fn show_end<R>(
    end: &Result<OperationOutcome<R>, TrackError>,
    result: Option<&dyn fmt::Display>,
    anomalies: usize,
    display: &mut Display,
) -> io::Result<u8> {
    match end {
        Ok(outcome) => {
            let mut text = format!("outcome: {outcome}");
            match result {
                Some(result) => text.push_str(&format!("; result: {result}")),
                None => text.push_str("; no result"),
            }
            let messages = outcome.messages().len();
            text.push_str(&format!(
                "; {messages} message{}, {anomalies} {}",
                if messages == 1 { "" } else { "s" },
                if anomalies == 1 {
                    "anomaly"
                } else {
                    "anomalies"
                }
            ));
            display.line(&text)?;
        }
        Err(TrackError::Violation(violation)) => {
            display.line(&format!("violation: {violation}"))?
        }
        Err(error) => display.line(&format!("no outcome: {error}"))?,
    }
    Ok(Verdict::of(end).exit_status())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gpmc_progress::HResult;

    #[test]
    fn the_exit_status_is_the_verdict_of_check() {
        let done: Result<OperationOutcome<()>, TrackError> = Ok(OperationOutcome::new(
            HResult::E_ACCESSDENIED,
            false,
            None,
            vec![],
        ));
        assert_eq!(
            Verdict::of(&done).exit_status(),
            0,
            "a failure is a complete trace"
        );
        let start_failed: Result<OperationOutcome<()>, TrackError> =
            Err(TrackError::StartFailed(HResult::E_ACCESSDENIED));
        assert_eq!(Verdict::of(&start_failed), Verdict::Incomplete);
        assert_eq!(Verdict::Violation.exit_status(), 1);
        assert_eq!(Verdict::Incomplete.exit_status(), 3);
    }
}
