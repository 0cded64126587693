//! The process exit codes (DESIGN "Exit codes").
//!
//! `0` every target met its expectation; `1` netdoctor itself failed; `2`
//! usage error; `3` an expected failure did not happen; `4` `explain` knows
//! no cause for the text; `10`–`19` the most
//! fundamental failing layer (see [`crate::diagnosis::Layer::exit_code`]).

/// Every target met its expectation (warnings allowed).
pub const OK: u8 = 0;
/// netdoctor itself failed.
pub const INTERNAL: u8 = 1;
/// The command line or a check file is malformed.
pub const USAGE: u8 = 2;
/// A target expected to fail with a code passed instead.
pub const EXPECTED_FAILURE_MISSING: u8 = 3;
/// `netdoctor explain`: the text matched no known client error.
pub const UNKNOWN_ERROR_TEXT: u8 = 4;
