//! The sink's `Status` (progress only: no result, no messages) against a no-op
//! `IGPMAsyncProgress` in the same run, both called through the COM vtable as a server does.
//! Goal: the sink costs at most 2.5x the no-op call. A third figure, the state machine alone
//! (no COM, no lock) judging the same call the way the sink does (`handle_progress`, the
//! progress left unpolled to merge), shows how much of the sink's cost is the judging itself;
//! a fourth, the sink with an observer, the full path that every call then takes.
//! Windows only (CI runs it under Wine).

#[cfg(all(windows, feature = "com"))]
mod windows_bench {
    use std::hint::black_box;

    use criterion::Criterion;
    use gpmc_progress::com::{ComResult, ProgressSink};
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

    /// A sink that does nothing: the floor of a `Status` call through the vtable.
    #[implement(IGPMAsyncProgress)]
    struct NoopSink;

    impl IDispatch_Impl for NoopSink_Impl {
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
        // The real sink with its handle alive (a consumer exists, so updates are logged).
        let sink = ProgressSink::new(OperationKind::GpoBackup);
        let object = sink.interface();
        group.bench_function("progress sink", |b| b.iter(|| status(&object)));
        // With an observer every call takes the full path: judged, logged, and delivered.
        let observed: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
            .observer(|notification| {
                black_box(notification.updates());
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
        assert!(machine.poll_event().is_some() && machine.poll_event().is_none());
        assert!(sink.snapshot().anomalies().is_empty());
        assert!(observed.snapshot().anomalies().is_empty());
        assert!(
            sink.updates_so_far().len() <= 1,
            "unread progress is merged"
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
