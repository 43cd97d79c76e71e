//! The trace recorder: every `Status` call received and every cancel request, one flushed
//! JSON line each, in the trace format of the `trace` module.

use std::io::Write;

use super::{ComResult, Fault};
use crate::trace::{TraceEvent, TraceWriter};
use crate::{OperationKind, StatusCall};

/// Writes the sink's trace; it stops at the first write error.
pub(crate) struct Recorder {
    writer: TraceWriter<Box<dyn Write + Send>>,
    stopped: bool,
}

impl Recorder {
    /// A recorder that has written the `begin` line.
    pub(crate) fn begin(
        writer: Box<dyn Write + Send>,
        operation: OperationKind,
    ) -> Result<Self, Fault> {
        let mut recorder = Recorder {
            writer: TraceWriter::new(writer),
            stopped: false,
        };
        match recorder.line(&TraceEvent::Begin { operation }) {
            None => Ok(recorder),
            Some(fault) => Err(fault),
        }
    }

    /// Records one `Status` call as received (result as its plain description, messages and
    /// report text in full). Returns the fault if writing failed.
    pub(crate) fn status(&mut self, call: &StatusCall<ComResult>) -> Option<Fault> {
        let plain = StatusCall::new(
            call.numerator,
            call.denominator,
            call.hr,
            call.result
                .as_ref()
                .map(|result| result.description().clone()),
            call.messages.clone(),
        );
        self.line(&TraceEvent::Status(plain))
    }

    /// Records a cancel request.
    pub(crate) fn cancel(&mut self) -> Option<Fault> {
        self.line(&TraceEvent::Cancel)
    }

    /// Writes and flushes one line; after the first failure, nothing more is written (a
    /// trace with a hole would be checked as something that did not happen).
    fn line(&mut self, event: &TraceEvent) -> Option<Fault> {
        if self.stopped {
            return None;
        }
        let written = self
            .writer
            .write_event(event)
            .and_then(|()| self.writer.flush());
        let error = written.err()?;
        self.stopped = true;
        Some(Fault::RecordingFailed(format!(
            "writing the {} line: {error}",
            event.name()
        )))
    }
}
