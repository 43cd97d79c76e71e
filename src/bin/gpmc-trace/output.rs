//! Standard output with every write checked.
//!
//! std's `Stdout` reports a write that fails with EBADF (standard output not open for
//! writing) as a success, so the commands write through their own handle on file
//! descriptor 1 instead: every failure (EBADF, ENOSPC, EPIPE, ...) comes back as an error,
//! is reported on standard error by [`failed`] and ends the command with exit status 2.

use std::io::{self, IsTerminal, Write};

/// The process's standard output. On unix a duplicate of file descriptor 1 written to
/// directly (wrap it in a `BufWriter` or `LineWriter`); elsewhere std's `Stdout`.
#[derive(Debug)]
pub struct StandardOutput(Inner);

#[cfg(unix)]
type Inner = std::fs::File;
#[cfg(not(unix))]
type Inner = io::Stdout;

impl StandardOutput {
    /// Standard output; an error (EBADF) when file descriptor 1 is not open.
    pub fn open() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            let fd = io::stdout().as_fd().try_clone_to_owned()?;
            Ok(StandardOutput(std::fs::File::from(fd)))
        }
        #[cfg(not(unix))]
        {
            Ok(StandardOutput(io::stdout()))
        }
    }
}

impl Write for StandardOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Reports a failed write to standard output on standard error; returns exit status 2.
pub fn failed(error: &io::Error) -> u8 {
    eprintln!("gpmc-trace: cannot write to standard output: {error}");
    crate::exit::Status::Error.code()
}

/// The width of the terminal standard output is, or 100 columns when it is none (a file, a
/// pipe), so that what is written there does not depend on where it was run.
pub fn width() -> usize {
    const NOT_A_TERMINAL: usize = 100;
    if !io::stdout().is_terminal() {
        return NOT_A_TERMINAL;
    }
    console::Term::stdout()
        .size_checked()
        .map_or(NOT_A_TERMINAL, |(_, columns)| usize::from(columns))
}
