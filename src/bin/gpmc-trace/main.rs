//! `gpmc-trace`: check, show, simulate and watch traces of GPMC asynchronous operations.
//!
//! - `gpmc-trace check [--rules documented|strict] FILE...` judges traces: one JSON verdict
//!   per file (the `gpmc_progress` crate docs' "Checking traces" section), or diagnostics for
//!   people on a terminal;
//! - `gpmc-trace show FILE` lists a trace as a person reads it, one row per event;
//! - `gpmc-trace simulate OPERATION [options]` writes a realistic trace to standard output;
//! - `gpmc-trace demo [OPERATION] [options]` tracks a simulated operation live, or with
//!   `--trace FILE` a recorded one, at its recorded pace;
//! - `gpmc-trace record OPERATION [options]` runs one real GPMC operation (Windows, feature
//!   `com`) live and writes its trace.
//!
//! Every command exits with a status of the one table in [`exit::TABLE`].

use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::trace::TraceEvent;
use gpmc_progress::{HResult, OperationKind, ParseIdError, Preset, ResultType, Rule};

mod check;
mod demo;
mod diagnostic;
mod exit;
mod locate;
mod output;
mod record;
mod render;
mod show;
mod tap;

/// Check, simulate and watch traces of GPMC asynchronous operations
/// (IGPMAsyncProgress::Status call sequences, as JSON Lines).
#[derive(Debug, Parser)]
#[command(name = "gpmc-trace", version, after_help = exit::TABLE)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check traces: one verdict per file, as JSON (one line each) or as diagnostics for
    /// people (the default on a terminal).
    #[command(after_help = exit::TABLE)]
    Check(CheckArgs),
    /// Show a trace as a person reads it: one row per event with its line, the progress,
    /// the messages, the anomalies and violations, the end and what came after it.
    #[command(after_help = exit::TABLE)]
    Show(ShowArgs),
    /// Write a realistic trace of a simulated operation to standard output.
    #[command(after_help = exit::TABLE)]
    Simulate(SimulateArgs),
    /// Track a simulated operation live: the simulated server runs on its own thread, the
    /// engine judges its calls, and this draws a progress bar, the messages and the outcome.
    /// With --trace, a recorded run is the server: what GPMC did, and when.
    #[command(after_help = exit::TABLE)]
    Demo(DemoArgs),
    /// Run one real GPMC operation (Windows, feature com): drawn live as `demo` draws a
    /// simulated one, Ctrl-C as its cancel (a second Ctrl-C exits), its trace written to
    /// --out for `check` on any machine.
    ///
    /// Supported: gpo-backup, gpo-report, backup-report, rsop-report: the four that change
    /// nothing in the domain. Not yet: gpo-import, gpo-copy, domain-restore-gpo and the
    /// domain's Starter GPO loads and restores create or overwrite GPOs (they need more
    /// options and care); the Starter GPO methods need look-ups this command lacks. All 14
    /// can be recorded from a program through gpmc_progress::com and Call::record.
    ///
    /// Once recorded, the exit status is the one `check --rules R` gives the trace (0, 1 or
    /// 3); it is 2 when nothing could be recorded (GPMC missing, bad arguments, a look-up
    /// failed, the method failed to start, not built for Windows with com) or when the
    /// --report file cannot be written (the trace is kept).
    #[command(after_help = exit::TABLE)]
    Record(record::RecordArgs),
}

/// How `check` and `show` write what they found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people: diagnostics that point at the line (`check`), rows (`show`).
    Human,
    /// For programs: one JSON object per line.
    Json,
}

impl Format {
    /// The format asked for, else `human` when standard output is a terminal and `json`
    /// otherwise (so scripts reading a pipe get JSON).
    fn or_by_terminal(format: Option<Format>) -> Format {
        format.unwrap_or_else(|| {
            if io::stdout().is_terminal() {
                Format::Human
            } else {
                Format::Json
            }
        })
    }
}

/// When the human format uses colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (or CLICOLOR_FORCE forces them).
    Auto,
    /// Always, even in a file or a pipe.
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Whether to write colours on standard output.
    fn on_stdout(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => !matches!(
                anstream::AutoStream::choice(&io::stdout()),
                anstream::ColorChoice::Never
            ),
        }
    }
}

/// How `check` and `show` write: the format, and whether in colour.
#[derive(Debug, Args)]
struct OutputOptions {
    /// The output's format [default: human on a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,
    /// Colours in the human format.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The rules to judge by.
    #[arg(long, value_name = "PRESET", default_value = "documented", value_parser = ids(Preset::ALL, Preset::id))]
    rules: Preset,
    #[command(flatten)]
    output: OutputOptions,
    /// Trace files (JSON Lines); `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<OsString>,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The rules to judge by.
    #[arg(long, value_name = "PRESET", default_value = "documented", value_parser = ids(Preset::ALL, Preset::id))]
    rules: Preset,
    #[command(flatten)]
    output: OutputOptions,
    /// The trace file (JSON Lines); `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: OsString,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// The operation.
    #[arg(value_name = "OPERATION", value_parser = ids(OperationKind::ALL, OperationKind::id))]
    operation: OperationKind,
    #[command(flatten)]
    options: SimulationOptions,
    /// The simulated server's pace: milliseconds between two of its Status calls. Each line
    /// then carries its planned moment as `ms` [default: no pace, no `ms`].
    #[arg(long, value_name = "MS")]
    pace_ms: Option<u64>,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// The operation.
    #[arg(value_name = "OPERATION", default_value = "gpo-backup", value_parser = ids(OperationKind::ALL, OperationKind::id))]
    operation: OperationKind,
    #[command(flatten)]
    options: SimulationOptions,
    /// The rules the client judges the server by.
    #[arg(long, value_name = "PRESET", default_value = "documented", value_parser = ids(Preset::ALL, Preset::id))]
    rules: Preset,
    /// The asynchronous method fails with HR instead of starting: no Status call comes.
    #[arg(long, value_name = "HR", value_parser = parse_hresult)]
    fail_to_start: Option<HResult>,
    /// The server lets go at step K instead of making its call: the operation is abandoned.
    #[arg(long, value_name = "K")]
    let_go_at: Option<u32>,
    /// Overlapping calls: a second server thread repeats each plain progress call at the
    /// same moment.
    #[arg(long)]
    overlapping: bool,
    /// The simulated server's pace: milliseconds between two of its Status calls. Ctrl-C
    /// requests cancel, which the server answers at once; a second Ctrl-C exits at once.
    #[arg(long, value_name = "MS", default_value_t = 600)]
    pace_ms: u64,
    /// Play a recorded trace instead of simulating (from `record`, or any trace): its
    /// operation, its Status calls at their recorded moments (`ms`) and its client's cancel
    /// requests. Ctrl-C stops it there (the server lets go: no outcome); so does a trace
    /// that ends before its finishing call.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "operation", "extensions", "result_type", "warn_at", "warnings", "fail_at",
        "cancel_at", "break_rule", "seed", "fail_to_start", "let_go_at", "overlapping",
        "pace_ms", "cancel_answer",
    ])]
    trace: Option<OsString>,
    /// How much faster than recorded --trace plays: 2 is twice as fast, `inf` makes no
    /// pause.
    #[arg(long, value_name = "X", default_value_t = 1.0, requires = "trace", value_parser = parse_speed)]
    speed: f64,
}

/// A speed: a positive number (`inf` included).
fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed > 0.0 => Ok(speed),
        Ok(_) => Err(format!("{text} is not a positive number")),
        Err(error) => Err(format!("{error}")),
    }
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
    #[arg(long, value_name = "TYPE", value_parser = ids(ResultType::ALL, ResultType::id))]
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
    #[arg(long = "break", value_name = "RULE", value_parser = ids(Rule::ALL, Rule::id))]
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
    /// simulation's error is reported on standard error, and `Err` holds the exit status.
    fn events(
        &self,
        operation: OperationKind,
        pace: Duration,
    ) -> Result<(TimedEvents, u64), exit::Status> {
        let (simulation, seed) = self.simulation(operation);
        match simulation.pace(pace).timed_events() {
            Ok(events) => Ok((events, seed)),
            Err(error) => {
                eprintln!("gpmc-trace: {error}");
                Err(exit::Status::Error)
            }
        }
    }
}

/// A file argument as the human format names it: `<stdin>` for `-` (the JSON keeps `-`).
fn human_name(file: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    if file == "-" {
        "<stdin>".into()
    } else {
        file.to_string_lossy()
    }
}

/// The parser of an id (an operation, a result type, a rule, a preset): its ids are the
/// argument's possible values, which `--help` lists and an unknown one's error repeats.
fn ids<T>(all: &'static [T], id: fn(T) -> &'static str) -> impl TypedValueParser<Value = T>
where
    T: Copy + Send + Sync + std::str::FromStr<Err = ParseIdError> + 'static,
{
    PossibleValuesParser::new(all.iter().map(|value| PossibleValue::new(id(*value))))
        .try_map(|text| text.parse::<T>())
}

fn parse_hresult(text: &str) -> Result<HResult, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => check::run(args.rules, &args.output, &args.files),
        Command::Show(args) => show::run(args.rules, &args.output, &args.file),
        Command::Simulate(args) => simulate(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Record(args) => record::run(&args),
    };
    ExitCode::from(code)
}

fn simulate(args: &SimulateArgs) -> u8 {
    let pace = Duration::from_millis(args.pace_ms.unwrap_or(0));
    let (events, seed) = match args.options.events(args.operation, pace) {
        Ok(planned) => planned,
        Err(status) => return status.code(),
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
        Ok(()) => exit::Status::Complete.code(),
        Err(error) => output::failed(&error),
    }
}
