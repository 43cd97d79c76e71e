//! Trace bytes through the reader and `replay` under both presets (see `trace::check`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gpmc_progress_fuzz::trace::check(data));
