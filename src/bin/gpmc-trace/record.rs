//! `gpmc-trace record`: one real GPMC operation (features `cli` and `com`, Windows), drawn
//! live as `demo` draws a simulated one, with Ctrl-C as its cancel, and its trace written for
//! `gpmc-trace check` on any machine.
//!
//! The subcommand is declared on every platform, so `--help` is the same everywhere; built
//! without Windows or the `com` feature, it says so and exits 2.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use gpmc_progress::Preset;

use crate::exit::Status;
use crate::ids;

/// The exit status when nothing could be recorded, or the report not written.
const ERROR: u8 = Status::Error.code();

/// The operation to run and record.
#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(subcommand)]
    pub operation: RecordOperation,
}

/// The recordable operations (4 of GPMC's 14 asynchronous methods).
#[derive(Debug, Subcommand)]
pub enum RecordOperation {
    /// IGPMGPO::Backup: backs the GPO up into --dir (which must exist).
    GpoBackup {
        #[command(flatten)]
        gpo: GpoTarget,
        /// The backup directory; it must already exist.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The backup's comment.
        #[arg(long, value_name = "TEXT", default_value = "")]
        comment: String,
        #[command(flatten)]
        trace: TraceOptions,
    },
    /// IGPMGPO::GenerateReport: the GPO's settings as an XML or HTML report.
    GpoReport {
        #[command(flatten)]
        gpo: GpoTarget,
        #[command(flatten)]
        report: ReportOptions,
        #[command(flatten)]
        trace: TraceOptions,
    },
    /// IGPMBackup::GenerateReport: the report of the GPO backup --id in --dir.
    BackupReport {
        /// The backup directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The backup's ID ({GUID}).
        #[arg(long, value_name = "GUID")]
        id: String,
        #[command(flatten)]
        report: ReportOptions,
        #[command(flatten)]
        trace: TraceOptions,
    },
    /// IGPMRSOP::GenerateReport: the Resultant Set of Policy in logging mode (IGPM::GetRSOP,
    /// CreateQueryResults before the report, ReleaseQueryResults after it).
    RsopReport {
        /// The computer whose RSoP data is read [default: GPMC's, the local computer].
        #[arg(long, value_name = "NAME")]
        computer: Option<String>,
        /// The user whose RSoP data is read, as DOMAIN\user [default: none, computer only].
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        #[command(flatten)]
        report: ReportOptions,
        #[command(flatten)]
        trace: TraceOptions,
    },
}

/// A GPO of a domain.
#[derive(Debug, Args)]
pub struct GpoTarget {
    /// The domain (DNS name), e.g. corp.example.
    #[arg(long, value_name = "DNS-NAME")]
    pub domain: String,
    /// The domain controller to use [default: the PDC emulator].
    #[arg(long, value_name = "NAME")]
    pub dc: Option<String>,
    /// The GPO: its ID ({GUID}) or its display name (which must name exactly one GPO).
    #[arg(long, value_name = "GPO", value_parser = parse_gpo)]
    pub gpo: GpoName,
}

/// A report's format and where it goes.
#[derive(Debug, Args)]
pub struct ReportOptions {
    /// The report's format.
    #[arg(long, value_enum, default_value_t = Format::Xml)]
    pub format: Format,
    /// Where to write the report [default: nowhere, only the trace is kept].
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Where the trace goes and the rules it is judged by.
#[derive(Debug, Args)]
pub struct TraceOptions {
    /// The trace file (JSON Lines, for `gpmc-trace check`); created once the GPMC objects
    /// are found, just before the method starts.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The rules the client judges the server by.
    #[arg(long, value_name = "PRESET", default_value = "documented", value_parser = ids(Preset::ALL, Preset::id))]
    pub rules: Preset,
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Xml,
    Html,
}

/// How the GPO is named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpoName {
    /// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`: the GPO's ID.
    Id(String),
    /// Anything else: its display name.
    DisplayName(String),
}

impl std::fmt::Display for GpoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GpoName::Id(id) => f.write_str(id),
            GpoName::DisplayName(name) => write!(f, "\"{name}\""),
        }
    }
}

/// A GUID in braces is an ID, anything else (not empty) a display name.
fn parse_gpo(text: &str) -> Result<GpoName, String> {
    if text.trim().is_empty() {
        return Err("a GPO ID or display name cannot be empty".to_owned());
    }
    if is_braced_guid(text) {
        Ok(GpoName::Id(text.to_owned()))
    } else {
        Ok(GpoName::DisplayName(text.to_owned()))
    }
}

fn is_braced_guid(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        return false;
    };
    let groups: Vec<&str> = inner.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Runs the operation; returns the exit status.
pub fn run(args: &RecordArgs) -> u8 {
    #[cfg(all(windows, feature = "com"))]
    {
        windows::run(args)
    }
    #[cfg(not(all(windows, feature = "com")))]
    {
        let _ = &args.operation;
        eprintln!("gpmc-trace: record needs Windows and the com feature (this gpmc-trace was built without them)");
        ERROR
    }
}

#[cfg(all(windows, feature = "com"))]
mod windows {
    use std::fs::File;
    use std::io;
    use std::sync::mpsc;

    use gpmc_progress::com::{
        gpo_name_and_id, AsyncMethod, BackupExt, Call, FromComResult, Gpm, GpoExt, ReportFormat,
        RsopExt,
    };
    use gpmc_progress::live::Update;
    use gpmc_progress::{Event, Rules};
    use windows::Win32::System::GroupPolicy::IGPMGPO;

    use super::ERROR;
    use super::{
        Format, GpoName, GpoTarget, RecordArgs, RecordOperation, ReportOptions, TraceOptions,
    };
    use crate::exit::Status;
    use crate::output;
    use crate::render::{self, AtViolation, Display, Follow, Told};

    pub fn run(args: &RecordArgs) -> u8 {
        let gpm = match Gpm::new() {
            Ok(gpm) => gpm,
            Err(error) => {
                eprintln!(
                    "gpmc-trace: creating GPMgmt.GPM failed ({error}): is the Group Policy Management Console installed?"
                );
                return ERROR;
            }
        };
        match &args.operation {
            RecordOperation::GpoBackup {
                gpo,
                dir,
                comment,
                trace,
            } => match find_gpo(&gpm, gpo) {
                Ok((object, name)) => record(
                    object.backup(dir, comment),
                    &format!("backing up GPO {name} to {}", dir.display()),
                    trace,
                    |_| Ok(()),
                ),
                Err(code) => code,
            },
            RecordOperation::GpoReport { gpo, report, trace } => match find_gpo(&gpm, gpo) {
                Ok((object, name)) => record(
                    object.generate_report(format(report)),
                    &format!("the report of GPO {name}"),
                    trace,
                    |text| save_report(report, text),
                ),
                Err(code) => code,
            },
            RecordOperation::BackupReport {
                dir,
                id,
                report,
                trace,
            } => match gpm.backup(dir, id) {
                Ok(backup) => record(
                    backup.generate_report(format(report)),
                    &format!("the report of backup {id} in {}", dir.display()),
                    trace,
                    |text| save_report(report, text),
                ),
                Err(error) => {
                    eprintln!(
                        "gpmc-trace: finding the backup {id} in {} failed ({error})",
                        dir.display()
                    );
                    ERROR
                }
            },
            RecordOperation::RsopReport {
                computer,
                user,
                report,
                trace,
            } => match gpm.rsop_logging(computer.as_deref(), user.as_deref()) {
                // The query results are released when `query` is dropped, after the report.
                Ok(query) => record(
                    query.rsop().generate_report(format(report)),
                    &format!(
                        "the RSoP report of computer {} and user {}",
                        computer.as_deref().unwrap_or("(local)"),
                        user.as_deref().unwrap_or("(none)")
                    ),
                    trace,
                    |text| save_report(report, text),
                ),
                Err(error) => {
                    eprintln!("gpmc-trace: creating the RSoP query results failed ({error})");
                    ERROR
                }
            },
        }
    }

    fn format(report: &ReportOptions) -> ReportFormat {
        match report.format {
            Format::Xml => ReportFormat::Xml,
            Format::Html => ReportFormat::Html,
        }
    }

    /// The GPO and how to name it in messages; `Err` holds the exit status (2), the error
    /// already on standard error.
    fn find_gpo(gpm: &Gpm, target: &GpoTarget) -> Result<(IGPMGPO, String), u8> {
        let domain = gpm
            .domain(&target.domain, target.dc.as_deref())
            .map_err(|error| {
                eprintln!(
                    "gpmc-trace: opening the domain {} failed ({error})",
                    target.domain
                );
                ERROR
            })?;
        let gpo = match &target.gpo {
            GpoName::Id(id) => Gpm::gpo(&domain, id).map_err(|error| {
                eprintln!(
                    "gpmc-trace: finding the GPO {id} in {} failed ({error})",
                    target.domain
                );
                ERROR
            })?,
            GpoName::DisplayName(name) => {
                let mut found = gpm.gpos_named(&domain, name).map_err(|error| {
                    eprintln!(
                        "gpmc-trace: searching {} for the GPO named \"{name}\" failed ({error})",
                        target.domain
                    );
                    ERROR
                })?;
                if found.len() != 1 {
                    eprintln!(
                        "gpmc-trace: {} GPOs of {} are named \"{name}\" (expected exactly one; name it by its ID)",
                        found.len(),
                        target.domain
                    );
                    return Err(ERROR);
                }
                found.remove(0)
            }
        };
        let name = match gpo_name_and_id(&gpo) {
            Ok((name, id)) => format!("\"{name}\" {id}"),
            Err(_) => target.gpo.to_string(),
        };
        Ok((gpo, name))
    }

    fn save_report(report: &ReportOptions, text: &String) -> Result<(), String> {
        match &report.report {
            Some(path) => std::fs::write(path, text)
                .map_err(|error| format!("cannot write the report to {}: {error}", path.display())),
            None => Ok(()),
        }
    }

    /// Starts the call with the trace written to `--out`, draws it until its end, then hands
    /// a successful typed result to `keep`; returns the exit status.
    fn record<M: AsyncMethod>(
        call: Call<'_, M>,
        what: &str,
        trace: &TraceOptions,
        keep: impl FnOnce(&M::Output) -> Result<(), String>,
    ) -> u8
    where
        M::Output: FromComResult,
    {
        let file = match File::create(&trace.out) {
            Ok(file) => file,
            Err(error) => {
                eprintln!(
                    "gpmc-trace: cannot create the trace file {}: {error}",
                    trace.out.display()
                );
                return ERROR;
            }
        };
        let (to_main, from_server) = mpsc::channel::<Told<_>>();
        // Ctrl-C is the client's cancel; a second one exits at once (130).
        let interrupts = render::interrupts();
        let operation = match call
            .rules(Rules::preset(trace.rules))
            .observer(move |notification| {
                // The main thread may have stopped listening (it exits at a violation).
                if let Some(told) = Told::of(notification) {
                    let _ = to_main.send(told);
                }
            })
            .record(file)
            .start()
        {
            Ok(operation) => operation,
            Err(error) => {
                eprintln!(
                    "gpmc-trace: {} failed to start: {error} (the trace {} holds the failure)",
                    M::KIND.gpmc_method(),
                    trace.out.display()
                );
                return ERROR;
            }
        };
        let shown = Display::open().and_then(|mut display| {
            display.start_bar(M::KIND.gpmc_method(), 1);
            display.line(&format!(
                "{} ({}): {what}; rules {}, trace {} (Ctrl-C cancels)",
                M::KIND.gpmc_method(),
                M::KIND,
                trace.rules,
                trace.out.display()
            ))?;
            let follow = Follow {
                from_server: &from_server,
                interrupts: &interrupts,
            };
            let stopped = follow.show(
                &mut display,
                |display| {
                    display.line("client: IGPMAsyncCancel::Cancel (Ctrl-C)")?;
                    match operation.cancel().server_answer() {
                        Some(answer) if answer.is_failure() => {
                            display.line(&format!("cancel failed: {answer:#}"))
                        }
                        _ => Ok(()),
                    }
                },
                AtViolation::WaitForServer,
            )?;
            if let Some(code) = stopped {
                display.close()?;
                return Ok(code);
            }
            let end = operation.tracker().wait();
            let anomalies = operation
                .tracker()
                .updates_so_far()
                .iter()
                .filter(|update| matches!(update, Update::Event(Event::Anomaly(_))))
                .count();
            let result = end
                .as_ref()
                .ok()
                .and_then(|outcome| outcome.result())
                .map(|result| result.description());
            let code = render::show_end(
                &end,
                result.map(|r| r as &dyn std::fmt::Display),
                anomalies,
                &mut display,
            )?;
            // GPMC runs in this process: wait for it to let go of the operation, showing
            // what it does after the end (a late call makes the trace a violation).
            let code = if follow.after_end(&mut display)? {
                Status::Violation.code()
            } else {
                code
            };
            if let Ok(Ok(outcome)) = end.as_ref().map(|_| operation.wait()) {
                if let Some(result) = outcome.result() {
                    if let Err(error) = keep(result) {
                        display.close()?;
                        eprintln!("gpmc-trace: {error}");
                        return Ok(code.max(ERROR));
                    }
                }
            }
            display.close()?;
            Ok(code)
        });
        shown.unwrap_or_else(|error: io::Error| output::failed(&error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_braced_guid_is_an_id_anything_else_a_display_name() {
        let id = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
        assert_eq!(parse_gpo(id), Ok(GpoName::Id(id.to_owned())));
        assert_eq!(
            parse_gpo("{31b2f340-016d-11d2-945f-00c04fb984f9}"),
            Ok(GpoName::Id(
                "{31b2f340-016d-11d2-945f-00c04fb984f9}".to_owned()
            ))
        );
        for name in [
            "Default Domain Policy",
            "31B2F340-016D-11D2-945F-00C04FB984F9",
            "{31B2F340-016D-11D2-945F-00C04FB984F}",
            "{31B2F340-016D-11D2-945F-00C04FB984FG}",
            "{31B2F340016D-11D2-945F-00C04FB984F9-}",
            "{}",
        ] {
            assert_eq!(
                parse_gpo(name),
                Ok(GpoName::DisplayName(name.to_owned())),
                "{name}"
            );
        }
        assert!(parse_gpo("  ").is_err());
    }

    #[test]
    fn the_readme_s_commands_parse() {
        use clap::Parser;
        let parse = |args: &[&str]| match crate::Cli::try_parse_from(args) {
            Ok(crate::Cli {
                command: crate::Command::Record(record),
            }) => record.operation,
            other => panic!("{args:?}: {other:?}"),
        };
        let backup = parse(&[
            "gpmc-trace",
            "record",
            "gpo-backup",
            "--domain",
            "corp.example",
            "--gpo",
            "{31B2F340-016D-11D2-945F-00C04FB984F9}",
            "--dir",
            r"C:\Backups",
            "--out",
            "backup.jsonl",
        ]);
        let RecordOperation::GpoBackup {
            gpo,
            dir,
            comment,
            trace,
        } = backup
        else {
            panic!("{backup:?}")
        };
        assert_eq!(
            gpo.gpo,
            GpoName::Id("{31B2F340-016D-11D2-945F-00C04FB984F9}".into())
        );
        assert_eq!((gpo.domain.as_str(), gpo.dc), ("corp.example", None));
        assert_eq!((dir, comment.as_str()), (PathBuf::from(r"C:\Backups"), ""));
        assert_eq!(
            (trace.out, trace.rules),
            (PathBuf::from("backup.jsonl"), Preset::Documented)
        );
        let report = parse(&[
            "gpmc-trace",
            "record",
            "gpo-report",
            "--domain",
            "corp.example",
            "--gpo",
            "Default Domain Policy",
            "--format",
            "html",
            "--report",
            "ddp.html",
            "--out",
            "r.jsonl",
            "--rules",
            "strict",
        ]);
        let RecordOperation::GpoReport { gpo, report, trace } = report else {
            panic!("{report:?}")
        };
        assert_eq!(
            gpo.gpo,
            GpoName::DisplayName("Default Domain Policy".into())
        );
        assert_eq!(
            (report.format, report.report),
            (Format::Html, Some("ddp.html".into()))
        );
        assert_eq!(trace.rules, Preset::Strict);
        let rsop = parse(&[
            "gpmc-trace",
            "record",
            "rsop-report",
            "--user",
            r"CORP\alice",
            "--out",
            "r.jsonl",
        ]);
        let RecordOperation::RsopReport {
            computer,
            user,
            report,
            ..
        } = rsop
        else {
            panic!("{rsop:?}")
        };
        assert_eq!((computer, user.as_deref()), (None, Some(r"CORP\alice")));
        assert_eq!((report.format, report.report), (Format::Xml, None));
    }
}
