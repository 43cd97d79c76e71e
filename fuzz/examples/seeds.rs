//! Writes the seed corpora under `seeds/` (run from the `fuzz` directory), or under the
//! directory given:
//!
//! ```text
//! cargo run --example seeds [DIR]
//! ```
//!
//! `trace_replay` gets the repository's trace fixtures (`tests/fixtures/*.jsonl`, as
//! `fixture-*`) and traces of the simulated server (`sim-*`, some paced so that their lines
//! carry `ms`); every trace found there (including any copied in by hand under another
//! name) is then turned into inputs of `machine_vs_model` and `live_engine`, and its
//! HRESULTs, fractions, messages and results into inputs of `values`. What this writes is
//! removed first (the `fixture-*` and `sim-*` traces and the three other corpora), so no
//! stale seed stays; `.ci/run` checks that the committed seeds are what this writes.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::trace::{TraceEvent, TraceReader, TraceWriter};
use gpmc_progress::{HResult, Input, OperationKind, ResultType, Rule, Rules};
use gpmc_progress_fuzz::live::{LiveInput, Op};
use gpmc_progress_fuzz::machine::MachineInput;
use gpmc_progress_fuzz::values::{encode, Mode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = std::env::args_os()
        .nth(1)
        .map_or_else(|| fuzz.join("seeds"), PathBuf::from);
    let dir = |target: &str| -> std::io::Result<PathBuf> {
        let dir = seeds.join(target);
        fs::create_dir_all(&dir)?;
        Ok(dir)
    };
    // What this writes, removed first: the generated traces and the derived corpora.
    for derived in ["machine_vs_model", "live_engine", "values"] {
        let derived = seeds.join(derived);
        if derived.exists() {
            fs::remove_dir_all(derived)?;
        }
    }
    let traces_dir = dir("trace_replay")?;
    for entry in fs::read_dir(&traces_dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("fixture-") || name.starts_with("sim-") {
            fs::remove_file(&path)?;
        }
    }

    // The fixtures, byte for byte.
    let fixtures = fuzz.join("../tests/fixtures");
    for entry in fs::read_dir(&fixtures)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let name = path.file_stem().unwrap().to_string_lossy();
            fs::copy(&path, traces_dir.join(format!("fixture-{name}")))?;
        }
    }
    // The simulator: every operation, plain and with warnings, failures, cancels and each
    // broken rule; some paced, so that their lines carry `ms`.
    for (i, operation) in OperationKind::ALL.iter().enumerate() {
        let base = Simulation::new(*operation)
            .extensions(2 + (i as u32 % 4))
            .seed(i as u64);
        let mut variants = vec![
            ("plain", base.clone()),
            ("warnings", base.clone().warning_at(0).warning_at(1)),
            ("fail", base.clone().fail_at(1, HResult::E_ACCESSDENIED)),
            (
                "cancel",
                base.clone().cancel_at(1, HResult::ERROR_CANCELLED),
            ),
            ("cancel-too-late", base.clone().cancel_at(0, HResult::S_OK)),
            (
                "paced",
                base.clone()
                    .warning_at(1)
                    .cancel_at(1, HResult::E_ABORT)
                    .pace(Duration::from_millis(40 + i as u64)),
            ),
        ];
        if let Some(other) = ResultType::ALL.iter().find(|t| !operation.allows(**t)) {
            variants.push(("other-result", base.clone().result_type(*other)));
        }
        for rule in Rule::ALL {
            variants.push((rule.id(), base.clone().break_rule(*rule)));
        }
        for (variant, simulation) in variants {
            let Ok(events) = simulation.timed_events() else {
                continue;
            };
            let mut writer = TraceWriter::new(Vec::new());
            for (event, ms) in &events {
                writer.write_event_at(event, *ms)?;
            }
            let name = format!("sim-{operation}-{variant}");
            fs::write(traces_dir.join(name), writer.into_inner())?;
        }
    }

    // Every trace now there, as events.
    let mut traces = Vec::new();
    let mut names: Vec<_> = fs::read_dir(&traces_dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    names.sort();
    for path in names {
        let bytes = fs::read(&path)?;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut operation = OperationKind::Unknown;
        let mut inputs = Vec::new();
        for traced in TraceReader::new(&bytes[..]) {
            let Ok(traced) = traced else { break };
            match traced.event {
                TraceEvent::Begin { operation: kind } => operation = kind,
                TraceEvent::Status(call) => inputs.push(Input::Status(call)),
                TraceEvent::Cancel => inputs.push(Input::Cancel),
                _ => {}
            }
        }
        traces.push((name, bytes, operation, inputs));
    }

    let machine_dir = dir("machine_vs_model")?;
    let live_dir = dir("live_engine")?;
    for (name, _, operation, inputs) in &traces {
        if inputs.is_empty() {
            continue;
        }
        // The variations come from the name, not the position: a new trace changes no
        // other seed.
        let n = fnv1a(name.as_bytes()) as usize;
        for (preset, rules) in [
            ("documented", Rules::documented()),
            ("strict", Rules::strict()),
        ] {
            let input = MachineInput::from_inputs(*operation, rules, inputs.clone());
            let bytes = input.encode();
            let decoded = MachineInput::arbitrary_take_rest(Unstructured::new(&bytes))?;
            assert_eq!(decoded.steps.len(), input.steps.len(), "{name}");
            assert_eq!(decoded.encode(), bytes, "{name}");
            fs::write(machine_dir.join(format!("{name}-{preset}")), bytes)?;
        }
        let rules = if n.is_multiple_of(2) {
            Rules::documented()
        } else {
            Rules::strict()
        };
        let input = live_ops(*operation, rules, inputs, n);
        let bytes = input.encode();
        let decoded = LiveInput::arbitrary_take_rest(Unstructured::new(&bytes))?;
        assert_eq!(decoded.ops.len(), input.ops.len(), "{name}");
        assert_eq!(decoded.encode(), bytes, "{name}");
        fs::write(live_dir.join(name), bytes)?;
    }

    // Values: every HRESULT, fraction, message and result the traces hold, plus edge cases.
    let values_dir = dir("values")?;
    let mut values = BTreeSet::new();
    for hr in HResult::KNOWN {
        values.insert(encode(Mode::HResultText, hr.to_string().as_bytes()));
        values.insert(encode(Mode::HResultJson, hr.value().to_string().as_bytes()));
    }
    for text in [
        "0x0",
        "0X4c7",
        "0x80070005",
        "-2147483648",
        "4294967295",
        "0",
        "-0",
        "0x",
        "1223",
    ] {
        values.insert(encode(Mode::HResultText, text.as_bytes()));
        values.insert(encode(
            Mode::HResultJson,
            serde_json::to_string(text)?.as_bytes(),
        ));
    }
    for text in ["0/0", "3/8", "2147483647/2147483647", "-0/1", "1/0", "4/3"] {
        values.insert(encode(Mode::FractionText, text.as_bytes()));
    }
    values.insert(encode(
        Mode::FractionJson,
        br#"{"numerator":3,"denominator":8}"#,
    ));
    for id in Rule::ALL.iter().map(|r| r.id()) {
        values.insert(encode(Mode::RulesJsonAndIds, id.as_bytes()));
    }
    for kind in OperationKind::ALL {
        values.insert(encode(Mode::RulesJsonAndIds, kind.to_string().as_bytes()));
    }
    for preset in ["documented", "strict"] {
        values.insert(encode(Mode::RulesJsonAndIds, preset.as_bytes()));
    }
    values.insert(encode(
        Mode::RulesJsonAndIds,
        serde_json::to_string(&Rules::strict())?.as_bytes(),
    ));
    for (_, bytes, _, _) in &traces {
        for line in bytes.split(|b| *b == b'\n') {
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(hr) = value.get("hr") {
                values.insert(encode(Mode::HResultJson, hr.to_string().as_bytes()));
                if let Some(text) = hr.as_str() {
                    values.insert(encode(Mode::HResultText, text.as_bytes()));
                }
            }
            if let (Some(n), Some(d)) = (value.get("numerator"), value.get("denominator")) {
                let text = format!("{n}/{d}");
                values.insert(encode(Mode::FractionText, text.as_bytes()));
                let json = format!(r#"{{"numerator":{n},"denominator":{d}}}"#);
                values.insert(encode(Mode::FractionJson, json.as_bytes()));
            }
            if let Some(result) = value.get("result") {
                values.insert(encode(Mode::ResultJson, result.to_string().as_bytes()));
            }
            for message in value
                .get("messages")
                .and_then(|m| m.as_array())
                .into_iter()
                .flatten()
            {
                values.insert(encode(Mode::MessageJson, message.to_string().as_bytes()));
            }
        }
    }
    for (i, bytes) in (0u32..64).map(|i| (i, i.to_le_bytes().repeat(16))) {
        values.insert(encode(Mode::Built, &[&bytes[..], &[i as u8; 32]].concat()));
    }
    for value in &values {
        // Named by content, so that a new value renames no other.
        fs::write(
            values_dir.join(format!("value-{:016x}", fnv1a(value))),
            value,
        )?;
    }
    Ok(())
}

/// The 64-bit FNV-1a hash: a stable name or number for some bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A trace's inputs as live operations: a reporter, a stream and a future first, the calls
/// (some as plain progress) with the consumers and what came after the end looked at on the
/// way, and the reporter let go at the end.
fn live_ops(operation: OperationKind, rules: Rules, inputs: &[Input], n: usize) -> LiveInput {
    let mut ops = vec![Op::NewReporter, Op::NewStream, Op::NewFuture];
    for (i, input) in inputs.iter().enumerate() {
        match input {
            Input::Status(call) => {
                let plain = call.result.is_none() && call.messages.is_none();
                ops.push(match (plain, call.hr, (i + n) % 5) {
                    (true, HResult::S_OK, _) => Op::Progress(0, call.numerator, call.denominator),
                    (true, hr, _) => Op::ProgressWithHr(0, call.numerator, call.denominator, hr),
                    _ => Op::Status(0, call.clone()),
                });
                if (i + n) % 5 == 0 {
                    ops.push(Op::AfterEnd);
                }
            }
            _ => ops.push(Op::Cancel),
        }
        match (i + n) % 4 {
            0 => ops.push(Op::PollStream(0)),
            1 => ops.push(Op::PollFuture(0)),
            2 => ops.push(Op::TryNextStream(0)),
            _ => ops.push(Op::TryOutcome),
        }
    }
    ops.extend([
        Op::Inspect,
        Op::DropReporter(0),
        Op::PollStream(0),
        Op::PollFuture(0),
    ]);
    ops.extend([Op::TryOutcome, Op::Inspect]);
    LiveInput {
        operation,
        rules,
        ops,
    }
}
