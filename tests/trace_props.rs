//! Property tests of the trace module: write/read round trips, and every simulation checks
//! as intended under `strict`.

#![cfg(feature = "trace")]
// The simulation half needs feature `live` too.
#![cfg_attr(not(feature = "live"), allow(unused_imports))]

#[cfg(feature = "live")]
use gpmc_progress::simulate::{Simulation, SimulationError};
use gpmc_progress::trace::{replay, TraceEvent, TraceReader, TraceWriter, Verdict};
use gpmc_progress::{
    HResult, OperationKind, OutcomeKind, ResultDescription, ResultType, Rule, Rules, StatusCall,
    StatusMachine, StatusMessage,
};
use proptest::prelude::*;

fn write_all(events: &[TraceEvent]) -> Vec<u8> {
    let mut writer = TraceWriter::new(Vec::new());
    for event in events {
        writer.write_event(event).unwrap();
    }
    writer.into_inner()
}

fn read_all(bytes: &[u8]) -> Vec<TraceEvent> {
    read_timed(bytes)
        .into_iter()
        .map(|(event, _)| event)
        .collect()
}

/// A trace of events with their `ms`.
type Timed = Vec<(TraceEvent, Option<u64>)>;

fn write_timed(events: &Timed) -> Vec<u8> {
    let mut writer = TraceWriter::new(Vec::new());
    for (event, ms) in events {
        writer.write_event_at(event, *ms).unwrap();
    }
    writer.into_inner()
}

fn read_timed(bytes: &[u8]) -> Timed {
    TraceReader::new(bytes)
        .map(|traced| {
            let traced = traced.unwrap_or_else(|e| panic!("{e}"));
            (traced.event, traced.ms)
        })
        .collect()
}

fn hresult() -> impl Strategy<Value = HResult> {
    prop_oneof![
        Just(HResult::S_OK),
        Just(HResult::E_ABORT),
        any::<u32>().prop_map(HResult::from_bits)
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        any::<String>(),
        "[a-z\"\\\\\n\t{}]{0,12}"
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn result() -> impl Strategy<Value = ResultDescription> {
    prop_oneof![
        (opt_text(), opt_text(), opt_text()).prop_map(|(id, display_name, domain)| {
            ResultDescription::Gpo {
                id,
                display_name,
                domain,
            }
        }),
        (opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
            |(id, gpo_id, directory, comment)| ResultDescription::Backup {
                id,
                gpo_id,
                directory,
                comment
            }
        ),
        (opt_text(), opt_text())
            .prop_map(|(id, display_name)| ResultDescription::StarterGpo { id, display_name }),
        (opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
            |(id, gpo_id, directory, comment)| ResultDescription::StarterGpoBackup {
                id,
                gpo_id,
                directory,
                comment
            }
        ),
        opt_text().prop_map(|value| ResultDescription::Text { value }),
        Just(ResultDescription::Object),
    ]
}

fn message() -> impl Strategy<Value = StatusMessage> {
    (text(), hresult(), text(), text(), hresult(), text()).prop_map(
        |(object_path, error_code, extension_name, settings_name, operation_code, message)| {
            StatusMessage::new(message)
                .with_object_path(object_path)
                .with_error_code(error_code)
                .with_extension_name(extension_name)
                .with_settings_name(settings_name)
                .with_operation_code(operation_code)
        },
    )
}

fn status() -> impl Strategy<Value = TraceEvent> {
    (
        any::<i32>(),
        any::<i32>(),
        hresult(),
        proptest::option::of(result()),
        proptest::option::of(proptest::collection::vec(message(), 0..3)),
    )
        .prop_map(|(n, d, hr, result, messages)| {
            TraceEvent::Status(StatusCall::new(n, d, hr, result, messages))
        })
}

fn operation() -> impl Strategy<Value = OperationKind> {
    proptest::sample::select(OperationKind::ALL)
}

fn trace() -> impl Strategy<Value = Vec<TraceEvent>> {
    timed_trace().prop_map(|events| events.into_iter().map(|(event, _)| event).collect())
}

/// A trace whose events each have an `ms` or none; those given never decrease, from 0 or
/// from near the largest value.
fn timed_trace() -> impl Strategy<Value = Timed> {
    const LARGEST: u64 = i64::MAX as u64;
    (
        proptest::option::of(operation()),
        proptest::collection::vec(
            (
                prop_oneof![4 => status(), 1 => Just(TraceEvent::Cancel)],
                proptest::option::of(0u64..1000),
            ),
            0..8,
        ),
        prop_oneof![Just(0), 0u64..10_000, Just(LARGEST - 9 * 1000)],
        proptest::option::of(0u64..1000),
    )
        .prop_map(|(begin, rest, start, begin_ms)| {
            let mut now = start;
            let mut at = |step: Option<u64>| {
                step.map(|step| {
                    now += step;
                    now
                })
            };
            let begin = begin.map(|operation| (TraceEvent::Begin { operation }, at(begin_ms)));
            let rest: Vec<_> = rest
                .into_iter()
                .map(|(event, step)| (event, at(step)))
                .collect();
            begin.into_iter().chain(rest).collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Written events read back equal, and writing them again gives the same bytes.
    #[test]
    fn write_then_read_is_lossless(events in trace()) {
        let bytes = write_all(&events);
        prop_assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), events.len());
        let read = read_all(&bytes);
        prop_assert_eq!(&read, &events);
        prop_assert_eq!(write_all(&read), bytes);
    }

    /// Written events read back equal with their `ms`, and writing them again gives the
    /// same bytes.
    #[test]
    fn timed_write_then_read_is_lossless(events in timed_trace()) {
        let bytes = write_timed(&events);
        let read = read_timed(&bytes);
        prop_assert_eq!(&read, &events);
        prop_assert_eq!(write_timed(&read), bytes);
    }

    /// Timing changes no verdict: a trace with `ms` checks as the same trace without.
    #[test]
    fn ms_changes_no_verdict(events in timed_trace(), strict in any::<bool>()) {
        let rules = if strict { Rules::strict() } else { Rules::documented() };
        let timed = write_timed(&events);
        let untimed: Vec<TraceEvent> = events.into_iter().map(|(event, _)| event).collect();
        let untimed = write_all(&untimed);
        prop_assert_eq!(replay(&timed[..], rules).to_json("t"), replay(&untimed[..], rules).to_json("t"));
    }

    /// Any `ms` on any event: the reader stops exactly at the first one below the last one
    /// given, naming both lines, and the writer refuses the same event.
    #[test]
    fn the_first_decreasing_ms_is_the_error(
        events in proptest::collection::vec(
            (prop_oneof![3 => status(), 1 => Just(TraceEvent::Cancel)], proptest::option::of(0u64..20)),
            1..10,
        ),
    ) {
        let mut text = Vec::new();
        for (event, ms) in &events {
            let mut line = TraceWriter::new(Vec::new());
            line.write_event_at(event, *ms).unwrap();
            text.extend(line.into_inner());
        }
        let mut last: Option<(u64, u64)> = None;
        let mut expected = None;
        for (line, ms) in (1u64..).zip(events.iter().map(|(_, ms)| *ms)) {
            let Some(ms) = ms else { continue };
            match last {
                Some((previous, previous_line)) if ms < previous => {
                    expected = Some((line, ms, previous, previous_line));
                    break;
                }
                _ => last = Some((ms, line)),
            }
        }
        let found = TraceReader::new(&text[..]).find_map(Result::err);
        let mut writer = TraceWriter::new(Vec::new());
        let refused = events.iter().find_map(|(event, ms)| writer.write_event_at(event, *ms).err());
        match expected {
            None => {
                prop_assert!(found.is_none(), "{:?}", found);
                prop_assert!(refused.is_none(), "{:?}", refused);
            }
            Some((line, ms, previous, previous_line)) => {
                let message = format!("line {line}: `ms` is {ms}, less than the {previous} on line {previous_line}");
                prop_assert_eq!(found.map(|e| e.to_string()), Some(message.clone()));
                prop_assert_eq!(refused.map(|e| e.to_string()), Some(message));
            }
        }
    }

    /// `replay` gives what a state machine fed the same events (messages and all) gives:
    /// the end at the same call with the same code and result (the verdict keeps no
    /// messages), the same anomalies, or the same violation at the same event.
    #[test]
    fn replay_is_the_machine_fed_event_by_event(events in trace(), strict in any::<bool>()) {
        let rules = if strict { Rules::strict() } else { Rules::documented() };
        let verdict = replay(&write_all(&events)[..], rules);
        let operation = match events.first() {
            Some(TraceEvent::Begin { operation }) => *operation,
            _ => OperationKind::Unknown,
        };
        let mut machine = StatusMachine::new(operation, rules);
        let mut anomalies = Vec::new();
        let mut violation = None;
        for (line, event) in (1u64..).zip(&events) {
            match event {
                TraceEvent::Cancel => {
                    machine.handle_cancel();
                }
                TraceEvent::Status(call) => match machine.handle_status(call.clone()) {
                    Ok(accepted) => anomalies.extend(accepted.anomalies.into_iter().map(|a| (line, a))),
                    Err(refused) => {
                        violation = Some((line, refused));
                        break;
                    }
                },
                // `begin`, the first event, named the operation.
                _ => {}
            }
        }
        let end = machine.into_outcome().map(|outcome| {
            let (hr, cancel_requested, result, _) = outcome.into_parts();
            (hr, cancel_requested, result)
        });
        match verdict {
            Verdict::Finished { outcome, anomalies: found } => {
                prop_assert!(violation.is_none());
                prop_assert!(outcome.messages().is_empty());
                let (hr, cancel_requested, result, _) = outcome.into_parts();
                prop_assert_eq!(Some((hr, cancel_requested, result)), end);
                let found: Vec<_> = found.into_iter().map(|a| (a.line, a.anomaly)).collect();
                prop_assert_eq!(found, anomalies);
            }
            Verdict::Unfinished { .. } => {
                prop_assert!(violation.is_none());
                prop_assert_eq!(end, None);
            }
            Verdict::Violation { line, violation: found, end: found_end } => {
                prop_assert_eq!(Some((line, found)), violation);
                let found_end = found_end.map(|outcome| {
                    prop_assert!(outcome.messages().is_empty());
                    let (hr, cancel_requested, result, _) = outcome.into_parts();
                    Ok((hr, cancel_requested, result))
                }).transpose()?;
                prop_assert_eq!(found_end, end);
            }
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }

    /// Every simulation checks as complete without anomalies under `strict`, with the
    /// outcome its options call for; with a rule break, as exactly that violation. A
    /// simulation refuses only the breaks that are impossible, and says why. (The simulator
    /// needs feature `live`.)
    #[cfg(feature = "live")]
    #[test]
    fn every_simulation_checks_as_intended(
        operation in operation(),
        extensions in 0u32..10,
        warn_at in proptest::collection::vec(0u32..10, 0..3),
        random_warnings in 0u32..3,
        failure in proptest::option::of((0u32..10, any::<u32>().prop_map(|b| HResult::from_bits(b | 0x8000_0000)))),
        cancel in proptest::option::of((0u32..10, hresult())),
        break_rule in proptest::option::of(proptest::sample::select(Rule::ALL)),
        result_index in any::<proptest::sample::Index>(),
        seed in any::<u64>(),
    ) {
        let n = extensions;
        let mut simulation = Simulation::new(operation).extensions(n).seed(seed).random_warnings(random_warnings);
        for step in warn_at.iter().map(|s| s % (n + 1)) {
            simulation = simulation.warning_at(step);
        }
        let failure = failure.map(|(step, hr)| (step % (n + 1), hr));
        let cancel = cancel.map(|(step, hr)| (step % (n + 1), hr));
        if let Some((step, hr)) = failure {
            simulation = simulation.fail_at(step, hr);
        }
        if let Some((step, answer)) = cancel {
            simulation = simulation.cancel_at(step, answer);
        }
        let allowed = operation.result_types();
        let result_type = if allowed.is_empty() {
            *result_index.get(ResultType::ALL)
        } else {
            *result_index.get(allowed)
        };
        simulation = simulation.result_type(result_type);

        // What the options call for, worked out independently of the simulator.
        let cancel_in_time = cancel.filter(|(step, _)| *step < n && failure.is_none_or(|(f, _)| *step < f));
        let (kind, hr) = match (cancel_in_time, failure) {
            (Some((_, answer)), _) if answer.is_failure() => (OutcomeKind::Cancelled, answer),
            (Some(_), Some((_, hr))) => (OutcomeKind::Cancelled, hr),
            (None, Some((_, hr))) => (OutcomeKind::Failed, hr),
            (_, None) => (OutcomeKind::Succeeded, HResult::S_OK),
        };

        let simulation = match break_rule {
            Some(rule) => simulation.break_rule(rule),
            None => simulation,
        };
        let events = match simulation.events() {
            Ok(events) => events,
            Err(SimulationError::CannotBreak { rule, .. }) => {
                let failed = kind != OutcomeKind::Succeeded;
                let impossible = match rule {
                    Rule::UnexpectedResult | Rule::MissingResult => {
                        operation == OperationKind::Unknown || failed
                    }
                    Rule::FailureBeforeCompletion | Rule::ResultBeforeCompletion => n == 0,
                    Rule::NumeratorDecreased => n < 2,
                    _ => false,
                };
                prop_assert!(impossible, "{} refused for {:?}", rule, simulation);
                return Ok(());
            }
            Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
        };
        let trace = write_all(&events);
        match (break_rule, replay(&trace[..], Rules::strict())) {
            (None, Verdict::Finished { outcome, anomalies }) => {
                prop_assert!(anomalies.is_empty());
                prop_assert_eq!(outcome.kind(), kind);
                prop_assert_eq!(outcome.hr(), hr);
                if kind == OutcomeKind::Succeeded {
                    prop_assert_eq!(outcome.result().map(gpmc_progress::TypedResult::result_type), Some(result_type));
                }
                let planned = warn_at.len() + random_warnings as usize;
                let failure_messages = usize::from(kind != OutcomeKind::Succeeded);
                let written: usize = events.iter().map(|event| match event {
                    TraceEvent::Status(call) => call.messages.as_ref().map_or(0, Vec::len),
                    _ => 0,
                }).sum();
                prop_assert_eq!(written, planned + failure_messages);
            }
            (Some(rule), Verdict::Violation { violation, .. }) => {
                prop_assert_eq!(violation.rule(), rule);
            }
            (wanted, verdict) => {
                return Err(TestCaseError::fail(format!("{wanted:?}: {verdict:?}\n{}", String::from_utf8_lossy(&trace))));
            }
        }
    }
}

#[test]
fn non_canonical_input_is_written_canonically_with_the_same_meaning() {
    let input = "\u{feff}{\"operation\":\"gpo-copy\",\"event\":\"begin\"}\r\n\
        \r\n\
        {\"event\":\"status\",\"numerator\":0,\"denominator\":2,\"hr\":null,\"messages\":null,\"result\":null}\r\n\
        {\"event\":\"status\",\"denominator\":2,\"numerator\":1,\"hr\":1223,\"messages\":[{\"message\":\"m\",\"error_code\":-2147024891}]}\r\n\
        {\"event\":\"status\",\"numerator\":2,\"denominator\":2,\"hr\":\"0x0\",\"messages\":[],\"result\":{\"type\":\"gpo\",\"id\":null,\"domain\":\"d\"}}";
    let events = read_all(input.as_bytes());
    let written = String::from_utf8(write_all(&events)).unwrap();
    assert_eq!(
        written,
        "{\"event\":\"begin\",\"operation\":\"gpo-copy\"}\n\
         {\"event\":\"status\",\"numerator\":0,\"denominator\":2,\"hr\":\"0x00000000\"}\n\
         {\"event\":\"status\",\"numerator\":1,\"denominator\":2,\"hr\":\"0x000004C7\",\"messages\":[{\"object_path\":\"\",\"error_code\":\"0x80070005\",\"extension_name\":\"\",\"settings_name\":\"\",\"operation_code\":\"0x00000000\",\"message\":\"m\"}]}\n\
         {\"event\":\"status\",\"numerator\":2,\"denominator\":2,\"hr\":\"0x00000000\",\"result\":{\"type\":\"gpo\",\"domain\":\"d\"},\"messages\":[]}\n"
    );
    assert_eq!(read_all(written.as_bytes()), events);
}
