//! The README's whole small tool, word for word (`tests/readme.rs` keeps the two identical):
//! a GPO looked up by its display name, backed up with progress shown, cancelled in time or
//! too late, reported; and its tests against the fake GPMC (feature `com-fake`). Written
//! with the public API only: no `unsafe`, no VARIANT.

#![cfg(all(windows, feature = "com-fake"))]

// The README's code:
use std::error::Error;
use std::time::Duration;

use gpmc_progress::com::{Gpm, GpoExt, Operation, ResultObject};
use gpmc_progress::live::{NoUpdate, Update};
use gpmc_progress::Event;
use windows::Win32::System::GroupPolicy::IGPMBackup;

/// A running backup: `Send + Sync`, so a Ctrl-C handler may cancel it from its own thread.
pub type Backup = Operation<ResultObject<IGPMBackup>>;

/// Your tool, part 1: finds the GPO named `name` in `domain` and starts its backup into
/// `dir`.
pub fn start_backup(
    gpm: &Gpm,
    domain: &str,
    name: &str,
    dir: &str,
) -> Result<Backup, Box<dyn Error>> {
    let domain = gpm.domain(domain, None)?;
    let gpo = match gpm.gpos_named(&domain, name)?.as_slice() {
        [gpo] => gpo.clone(),
        [] => return Err(format!("no GPO is named {name:?}").into()),
        several => return Err(format!("{} GPOs are named {name:?}", several.len()).into()),
    };
    Ok(gpo.backup(dir, "backed up by my tool").start()?)
}

/// Your tool, part 2: shows the backup's progress and messages as they come, then says
/// where the backup went, or why there is none.
pub fn report(backup: &Backup, show: &mut dyn FnMut(String)) -> Result<String, Box<dyn Error>> {
    let mut updates = backup.tracker().updates();
    loop {
        match updates.next_timeout(Duration::from_millis(100)) {
            Ok(Update::Event(Event::Progress(progress))) => {
                show(format!("{}%", progress.percent()))
            }
            Ok(Update::Event(Event::Message(message))) => {
                show(format!("warning: {}", message.message))
            }
            Ok(Update::End(_)) | Err(NoUpdate::Ended) => break,
            // Anything else, or the next tick of a user interface.
            _ => {}
        }
    }
    let outcome = backup.wait()?;
    match outcome.result() {
        Some(made) => Ok(format!("backed up: {}", made.description())),
        None => Err(format!("the backup {} ({:#})", outcome.kind(), outcome.hr()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gpmc_progress::com::fake::{FakeGpmc, DOMAIN};
    use gpmc_progress::simulate::Simulation;
    use gpmc_progress::{HResult, OperationKind};

    fn fake() -> FakeGpmc {
        FakeGpmc::new()
            .with_gpo("{0A000000-0000-4000-8000-00000000000A}", "Workstations")
            .with_gpo("{0B000000-0000-4000-8000-00000000000B}", "Servers")
            .with_gpo("{0C000000-0000-4000-8000-00000000000C}", "Servers")
    }

    #[test]
    fn backs_up_the_gpo_found_by_name() {
        let gpmc = fake().simulation(
            Simulation::new(OperationKind::GpoBackup)
                .extensions(3)
                .warning_at(1),
        );
        let gpm = Gpm::from(gpmc.gpm());
        let backup = start_backup(&gpm, DOMAIN, "Workstations", r"C:\Backups").unwrap();
        let mut shown = Vec::new();
        let done = report(&backup, &mut |line| shown.push(line)).unwrap();
        assert!(
            done.contains(", gpo {0A000000-0000-4000-8000-00000000000A}"),
            "{done}"
        );
        assert!(done.contains(r#"directory C:\Backups, comment "backed up by my tool""#));
        assert!(shown.iter().any(|line| line.starts_with("warning: ")));
        assert_eq!(shown.last().unwrap(), "100%");
        drop((backup, gpm));
        gpmc.join();
        assert_eq!(gpmc.objects_alive(), 0); // nothing leaked
    }

    #[test]
    fn a_name_must_name_one_gpo() {
        let gpmc = fake();
        let gpm = Gpm::from(gpmc.gpm());
        let none = start_backup(&gpm, DOMAIN, "Kiosks", r"C:\Backups").unwrap_err();
        assert_eq!(none.to_string(), r#"no GPO is named "Kiosks""#);
        let two = start_backup(&gpm, DOMAIN, "Servers", r"C:\Backups").unwrap_err();
        assert_eq!(two.to_string(), r#"2 GPOs are named "Servers""#);
    }

    #[test]
    fn a_cancel_in_time_stops_it_and_one_too_late_changes_nothing() {
        // A slow server: the cancel (a Ctrl-C) finds it between two steps.
        let gpmc = fake()
            .simulation(Simulation::new(OperationKind::GpoBackup).pace(Duration::from_secs(60)));
        let gpm = Gpm::from(gpmc.gpm());
        let backup = start_backup(&gpm, DOMAIN, "Workstations", r"C:\Backups").unwrap();
        let canceller = backup.clone();
        assert!(std::thread::spawn(move || canceller.cancel().in_time())
            .join()
            .unwrap());
        let stopped = report(&backup, &mut |_| {}).unwrap_err();
        assert_eq!(
            stopped.to_string(),
            "the backup cancelled (0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED)))"
        );
        assert!(!backup.cancel().in_time(), "the backup had ended");
    }

    #[test]
    fn a_failing_backup_says_why() {
        let gpmc = fake().simulation(
            Simulation::new(OperationKind::GpoBackup).fail_at(1, HResult::E_ACCESSDENIED),
        );
        let gpm = Gpm::from(gpmc.gpm());
        let backup = start_backup(&gpm, DOMAIN, "Workstations", r"C:\Backups").unwrap();
        let failed = report(&backup, &mut |_| {}).unwrap_err();
        assert_eq!(
            failed.to_string(),
            "the backup failed (0x80070005 (E_ACCESSDENIED))"
        );
    }
}
