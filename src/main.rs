//! The `netdoctor` binary: parse the command line, run, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    netdoctor::main_entry()
}
