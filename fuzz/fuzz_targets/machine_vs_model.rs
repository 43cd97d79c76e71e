//! The state machine beside the reference model on structured inputs (see `machine::check`).
#![no_main]

use gpmc_progress_fuzz::machine::{check, MachineInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: MachineInput| check(input));
