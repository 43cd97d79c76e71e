//! The trace recorder: every `Status` call received and every cancel request before the
//! end, one flushed JSON line each, in the trace format (feature `trace`). Lines are encoded
//! before the state's lock is taken, queued in the judged order under it, and written by the
//! delivery thread.

use std::io::{self, Write};

use super::unwind::catch;
use super::Fault;

/// Where the recorder's lines go: a writer that writes and flushes a whole line.
pub(crate) trait LineWriter: Send {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()>;
}

impl<W: Write + Send> LineWriter for W {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.write_all(line)?;
        self.flush()
    }
}

/// The `cancel` line.
pub(crate) fn cancel_line() -> Vec<u8> {
    b"{\"event\":\"cancel\"}\n".to_vec()
}

/// Writes the line of an `event` (`begin`, `status` or `cancel`), the writer's panic
/// caught. `Err` means recording stops for good.
pub(crate) fn write_line(
    writer: &mut dyn LineWriter,
    event: &str,
    line: &[u8],
) -> Result<(), Fault> {
    match catch(|| writer.write_line(line)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Fault::RecordingFailed(format!(
            "writing the {event} line: {error}"
        ))),
        Err(message) => Err(Fault::RecordingFailed(format!(
            "the writer panicked while writing the {event} line: {message}"
        ))),
    }
}

/// Drops a writer whose recording stopped, its panic caught and returned as a fault.
pub(crate) fn drop_writer(writer: Box<dyn LineWriter>) -> Option<Fault> {
    catch(move || drop(writer))
        .err()
        .map(|message| Fault::RecordingFailed(format!("dropping the writer panicked: {message}")))
}

/// The `begin` line of an operation, at its moment 0.
#[cfg(feature = "trace")]
pub(crate) fn begin_line(operation: crate::OperationKind) -> Vec<u8> {
    crate::trace::EventOut::begin(operation, Some(0)).to_line()
}

/// A line encoded without its moment, with it.
pub(crate) fn at_moment(line: &[u8], ms: u64) -> Vec<u8> {
    #[cfg(feature = "trace")]
    return crate::trace::with_ms(line, ms);
    // Without feature `trace` nothing is recorded.
    #[cfg(not(feature = "trace"))]
    {
        let _ = ms;
        line.to_vec()
    }
}

/// The `status` line of a call.
#[cfg(feature = "trace")]
pub(crate) fn status_line<R: AsRef<crate::ResultDescription>>(
    call: &crate::StatusCall<R>,
) -> Vec<u8> {
    crate::trace::status_line(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Panicking;
    impl Write for Panicking {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            panic!("writer broke")
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_error_names_the_line() {
        let fault = write_line(&mut Failing, "cancel", &cancel_line()).unwrap_err();
        assert_eq!(
            fault,
            Fault::RecordingFailed("writing the cancel line: disk full".into())
        );
    }

    #[test]
    fn a_panicking_writer_is_a_recording_failure() {
        let fault = write_line(&mut Panicking, "status", b"{\"event\":\"status\"}\n").unwrap_err();
        assert_eq!(
            fault,
            Fault::RecordingFailed(
                "the writer panicked while writing the status line: writer broke".into()
            )
        );
    }
}
