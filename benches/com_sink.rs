//! The sink's `Status` (progress only: no result, no messages) against two sinks that do
//! nothing, in the same run, all called through the COM vtable as a server does: a no-op
//! `IGPMAsyncProgress`, and the floor: a sink that takes and releases one uncontended lock of
//! the kind the live engine uses (std's `Mutex`) and does nothing else.
//!
//! Goal: the sink with no consumer (its tracker held, no observer, no stream waiting) costs
//! at most 1.5x the floor. The state machine alone (no COM, no lock) judging the same call
//! shows how much of the sink's cost is the judging itself; the sink with an observer shows
//! what a consumer on the delivery thread costs the server. After criterion's figures, the
//! run prints the sink's ratio to the floor. Windows only (CI runs it under Wine).

#[cfg(all(windows, feature = "com"))]
mod windows_bench {
    use std::hint::black_box;
    use std::sync::Mutex;
    use std::time::Instant;

    use criterion::Criterion;
    use gpmc_progress::com::{ComResult, ProgressSink};
    use gpmc_progress::live::Notification;
    use gpmc_progress::{HResult, OperationKind, Rules, StatusMachine};
    use windows::Win32::Foundation::{E_NOTIMPL, S_OK};
    use windows::Win32::System::Com::{
        IDispatch_Impl, ITypeInfo, DISPATCH_FLAGS, DISPPARAMS, EXCEPINFO,
    };
    use windows::Win32::System::GroupPolicy::{
        IGPMAsyncProgress, IGPMAsyncProgress_Impl, IGPMStatusMsgCollection,
    };
    use windows::Win32::System::Variant::VARIANT;
    use windows_core::{implement, Ref, GUID, HRESULT, PCWSTR};

    /// A sink that does nothing: a `Status` call through the vtable.
    #[implement(IGPMAsyncProgress)]
    struct NoopSink;

    /// A sink that takes and releases one uncontended lock: the floor of the live engine's
    /// `Status` through the vtable.
    #[implement(IGPMAsyncProgress)]
    struct LockSink(Mutex<u64>);

    impl IGPMAsyncProgress_Impl for LockSink_Impl {
        fn Status(
            &self,
            _: i32,
            _: i32,
            _: HRESULT,
            _: *const VARIANT,
            _: Ref<'_, IGPMStatusMsgCollection>,
        ) -> windows_core::Result<()> {
            *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
            Ok(())
        }
    }

    macro_rules! no_dispatch {
        ($object:ty) => {
            impl IDispatch_Impl for $object {
                fn GetTypeInfoCount(&self) -> windows_core::Result<u32> {
                    Ok(0)
                }
                fn GetTypeInfo(&self, _: u32, _: u32) -> windows_core::Result<ITypeInfo> {
                    Err(E_NOTIMPL.into())
                }
                fn GetIDsOfNames(
                    &self,
                    _: *const GUID,
                    _: *const PCWSTR,
                    _: u32,
                    _: u32,
                    _: *mut i32,
                ) -> windows_core::Result<()> {
                    Err(E_NOTIMPL.into())
                }
                fn Invoke(
                    &self,
                    _: i32,
                    _: *const GUID,
                    _: u32,
                    _: DISPATCH_FLAGS,
                    _: *const DISPPARAMS,
                    _: *mut VARIANT,
                    _: *mut EXCEPINFO,
                    _: *mut u32,
                ) -> windows_core::Result<()> {
                    Err(E_NOTIMPL.into())
                }
            }
        };
    }

    no_dispatch!(NoopSink_Impl);
    no_dispatch!(LockSink_Impl);

    impl IGPMAsyncProgress_Impl for NoopSink_Impl {
        fn Status(
            &self,
            _: i32,
            _: i32,
            _: HRESULT,
            _: *const VARIANT,
            _: Ref<'_, IGPMStatusMsgCollection>,
        ) -> windows_core::Result<()> {
            Ok(())
        }
    }

    fn status(sink: &IGPMAsyncProgress) {
        // SAFETY: a null pResult and a null collection are valid arguments.
        let answer = unsafe {
            sink.Status(
                black_box(1),
                black_box(2),
                black_box(S_OK),
                black_box(core::ptr::null()),
                None::<&IGPMStatusMsgCollection>,
            )
        };
        black_box(answer).expect("S_OK");
    }

    fn bench(c: &mut Criterion) {
        let mut group = c.benchmark_group("status, no messages");
        let noop: IGPMAsyncProgress = NoopSink.into();
        group.bench_function("no-op sink", |b| b.iter(|| status(&noop)));
        let floor: IGPMAsyncProgress = LockSink(Mutex::new(0)).into();
        group.bench_function("floor: one uncontended lock", |b| b.iter(|| status(&floor)));
        // The real sink with its tracker held and no consumer.
        let sink = ProgressSink::new(OperationKind::GpoBackup);
        let object = sink.interface();
        group.bench_function("progress sink", |b| b.iter(|| status(&object)));
        // With an observer: it runs on the delivery thread, never on the server's.
        let observed: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
            .observer(|notification| {
                black_box(matches!(notification, Notification::Update(_)));
            })
            .build()
            .into();
        let observed_object = observed.interface();
        group.bench_function("progress sink, observed", |b| {
            b.iter(|| status(&observed_object))
        });
        // For the breakdown: the state machine alone, fed the same call without COM.
        let mut machine: StatusMachine<ComResult> =
            StatusMachine::typed(OperationKind::GpoBackup, Rules::documented());
        group.bench_function("state machine alone", |b| {
            b.iter(|| {
                let accepted =
                    machine.handle_progress(black_box(1), black_box(2), black_box(HResult::S_OK));
                black_box(accepted.is_ok())
            })
        });
        group.finish();
        assert_eq!(machine.anomalies(), &[]);
        for tracker in [sink.tracker(), observed.tracker()] {
            assert_eq!(tracker.try_outcome(), None);
            assert_eq!(
                tracker.updates_so_far().len(),
                1,
                "progress is one latest value"
            );
        }
        ratio(&floor, &object);
    }

    /// The sink's time per call over the floor's, from a plain timing of both (interleaved
    /// rounds, the best of each).
    fn ratio(floor: &IGPMAsyncProgress, sink: &IGPMAsyncProgress) {
        let calls = 200_000;
        let time = |target: &IGPMAsyncProgress| {
            let start = Instant::now();
            for _ in 0..calls {
                status(target);
            }
            start.elapsed().as_nanos() as f64 / f64::from(calls)
        };
        let (mut best_floor, mut best_sink) = (f64::MAX, f64::MAX);
        for _ in 0..10 {
            best_floor = best_floor.min(time(floor));
            best_sink = best_sink.min(time(sink));
        }
        println!(
            "progress sink: {best_sink:.1} ns per call, floor {best_floor:.1} ns: {:.2}x the floor (goal: at most 1.5x)",
            best_sink / best_floor
        );
    }

    pub fn run() {
        let mut criterion = Criterion::default().configure_from_args();
        bench(&mut criterion);
        criterion.final_summary();
    }
}

fn main() {
    #[cfg(all(windows, feature = "com"))]
    windows_bench::run();
}
