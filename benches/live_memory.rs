//! Memory and latency of the live engine under load: peak resident memory and the slowest
//! single `Reporter::progress` call, each scenario in a process of its own.
//!
//! ```text
//! cargo bench --features live --bench live_memory
//! ```
//!
//! - `quiet` and `consumers`: 8 server threads × 10^6 progress calls, with no consumer, then
//!   with an observer, 3 streams read by their threads, a future and a timed waiter. Goal:
//!   `consumers` within 16 MiB of `quiet`.
//! - `stream-small` and `stream-large`: 10^4 and 10^7 progress calls with a stream read after
//!   every call (a reader as fast as the server), then `updates_so_far`. Goal: the large run
//!   within 2x of the small one.
//!
//! Run as a test (`cargo test --benches`), it runs every scenario at a thousandth of its
//! size and checks only that each ends as it should. Peak memory is read from
//! `/proc/self/status` (Linux); elsewhere the goals are not checked.

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use gpmc_progress::live::{Notification, Tracker, Update};
use gpmc_progress::{OperationKind, OutcomeKind, ResultDescription, StatusCall};

const SERVERS: u64 = 8;
const MIB: u64 = 1024;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(scenario) = args
        .iter()
        .position(|a| a == "--scenario")
        .map(|i| &args[i + 1])
    {
        let scale: u64 = args
            .iter()
            .position(|a| a == "--scale")
            .map_or(1, |i| args[i + 1].parse().unwrap());
        run(scenario, scale);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let scale = if args.iter().any(|a| a == "--bench") {
        1
    } else {
        1000
    };
    let mut figures = Vec::new();
    for scenario in ["quiet", "consumers", "stream-small", "stream-large"] {
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--scenario", scenario, "--scale", &scale.to_string()])
            .output()
            .expect("the scenario runs");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{scenario} failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        print!("{text}");
        figures.push(peak_of(&text));
    }
    if scale != 1 {
        return;
    }
    if let [Some(quiet), Some(consumers), Some(small), Some(large)] = figures[..] {
        let ok_consumers = consumers <= quiet + 16 * MIB;
        let ok_stream = large <= 2 * small;
        println!(
            "goal: consumers within 16 MiB of quiet: {} ({} KiB more); stream-large within 2x of stream-small: {} ({:.2}x)",
            if ok_consumers { "met" } else { "MISSED" },
            consumers.saturating_sub(quiet),
            if ok_stream { "met" } else { "MISSED" },
            large as f64 / small as f64
        );
        assert!(ok_consumers && ok_stream, "a memory goal was missed");
    }
}

/// The `peak N KiB` figure of a scenario's line.
fn peak_of(text: &str) -> Option<u64> {
    let (_, rest) = text.split_once("peak ")?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Peak resident memory of this process, in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report(scenario: &str, started: Instant, slowest: Option<Duration>) {
    let peak = peak_kib().map_or("unknown".to_owned(), |kib| format!("{kib} KiB"));
    let slowest = slowest.map_or(String::new(), |d| format!(", slowest progress() {d:.2?}"));
    println!(
        "{scenario:>13}: peak {peak} in {:.2?}{slowest}",
        started.elapsed()
    );
}

fn run(scenario: &str, scale: u64) {
    match scenario {
        "quiet" => servers(false, 1_000_000 / scale),
        "consumers" => servers(true, 1_000_000 / scale),
        "stream-small" => stream(10_000 / scale.min(100)),
        "stream-large" => stream(10_000_000 / scale),
        _ => panic!("unknown scenario {scenario}"),
    }
}

fn finish(tracker: &Tracker, calls: i32) {
    let reporter = tracker.reporter();
    reporter
        .status(StatusCall::progress(calls, calls).with_result(ResultDescription::text("<r/>")));
}

fn servers(consumers: bool, calls: u64) {
    let calls = calls as i32;
    let observed = Arc::new(AtomicU64::new(0));
    let builder = Tracker::builder(OperationKind::GpoReport);
    let tracker = if consumers {
        let observed = Arc::clone(&observed);
        builder
            .observer(move |notification| {
                if let Notification::Update(_) = notification {
                    observed.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build()
    } else {
        builder.build()
    };
    let mut readers = Vec::new();
    if consumers {
        for _ in 0..3 {
            let mut updates = tracker.updates();
            readers.push(std::thread::spawn(move || {
                let mut last = None;
                while let Ok(update) = updates.next_timeout(Duration::MAX) {
                    last = Some(update);
                }
                assert!(matches!(last, Some(Update::End(Ok(_)))));
            }));
        }
        let future = tracker.outcome();
        readers.push(std::thread::spawn(
            move || assert!(block_on(future).is_ok()),
        ));
        let waiter = tracker.clone();
        readers.push(std::thread::spawn(move || {
            while waiter.wait_timeout(Duration::from_millis(5)).is_none() {}
        }));
    }
    let started = Instant::now();
    let slowest = Arc::new(AtomicU64::new(0));
    let servers: Vec<_> = (0..SERVERS)
        .map(|_| {
            let reporter = tracker.reporter();
            let slowest = Arc::clone(&slowest);
            std::thread::spawn(move || {
                let mut worst = 0;
                for index in 0..calls {
                    let call = Instant::now();
                    reporter.progress(index / 1000, calls);
                    worst = worst.max(call.elapsed().as_nanos() as u64);
                }
                slowest.fetch_max(worst, Ordering::Relaxed);
                reporter
            })
        })
        .collect();
    let reporters: Vec<_> = servers.into_iter().map(|s| s.join().unwrap()).collect();
    finish(&tracker, calls);
    drop(reporters);
    assert_eq!(tracker.wait().map(|o| o.kind()), Ok(OutcomeKind::Succeeded));
    for reader in readers {
        reader.join().unwrap();
    }
    assert!(!consumers || observed.load(Ordering::Relaxed) >= 2);
    let name = if consumers { "consumers" } else { "quiet" };
    report(
        name,
        started,
        Some(Duration::from_nanos(slowest.load(Ordering::Relaxed))),
    );
}

fn stream(calls: u64) {
    let calls = calls as i32;
    let tracker = Tracker::new(OperationKind::GpoReport);
    let mut updates = tracker.updates();
    let reporter = tracker.reporter();
    let started = Instant::now();
    let mut read = 0_u64;
    for index in 0..calls {
        reporter.progress(index, calls);
        if updates.try_next().is_ok() {
            read += 1;
        }
    }
    reporter
        .status(StatusCall::progress(calls, calls).with_result(ResultDescription::text("<r/>")));
    drop(reporter);
    let so_far = tracker.updates_so_far();
    assert!(matches!(so_far.last(), Some(Update::End(Ok(_)))));
    assert_eq!(
        read, calls as u64,
        "a reader as fast as the server reads every call"
    );
    report(
        if calls > 10_000 {
            "stream-large"
        } else {
            "stream-small"
        },
        started,
        None,
    );
}

/// Polls `future` on this thread, parking between polls.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
