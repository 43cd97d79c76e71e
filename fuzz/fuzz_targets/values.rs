//! The value types' parsers and serde forms (see `values::check`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gpmc_progress_fuzz::values::check(data));
