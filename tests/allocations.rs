//! A progress-only `Status` call allocates nothing: counted with a global allocator that
//! counts the allocations made on the thread under test.
//!
//! This file is test-only support: its allocator is the only `unsafe` outside the COM adapter.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use gpmc_progress::{HResult, OperationKind, Rules, StatusCall, StatusMachine};

struct CountingAllocator;

thread_local! {
    // Const-initialised, so reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn record() {
    // `try_with`: the thread-locals may already be gone while a thread shuts down.
    let _ = COUNTING.try_with(|counting| {
        if counting.get() {
            let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        }
    });
}

// SAFETY: every method forwards to the system allocator with the caller's arguments
// unchanged, so the GlobalAlloc contract is the system allocator's; counting touches only
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record();
        // SAFETY: forwarded as received; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record();
        // SAFETY: forwarded as received; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record();
        // SAFETY: forwarded as received; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received; `ptr` came from this allocator, i.e. from System.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns how many allocations it made on this thread.
fn allocations_in(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|count| count.set(0));
    COUNTING.with(|counting| counting.set(true));
    f();
    COUNTING.with(|counting| counting.set(false));
    ALLOCATIONS.with(Cell::get)
}

const CALLS: i32 = 10_000;

#[test]
fn the_counter_sees_allocations() {
    // Guards the other tests: a counter that cannot count would make them pass vacuously.
    let made = allocations_in(|| {
        std::hint::black_box(vec![1u8; 16]);
    });
    assert_eq!(made, 1);
}

#[test]
fn progress_only_calls_allocate_nothing_when_events_are_polled() {
    for rules in [Rules::documented(), Rules::strict()] {
        let mut machine = StatusMachine::new(OperationKind::GpoBackup, rules);
        let made = allocations_in(|| {
            for numerator in 0..CALLS {
                let step = machine.handle_status(StatusCall::progress(numerator, CALLS));
                std::hint::black_box(step.is_ok());
                while let Some(event) = machine.poll_event() {
                    std::hint::black_box(event);
                }
            }
        });
        assert_eq!(made, 0, "{rules:?}");
        assert_eq!(machine.calls_received(), CALLS as u64);
    }
}

#[test]
fn progress_only_calls_allocate_nothing_when_events_are_never_polled() {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::strict());
    let made = allocations_in(|| {
        for numerator in 0..CALLS {
            // Repeated fractions and a failure-free, result-free, message-free call.
            let call = StatusCall::progress(numerator / 2, CALLS).with_hr(HResult::S_FALSE);
            std::hint::black_box(machine.handle_status(call).is_ok());
        }
    });
    assert_eq!(made, 0);
}

#[test]
fn rejected_calls_allocate_nothing() {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::strict());
    machine.handle_status(StatusCall::progress(5, 10)).unwrap();
    let made = allocations_in(|| {
        for numerator in 0..CALLS {
            let call = StatusCall::progress(numerator % 5, 10);
            std::hint::black_box(machine.handle_status(call).is_err());
        }
    });
    assert_eq!(made, 0);
}
