//! netdoctor: tells which layer of a network connection broke, why, and how
//! to fix it.
//!
//! The crate is organised by layer, as DESIGN.md lays out: `cli` and `config`
//! turn the command line into a checked [`config::Config`]; `target` says what
//! to reach; `probe` runs the staged pipeline (one module per stage); `trust`
//! loads the container's certificate stores; `diagnosis` is the code
//! catalogue; `explain` maps a client's error text to the codes that can
//! cause it; `report` holds the report model and the one printer.

pub mod checkfile;
pub mod cli;
pub mod config;
pub mod diagnosis;
pub mod distro;
pub mod env;
pub mod exit;
pub mod explain;
pub mod hosts;
pub mod manpage;
pub mod presets;
pub mod probe;
pub mod proxy;
pub mod redact;
pub mod report;
pub mod sysroot;
pub mod target;
pub mod trust;

mod app;

pub use app::main_entry;
