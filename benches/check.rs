//! Checking a large trace (read, parse, replay through the state machine) against serde_json
//! deserialising the same lines into a plain struct, in the same run. The goal: the checker
//! keeps at least half of serde_json's throughput.
//!
//! Run with `cargo bench --features trace --bench check`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::trace::{replay, TraceWriter, Verdict};
use gpmc_progress::{OperationKind, Rules};
use serde::Deserialize;

/// The same line as a plain struct, with nothing checked beyond JSON types.
#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainLine {
    event: String,
    operation: Option<String>,
    numerator: Option<i32>,
    denominator: Option<i32>,
    hr: Option<String>,
    result: Option<PlainResult>,
    messages: Option<Vec<PlainMessage>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainResult {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    gpo_id: Option<String>,
    directory: Option<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainMessage {
    object_path: String,
    error_code: String,
    extension_name: String,
    settings_name: String,
    operation_code: String,
    message: String,
}

/// A GPO backup over 100 000 steps with 1 000 warnings: about 100 000 lines, 7.5 MB.
fn large_trace() -> Vec<u8> {
    let events = Simulation::new(OperationKind::GpoBackup)
        .extensions(100_000)
        .random_warnings(1_000)
        .seed(2026)
        .events()
        .expect("a valid simulation");
    let mut writer = TraceWriter::new(Vec::new());
    for event in &events {
        writer.write_event(event).expect("writing to memory");
    }
    writer.into_inner()
}

fn check_vs_serde_json(c: &mut Criterion) {
    let trace = large_trace();
    assert!(matches!(
        replay(&trace[..], Rules::strict()),
        Verdict::Finished { .. }
    ));
    let mut group = c.benchmark_group("large trace");
    group.throughput(Throughput::Bytes(trace.len() as u64));
    group.sample_size(20);
    group.bench_function("gpmc_progress::trace::replay (strict)", |b| {
        b.iter(|| replay(black_box(&trace[..]), Rules::strict()))
    });
    group.bench_function("serde_json lines into a plain struct", |b| {
        b.iter(|| {
            let mut count = 0usize;
            for line in black_box(&trace[..]).split(|byte| *byte == b'\n') {
                if line.is_empty() {
                    continue;
                }
                let parsed: PlainLine = serde_json::from_slice(line).expect("valid JSON");
                count += usize::from(parsed.numerator.is_some());
            }
            count
        })
    });
    group.finish();
}

criterion_group!(benches, check_vs_serde_json);
criterion_main!(benches);
