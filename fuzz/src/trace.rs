//! `trace_replay`: trace bytes through the reader and `replay` under both presets.

use std::io::BufReader;

use gpmc_progress::trace::{replay, TraceEvent, TraceReader, TraceWriter, Verdict};
use gpmc_progress::Rules;

const PRESETS: [Rules; 2] = [Rules::documented(), Rules::strict()];

/// Never panics; the verdict is deterministic (twice the same, and the same through a tiny
/// read buffer); every `ms` read is at least the last one read before it; what was read,
/// written back canonically with its `ms`, reads back as the same events at the same `ms`
/// and the same verdict (lines renumbered), and the canonical form is a fixed point; written
/// back without `ms`, it gives the same verdict (timing is not judged).
pub fn check(data: &[u8]) {
    let capacity = 1 + usize::from(data.first().copied().unwrap_or(0) % 7);
    for rules in PRESETS {
        let first = replay(data, rules);
        let again = replay(data, rules);
        assert_eq!(first.to_json("t"), again.to_json("t"));
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        let buffered = replay(BufReader::with_capacity(capacity, data), rules);
        assert_eq!(first.to_json("t"), buffered.to_json("t"));
    }

    // Every event the reader gives, with its line, and whether it stopped at an error.
    let mut reader = TraceReader::new(data);
    let mut events = Vec::new();
    let mut lines = Vec::new();
    let mut error_line = None;
    let mut last_ms = None;
    loop {
        match reader.read_line() {
            Ok(Some(traced)) => {
                assert!(lines.last().is_none_or(|last| *last < traced.line));
                if let Some(ms) = traced.ms {
                    assert!(ms <= i64::MAX as u64);
                    assert!(last_ms.is_none_or(|last| last <= ms), "ms went back");
                    last_ms = Some(ms);
                }
                lines.push(traced.line);
                events.push((traced.event, traced.ms));
            }
            Ok(None) => break,
            Err(error) => {
                error_line = Some(error.line);
                break;
            }
        }
    }
    assert!(reader.read_line().is_ok_and(|next| next.is_none()));
    if let Some(line) = error_line {
        // Reading from memory cannot fail: the error is the input's, on a line after the
        // last event.
        let line = line.expect("an input error names its line");
        assert!(lines.last().is_none_or(|last| *last < line));
    }

    let written = write(&events);
    let reread: Vec<(TraceEvent, Option<u64>)> = TraceReader::new(&written[..])
        .map(|traced| {
            let traced = traced.expect("a canonical trace reads");
            (traced.event, traced.ms)
        })
        .collect();
    assert_eq!(reread, events);
    assert_eq!(
        write(&reread),
        written,
        "the canonical form is a fixed point"
    );

    let untimed: Vec<(TraceEvent, Option<u64>)> = events
        .iter()
        .map(|(event, _)| (event.clone(), None))
        .collect();
    let untimed = write(&untimed);
    for rules in PRESETS {
        let original = replay(data, rules);
        if error_line.is_some() && matches!(original, Verdict::Error(_)) {
            continue;
        }
        // Event i (0-based) is on `lines[i]` in the input and on line i + 1 written back.
        let from_input = |line: u64| lines.binary_search(&line).map_or(0, |i| i as u64 + 1);
        let rewritten = replay(&written[..], rules);
        assert_eq!(
            normalized(&original, from_input),
            normalized(&rewritten, |line| line),
            "{}",
            String::from_utf8_lossy(&written)
        );
        let untimed = replay(&untimed[..], rules);
        assert_eq!(rewritten.to_json("t"), untimed.to_json("t"));
    }
}

/// The events written canonically, each with its `ms`.
fn write(events: &[(TraceEvent, Option<u64>)]) -> Vec<u8> {
    let mut writer = TraceWriter::new(Vec::new());
    for (event, ms) in events {
        writer
            .write_event_at(event, *ms)
            .expect("what was read is written");
    }
    writer.into_inner()
}

/// The verdict with every line number replaced by the event's position.
fn normalized(verdict: &Verdict, position: impl Fn(u64) -> u64) -> String {
    match verdict {
        Verdict::Finished { outcome, anomalies } => format!(
            "complete {outcome:?} {:?}",
            anomalies
                .iter()
                .map(|a| (position(a.line), a.anomaly))
                .collect::<Vec<_>>()
        ),
        Verdict::Violation {
            line,
            violation,
            end,
        } => format!("violation {} {violation:?} {end:?}", position(*line)),
        Verdict::Unfinished {
            progress,
            anomalies,
        } => format!(
            "incomplete {progress:?} {:?}",
            anomalies
                .iter()
                .map(|a| (position(a.line), a.anomaly))
                .collect::<Vec<_>>()
        ),
        Verdict::Error(error) => format!("error {:?} {}", error.line, error.kind),
        other => format!("{other:?}"),
    }
}
