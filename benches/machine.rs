//! The state machine on progress-only `Status` calls, beside a bare loop that makes the same
//! comparisons on the same input in the same run. Goal: the machine within 1.5x of the loop.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gpmc_progress::{
    HResult, OperationKind, ResultDescription, Rules, StatusCall, StatusMachine, TypedResult,
};

const CALLS: i32 = 10_000;

/// The input: a backup over 10 000 extensions, reported one extension at a time, never
/// terminal (so every call is a progress-only call).
fn input() -> Vec<StatusCall> {
    (0..CALLS)
        .map(|numerator| StatusCall::progress(numerator, CALLS))
        .collect()
}

/// The comparisons the machine makes for a progress-only call, without the machine: the
/// terminal state, negative and exceeding progress, the previous fraction, failure, result
/// and completion. Like the machine it takes each call by value (a copy: a progress-only call
/// owns nothing), and it returns how many passed, so nothing is optimised away.
fn bare_loop(calls: &[StatusCall], operation: OperationKind) -> u64 {
    let mut previous: Option<(i32, i32)> = None;
    let mut finished = false;
    let mut passed = 0;
    for call in calls {
        let call = black_box(call.clone());
        let (numerator, denominator) = (call.numerator, call.denominator);
        if finished || numerator < 0 || denominator < 0 || numerator > denominator {
            continue;
        }
        if let Some((prev_numerator, prev_denominator)) = previous {
            if denominator != prev_denominator || numerator < prev_numerator {
                continue;
            }
        }
        let complete = numerator == denominator;
        let failure = call.hr.is_failure();
        if failure && !complete {
            continue;
        }
        match call.result.as_ref().map(TypedResult::result_type) {
            Some(result_type) if !complete || !operation.allows(result_type) => continue,
            None if complete && operation.defines_result() => continue,
            _ => {}
        }
        previous = Some((numerator, denominator));
        finished = complete;
        passed += 1;
    }
    passed
}

fn machine(calls: &[StatusCall], rules: Rules) -> u64 {
    let mut machine = StatusMachine::<ResultDescription>::new(OperationKind::GpoBackup, rules);
    let mut passed = 0;
    for call in calls {
        if machine.handle_status(black_box(call.clone())).is_ok() {
            passed += 1;
        }
        while let Some(event) = machine.poll_event() {
            black_box(event);
        }
    }
    passed
}

fn progress_only(c: &mut Criterion) {
    let calls = input();
    assert_eq!(bare_loop(&calls, OperationKind::GpoBackup), CALLS as u64);
    let mut group = c.benchmark_group("progress-only status calls");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.bench_function("bare loop", |b| {
        b.iter(|| bare_loop(black_box(&calls), OperationKind::GpoBackup))
    });
    for (name, rules) in [
        ("machine (documented)", Rules::documented()),
        ("machine (strict)", Rules::strict()),
    ] {
        group.bench_function(name, |b| b.iter(|| machine(black_box(&calls), rules)));
    }
    group.finish();
    // Keep the comparison honest: both see the same hrStatus on every call.
    assert!(calls.iter().all(|call| call.hr == HResult::S_OK));
}

criterion_group!(benches, progress_only);
criterion_main!(benches);
