//! The README's "Testing against the fake GPMC" code, word for word (`tests/readme.rs` keeps
//! the two identical): a user's function and its test, written with the public API and the
//! fake GPMC only (feature `com-fake`): no `unsafe`, no VARIANT.

#![cfg(all(windows, feature = "com-fake"))]

// The README's code:
use gpmc_progress::com::fake::FakeGpmc;
use gpmc_progress::com::{BackupExt, GpoExt, ReportFormat};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::{HResult, OperationKind};
use windows::Win32::System::GroupPolicy::IGPMGPO;

/// Your code: backs every GPO up into `dir` and returns each backup's HTML report.
fn back_up_all(gpos: &[IGPMGPO], dir: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut reports = Vec::new();
    for gpo in gpos {
        let outcome = gpo.backup(dir, "nightly").start()?.wait()?;
        let backup = outcome
            .result()
            .ok_or(format!("backup {}", outcome.kind()))?;
        let report = backup
            .interface()?
            .generate_report(ReportFormat::Html)
            .run_sync()?;
        reports.push(report.outcome.result().cloned().ok_or("no report")?);
    }
    Ok(reports)
}

#[test]
fn backs_up_every_gpo_and_reports() {
    let gpmc = FakeGpmc::new();
    let gpos = [gpmc.gpo(), gpmc.gpo()];
    assert_eq!(back_up_all(&gpos, r"C:\Backups").unwrap().len(), 2);
    drop(gpos);
    gpmc.join();
    assert_eq!(gpmc.objects_alive(), 0); // nothing leaked
}

#[test]
fn stops_at_a_failing_backup() {
    let gpmc = FakeGpmc::new()
        .simulation(Simulation::new(OperationKind::GpoBackup).fail_at(1, HResult::E_ACCESSDENIED));
    assert!(back_up_all(&[gpmc.gpo()], r"C:\Backups").is_err());
    gpmc.join();
    assert_eq!(gpmc.objects_alive(), 0);
}
