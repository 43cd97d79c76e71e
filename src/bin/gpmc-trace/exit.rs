//! The one table of exit statuses: every command keeps to it, every `--help` shows it and
//! the README quotes it word for word (tests/readme.rs compares them).

use gpmc_progress::live::TrackError;
use gpmc_progress::trace::Verdict;
use gpmc_progress::OperationOutcome;

/// The table, as `--help` shows it after each command's options.
pub const TABLE: &str = "\
Exit status (the same for check, show, demo and record):
  0    the operation ended: succeeded, failed or cancelled (a complete trace)
  1    the server broke a rule in force (a violation, also one after the end)
  2    an error: bad arguments, an unreadable trace, nothing run or recorded, or
       standard output that cannot be written
  3    no outcome: the trace or the run stopped before the finishing call (an
       incomplete trace, a method that failed to start, a server that let go)
  130  a second Ctrl-C (demo, record): exited without waiting for the end
check with several files: 2 if any file gives 2, else 1 if any gives 1, else 3
if any gives 3, else 0. simulate: 0, or 2 on an error.";

/// One row of [`TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: the operation ended (succeeded, failed or cancelled).
    Complete,
    /// 1: a violation.
    Violation,
    /// 2: an error.
    Error,
    /// 3: no outcome.
    Incomplete,
    /// 130: a second Ctrl-C.
    Interrupted,
}

impl Status {
    /// The process's exit status.
    pub const fn code(self) -> u8 {
        match self {
            Status::Complete => 0,
            Status::Violation => 1,
            Status::Error => 2,
            Status::Incomplete => 3,
            Status::Interrupted => 130,
        }
    }

    /// The status of a trace's verdict.
    pub fn of_verdict(verdict: &Verdict) -> Self {
        match verdict {
            Verdict::Finished { .. } => Status::Complete,
            Verdict::Violation { .. } => Status::Violation,
            Verdict::Unfinished { .. } => Status::Incomplete,
            // An error, and any verdict a later version adds, until it has its own status.
            _ => Status::Error,
        }
    }

    /// The status of a tracked operation's end: what `check` gives its trace.
    pub fn of_end<R>(end: &Result<OperationOutcome<R>, TrackError>) -> Self {
        match end {
            Ok(_) => Status::Complete,
            Err(TrackError::Violation(_)) => Status::Violation,
            Err(_) => Status::Incomplete,
        }
    }

    /// The status of several files: the first of 2, 1, 3, 0 that any has (0 for none).
    pub fn combined(statuses: impl IntoIterator<Item = Status>) -> Self {
        let rank = |status: &Status| match status {
            Status::Interrupted => 4,
            Status::Error => 3,
            Status::Violation => 2,
            Status::Incomplete => 1,
            Status::Complete => 0,
        };
        statuses
            .into_iter()
            .max_by_key(rank)
            .unwrap_or(Status::Complete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gpmc_progress::trace::replay;
    use gpmc_progress::{HResult, Rules};

    #[test]
    fn several_files_give_the_first_of_2_1_3_0() {
        use Status::*;
        let combined = |statuses: &[Status]| Status::combined(statuses.iter().copied()).code();
        assert_eq!(combined(&[]), 0);
        assert_eq!(combined(&[Complete, Complete]), 0);
        assert_eq!(combined(&[Complete, Incomplete, Violation, Complete]), 1);
        assert_eq!(combined(&[Incomplete, Complete]), 3);
        assert_eq!(combined(&[Violation, Error]), 2);
        assert_eq!(combined(&[Error, Incomplete, Violation, Complete]), 2);
    }

    #[test]
    fn each_verdict_has_its_row() {
        for (trace, code) in [
            (
                "{\"event\":\"status\",\"numerator\":1,\"denominator\":1}",
                0,
            ),
            (
                "{\"event\":\"status\",\"numerator\":2,\"denominator\":1}",
                1,
            ),
            (
                "{\"event\":\"status\",\"numerator\":0,\"denominator\":1}",
                3,
            ),
            ("{\"event\":\"status\"}", 2),
        ] {
            let verdict = replay(trace.as_bytes(), Rules::strict());
            assert_eq!(Status::of_verdict(&verdict).code(), code, "{trace}");
        }
    }

    #[test]
    fn a_tracked_end_has_the_row_check_gives_its_trace() {
        let failed: Result<OperationOutcome<()>, TrackError> = Ok(OperationOutcome::new(
            HResult::E_ACCESSDENIED,
            false,
            None,
            vec![],
        ));
        assert_eq!(Status::of_end(&failed), Status::Complete, "a failure ended");
        let start_failed: Result<OperationOutcome<()>, TrackError> =
            Err(TrackError::StartFailed(HResult::E_ACCESSDENIED));
        assert_eq!(Status::of_end(&start_failed), Status::Incomplete);
        let abandoned: Result<OperationOutcome<()>, TrackError> =
            Err(TrackError::Abandoned { calls_received: 1 });
        assert_eq!(Status::of_end(&abandoned).code(), 3);
    }

    #[test]
    fn the_table_names_every_code_once() {
        for status in [
            Status::Complete,
            Status::Violation,
            Status::Error,
            Status::Incomplete,
            Status::Interrupted,
        ] {
            let row = format!("\n  {:<4} ", status.code());
            assert_eq!(TABLE.matches(&row).count(), 1, "{row:?}");
        }
        assert!(TABLE.lines().all(|line| line.len() <= 80), "{TABLE}");
    }
}
