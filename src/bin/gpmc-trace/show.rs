//! `gpmc-trace show`: a trace as a person reads it, one row per event: its line, the
//! progress with a small bar, the messages, what the rules say of it, the end and what came
//! after the end; then the verdict `check` gives the trace. `--format json` writes the same
//! rows as JSON lines, then `check`'s JSON verdict.
//!
//! The rows come from the state machine fed the events in order. The end is the finishing
//! call or the first violation, and the events after it are shown too: after a finishing
//! call each is judged (a `Status` call then breaks `status-after-completion`, as `check`
//! reports it), after a violation none is (`check` stops reading there). The whole trace is
//! read into memory (`check` streams it).

use std::ffi::OsString;
use std::fs;
use std::io::{self, LineWriter, Read, Write};
use std::path::Path;

use annotate_snippets::normalize_untrusted_str;
use annotate_snippets::renderer::{AnsiColor, Effects, Style};
use gpmc_progress::trace::{
    replay, TraceErrorKind, TraceEvent, TraceLine, TraceReadError, TraceReader, Verdict,
};
use gpmc_progress::{
    HResult, OperationKind, OperationOutcome, OutcomeKind, Preset, ProgressFraction,
    ResultDescription, Rules, StatusMachine, StatusMessage, TypedResult,
};
use serde::Serialize;

use crate::diagnostic::Human;
use crate::exit::Status;
use crate::output::{self, StandardOutput};
use crate::{Format, OutputOptions};

/// Shows the trace `file`; returns the exit status (the verdict's, as `check` gives it).
pub fn run(preset: Preset, options: &OutputOptions, file: &OsString) -> u8 {
    let format = Format::or_by_terminal(options.format);
    let name = file.to_string_lossy();
    let rules = Rules::preset(preset);
    let read = if file == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        fs::read(file)
    };
    let (rows, verdict) = match read {
        Ok(bytes) => (rows(&bytes, rules), replay(&bytes[..], rules)),
        Err(source) => {
            let kind = if file == "-" {
                TraceErrorKind::Io(source)
            } else {
                TraceErrorKind::Open {
                    path: Path::new(file).display().to_string(),
                    source,
                }
            };
            (Vec::new(), Verdict::Error(TraceReadError::unplaced(kind)))
        }
    };
    let written = StandardOutput::open().and_then(|stdout| {
        let mut out = LineWriter::new(stdout);
        match format {
            Format::Json => {
                for row in &rows {
                    // Serialising strings, numbers and lists into memory cannot fail.
                    writeln!(out, "{}", serde_json::to_string(row).unwrap_or_default())?;
                }
                writeln!(out, "{}", verdict.to_json(&name))?;
            }
            Format::Human => {
                let human = Human::for_stdout(options.color);
                let name = crate::human_name(file);
                write!(out, "{}", Listing { human }.rows(&rows))?;
                if rows.is_empty() && matches!(verdict, Verdict::Error(_)) {
                    // Nothing to list: the diagnostic says why.
                    write!(out, "{}", human.verdict(&name, &verdict, None))?;
                } else {
                    writeln!(out, "{}", human.summary(&name, &verdict))?;
                }
            }
        }
        out.flush()
    });
    match written {
        Ok(()) => Status::of_verdict(&verdict).code(),
        Err(error) => output::failed(&error),
    }
}

/// One event of the trace and what the rules say of it.
#[derive(Debug, Default, Serialize)]
struct Row {
    /// The 1-based line.
    line: u64,
    /// `begin`, `status` or `cancel`; none on an input error's row.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation: Option<OperationKind>,
    /// `numerator/denominator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    percent: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hr: Option<HResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<ResultDescription>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<StatusMessage>,
    /// Whether a cancel request was recorded (false: one came before, or the end did);
    /// none when not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel_recorded: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    anomalies: Vec<Judged>,
    #[serde(skip_serializing_if = "Option::is_none")]
    violation: Option<Judged>,
    /// The end, on the row that decided it: the finishing call's outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<End>,
    /// Whether the event came after the end (the finishing call, or the first violation).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    after_end: bool,
    /// Whether the rules were not applied to it: it came after a violation.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    not_judged: bool,
    /// The input error that stopped the reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A rule broken by a call, and how.
#[derive(Debug, Serialize)]
struct Judged {
    rule: &'static str,
    message: String,
}

/// How the operation ended.
#[derive(Debug, Serialize)]
struct End {
    outcome: &'static str,
    /// The kept result's type.
    result: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hr: Option<HResult>,
    /// The outcome in words.
    #[serde(skip)]
    text: String,
    #[serde(skip)]
    kind: OutcomeKind,
}

impl End {
    fn of(outcome: &OperationOutcome) -> Self {
        let result = outcome.result().map(|r| r.result_type().id());
        End {
            outcome: outcome.kind().as_str(),
            result,
            hr: (outcome.kind() != OutcomeKind::Succeeded).then_some(outcome.hr()),
            text: format!(
                "{outcome}; {}",
                match outcome.result() {
                    Some(result) => format!("{} result", result.result_type()),
                    None => "no result".to_owned(),
                }
            ),
            kind: outcome.kind(),
        }
    }
}

/// Every event of the trace as a row, each judged by the state machine.
fn rows(bytes: &[u8], rules: Rules) -> Vec<Row> {
    let mut reader = TraceReader::new(bytes);
    let mut machine: Option<StatusMachine> = None;
    let mut ended = false;
    let mut violated = false;
    let mut rows = Vec::new();
    loop {
        let TraceLine { line, event, .. } = match reader.read_line() {
            Ok(Some(traced)) => traced,
            Ok(None) => break,
            Err(error) => {
                rows.push(Row {
                    line: error.line.unwrap_or(reader.lines_read()),
                    error: Some(error.kind.to_string()),
                    after_end: ended,
                    ..Row::default()
                });
                break;
            }
        };
        let machine = machine.get_or_insert_with(|| {
            let operation = match event {
                TraceEvent::Begin { operation } => operation,
                _ => OperationKind::Unknown,
            };
            StatusMachine::new(operation, rules)
        });
        let mut row = Row {
            line,
            event: Some(event.name()),
            after_end: ended,
            not_judged: violated,
            ..Row::default()
        };
        match event {
            TraceEvent::Begin { operation } => row.operation = Some(operation),
            TraceEvent::Cancel if violated => {}
            TraceEvent::Cancel => row.cancel_recorded = Some(machine.handle_cancel()),
            TraceEvent::Status(call) => {
                row.progress = Some(format!("{}/{}", call.numerator, call.denominator));
                row.percent = ProgressFraction::new(call.numerator, call.denominator)
                    .ok()
                    .map(ProgressFraction::percent);
                row.hr = (call.hr != HResult::S_OK).then_some(call.hr);
                row.result = call.result.clone();
                row.messages = call.messages.clone().unwrap_or_default();
                if violated {
                    rows.push(row);
                    continue;
                }
                match machine.handle_status(call) {
                    Ok(accepted) => {
                        row.anomalies = accepted
                            .anomalies
                            .iter()
                            .map(|anomaly| Judged {
                                rule: anomaly.rule().id(),
                                message: anomaly.breach.to_string(),
                            })
                            .collect();
                        if accepted.finished.is_some() && !ended {
                            row.end = machine.outcome().map(End::of);
                            ended = true;
                        }
                    }
                    Err(violation) => {
                        row.violation = Some(Judged {
                            rule: violation.rule().id(),
                            message: violation.breach.to_string(),
                        });
                        ended = true;
                        violated = true;
                    }
                }
            }
            _ => {}
        }
        while machine.poll_event().is_some() {}
        rows.push(row);
    }
    rows
}

/// The rows as text for people.
struct Listing {
    human: Human,
}

impl Listing {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.human.colored {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    fn rows(&self, rows: &[Row]) -> String {
        let number_width = rows.last().map_or(1, |row| row.line.to_string().len());
        let fraction_width = rows
            .iter()
            .filter_map(|row| row.progress.as_ref().map(String::len))
            .max()
            .unwrap_or(0);
        // The gutter of the lines under a row, and of the mark of the end.
        let gutter = format!("{} |", " ".repeat(number_width));
        let dim = Style::new().effects(Effects::DIMMED);
        let bold = |color: AnsiColor| color.on_default().effects(Effects::BOLD);
        let mut text = String::new();
        let mut after = false;
        for row in rows {
            if row.after_end && !after {
                after = true;
                let mark = if row.not_judged {
                    "after the end (not judged: the rules stop at a violation)"
                } else {
                    "after the end"
                };
                text.push_str(&format!(
                    "{} {}\n",
                    " ".repeat(number_width),
                    self.paint(dim, &format!("+-- {mark}"))
                ));
            }
            let mut first = format!("{:>number_width$} | ", row.line);
            if let Some(event) = row.event {
                first.push_str(&format!("{event:<6}  "));
            }
            match row.event {
                Some("status") => {
                    let progress = row.progress.as_deref().unwrap_or("");
                    first.push_str(&format!("{progress:<fraction_width$}"));
                    match row.percent {
                        Some(percent) => {
                            let filled = usize::from(percent) / 10;
                            first.push_str(&format!(
                                "  [{}{}] {percent:>3}%",
                                "#".repeat(filled),
                                " ".repeat(10 - filled)
                            ));
                        }
                        None => first.push_str("  (not a progress)"),
                    }
                    if let Some(hr) = row.hr {
                        first.push_str(&format!("  hr {hr:#}"));
                    }
                    if let Some(result) = &row.result {
                        first.push_str(&format!(
                            "  result {}",
                            normalize_untrusted_str(&result.to_string())
                        ));
                    }
                }
                Some("begin") => {
                    if let Some(operation) = row.operation {
                        first.push_str(&format!("{operation} ({})", operation.gpmc_method()));
                    }
                }
                Some("cancel") => first.push_str(match row.cancel_recorded {
                    Some(true) => "the client requested cancel",
                    Some(false) => "changes nothing (requested before, or after the end)",
                    None => "",
                }),
                _ => {}
            }
            if let Some(error) = &row.error {
                first.push_str(&format!(
                    "{}: {}",
                    self.paint(bold(AnsiColor::Red), "error"),
                    normalize_untrusted_str(error)
                ));
            }
            text.push_str(first.trim_end());
            text.push('\n');
            let mut under = |label: String, rest: &str| {
                text.push_str(&format!(
                    "{gutter}   {label}: {}\n",
                    normalize_untrusted_str(rest)
                ));
            };
            for message in &row.messages {
                under("message".to_owned(), &message.to_string());
            }
            for anomaly in &row.anomalies {
                let label = format!("anomaly[{}]", anomaly.rule);
                under(
                    self.paint(bold(AnsiColor::Yellow), &label),
                    &anomaly.message,
                );
            }
            if let Some(violation) = &row.violation {
                let label = format!("violation[{}]", violation.rule);
                under(self.paint(bold(AnsiColor::Red), &label), &violation.message);
            }
            if let Some(end) = &row.end {
                let color = match end.kind {
                    OutcomeKind::Succeeded => AnsiColor::Green,
                    OutcomeKind::Cancelled => AnsiColor::Yellow,
                    _ => AnsiColor::Red,
                };
                under(self.paint(bold(color), "end"), &end.text);
            }
        }
        text
    }
}
