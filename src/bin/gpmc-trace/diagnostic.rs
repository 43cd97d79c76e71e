//! `check`'s output for people: each problem as a diagnostic in the style of rustc
//! (`file:line:column`, the line, a caret under the field, the rule and a help line), drawn
//! by `annotate-snippets`, and one summary line per file.

use std::borrow::Cow;
use std::ops::Range;

use annotate_snippets::renderer::{AnsiColor, Effects, Style};
use annotate_snippets::{
    normalize_untrusted_str, AnnotationKind, Group, Level, Origin, Renderer, Snippet,
};
use gpmc_progress::trace::{TraceAnomaly, TraceErrorKind, TraceReadError, Verdict};
use gpmc_progress::{
    Breach, OperationKind, OperationOutcome, ResultType, Rule, TypedResult, Violation,
};

use crate::locate::{self, Field};
use crate::{output, ColorWhen};

/// How the diagnostics are drawn.
#[derive(Debug, Clone, Copy)]
pub struct Human {
    /// ANSI colours.
    pub colored: bool,
    /// The width long lines are elided to.
    pub width: usize,
}

/// The trace line a diagnostic quotes: the text as read (invalid UTF-8 replaced), without
/// the byte-order mark of line 1.
struct Quoted {
    text: String,
    /// How many bytes were dropped at the start (the byte-order mark).
    dropped: usize,
}

impl Quoted {
    fn new(number: u64, bytes: &[u8]) -> Self {
        let (bytes, dropped) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if number == 1 => (rest, 3),
            _ => (bytes, 0),
        };
        Quoted {
            text: String::from_utf8_lossy(bytes).into_owned(),
            dropped,
        }
    }

    /// The whole event (the line without its surrounding blanks).
    fn whole(&self) -> Range<usize> {
        let start = self.text.len() - self.text.trim_start().len();
        start..self.text.trim_end().len().max(start)
    }

    /// The last character of the event (its closing brace).
    fn last(&self) -> Range<usize> {
        let end = self.text.trim_end().len();
        let start = self.text[..end]
            .char_indices()
            .next_back()
            .map_or(0, |(at, _)| at);
        start..end
    }

    /// The character at byte `at` (a caret past the end when the text stops before it).
    fn char_at(&self, at: usize) -> Range<usize> {
        let at = at.min(self.text.len());
        let at = (0..=at)
            .rev()
            .find(|i| self.text.is_char_boundary(*i))
            .unwrap_or(0);
        let end = self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        at..end
    }
}

impl Human {
    /// For standard output: colours as `color` says, long lines elided to its width.
    pub fn for_stdout(color: ColorWhen) -> Self {
        Human {
            colored: color.on_stdout(),
            width: output::width(),
        }
    }

    fn renderer(&self) -> Renderer {
        let renderer = if self.colored {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.term_width(self.width)
    }

    /// `text` with its lines broken between words to fit after a note's `  = help: `.
    fn wrap(&self, text: &str) -> String {
        wrap(text, self.width.saturating_sub(10).max(40))
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.colored {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// The diagnostic of `verdict` (none for a complete or an incomplete trace), then the
    /// file's summary line. `line` is the text of the line the verdict names, when known.
    pub fn verdict(&self, file: &str, verdict: &Verdict, line: Option<&[u8]>) -> String {
        let file = normalize_untrusted_str(file);
        let mut text = String::new();
        let diagnostic = match verdict {
            Verdict::Violation {
                line: number,
                violation,
                end,
            } => Some(self.violation(&file, *number, violation, end.as_ref(), line)),
            Verdict::Error(error) => Some(self.error(&file, error, line)),
            _ => None,
        };
        if let Some(diagnostic) = diagnostic {
            // A blank line between the diagnostic and the summary, as rustc has.
            text.push_str(&diagnostic);
            text.push_str("\n\n");
        }
        text.push_str(&self.summary(&file, verdict));
        text.push('\n');
        text
    }

    fn violation(
        &self,
        file: &str,
        number: u64,
        violation: &Violation,
        end: Option<&OperationOutcome>,
        line: Option<&[u8]>,
    ) -> String {
        let rule = violation.rule();
        let title = Level::ERROR
            .primary_title(violation.breach.to_string())
            .id(rule.id());
        let mut group = match line {
            Some(bytes) => {
                let quoted = Quoted::new(number, bytes);
                let fields = locate::fields(&quoted.text);
                let annotations = culprits(&quoted, &fields, violation);
                let snippet = Snippet::source(quoted.text.clone())
                    .line_start(number as usize)
                    .path(file.to_owned())
                    .annotations(annotations);
                title.element(snippet)
            }
            None => title.element(Origin::path(file.to_owned()).line(number as usize)),
        };
        group = group.element(Level::NOTE.message(self.wrap(&note(&violation.breach))));
        if let Some(end) = end {
            group = group.element(Level::NOTE.message(self.wrap(&format!(
                "the operation had ended: {}; this late call changes nothing of that end",
                end_text(end)
            ))));
        }
        group = group.element(Level::HELP.message(self.wrap(&help(&violation.breach))));
        self.renderer().render(&[group])
    }

    fn error(&self, file: &str, error: &TraceReadError, line: Option<&[u8]>) -> String {
        let renderer = self.renderer();
        let Some(number) = error.line else {
            // Nothing to quote: the file could not be opened or read.
            let title = Level::ERROR.primary_title(error.message_and_sources());
            let group = match &error.kind {
                TraceErrorKind::Open { .. } => Group::with_title(title),
                _ => title.element(Origin::path(file.to_owned())),
            };
            return renderer.render(&[group]);
        };
        let title_text = match &error.kind {
            TraceErrorKind::Json { message, .. } => message.clone(),
            kind => kind.to_string(),
        };
        let title = Level::ERROR.primary_title(normalize_untrusted_str(&title_text));
        let quoted = match (&error.kind, line) {
            // Too long to quote.
            (TraceErrorKind::LineTooLong { .. }, _) | (_, None) => None,
            (_, Some(bytes)) => Some(Quoted::new(number, bytes)),
        };
        let mut field = None;
        let mut group = match &quoted {
            None => title.element(Origin::path(file.to_owned()).line(number as usize)),
            Some(quoted) => {
                let fields = locate::fields(&quoted.text);
                let (span, label) = error_span(quoted, &fields, &error.kind);
                field = error_field(&fields, &error.kind).map(|field| field.path.clone());
                let snippet = Snippet::source(quoted.text.clone())
                    .line_start(number as usize)
                    .path(file.to_owned())
                    .annotation(AnnotationKind::Primary.span(span).label(label));
                title.element(snippet)
            }
        };
        if let Some(help) = error_help(&error.kind, field.as_deref()) {
            group = group.element(Level::HELP.message(self.wrap(&help)));
        }
        renderer.render(&[group])
    }

    /// `FILE: verdict: ...`: the verdict, the operation's end and the anomalies.
    pub fn summary(&self, file: &str, verdict: &Verdict) -> String {
        let bold = |color: AnsiColor| color.on_default().effects(Effects::BOLD);
        let (word, style) = match verdict {
            Verdict::Finished { .. } => ("complete", bold(AnsiColor::Green)),
            Verdict::Violation { .. } => ("violation", bold(AnsiColor::Red)),
            Verdict::Unfinished { .. } => ("incomplete", bold(AnsiColor::Yellow)),
            _ => ("error", bold(AnsiColor::Red)),
        };
        let details = match verdict {
            Verdict::Finished { outcome, anomalies } => {
                format!("{}; {}", end_text(outcome), anomaly_list(anomalies))
            }
            Verdict::Violation {
                line,
                violation,
                end,
            } => match end {
                Some(end) => format!(
                    "{} at line {line}, after the end: {}",
                    violation.rule(),
                    end_text(end)
                ),
                None => format!(
                    "{} at line {line} ends the operation; reading stopped there",
                    violation.rule()
                ),
            },
            Verdict::Unfinished {
                progress,
                anomalies,
            } => {
                let progress = match progress {
                    Some(progress) => {
                        format!("last progress {progress} ({}%)", progress.percent())
                    }
                    None => "no status call".to_owned(),
                };
                format!("no finishing call, {progress}; {}", anomaly_list(anomalies))
            }
            Verdict::Error(error) => match (error.line, &error.kind) {
                (Some(line), _) => format!("line {line} is unreadable; reading stopped there"),
                (None, TraceErrorKind::Open { .. }) => "cannot be opened".to_owned(),
                (None, _) => "cannot be read".to_owned(),
            },
            other => other.to_string(),
        };
        format!(
            "{}: {}: {}",
            self.paint(Style::new().effects(Effects::BOLD), file),
            self.paint(style, word),
            details
        )
    }
}

/// Each line of `text` broken between words into lines of at most `width` characters (a
/// longer word stays whole, and so does a `code span`).
fn wrap(text: &str, width: usize) -> String {
    let mut wrapped = String::with_capacity(text.len());
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            wrapped.push('\n');
        }
        // The words, a code span with its blanks counting as one.
        let mut words: Vec<String> = Vec::new();
        let mut in_code = false;
        for word in line.split(' ') {
            match words.last_mut() {
                Some(last) if in_code => {
                    last.push(' ');
                    last.push_str(word);
                }
                _ => words.push(word.to_owned()),
            }
            if word.matches('`').count() % 2 == 1 {
                in_code = !in_code;
            }
        }
        let mut length = 0;
        for word in &words {
            let count = word.chars().count();
            if length > 0 && length + 1 + count > width {
                wrapped.push('\n');
                length = 0;
            } else if length > 0 {
                wrapped.push(' ');
                length += 1;
            }
            wrapped.push_str(word);
            length += count;
        }
    }
    wrapped
}

/// The end as the summary shows it: `succeeded; backup result`.
fn end_text(outcome: &OperationOutcome) -> String {
    let result = match outcome.result() {
        Some(result) => format!("{} result", result.result_type()),
        None => "no result".to_owned(),
    };
    format!("{outcome}; {result}")
}

/// `no anomalies`, or `2 anomalies: numerator-decreased (line 4), missing-result (line 6)`.
fn anomaly_list(anomalies: &[TraceAnomaly]) -> String {
    match anomalies.len() {
        0 => "no anomalies".to_owned(),
        count => {
            let listed: Vec<String> = anomalies
                .iter()
                .map(|a| format!("{} (line {})", a.anomaly.rule(), a.line))
                .collect();
            let noun = if count == 1 { "anomaly" } else { "anomalies" };
            format!("{count} {noun}: {}", listed.join(", "))
        }
    }
}

/// What a rule asks of the server, in one sentence.
fn sentence(rule: Rule) -> &'static str {
    match rule {
        Rule::StatusAfterCompletion => "no Status call comes after the finishing one",
        Rule::NegativeProgress => "the numerator and the denominator are never negative",
        Rule::NumeratorExceedsDenominator => "the numerator never exceeds the denominator",
        Rule::DenominatorChanged => "the denominator stays the same from one call to the next",
        Rule::NumeratorDecreased => "the numerator never goes back",
        Rule::FailureBeforeCompletion => "a failure comes on the finishing call only",
        Rule::ResultBeforeCompletion => "a result comes only on the finishing call",
        Rule::ResultOnFailure => "a finishing call that fails carries no result",
        Rule::UnexpectedResult => "the result is of a type the operation gives",
        Rule::MissingResult => "a successful finishing call carries the operation's result",
        _ => "see the rules in the crate docs",
    }
}

/// The rule and what it asks, with what the operation gives for the result rules.
fn note(breach: &Breach) -> String {
    let rule = breach.rule();
    let types = |operation: &OperationKind| {
        let names: Vec<&str> = operation.result_types().iter().map(|t| t.id()).collect();
        match names.len() {
            0 => format!("{operation} gives none"),
            _ => format!("{operation} gives a {} result", names.join(" or ")),
        }
    };
    match breach {
        Breach::UnexpectedResult { operation, .. } | Breach::MissingResult { operation } => {
            format!("rule {rule}: {}: {}", sentence(rule), types(operation))
        }
        _ => format!("rule {rule}: {}", sentence(rule)),
    }
}

/// What GPMC documents about the rule, or which preset enforces it and what the other does.
fn help(breach: &Breach) -> String {
    let configurable = |carries_on: &str| {
        format!(
            "GPMC documents nothing about it: `--rules strict` makes it a violation;\n\
             `--rules documented` (the default) records an anomaly and {carries_on}"
        )
    };
    match breach {
        Breach::StatusAfterCompletion { finishing_call } => format!(
            "GPMC documents that the operation is complete when numerator == denominator: \
             status call {finishing_call} finished it; enforced under every preset"
        ),
        Breach::NegativeProgress { .. } => {
            "a negative fraction is no progress a client can show; enforced under every preset"
                .to_owned()
        }
        Breach::NumeratorExceedsDenominator { .. } => {
            "GPMC documents that the operation is complete when numerator == denominator, so \
             it never goes past it; enforced under every preset"
                .to_owned()
        }
        Breach::DenominatorChanged { .. } => configurable("takes the new denominator"),
        Breach::NumeratorDecreased { .. } => configurable("takes the lower numerator"),
        Breach::FailureBeforeCompletion { .. } => configurable("ends it as failed or cancelled"),
        Breach::ResultBeforeCompletion { .. } => {
            "GPMC documents that the result is delivered only when the operation is \
             complete; enforced under every preset"
                .to_owned()
        }
        Breach::ResultOnFailure { .. } => configurable("keeps the result, for inspection"),
        Breach::UnexpectedResult { .. } => configurable("keeps the result as given"),
        Breach::MissingResult { .. } => configurable("succeeds without a result"),
        _ => "see the rules in the crate docs".to_owned(),
    }
}

/// The carets of a violation: the fields that break the rule.
fn culprits<'a>(
    quoted: &Quoted,
    fields: &[Field],
    violation: &Violation,
) -> Vec<annotate_snippets::Annotation<'a>> {
    let value = |path: &str| locate::find(fields, path).map(|field| field.value.clone());
    let key = |path: &str| locate::find(fields, path).map(|field| field.key.clone());
    let primary = |span: Option<Range<usize>>, label: String| {
        AnnotationKind::Primary
            .span(span.unwrap_or_else(|| quoted.whole()))
            .label(label)
    };
    let context = |span: Option<Range<usize>>, label: String| {
        span.map(|span| AnnotationKind::Context.span(span).label(label))
    };
    let call = violation.call;
    let mut annotations = Vec::new();
    match violation.breach {
        Breach::StatusAfterCompletion { finishing_call } => annotations.push(primary(
            value("event"),
            format!(
                "status call {call}, after status call {finishing_call} finished the operation"
            ),
        )),
        Breach::NegativeProgress {
            numerator,
            denominator,
        } => {
            if numerator < 0 {
                annotations.push(primary(value("numerator"), "negative".to_owned()));
            }
            if denominator < 0 || numerator >= 0 {
                annotations.push(primary(value("denominator"), "negative".to_owned()));
            }
        }
        Breach::NumeratorExceedsDenominator { denominator, .. } => {
            annotations.push(primary(
                value("numerator"),
                "more than the denominator".to_owned(),
            ));
            annotations.extend(context(
                value("denominator"),
                format!("the denominator, {denominator}"),
            ));
        }
        Breach::DenominatorChanged { previous, .. } => annotations.push(primary(
            value("denominator"),
            format!("the previous call's was {previous}"),
        )),
        Breach::NumeratorDecreased { previous, .. } => annotations.push(primary(
            value("numerator"),
            format!("the previous call's was {previous}"),
        )),
        Breach::FailureBeforeCompletion {
            numerator,
            denominator,
            ..
        } => annotations.push(primary(
            value("hr"),
            format!("a failure at {numerator}/{denominator}"),
        )),
        Breach::ResultBeforeCompletion {
            numerator,
            denominator,
            ..
        } => annotations.push(primary(
            key("result"),
            format!("a result at {numerator}/{denominator}"),
        )),
        Breach::ResultOnFailure { hr, .. } => {
            annotations.push(primary(key("result"), "a result".to_owned()));
            annotations.extend(context(value("hr"), format!("failure {hr}")));
        }
        Breach::UnexpectedResult { operation, .. } => annotations.push(primary(
            value("result.type"),
            format!("not a result of {operation}"),
        )),
        Breach::MissingResult { .. } => annotations.push(
            AnnotationKind::Primary
                .span(quoted.last())
                .label("the finishing call ends here, without a result"),
        ),
        _ => annotations.push(primary(None, format!("status call {call}"))),
    }
    annotations
}

/// The field an input error is about, when it names one or points into one.
fn error_field<'f>(fields: &'f [Field], kind: &TraceErrorKind) -> Option<&'f Field> {
    let named = |name: &str| {
        fields
            .iter()
            .find(|field| field.path == name || field.path.ends_with(&format!(".{name}")))
    };
    match kind {
        // serde_json's column is the 1-based byte where it stopped.
        TraceErrorKind::Json { column, .. } if *column > 0 => locate::at(fields, column - 1),
        TraceErrorKind::NullField { field } => named(field),
        TraceErrorKind::FieldNotAllowed { field, .. } => locate::find(fields, field),
        TraceErrorKind::ResultFieldNotAllowed { field, .. } => {
            locate::find(fields, &format!("result.{field}"))
        }
        TraceErrorKind::BeginNotFirst { .. } | TraceErrorKind::SecondBegin { .. } => {
            locate::find(fields, "event")
        }
        TraceErrorKind::NegativeMs { .. }
        | TraceErrorKind::FractionalMs { .. }
        | TraceErrorKind::MsOutOfRange { .. }
        | TraceErrorKind::MsDecreased { .. } => locate::find(fields, "ms"),
        _ => None,
    }
}

/// Where the caret of an input error goes, and its label.
fn error_span(
    quoted: &Quoted,
    fields: &[Field],
    kind: &TraceErrorKind,
) -> (Range<usize>, Cow<'static, str>) {
    let field = error_field(fields, kind);
    match kind {
        TraceErrorKind::Json { column, .. } if *column > 0 => {
            // serde_json's column is the 1-based byte where it stopped, in the line
            // without its byte-order mark.
            let at = column - 1;
            match field {
                Some(field) if field.value.start <= at => {
                    (non_empty(quoted, field.value.clone()), "here".into())
                }
                Some(field) => (field.key.clone(), "here".into()),
                None => (quoted.char_at(at), "here".into()),
            }
        }
        TraceErrorKind::InvalidUtf8 { column } => {
            // A 1-based byte of the line as read, byte-order mark included.
            let at = (column - 1).saturating_sub(quoted.dropped);
            (quoted.char_at(at), "not UTF-8".into())
        }
        TraceErrorKind::MissingField { field } => {
            (quoted.whole(), format!("no `{field}` in this event").into())
        }
        TraceErrorKind::NullField { .. } => match field {
            Some(field) => (field.value.clone(), "null".into()),
            None => (quoted.whole(), "here".into()),
        },
        TraceErrorKind::FieldNotAllowed { .. } | TraceErrorKind::ResultFieldNotAllowed { .. } => {
            match field {
                Some(field) => (field.key.clone(), "unknown here".into()),
                None => (quoted.whole(), "here".into()),
            }
        }
        TraceErrorKind::BeginNotFirst { first_event_line } => (
            field.map_or_else(|| quoted.whole(), |field| field.value.clone()),
            format!("line {first_event_line} has an earlier event").into(),
        ),
        TraceErrorKind::SecondBegin { first_begin_line } => (
            field.map_or_else(|| quoted.whole(), |field| field.value.clone()),
            format!("the first `begin` is on line {first_begin_line}").into(),
        ),
        TraceErrorKind::MsDecreased {
            previous,
            previous_line,
            ..
        } => (
            field.map_or_else(|| quoted.whole(), |field| field.value.clone()),
            format!("line {previous_line} says {previous}").into(),
        ),
        TraceErrorKind::NegativeMs { .. }
        | TraceErrorKind::FractionalMs { .. }
        | TraceErrorKind::MsOutOfRange { .. } => (
            field.map_or_else(|| quoted.whole(), |field| field.value.clone()),
            "here".into(),
        ),
        _ => (quoted.whole(), "here".into()),
    }
}

/// A span of at least one character (a caret where a value is empty or cut short).
fn non_empty(quoted: &Quoted, span: Range<usize>) -> Range<usize> {
    if span.is_empty() {
        quoted.char_at(span.start)
    } else {
        span
    }
}

/// A help line for an input error: what the field it is about takes.
fn error_help(kind: &TraceErrorKind, field: Option<&str>) -> Option<String> {
    let list = |ids: Vec<&str>| ids.join(", ");
    let by_field = field.and_then(|path| {
        let text = match path {
            "event" => "an event is one of: begin, status, cancel".to_owned(),
            "operation" => format!(
                "an operation is one of: {}",
                list(OperationKind::ALL.iter().map(|o| o.id()).collect())
            ),
            "result.type" => format!(
                "a result type is one of: {}",
                list(ResultType::ALL.iter().map(|t| t.id()).collect())
            ),
            "result" => "`result` is an object with a `type`, or null for no result".to_owned(),
            "messages" => {
                "`messages` is a list of message objects, or null for a null collection".to_owned()
            }
            "numerator" | "denominator" => {
                "`numerator` and `denominator` are 32-bit signed integers, written as JSON \
                 integers: no fraction, no exponent"
                    .to_owned()
            }
            "hr" | "messages.error_code" | "messages.operation_code" => {
                "an HRESULT is a string of 0x and 1 to 8 hex digits, or a JSON integer in \
                 -2147483648..=4294967295"
                    .to_owned()
            }
            _ => return None,
        };
        Some(text)
    });
    match kind {
        // serde_json's words for a line that stops before its JSON does.
        TraceErrorKind::Json { message, .. } if message.starts_with("EOF while parsing") => {
            Some("the line stops before its JSON object ends: was the trace cut short?".to_owned())
        }
        TraceErrorKind::FieldNotAllowed { field, .. } => {
            let owner = match *field {
                "operation" => "begin",
                "numerator" | "denominator" | "hr" | "result" | "messages" => "status",
                _ => return None,
            };
            Some(format!("`{field}` is a field of {owner} events"))
        }
        TraceErrorKind::ResultFieldNotAllowed { result_type, .. } => {
            let fields: &[&str] = match result_type {
                ResultType::Gpo => &["id", "display_name", "domain"],
                ResultType::Backup | ResultType::StarterGpoBackup => {
                    &["id", "gpo_id", "directory", "comment"]
                }
                ResultType::StarterGpo => &["id", "display_name"],
                ResultType::Text => &["value"],
                ResultType::Object => &[],
                _ => return None,
            };
            Some(match fields {
                [] => format!("a result of type `{result_type}` has only `type`"),
                _ => format!(
                    "a result of type `{result_type}` has `type` and {}",
                    fields
                        .iter()
                        .map(|field| format!("`{field}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
        }
        TraceErrorKind::Json { .. } | TraceErrorKind::NullField { .. } => by_field.or_else(|| {
            Some(
                "each line is one JSON object, such as \
                 {\"event\":\"status\",\"numerator\":1,\"denominator\":3}"
                    .to_owned(),
            )
        }),
        TraceErrorKind::MissingField { field } => Some(format!(
            "`{field}` is required; an optional field may be left out, or given as null"
        )),
        TraceErrorKind::InvalidUtf8 { .. } => {
            Some("a trace is UTF-8 text (a leading byte-order mark is ignored)".to_owned())
        }
        TraceErrorKind::BeginNotFirst { .. } | TraceErrorKind::SecondBegin { .. } => Some(
            "`begin` is optional; when present, it is the first event and the only `begin`"
                .to_owned(),
        ),
        TraceErrorKind::LineTooLong { limit } => Some(format!(
            "a trace line holds at most {limit} bytes, so that memory stays bounded"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_and_keeps_line_ends() {
        assert_eq!(wrap("a bb ccc dddd", 6), "a bb\nccc\ndddd");
        assert_eq!(wrap("a bb\nccc dddd", 20), "a bb\nccc dddd");
        assert_eq!(wrap("abcdefgh ij", 4), "abcdefgh\nij");
        assert_eq!(wrap("", 4), "");
        assert_eq!(
            wrap("see `--rules documented` now", 12),
            "see\n`--rules documented`\nnow"
        );
    }

    #[test]
    fn quoted_lines_lose_the_byte_order_mark_of_line_1_only() {
        let quoted = Quoted::new(1, b"\xEF\xBB\xBF{\"a\":1}");
        assert_eq!((quoted.text.as_str(), quoted.dropped), ("{\"a\":1}", 3));
        let quoted = Quoted::new(2, b"\xEF\xBB\xBF{}");
        assert_eq!(quoted.dropped, 0);
        let quoted = Quoted::new(1, b"  {\"a\":\"\xC3\xA9\"}  ");
        assert_eq!(&quoted.text[quoted.whole()], "{\"a\":\"\u{e9}\"}");
        assert_eq!(&quoted.text[quoted.last()], "}");
        // A caret on a character, never inside one; past the end, an empty caret there.
        assert_eq!(quoted.char_at(8), 8..10);
        assert_eq!(quoted.char_at(9), 8..10);
        assert_eq!(quoted.char_at(100), 14..14);
    }
}
