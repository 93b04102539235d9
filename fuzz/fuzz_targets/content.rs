#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| moonlight_fuzz_targets::content(data));
