//! [`Simulation`]: realistic traces of a simulated GPMC server, for demos and for testing
//! checkers and clients.
//!
//! A simulated operation walks over its client-side extensions: for `n` extensions it reports
//! `0/n`, `1/n`, …, `n/n`, with the operation's result on the last call. On top of that it can
//! attach warning messages at chosen steps, fail at a step, receive the client's cancel
//! request at a step and answer it, and, only when asked, break one rule of the protocol on
//! purpose. A failed or cancelled operation ends as a conforming server ends it: with a
//! terminal call at `n/n` and the failure's HRESULT.
//!
//! Steps are numbered from 0: step `i` is the call that reports `i/n`.
//!
//! ```
//! use gpmc_progress::simulate::Simulation;
//! use gpmc_progress::trace::{replay, TraceWriter, Verdict};
//! use gpmc_progress::{HResult, OperationKind, OutcomeKind, Rules};
//!
//! let events = Simulation::new(OperationKind::GpoBackup)
//!     .extensions(5)
//!     .warning_at(2)
//!     .cancel_at(3, HResult::ERROR_CANCELLED)
//!     .seed(7)
//!     .events()?;
//! let mut writer = TraceWriter::new(Vec::new());
//! for event in &events {
//!     writer.write_event(event)?;
//! }
//! let trace = writer.into_inner();
//! match replay(&trace[..], Rules::strict()) {
//!     Verdict::Complete { outcome, anomalies } => {
//!         assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
//!         assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);
//!         assert!(anomalies.is_empty());
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::trace::TraceEvent;
use crate::{
    HResult, OperationKind, ResultDescription, ResultType, Rule, StatusCall, StatusMessage,
};

/// The most client-side extensions a simulation walks over.
pub const MAX_EXTENSIONS: u32 = 1_000_000;

/// Why a simulation cannot be run as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulationError {
    /// More extensions than [`MAX_EXTENSIONS`].
    #[error("{extensions} extensions is more than the maximum of {MAX_EXTENSIONS}")]
    TooManyExtensions {
        /// The count given.
        extensions: u32,
    },
    /// A step is beyond the last one.
    #[error("{what} step {step} is beyond the last step, {extensions}")]
    StepOutOfRange {
        /// `warning`, `failure` or `cancel`.
        what: &'static str,
        /// The step given.
        step: u32,
        /// The number of extensions, which is also the last step.
        extensions: u32,
    },
    /// The HRESULT given for a failure is a success code.
    #[error("failure hresult {hr} is a success code")]
    FailureIsSuccess {
        /// The code given.
        hr: HResult,
    },
    /// The result type is not one the operation delivers.
    #[error("{result_type} is not a result of {operation}")]
    ResultTypeNotAllowed {
        /// The type given.
        result_type: ResultType,
        /// The operation.
        operation: OperationKind,
    },
    /// The rule cannot be broken in this simulation.
    #[error("rule {rule} cannot be broken here: {reason}")]
    CannotBreak {
        /// The rule asked for.
        rule: Rule,
        /// Why not.
        reason: &'static str,
    },
}

/// A simulated operation, configured with builder methods and run with
/// [`events`](Self::events).
///
/// The same configuration and seed always give the same events. The seed picks the result's
/// GUIDs, the warnings' texts, the steps of [`random_warnings`](Self::random_warnings) and,
/// unless [`extensions`](Self::extensions) is given, the number of extensions (3 to 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    operation: OperationKind,
    extensions: Option<u32>,
    result_type: Option<ResultType>,
    warnings: Vec<u32>,
    random_warnings: u32,
    failure: Option<(u32, HResult)>,
    cancel: Option<(u32, HResult)>,
    break_rule: Option<Rule>,
    seed: u64,
}

impl Simulation {
    /// A conforming, successful run of `operation` with seed 0.
    pub fn new(operation: OperationKind) -> Self {
        Simulation {
            operation,
            extensions: None,
            result_type: None,
            warnings: Vec::new(),
            random_warnings: 0,
            failure: None,
            cancel: None,
            break_rule: None,
            seed: 0,
        }
    }

    /// The number of client-side extensions: the denominator of every call.
    #[must_use]
    pub fn extensions(mut self, extensions: u32) -> Self {
        self.extensions = Some(extensions);
        self
    }

    /// The type of the result delivered on success (default: the operation's first; `object`
    /// for `unknown`).
    #[must_use]
    pub fn result_type(mut self, result_type: ResultType) -> Self {
        self.result_type = Some(result_type);
        self
    }

    /// A warning message on the call of `step` (on the terminal call if the operation ended
    /// before it).
    #[must_use]
    pub fn warning_at(mut self, step: u32) -> Self {
        self.warnings.push(step);
        self
    }

    /// `count` more warnings at steps picked by the seed.
    #[must_use]
    pub fn random_warnings(mut self, count: u32) -> Self {
        self.random_warnings = count;
        self
    }

    /// The operation fails at `step` with `hr` (a failure code): that call reports `n/n` and
    /// `hr`, and ends the operation.
    #[must_use]
    pub fn fail_at(mut self, step: u32, hr: HResult) -> Self {
        self.failure = Some((step, hr));
        self
    }

    /// The client requests cancel right after the call of `step`; the server answers with a
    /// terminal `n/n` call carrying `answer` when it is a failure, and goes on to the end
    /// when it is a success (the cancel came too late). A cancel at or after the end comes
    /// after the terminal call and changes nothing.
    #[must_use]
    pub fn cancel_at(mut self, step: u32, answer: HResult) -> Self {
        self.cancel = Some((step, answer));
        self
    }

    /// Breaks `rule` on purpose, so that a checker under the `strict` rules reports exactly
    /// that violation (first).
    #[must_use]
    pub fn break_rule(mut self, rule: Rule) -> Self {
        self.break_rule = Some(rule);
        self
    }

    /// The seed of the random choices.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The number of extensions this run uses (given, or picked by the seed).
    pub fn extension_count(&self) -> u32 {
        self.extensions
            .unwrap_or_else(|| 3 + (SplitMix64::new(self.seed ^ 0xE87E).next() % 6) as u32)
    }

    /// The events of the run, beginning with `begin`.
    pub fn events(&self) -> Result<Vec<TraceEvent>, SimulationError> {
        let n = self.extension_count();
        if n > MAX_EXTENSIONS {
            return Err(SimulationError::TooManyExtensions { extensions: n });
        }
        let d = n as i32;
        let mut rng = SplitMix64::new(self.seed);
        let check_step = |what, step: u32| {
            if step > n {
                Err(SimulationError::StepOutOfRange {
                    what,
                    step,
                    extensions: n,
                })
            } else {
                Ok(())
            }
        };
        for step in &self.warnings {
            check_step("warning", *step)?;
        }
        if let Some((step, hr)) = self.failure {
            check_step("failure", step)?;
            if hr.is_success() {
                return Err(SimulationError::FailureIsSuccess { hr });
            }
        }
        if let Some((step, _)) = self.cancel {
            check_step("cancel", step)?;
        }
        let result_type = match self.result_type {
            Some(t) if self.operation.allows(t) => t,
            Some(result_type) => {
                return Err(SimulationError::ResultTypeNotAllowed {
                    result_type,
                    operation: self.operation,
                })
            }
            None => self
                .operation
                .result_types()
                .first()
                .copied()
                .unwrap_or(ResultType::Object),
        };

        let mut warning_steps = self.warnings.clone();
        for _ in 0..self.random_warnings {
            warning_steps.push((rng.next() % (u64::from(n) + 1)) as u32);
        }
        let warnings_at = |step: u32, rng: &mut SplitMix64| -> Option<Vec<StatusMessage>> {
            let count = warning_steps.iter().filter(|s| **s == step).count();
            (count > 0).then(|| (0..count).map(|_| warning(rng)).collect())
        };

        let mut events = vec![TraceEvent::Begin {
            operation: self.operation,
        }];
        let mut terminal_index = None;
        let mut cancel_sent = false;
        for step in 0..=n {
            let mut messages = warnings_at(step, &mut rng);
            if let Some((_, hr)) = self.failure.filter(|(at, _)| *at == step) {
                messages
                    .get_or_insert_with(Vec::new)
                    .push(failure_message(hr, &mut rng));
                events.push(StatusCall::new(d, d, hr, None, messages).into());
                terminal_index = Some(events.len() - 1);
            } else if step == n {
                let result = Some(result_of(result_type, &mut rng));
                events.push(StatusCall::new(d, d, HResult::S_OK, result, messages).into());
                terminal_index = Some(events.len() - 1);
            } else {
                let call = StatusCall::new(step as i32, d, HResult::S_OK, None, messages);
                events.push(call.into());
                if let Some((_, answer)) = self.cancel.filter(|(at, _)| *at == step) {
                    events.push(TraceEvent::Cancel);
                    cancel_sent = true;
                    if answer.is_failure() {
                        let messages = vec![failure_message(answer, &mut rng)];
                        events.push(StatusCall::new(d, d, answer, None, Some(messages)).into());
                        terminal_index = Some(events.len() - 1);
                    }
                }
            }
            if terminal_index.is_some() {
                // Warnings planned for later steps come with the terminal call.
                let late: Vec<StatusMessage> = (step + 1..=n)
                    .filter_map(|later| warnings_at(later, &mut rng))
                    .flatten()
                    .collect();
                if !late.is_empty() {
                    if let Some(TraceEvent::Status(call)) = events.last_mut() {
                        call.messages.get_or_insert_with(Vec::new).extend(late);
                    }
                }
                break;
            }
        }
        if self.cancel.is_some() && !cancel_sent {
            events.push(TraceEvent::Cancel);
        }
        let terminal_index = terminal_index.expect("the last step is always terminal");
        if let Some(rule) = self.break_rule {
            self.apply_break(rule, &mut events, terminal_index, d, result_type, &mut rng)?;
        }
        Ok(events)
    }

    /// Changes a conforming run so that `rule` is the first rule it breaks.
    fn apply_break(
        &self,
        rule: Rule,
        events: &mut Vec<TraceEvent>,
        t: usize,
        d: i32,
        result_type: ResultType,
        rng: &mut SplitMix64,
    ) -> Result<(), SimulationError> {
        let cannot = |reason| Err(SimulationError::CannotBreak { rule, reason });
        // The numerator of the status call before the terminal one, if any.
        let previous = events[..t].iter().rev().find_map(|event| match event {
            TraceEvent::Status(call) => Some(call.numerator),
            _ => None,
        });
        let terminal = match &mut events[t] {
            TraceEvent::Status(call) => call,
            _ => unreachable!("the terminal event is a status call"),
        };
        match rule {
            Rule::StatusAfterCompletion => {
                events.insert(t + 1, StatusCall::progress(d, d).into());
            }
            Rule::NegativeProgress => {
                let first = events
                    .iter_mut()
                    .find_map(|event| match event {
                        TraceEvent::Status(call) => Some(call),
                        _ => None,
                    })
                    .expect("a run has a status call");
                first.numerator = -1;
            }
            Rule::NumeratorExceedsDenominator => {
                events.insert(t, StatusCall::progress(d + 1, d).into());
            }
            Rule::DenominatorChanged => {
                events.insert(t, StatusCall::progress(previous.unwrap_or(0), d + 1).into());
            }
            Rule::NumeratorDecreased => match previous {
                Some(p) if p >= 1 => events.insert(t, StatusCall::progress(p - 1, d).into()),
                _ if d >= 2 => {
                    events.insert(t, StatusCall::progress(0, d).into());
                    events.insert(t, StatusCall::progress(1, d).into());
                }
                _ => return cannot("the numerator can only go back with 2 or more extensions"),
            },
            Rule::FailureBeforeCompletion => {
                if d == 0 {
                    return cannot("with 0 extensions the first call is already complete");
                }
                terminal.numerator = previous.unwrap_or(0);
                terminal.result = None;
                if terminal.hr.is_success() {
                    terminal.hr = HResult::E_FAIL;
                    terminal
                        .messages
                        .get_or_insert_with(Vec::new)
                        .push(failure_message(HResult::E_FAIL, rng));
                }
            }
            Rule::ResultBeforeCompletion => {
                if d == 0 {
                    return cannot("with 0 extensions the first call is already complete");
                }
                let early = StatusCall::progress(previous.unwrap_or(0), d)
                    .with_result(result_of(result_type, rng));
                events.insert(t, early.into());
            }
            Rule::ResultOnFailure => {
                if terminal.hr.is_success() {
                    terminal.hr = HResult::E_FAIL;
                    terminal
                        .messages
                        .get_or_insert_with(Vec::new)
                        .push(failure_message(HResult::E_FAIL, rng));
                }
                terminal.result = Some(result_of(result_type, rng));
            }
            Rule::UnexpectedResult => {
                if !self.operation.defines_result() {
                    return cannot("the unknown operation allows every result type");
                }
                if terminal.hr.is_failure() {
                    return cannot("a failed or cancelled run would break result-on-failure first");
                }
                terminal.result = Some(ResultDescription::Object);
            }
            Rule::MissingResult => {
                if !self.operation.defines_result() {
                    return cannot("the unknown operation defines no result");
                }
                if terminal.hr.is_failure() {
                    return cannot("a failed or cancelled run needs no result");
                }
                terminal.result = None;
            }
        }
        Ok(())
    }
}

/// A small, fast, seedable generator (SplitMix64): enough for picking texts and GUIDs.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    /// A random (version 4) GUID in braces, uppercase, as GPMC writes them.
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{{{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}}}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0x0FFF,
            0x8000 | (b >> 48) & 0x3FFF,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

/// Warnings a real run might report: (extension, error code, text).
const WARNINGS: &[(&str, HResult, &str)] = &[
    (
        "Registry",
        HResult::S_OK,
        "one registry setting could not be read and was skipped",
    ),
    (
        "Security",
        HResult::E_ACCESSDENIED,
        "a group could not be resolved to a security identifier; the entry was kept as text",
    ),
    (
        "Scripts",
        HResult::ERROR_FILE_NOT_FOUND,
        "a logon script referenced by the GPO is missing from SYSVOL",
    ),
    (
        "Folder Redirection",
        HResult::ERROR_PATH_NOT_FOUND,
        "the redirection target path is not reachable",
    ),
    (
        "Software Installation",
        HResult::ERROR_FILE_NOT_FOUND,
        "a package source path is not reachable",
    ),
    (
        "Internet Explorer Maintenance",
        HResult::S_FALSE,
        "settings of an obsolete extension were carried over as they are",
    ),
    (
        "Group Policy Preferences",
        HResult::E_ACCESSDENIED,
        "a preference item refers to a file that cannot be read",
    ),
];

fn warning(rng: &mut SplitMix64) -> StatusMessage {
    let (extension, code, text) = *rng.pick(WARNINGS);
    StatusMessage::new(text)
        .with_extension_name(extension)
        .with_error_code(code)
        .with_operation_code(HResult::from_bits(1 + (rng.next() % 3) as u32))
        .with_object_path(format!(
            "cn={},cn=policies,cn=system,DC=example,DC=test",
            rng.guid()
        ))
}

fn failure_message(hr: HResult, rng: &mut SplitMix64) -> StatusMessage {
    let text = match hr.description() {
        Some(description) => format!("the operation stopped: {description}"),
        None => format!("the operation stopped with {hr}"),
    };
    StatusMessage::new(text)
        .with_error_code(hr)
        .with_object_path(format!(
            "cn={},cn=policies,cn=system,DC=example,DC=test",
            rng.guid()
        ))
}

fn result_of(result_type: ResultType, rng: &mut SplitMix64) -> ResultDescription {
    match result_type {
        ResultType::Gpo => ResultDescription::Gpo {
            id: Some(rng.guid()),
            display_name: Some("Simulated Workstation Policy".into()),
            domain: Some("example.test".into()),
        },
        ResultType::Backup => ResultDescription::Backup {
            id: Some(rng.guid()),
            gpo_id: Some(rng.guid()),
            directory: Some(r"C:\GPO Backups".into()),
            comment: Some("simulated backup".into()),
        },
        ResultType::StarterGpo => ResultDescription::StarterGpo {
            id: Some(rng.guid()),
            display_name: Some("Simulated Starter GPO".into()),
        },
        ResultType::StarterGpoBackup => ResultDescription::StarterGpoBackup {
            id: Some(rng.guid()),
            gpo_id: Some(rng.guid()),
            directory: Some(r"C:\Starter GPO Backups".into()),
            comment: Some("simulated backup".into()),
        },
        ResultType::Text => ResultDescription::text(format!(
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><GPO><Identifier>{}</Identifier></GPO>",
            rng.guid()
        )),
        ResultType::Object => ResultDescription::Object,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_events_and_guids_look_like_guids() {
        let simulation = Simulation::new(OperationKind::GpoBackup)
            .random_warnings(3)
            .seed(42);
        assert_eq!(simulation.events().unwrap(), simulation.events().unwrap());
        let guid = SplitMix64::new(1).guid();
        assert_eq!(guid.len(), 38);
        assert_eq!(&guid[15..16], "4");
    }

    #[test]
    fn a_plain_run_counts_up_and_delivers_its_result() {
        let events = Simulation::new(OperationKind::GpoCopy)
            .extensions(3)
            .events()
            .unwrap();
        assert_eq!(events.len(), 5);
        assert_eq!(
            events[0],
            TraceEvent::Begin {
                operation: OperationKind::GpoCopy
            }
        );
        for (step, event) in events[1..].iter().enumerate() {
            match event {
                TraceEvent::Status(call) => {
                    assert_eq!((call.numerator, call.denominator), (step as i32, 3));
                    assert_eq!(call.result.is_some(), step == 3);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn no_warning_is_lost_when_the_run_ends_early() {
        let count = |events: &[TraceEvent]| -> usize {
            events
                .iter()
                .filter_map(|e| match e {
                    TraceEvent::Status(call) => call.messages.as_ref().map(Vec::len),
                    _ => None,
                })
                .sum()
        };
        let sim = Simulation::new(OperationKind::GpoBackup)
            .extensions(6)
            .warning_at(1)
            .warning_at(4)
            .warning_at(6);
        assert_eq!(count(&sim.clone().events().unwrap()), 3);
        // The failure adds its own message.
        let failed = sim.clone().fail_at(2, HResult::E_FAIL).events().unwrap();
        assert_eq!(count(&failed), 4);
        let cancelled = sim.cancel_at(2, HResult::E_ABORT).events().unwrap();
        assert_eq!(count(&cancelled), 4);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let sim = Simulation::new(OperationKind::GpoReport).extensions(2);
        assert!(matches!(
            sim.clone().warning_at(3).events(),
            Err(SimulationError::StepOutOfRange {
                what: "warning",
                step: 3,
                extensions: 2
            })
        ));
        assert!(matches!(
            sim.clone().fail_at(1, HResult::S_FALSE).events(),
            Err(SimulationError::FailureIsSuccess { .. })
        ));
        assert!(matches!(
            sim.clone().result_type(ResultType::Gpo).events(),
            Err(SimulationError::ResultTypeNotAllowed { .. })
        ));
        assert!(matches!(
            sim.clone().extensions(MAX_EXTENSIONS + 1).events(),
            Err(SimulationError::TooManyExtensions { .. })
        ));
        assert!(matches!(
            sim.extensions(1)
                .break_rule(Rule::NumeratorDecreased)
                .events(),
            Err(SimulationError::CannotBreak {
                rule: Rule::NumeratorDecreased,
                ..
            })
        ));
    }
}
