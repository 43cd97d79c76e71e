//! The state machine on progress-only `Status` calls, beside a bare loop that makes the same
//! comparisons on the same input in the same run. Neither copies more than three numbers per
//! call out of the input. Goals: `handle_progress` within 1.2x of the loop, `handle_status`
//! (which takes a whole `StatusCall`) within 1.5x.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gpmc_progress::{HResult, OperationKind, Rules, StatusCall, StatusMachine};

const CALLS: i32 = 10_000;

/// The input: a backup over 10 000 extensions, reported one extension at a time, never
/// finishing (so every call is a progress-only call): `(numerator, denominator, hrStatus)`.
fn input() -> Vec<(i32, i32, HResult)> {
    (0..CALLS)
        .map(|numerator| (numerator, CALLS, HResult::S_OK))
        .collect()
}

/// The comparisons the machine makes for a progress-only call, without the machine: the
/// finishing state, negative and exceeding progress, the previous fraction, failure and
/// completion (a progress-only call carries no result, so the result rules come down to
/// `missing-result` on a complete call). It returns how many passed, so nothing is optimised
/// away.
fn bare_loop(calls: &[(i32, i32, HResult)], operation: OperationKind) -> u64 {
    let mut previous: Option<(i32, i32)> = None;
    let mut finished = false;
    let mut passed = 0;
    for &call in calls {
        let (numerator, denominator, hr) = black_box(call);
        if finished || numerator < 0 || denominator < 0 || numerator > denominator {
            continue;
        }
        if let Some((prev_numerator, prev_denominator)) = previous {
            if denominator != prev_denominator || numerator < prev_numerator {
                continue;
            }
        }
        let complete = numerator == denominator;
        let failure = hr.is_failure();
        if failure && !complete {
            continue;
        }
        if complete && !failure && operation.defines_result() {
            continue;
        }
        previous = Some((numerator, denominator));
        finished = complete;
        passed += 1;
    }
    passed
}

/// `handle_progress` on each call, every event polled.
fn handle_progress(calls: &[(i32, i32, HResult)], rules: Rules) -> u64 {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, rules);
    let mut passed = 0;
    for &call in calls {
        let (numerator, denominator, hr) = black_box(call);
        if machine.handle_progress(numerator, denominator, hr).is_ok() {
            passed += 1;
        }
        while let Some(event) = machine.poll_event() {
            black_box(event);
        }
    }
    passed
}

/// `handle_progress` on each call, the events left in the machine (unpolled progress is
/// merged into one event, as behind the live engine's fast path).
fn handle_progress_unpolled(calls: &[(i32, i32, HResult)], rules: Rules) -> u64 {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, rules);
    let mut passed = 0;
    for &call in calls {
        let (numerator, denominator, hr) = black_box(call);
        if machine.handle_progress(numerator, denominator, hr).is_ok() {
            passed += 1;
        }
    }
    black_box(machine.poll_event());
    passed
}

/// `handle_status` on a `StatusCall` built from each call (no result, a null collection),
/// every event polled.
fn handle_status(calls: &[(i32, i32, HResult)], rules: Rules) -> u64 {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, rules);
    let mut passed = 0;
    for &call in calls {
        let (numerator, denominator, hr) = black_box(call);
        let call = StatusCall::new(numerator, denominator, hr, None, None);
        if machine.handle_status(call).is_ok() {
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
    assert_eq!(handle_progress(&calls, Rules::strict()), CALLS as u64);
    assert_eq!(handle_status(&calls, Rules::strict()), CALLS as u64);
    let mut group = c.benchmark_group("progress-only status calls");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.bench_function("bare loop", |b| {
        b.iter(|| bare_loop(black_box(&calls), OperationKind::GpoBackup))
    });
    for (name, rules) in [
        ("documented", Rules::documented()),
        ("strict", Rules::strict()),
    ] {
        group.bench_function(format!("handle_progress ({name})"), |b| {
            b.iter(|| handle_progress(black_box(&calls), rules))
        });
        group.bench_function(format!("handle_progress, unpolled ({name})"), |b| {
            b.iter(|| handle_progress_unpolled(black_box(&calls), rules))
        });
        group.bench_function(format!("handle_status ({name})"), |b| {
            b.iter(|| handle_status(black_box(&calls), rules))
        });
    }
    group.finish();
}

criterion_group!(benches, progress_only);
criterion_main!(benches);
