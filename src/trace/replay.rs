//! [`replay`]: a trace through the state machine in one call, and its [`Verdict`].

use std::fmt;
use std::io::BufRead;

use serde::Serialize;

use crate::{
    Anomaly, OperationKind, OperationOutcome, OutcomeKind, ProgressFraction, Rules, StatusMachine,
    TypedResult, Violation,
};

use super::error::message_and_sources;
use super::{TraceEvent, TraceLine, TraceReadError, TraceReader};

/// An anomaly with the trace line of the call that raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceAnomaly {
    /// The 1-based line of the `status` event.
    pub line: u64,
    /// The anomaly (its `call` is the 1-based index among the status events).
    pub anomaly: Anomaly,
}

impl fmt::Display for TraceAnomaly {
    /// `line N: ` and the [`Anomaly`].
    ///
    /// ```
    /// use gpmc_progress::trace::{replay, Verdict};
    /// use gpmc_progress::Rules;
    ///
    /// let trace = "{\"event\":\"status\",\"numerator\":2,\"denominator\":4}\n\
    ///              {\"event\":\"status\",\"numerator\":1,\"denominator\":4}\n";
    /// let Verdict::Unfinished { anomalies, .. } = replay(trace.as_bytes(), Rules::documented()) else {
    ///     panic!("not unfinished");
    /// };
    /// assert_eq!(
    ///     anomalies[0].to_string(),
    ///     "line 2: status call 2 breaks numerator-decreased: numerator 1 is lower than the previous call's 2"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.anomaly)
    }
}

/// What checking one trace found (see the [crate docs' Checking traces
/// section](crate#checking-traces)).
#[derive(Debug)]
#[non_exhaustive]
pub enum Verdict {
    /// The operation finished (succeeded, failed or cancelled); `outcome` keeps the
    /// finishing call's code and result (no messages: [`replay`] reads and checks them
    /// without keeping them). Its name in the checker's JSON is `complete`.
    Finished {
        /// How it ended.
        outcome: OperationOutcome,
        /// Every anomaly, in line order.
        anomalies: Vec<TraceAnomaly>,
    },
    /// A call broke a rule that is a violation under the rules in force; reading stopped.
    Violation {
        /// The line of the offending `status` event.
        line: u64,
        /// The rule it broke, and how.
        violation: Violation,
        /// The end of the operation when the offending call is *late*: it came after the
        /// finishing call (rule `status-after-completion`), which had already decided how
        /// the operation ended; the late call changes nothing of that end. The outcome is
        /// the one a [`Finished`](Self::Finished) verdict of the trace cut before the late
        /// call would have.
        /// `None` for a violation before the end, which is itself how the operation ends.
        end: Option<OperationOutcome>,
    },
    /// The trace ended before the finishing call. Its name in the checker's JSON is
    /// `incomplete`.
    Unfinished {
        /// The last status call's progress, `None` when there was none.
        progress: Option<ProgressFraction>,
        /// Every anomaly, in line order.
        anomalies: Vec<TraceAnomaly>,
    },
    /// The trace could not be read; reading stopped.
    Error(TraceReadError),
}

impl Verdict {
    /// The verdict's name in the checker's JSON: `complete` ([`Finished`](Self::Finished)),
    /// `violation`, `incomplete` ([`Unfinished`](Self::Unfinished)) or `error`.
    pub const fn name(&self) -> &'static str {
        match self {
            Verdict::Finished { .. } => "complete",
            Verdict::Violation { .. } => "violation",
            Verdict::Unfinished { .. } => "incomplete",
            Verdict::Error(_) => "error",
        }
    }

    /// The verdict as the checker prints it: one JSON object (without a line end) with `file`
    /// set to `file`, keys in the order of the [crate docs' Checking traces
    /// section](crate#checking-traces). An error's `message` is its kind's message followed
    /// by its sources' (`cannot open `t.jsonl`: No such file or directory (os error 2)`),
    /// without the line, which is the `line` key. A late violation (one with an
    /// [`end`](Self::Violation::end)) also has the end's `outcome`, `result` and, for failed
    /// and cancelled, `hr`, as a `complete` verdict has them.
    ///
    /// ```
    /// use gpmc_progress::trace::replay;
    /// use gpmc_progress::Rules;
    ///
    /// let trace = "{\"event\":\"status\",\"numerator\":1,\"denominator\":2}\n";
    /// let verdict = replay(trace.as_bytes(), Rules::strict());
    /// assert_eq!(
    ///     verdict.to_json("t.jsonl"),
    ///     r#"{"file":"t.jsonl","verdict":"incomplete","progress":"1/2","anomalies":[]}"#
    /// );
    ///
    /// let late = "{\"event\":\"status\",\"numerator\":1,\"denominator\":1,\"hr\":\"0x80004005\"}\n\
    ///             {\"event\":\"status\",\"numerator\":1,\"denominator\":1}\n";
    /// assert_eq!(
    ///     replay(late.as_bytes(), Rules::strict()).to_json("t.jsonl"),
    ///     r#"{"file":"t.jsonl","verdict":"violation","line":2,"rule":"status-after-completion","message":"status call 2 violates status-after-completion: the operation already ended at status call 1","outcome":"failed","result":null,"hr":"0x80004005"}"#
    /// );
    /// ```
    pub fn to_json(&self, file: &str) -> String {
        let mut json = VerdictJson {
            file,
            verdict: self.name(),
            outcome: None,
            result: None,
            hr: None,
            line: None,
            rule: None,
            message: None,
            progress: None,
            anomalies: None,
        };
        let anomaly_list = |anomalies: &[TraceAnomaly]| {
            anomalies
                .iter()
                .map(|a| AnomalyJson {
                    line: a.line,
                    rule: a.anomaly.rule().id(),
                })
                .collect()
        };
        match self {
            Verdict::Finished { outcome, anomalies } => {
                json.set_end(outcome);
                json.anomalies = Some(anomaly_list(anomalies));
            }
            Verdict::Violation {
                line,
                violation,
                end,
            } => {
                json.line = Some(Some(*line));
                json.rule = Some(violation.rule().id());
                json.message = Some(violation.to_string());
                if let Some(outcome) = end {
                    json.set_end(outcome);
                }
            }
            Verdict::Unfinished {
                progress,
                anomalies,
            } => {
                json.progress = Some(progress.map(|p| p.to_string()));
                json.anomalies = Some(anomaly_list(anomalies));
            }
            Verdict::Error(error) => {
                json.line = Some(error.line);
                json.message = Some(message_and_sources(&error.kind));
            }
        }
        // Serialising strings, numbers and lists into memory cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }
}

impl fmt::Display for Verdict {
    /// One line for people, starting with what the verdict is (the checker's JSON is
    /// [`to_json`](Verdict::to_json)):
    ///
    /// - `finished: ` and the [outcome](OperationOutcome)'s kind and code, then after `; `
    ///   the result's type (`backup result`) or `no result`, and how many anomalies there
    ///   were (`no anomalies`, `1 anomaly`, `2 anomalies`);
    /// - `violation: line N: ` and the [`Violation`]; for a late one, then `; the operation
    ///   had ended: ` and the end as `finished: ` shows it (`succeeded; backup result`);
    /// - `unfinished: ` and the last progress (`progress 1/2 (50%)`) or `no status call`,
    ///   then how many anomalies there were;
    /// - `error: ` and the [`TraceReadError`] (with its line when one is to blame), then
    ///   what caused it (`cannot open `t.jsonl`: No such file or directory (os error 2)`).
    ///
    /// ```
    /// use gpmc_progress::trace::replay;
    /// use gpmc_progress::Rules;
    ///
    /// let check = |trace: &str| replay(trace.as_bytes(), Rules::documented()).to_string();
    /// assert_eq!(
    ///     check(r#"{"event":"status","numerator":1,"denominator":1,"result":{"type":"backup"}}"#),
    ///     "finished: succeeded; backup result; no anomalies"
    /// );
    /// assert_eq!(
    ///     check(r#"{"event":"status","numerator":0,"denominator":2,"hr":"0x80070005"}"#),
    ///     "finished: failed with 0x80070005 (E_ACCESSDENIED); no result; 1 anomaly"
    /// );
    /// assert_eq!(
    ///     check(r#"{"event":"status","numerator":3,"denominator":2}"#),
    ///     "violation: line 1: status call 1 violates numerator-exceeds-denominator: \
    ///      numerator 3 exceeds denominator 2"
    /// );
    /// assert_eq!(
    ///     check("{\"event\":\"status\",\"numerator\":0,\"denominator\":0}\n\
    ///            {\"event\":\"status\",\"numerator\":0,\"denominator\":0}"),
    ///     "violation: line 2: status call 2 violates status-after-completion: \
    ///      the operation already ended at status call 1; the operation had ended: succeeded; \
    ///      no result"
    /// );
    /// assert_eq!(
    ///     check(r#"{"event":"status","numerator":1,"denominator":2}"#),
    ///     "unfinished: progress 1/2 (50%); no anomalies"
    /// );
    /// assert_eq!(check(r#"{"event":"cancel"}"#), "unfinished: no status call; no anomalies");
    /// assert_eq!(
    ///     check("\n{\"event\":\"status\"}"),
    ///     "error: line 2: required field `numerator` is missing"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |f: &mut fmt::Formatter<'_>, anomalies: &[TraceAnomaly]| match anomalies.len() {
            0 => f.write_str("; no anomalies"),
            1 => f.write_str("; 1 anomaly"),
            n => write!(f, "; {n} anomalies"),
        };
        let end = |f: &mut fmt::Formatter<'_>, outcome: &OperationOutcome| {
            write!(f, "{outcome}")?;
            match outcome.result() {
                Some(result) => write!(f, "; {} result", result.result_type()),
                None => f.write_str("; no result"),
            }
        };
        match self {
            Verdict::Finished { outcome, anomalies } => {
                f.write_str("finished: ")?;
                end(f, outcome)?;
                count(f, anomalies)
            }
            Verdict::Violation {
                line,
                violation,
                end: decided,
            } => {
                write!(f, "violation: line {line}: {violation}")?;
                if let Some(outcome) = decided {
                    f.write_str("; the operation had ended: ")?;
                    end(f, outcome)?;
                }
                Ok(())
            }
            Verdict::Unfinished {
                progress,
                anomalies,
            } => {
                match progress {
                    Some(progress) => write!(
                        f,
                        "unfinished: progress {progress} ({}%)",
                        progress.percent()
                    )?,
                    None => f.write_str("unfinished: no status call")?,
                }
                count(f, anomalies)
            }
            Verdict::Error(error) => write!(f, "error: {}", error.message_and_sources()),
        }
    }
}

/// The checker's output line; `None` fields are omitted, `Some(None)` ones written as null.
/// The fields are in the order of the keys: a verdict that has no `line`, `rule` or
/// `message` starts with `outcome`, a late violation has the end after its message.
#[derive(Serialize)]
struct VerdictJson<'a> {
    file: &'a str,
    verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<Option<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Option<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anomalies: Option<Vec<AnomalyJson>>,
}

impl VerdictJson<'_> {
    /// The end's keys: `outcome`, `result` (the kept result's type or null) and, for failed
    /// and cancelled, `hr`.
    fn set_end(&mut self, outcome: &OperationOutcome) {
        self.outcome = Some(outcome.kind().as_str());
        self.result = Some(outcome.result().map(|r| r.result_type().id()));
        if outcome.kind() != OutcomeKind::Succeeded {
            self.hr = Some(outcome.hr().to_string());
        }
    }
}

#[derive(Serialize)]
struct AnomalyJson {
    line: u64,
    rule: &'static str,
}

/// Replays a trace through a [`StatusMachine`] under `rules` and returns the verdict: what
/// `gpmc-trace check` prints.
///
/// The operation is the `begin` event's, or [`OperationKind::Unknown`] without one. Each
/// `status` event is fed to [`StatusMachine::handle_status`], each `cancel` to
/// [`StatusMachine::handle_cancel`]. Reading stops at the first input error or violation.
///
/// Every message is read and checked, but none is kept: a [`Finished`](Verdict::Finished)
/// verdict's outcome has the finishing call's code and result, and no messages. So memory
/// stays within a small multiple of the longest line whatever the trace holds (beyond the
/// anomalies, listed by the verdict). To see the messages, serve the trace into a live
/// tracker (`simulate::RecordedRun`, feature `live`), read it with [`TraceReader`], or show
/// it with `gpmc-trace show`.
///
/// To replay a file, open it: a file that cannot be opened is the caller's to report (the
/// checker makes it an [`Error`](Verdict::Error) verdict with no line, built with
/// [`TraceReadError::unplaced`]).
///
/// ```
/// use gpmc_progress::trace::{replay, Verdict};
/// use gpmc_progress::{OutcomeKind, Rule, Rules};
///
/// let trace = r#"{"event":"begin","operation":"gpo-import"}
/// {"event":"status","numerator":0,"denominator":3}
/// {"event":"status","numerator":1,"denominator":3,"hr":"0x80004005","messages":[{"message":"m"}]}
/// "#;
/// match replay(trace.as_bytes(), Rules::documented()) {
///     Verdict::Finished { outcome, anomalies } => {
///         assert_eq!(outcome.kind(), OutcomeKind::Failed);
///         assert!(outcome.messages().is_empty(), "read, checked, not kept");
///         assert_eq!(anomalies[0].line, 3);
///         assert_eq!(anomalies[0].anomaly.rule(), Rule::FailureBeforeCompletion);
///     }
///     other => panic!("{other:?}"),
/// }
/// match replay(trace.as_bytes(), Rules::strict()) {
///     Verdict::Violation { line, violation, end } => {
///         assert_eq!((line, violation.rule()), (3, Rule::FailureBeforeCompletion));
///         assert!(end.is_none(), "the violation is how the operation ends");
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn replay<Rd: BufRead>(input: Rd, rules: Rules) -> Verdict {
    run(TraceReader::new(input).without_messages(), rules)
}

/// Replays what `reader` reads.
fn run<Rd: BufRead>(mut reader: TraceReader<Rd>, rules: Rules) -> Verdict {
    // Created at the first event, which names the operation when it is a `begin`.
    let mut state: Option<StatusMachine> = None;
    let mut anomalies = Vec::new();
    loop {
        let TraceLine { line, event, .. } = match reader.read_line() {
            Ok(Some(traced)) => traced,
            Ok(None) => break,
            Err(error) => return Verdict::Error(error),
        };
        let machine = state.get_or_insert_with(|| {
            let operation = match event {
                TraceEvent::Begin { operation } => operation,
                _ => OperationKind::Unknown,
            };
            StatusMachine::new(operation, rules)
        });
        match event {
            // The reader lets `begin` through only as the first event.
            TraceEvent::Begin { .. } => {}
            TraceEvent::Cancel => {
                machine.handle_cancel();
            }
            // The reader checked the messages and kept none.
            TraceEvent::Status(call) => match machine.handle_status(call) {
                Ok(accepted) => anomalies.extend(
                    accepted
                        .anomalies
                        .into_iter()
                        .map(|anomaly| TraceAnomaly { line, anomaly }),
                ),
                Err(violation) => {
                    // After the finishing call (a late call), the machine keeps the end
                    // that call decided.
                    let end = state.and_then(StatusMachine::into_outcome);
                    return Verdict::Violation {
                        line,
                        violation,
                        end,
                    };
                }
            },
        }
        while machine.poll_event().is_some() {}
    }
    let progress = state.as_ref().and_then(StatusMachine::progress);
    match state.and_then(StatusMachine::into_outcome) {
        Some(outcome) => Verdict::Finished { outcome, anomalies },
        None => Verdict::Unfinished {
            progress,
            anomalies,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceErrorKind;
    use crate::Rule;

    fn json(trace: &str, rules: Rules) -> String {
        replay(trace.as_bytes(), rules).to_json("f")
    }

    #[test]
    fn every_verdict_in_the_contracts_form() {
        let complete = "{\"event\":\"begin\",\"operation\":\"gpo-copy\"}\n\
            {\"event\":\"status\",\"numerator\":0,\"denominator\":2}\n\
            {\"event\":\"cancel\"}\n\n\
            {\"event\":\"status\",\"numerator\":2,\"denominator\":2,\"hr\":\"0x800704C7\",\"result\":{\"type\":\"gpo\"}}\n";
        assert_eq!(
            json(complete, Rules::documented()),
            r#"{"file":"f","verdict":"complete","outcome":"cancelled","result":"gpo","hr":"0x800704C7","anomalies":[{"line":5,"rule":"result-on-failure"}]}"#
        );
        assert_eq!(
            json(complete, Rules::strict()),
            r#"{"file":"f","verdict":"violation","line":5,"rule":"result-on-failure","message":"status call 2 violates result-on-failure: gpo result with failure 0x800704C7"}"#
        );
        assert_eq!(
            json(
                "{\"event\":\"status\",\"numerator\":0,\"denominator\":0}",
                Rules::strict()
            ),
            r#"{"file":"f","verdict":"complete","outcome":"succeeded","result":null,"anomalies":[]}"#
        );
        assert_eq!(
            json("{\"event\":\"cancel\"}\n", Rules::strict()),
            r#"{"file":"f","verdict":"incomplete","progress":null,"anomalies":[]}"#
        );
        assert_eq!(
            json("\n\n{\"event\":\"status\"}", Rules::strict()),
            r#"{"file":"f","verdict":"error","line":3,"message":"required field `numerator` is missing"}"#
        );
        let unopened = unopened("/nonexistent/trace.jsonl");
        let text = unopened.to_json("x");
        assert!(
            text.starts_with(r#"{"file":"x","verdict":"error","line":null,"message":"cannot open `/nonexistent/trace.jsonl`: "#),
            "{text}"
        );
        assert!(matches!(unopened, Verdict::Error(_)));
    }

    #[test]
    fn a_late_violation_carries_the_end_the_finishing_call_decided() {
        let cancelled = "{\"event\":\"begin\",\"operation\":\"gpo-copy\"}\n\
            {\"event\":\"status\",\"numerator\":0,\"denominator\":2,\"messages\":[{\"message\":\"a\"}]}\n\
            {\"event\":\"cancel\"}\n\
            {\"event\":\"status\",\"numerator\":2,\"denominator\":2,\"hr\":\"0x800704C7\"}\n\
            {\"event\":\"status\",\"numerator\":2,\"denominator\":2,\"messages\":[{\"message\":\"late\"}]}\n";
        for rules in [Rules::documented(), Rules::strict()] {
            assert_eq!(
                json(cancelled, rules),
                r#"{"file":"f","verdict":"violation","line":5,"rule":"status-after-completion","message":"status call 3 violates status-after-completion: the operation already ended at status call 2","outcome":"cancelled","result":null,"hr":"0x800704C7"}"#
            );
        }
        match replay(cancelled.as_bytes(), Rules::documented()) {
            Verdict::Violation {
                line: 5,
                violation,
                end: Some(end),
            } => {
                assert_eq!(violation.rule(), Rule::StatusAfterCompletion);
                assert_eq!(end.kind(), OutcomeKind::Cancelled);
                assert!(end.messages().is_empty(), "read, checked, not kept");
            }
            other => panic!("{other:?}"),
        }

        let succeeded = "{\"event\":\"begin\",\"operation\":\"gpo-backup\"}\n\
            {\"event\":\"status\",\"numerator\":1,\"denominator\":1,\"result\":{\"type\":\"backup\"}}\n\
            \n\
            {\"event\":\"status\",\"numerator\":0,\"denominator\":1}\n";
        assert_eq!(
            json(succeeded, Rules::strict()),
            r#"{"file":"f","verdict":"violation","line":4,"rule":"status-after-completion","message":"status call 2 violates status-after-completion: the operation already ended at status call 1","outcome":"succeeded","result":"backup"}"#
        );
        assert_eq!(
            replay(succeeded.as_bytes(), Rules::strict()).to_string(),
            "violation: line 4: status call 2 violates status-after-completion: the operation \
             already ended at status call 1; the operation had ended: succeeded; backup result"
        );

        // A violation before the end is the end itself: no outcome.
        let early = "{\"event\":\"status\",\"numerator\":2,\"denominator\":1}\n";
        assert!(matches!(
            replay(early.as_bytes(), Rules::documented()),
            Verdict::Violation { end: None, .. }
        ));
        assert_eq!(
            json(early, Rules::documented()),
            r#"{"file":"f","verdict":"violation","line":1,"rule":"numerator-exceeds-denominator","message":"status call 1 violates numerator-exceeds-denominator: numerator 2 exceeds denominator 1"}"#
        );
    }

    /// The verdict of a file that cannot be opened, as the checker makes it.
    fn unopened(path: &str) -> Verdict {
        let source = std::fs::File::open(path).unwrap_err();
        Verdict::Error(TraceReadError::unplaced(TraceErrorKind::Open {
            path: path.to_owned(),
            source,
        }))
    }

    /// The error's message and each source's, in order.
    fn chain(error: &dyn std::error::Error) -> Vec<String> {
        let mut chain = vec![error.to_string()];
        let mut source = error.source();
        while let Some(error) = source {
            chain.push(error.to_string());
            source = error.source();
        }
        chain
    }

    #[test]
    fn an_error_and_its_sources_say_each_thing_once() {
        let path = "/nonexistent/trace.jsonl";
        let reason = std::fs::File::open(path).unwrap_err().to_string();
        let Verdict::Error(error) = unopened(path) else {
            panic!("a missing file is an error")
        };
        assert_eq!(
            chain(&error),
            [format!("cannot open `{path}`"), reason.clone()]
        );
        assert_eq!(
            chain(&error.kind),
            [format!("cannot open `{path}`"), reason.clone()]
        );
        let json = Verdict::Error(error).to_json("t");
        assert_eq!(
            json,
            format!(
                r#"{{"file":"t","verdict":"error","line":null,"message":"cannot open `{path}`: {reason}"}}"#
            )
        );

        let trace = "\n{\"event\":\"status\",\"numerator\":1,\"denominator\":2,\"messages\":[{\"message\":\"x\"";
        let Verdict::Error(error) = replay(trace.as_bytes(), Rules::strict()) else {
            panic!("a line cut short is an error")
        };
        assert_eq!(
            chain(&error),
            ["line 2: column 74: EOF while parsing an object"]
        );
        assert_eq!(
            chain(&error.kind),
            ["column 74: EOF while parsing an object"]
        );
    }

    #[test]
    fn display_counts_anomalies_and_names_codes() {
        let cancelled = "{\"event\":\"status\",\"numerator\":0,\"denominator\":2}\n\
            {\"event\":\"cancel\"}\n\
            {\"event\":\"status\",\"numerator\":1,\"denominator\":3}\n\
            {\"event\":\"status\",\"numerator\":3,\"denominator\":3,\"hr\":\"0x800704C7\",\"result\":{\"type\":\"gpo\"}}\n";
        assert_eq!(
            replay(cancelled.as_bytes(), Rules::documented()).to_string(),
            "finished: cancelled with 0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED)); \
             gpo result; 2 anomalies"
        );
        let unknown =
            "{\"event\":\"status\",\"numerator\":0,\"denominator\":0,\"hr\":\"0x80040000\"}";
        assert_eq!(
            replay(unknown.as_bytes(), Rules::documented()).to_string(),
            "finished: failed with 0x80040000; no result; no anomalies"
        );
        let unopened = unopened("/nonexistent/trace.jsonl").to_string();
        assert!(
            unopened.starts_with("error: cannot open `/nonexistent/trace.jsonl`: "),
            "{unopened}"
        );
    }

    #[test]
    fn anomalies_carry_their_lines_not_their_call_indices() {
        let trace = "{\"event\":\"status\",\"numerator\":2,\"denominator\":4}\n\
            {\"event\":\"cancel\"}\n\
            \n\
            {\"event\":\"status\",\"numerator\":1,\"denominator\":5}\n\
            {\"event\":\"status\",\"numerator\":1,\"denominator\":5}\n";
        match replay(trace.as_bytes(), Rules::documented()) {
            Verdict::Unfinished {
                progress,
                anomalies,
            } => {
                assert_eq!(progress, ProgressFraction::new(1, 5).ok());
                let found: Vec<_> = anomalies
                    .iter()
                    .map(|a| (a.line, a.anomaly.call, a.anomaly.rule()))
                    .collect();
                assert_eq!(
                    found,
                    [
                        (4, 2, Rule::DenominatorChanged),
                        (4, 2, Rule::NumeratorDecreased)
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn messages_are_checked_but_not_kept() {
        let trace = "{\"event\":\"status\",\"numerator\":0,\"denominator\":3,\"messages\":[{\"message\":\"a\"},{\"message\":\"b\"}]}\n\
            {\"event\":\"status\",\"numerator\":1,\"denominator\":4,\"messages\":[{\"message\":\"c\"}]}\n\
            {\"event\":\"status\",\"numerator\":4,\"denominator\":4,\"hr\":\"0x80004005\",\"messages\":[{\"message\":\"d\"}]}\n";
        // The same trace through a machine fed the calls as they are: the same outcome,
        // but for the messages.
        let mut machine = StatusMachine::new(OperationKind::Unknown, Rules::documented());
        for traced in TraceReader::new(trace.as_bytes()) {
            if let Some(input) = traced.unwrap().event.into_input() {
                machine.handle(input).unwrap();
            }
        }
        let full = machine.outcome().unwrap();
        assert_eq!(full.messages().len(), 4);
        match replay(trace.as_bytes(), Rules::documented()) {
            Verdict::Finished { outcome, anomalies } => {
                assert!(outcome.messages().is_empty());
                assert_eq!((outcome.kind(), outcome.hr()), (full.kind(), full.hr()));
                assert_eq!(outcome.result(), full.result());
                assert_eq!(anomalies.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        // A message that cannot be read is an error all the same.
        let bad = "{\"event\":\"status\",\"numerator\":0,\"denominator\":1,\"messages\":[{\"nope\":1}]}\n";
        assert!(matches!(
            replay(bad.as_bytes(), Rules::documented()),
            Verdict::Error(_)
        ));
    }

    #[test]
    fn a_long_trace_replays_to_its_end() {
        // 100 000 calls, one message on the last: every call is judged, in order.
        let mut trace = String::from("{\"event\":\"begin\",\"operation\":\"unknown\"}\n");
        for n in 0..100_000 {
            trace.push_str(&format!(
                "{{\"event\":\"status\",\"numerator\":{n},\"denominator\":100000}}\n"
            ));
        }
        trace.push_str("{\"event\":\"status\",\"numerator\":100000,\"denominator\":100000,\"messages\":[{\"message\":\"done\"}]}\n");
        match replay(trace.as_bytes(), Rules::strict()) {
            Verdict::Finished { outcome, anomalies } => {
                assert!(anomalies.is_empty());
                assert_eq!(outcome.kind(), crate::OutcomeKind::Succeeded);
            }
            other => panic!("{other:?}"),
        }
    }
}
