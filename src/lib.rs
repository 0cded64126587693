//! netdoctor: tells which layer of a network connection broke, why, and how
//! to fix it.
//!
//! The crate is organised by layer, as DESIGN.md lays out: `args` turns the
//! command line and check files into a checked run; `target` says what to
//! reach; `probe` runs the staged pipeline (one module per stage) with the
//! checked options of `probe::options`; `trust` loads the container's
//! certificate stores; `diagnosis` is the code catalogue; `explain` maps a
//! client's error text to the codes that can cause it; `report` holds the
//! report model and the one printer; `serve` is the Prometheus exporter;
//! `duration` is shared by both sides.

pub mod diagnosis;
mod distro;
mod env;
mod exit;
pub mod explain;
mod hosts;
mod limits;
mod manpage;
mod presets;
mod probe;
mod proxy;
mod redact;
mod report;
mod serve;
mod sites;
mod sysroot;
mod target;
pub mod trust;

#[cfg(test)]
mod proptests;

mod app;
mod args;
mod duration;

pub use app::main_entry;
