//! The live engine's single-threaded operations in any order (see `live::check`).
#![no_main]

use gpmc_progress_fuzz::live::{check, LiveInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: LiveInput| check(input));
