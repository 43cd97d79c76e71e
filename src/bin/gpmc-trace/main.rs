//! `gpmc-trace`: check, simulate and watch traces of GPMC asynchronous operations.
//!
//! - `gpmc-trace check [--rules documented|strict] FILE...` prints one JSON verdict per file
//!   (the `gpmc_progress` crate docs' "Checking traces" section) and exits 0 complete,
//!   1 violation, 3 incomplete, 2 error;
//! - `gpmc-trace simulate OPERATION [options]` writes a realistic trace to standard output;
//! - `gpmc-trace demo [OPERATION] [options]` tracks a simulated operation live;
//! - `gpmc-trace record OPERATION [options]` runs one real GPMC operation (Windows, feature
//!   `com`) live and writes its trace.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::trace::TraceEvent;
use gpmc_progress::{HResult, OperationKind, Preset, ResultType, Rule};

mod check;
mod demo;
mod output;
mod record;
mod render;

/// Check, simulate and watch traces of GPMC asynchronous operations
/// (IGPMAsyncProgress::Status call sequences, as JSON Lines).
#[derive(Debug, Parser)]
#[command(name = "gpmc-trace", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check traces: one JSON verdict per file on standard output. Exit status: 0 complete,
    /// 1 violation, 3 incomplete, 2 error (for several files the worst, in that order:
    /// 2, 1, 3, 0).
    Check(CheckArgs),
    /// Write a realistic trace of a simulated operation to standard output.
    Simulate(SimulateArgs),
    /// Track a simulated operation live: the simulated server runs on its own thread, the
    /// engine judges its calls, and this draws a progress bar, the messages and the outcome.
    Demo(DemoArgs),
    /// Run one real GPMC operation (Windows, feature com): drawn live as `demo` draws a
    /// simulated one, Ctrl-C as its cancel (a second Ctrl-C exits 130), its trace written to
    /// --out for `check` on any machine. Supported: gpo-backup, gpo-report, backup-report,
    /// rsop-report. Exit status: 2 when nothing could be recorded (GPMC missing, bad
    /// arguments, a look-up failed, the method failed to start, not built for Windows with
    /// com), otherwise what `check --rules R` says of the trace: 0 complete, 1 violation,
    /// 3 incomplete.
    Record(record::RecordArgs),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The rules to judge by: documented or strict.
    #[arg(long, value_name = "PRESET", default_value = "documented", value_parser = parse_preset)]
    rules: Preset,
    /// Trace files (JSON Lines); `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<OsString>,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// The operation: gpo-backup, gpo-import, gpo-copy, gpo-report, domain-restore-gpo,
    /// backup-report, rsop-report, domain-load-starter-gpo, domain-restore-starter-gpo,
    /// starter-gpo-save, starter-gpo-backup, starter-gpo-copy, starter-gpo-report,
    /// starter-gpo-backup-report or unknown.
    #[arg(value_name = "OPERATION", value_parser = parse_operation)]
    operation: OperationKind,
    #[command(flatten)]
    options: SimulationOptions,
    /// Milliseconds between two Status calls of the simulated server (its pace): each line
    /// then carries its planned moment as `ms` [default: no pace, no `ms`].
    #[arg(long, value_name = "MS")]
    delay_ms: Option<u64>,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// The operation (see `simulate`).
    #[arg(value_name = "OPERATION", default_value = "gpo-backup", value_parser = parse_operation)]
    operation: OperationKind,
    #[command(flatten)]
    options: SimulationOptions,
    /// The rules the client judges the server by: documented or strict.
    #[arg(long, value_name = "PRESET", default_value = "documented", value_parser = parse_preset)]
    rules: Preset,
    /// The asynchronous method fails with HR instead of starting: no Status call comes.
    #[arg(long, value_name = "HR", value_parser = parse_hresult)]
    fail_to_start: Option<HResult>,
    /// The server lets go at step K instead of making its call: the operation is abandoned.
    #[arg(long, value_name = "K")]
    let_go_at: Option<u32>,
    /// A second server thread repeats each plain progress call at the same moment.
    #[arg(long)]
    two_threads: bool,
    /// Milliseconds between two Status calls of the simulated server (its pace). Ctrl-C
    /// requests cancel, which the server answers at once; a second Ctrl-C exits (130).
    #[arg(long, value_name = "MS", default_value_t = 600)]
    delay_ms: u64,
}

/// Trace events, each with its `ms` or none.
type TimedEvents = Vec<(TraceEvent, Option<u64>)>;

/// What the simulated server does (shared by `simulate` and `demo`).
#[derive(Debug, Args)]
struct SimulationOptions {
    /// Client-side extensions to walk over: the denominator [default: 3 to 8, from the seed].
    #[arg(long, value_name = "N")]
    extensions: Option<u32>,
    /// The result's type on success [default: the operation's].
    #[arg(long, value_name = "TYPE", value_parser = parse_result_type)]
    result_type: Option<ResultType>,
    /// A warning message at step K (step K reports K/N); repeatable.
    #[arg(long = "warn-at", value_name = "K")]
    warn_at: Vec<u32>,
    /// N more warnings at steps picked by the seed.
    #[arg(long, value_name = "N", default_value_t = 0)]
    warnings: u32,
    /// Fail at step K: the server ends the operation there with a finishing N/N call.
    #[arg(long, value_name = "K")]
    fail_at: Option<u32>,
    /// The failure's HRESULT.
    #[arg(long, value_name = "HR", default_value = "0x80004005", value_parser = parse_hresult, requires = "fail_at")]
    fail_hr: HResult,
    /// The client requests cancel right after step K.
    #[arg(long, value_name = "K")]
    cancel_at: Option<u32>,
    /// The server's answer to a cancel (planned with --cancel-at, or Ctrl-C in `demo`): a
    /// failure ends the operation as cancelled, a success means the cancel came too late.
    #[arg(long, value_name = "HR", default_value = "0x800704C7", value_parser = parse_hresult)]
    cancel_answer: HResult,
    /// Break this rule on purpose (to test checkers and clients).
    #[arg(long = "break", value_name = "RULE", value_parser = parse_rule)]
    break_rule: Option<Rule>,
    /// The seed of the random choices [default: from the clock; `simulate` prints it on
    /// standard error, `demo` in its first line].
    #[arg(long, value_name = "SEED")]
    seed: Option<u64>,
}

impl SimulationOptions {
    /// The simulation and its seed.
    fn simulation(&self, operation: OperationKind) -> (Simulation, u64) {
        let seed = self.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        let mut simulation = Simulation::new(operation)
            .seed(seed)
            .random_warnings(self.warnings)
            .cancel_answer(self.cancel_answer);
        if let Some(extensions) = self.extensions {
            simulation = simulation.extensions(extensions);
        }
        if let Some(result_type) = self.result_type {
            simulation = simulation.result_type(result_type);
        }
        for step in &self.warn_at {
            simulation = simulation.warning_at(*step);
        }
        if let Some(step) = self.fail_at {
            simulation = simulation.fail_at(step, self.fail_hr);
        }
        if let Some(step) = self.cancel_at {
            simulation = simulation.cancel_at(step, self.cancel_answer);
        }
        if let Some(rule) = self.break_rule {
            simulation = simulation.break_rule(rule);
        }
        (simulation, seed)
    }

    /// The simulation's events at their planned moments (at `pace`) and its seed; the
    /// simulation's error is reported on standard error, and `Err` holds the exit status (2).
    fn events(&self, operation: OperationKind, pace: Duration) -> Result<(TimedEvents, u64), u8> {
        let (simulation, seed) = self.simulation(operation);
        match simulation.pace(pace).timed_events() {
            Ok(events) => Ok((events, seed)),
            Err(error) => {
                eprintln!("gpmc-trace: {error}");
                Err(2)
            }
        }
    }
}

fn parse_preset(text: &str) -> Result<Preset, String> {
    text.parse()
        .map_err(|e| format!("{e} (expected documented or strict)"))
}

fn parse_operation(text: &str) -> Result<OperationKind, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn parse_result_type(text: &str) -> Result<ResultType, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn parse_rule(text: &str) -> Result<Rule, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn parse_hresult(text: &str) -> Result<HResult, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => check::run(args.rules, &args.files),
        Command::Simulate(args) => simulate(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Record(args) => record::run(&args),
    };
    ExitCode::from(code)
}

fn simulate(args: &SimulateArgs) -> u8 {
    let pace = Duration::from_millis(args.delay_ms.unwrap_or(0));
    let (events, seed) = match args.options.events(args.operation, pace) {
        Ok(planned) => planned,
        Err(code) => return code,
    };
    if args.options.seed.is_none() {
        eprintln!("gpmc-trace: seed {seed}");
    }
    let written = output::StandardOutput::open().and_then(|stdout| {
        let mut writer = gpmc_progress::trace::TraceWriter::new(std::io::BufWriter::new(stdout));
        for (event, ms) in &events {
            writer.write_event_at(event, *ms)?;
        }
        // Flushes the buffer, then standard output itself.
        writer.flush()
    });
    match written {
        Ok(()) => 0,
        Err(error) => output::failed(&error),
    }
}
