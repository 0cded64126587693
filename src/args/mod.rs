//! The command line and check files, and the checked [`Config`] they make.
//!
//! How argv becomes a run:
//!
//! 1. [`flags`] is the clap definition of every command and flag. Its value
//!    parsers ([`values`] and [`crate::duration`]) reject a malformed value
//!    as a clap usage error, naming the flag.
//! 2. [`config`] turns the parsed arguments into a [`Config`]: the targets,
//!    each with the pipeline's [`ProbeConfig`](crate::probe::ProbeConfig)
//!    and its expectation, plus how the run is reported. It validates what
//!    needs more than one value (URLs, headers, the request method) and
//!    hands a preset command's values to `presets`, which expand them into
//!    checks.
//! 3. `netdoctor run FILE` reads a check file ([`checkfile`]): each
//!    `[[check]]`, with the `[defaults]` before its own keys, becomes the
//!    argv of `netdoctor check` (or of its preset's command) and goes
//!    through the same two steps, so a key means exactly what its flag
//!    means. `Config::from_run` lives there.
//!
//! Inside, dependencies point one way: `checkfile` → `config` → `flags` →
//! `values`.
//!
//! Every error on the way is a [`UsageError`] (exit 2). Nothing below this
//! module knows clap: the pipeline reads only the checked types of
//! [`crate::probe::options`].

pub(crate) mod checkfile;
pub(crate) mod config;
pub(crate) mod flags;
mod values;

pub(crate) use config::Config;

/// A usage error: exit code 2, message naming the flag and the value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

impl From<crate::presets::PresetError> for UsageError {
    fn from(e: crate::presets::PresetError) -> Self {
        UsageError(e.0)
    }
}
