//! The process's own limits: how many targets can be in flight with the
//! file descriptors it may open.
//!
//! A run with more targets in flight than descriptors would fail targets
//! with "Too many open files", which says nothing about the network. So,
//! as servers do, the soft `RLIMIT_NOFILE` is raised to the hard one, and
//! `--jobs` is clamped to what the limit then allows. Should a descriptor
//! still be refused, the stage that asked reports netdoctor's own failure
//! (exit 1), never a diagnosis of the path.

use crate::probe::Check;
use std::io;

/// Descriptors one target may hold at once: its connection, a DNS socket,
/// and a second connection of a stage's own (the stream request, a
/// revocation fetch or the direct-path comparison) with its DNS socket.
pub const PER_TARGET: u64 = 4;
/// Descriptors kept for everything else: the async runtime's, files read
/// while probing (trust stores, `--save-chain`), standard streams.
const RESERVE: u64 = 16;

/// The number of targets to run at once: `jobs`, or fewer when the
/// descriptor limit (raised to its maximum first) cannot hold them.
pub fn jobs(jobs: usize, checks: &[Check]) -> usize {
    let wanted = jobs.min(checks.len()).max(1);
    let Some(limit) = raise_nofile() else {
        return wanted;
    };
    let open = open_descriptors().unwrap_or(3);
    let room = limit.saturating_sub(open).saturating_sub(RESERVE) / PER_TARGET;
    wanted.min(usize::try_from(room).unwrap_or(usize::MAX).max(1))
}

/// Raises the soft descriptor limit to the hard one; returns the limit in
/// force (`None`: unlimited or unknown).
fn raise_nofile() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = raised;
        }
    }
    limit.current
}

/// How many descriptors the process holds now (`None` without `/proc`).
fn open_descriptors() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    u64::try_from(entries.count()).ok()
}

/// Whether `e` is the system refusing a descriptor (the process's or the
/// system's table is full): netdoctor's own failure, not the network's.
pub fn is_descriptor_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(code) if code == rustix::io::Errno::MFILE.raw_os_error()
            || code == rustix::io::Errno::NFILE.raw_os_error()
    )
}

/// The reason shown when a descriptor could not be had.
pub fn exhaustion_reason(e: &io::Error) -> String {
    format!("cannot open a socket: {e}; raise the descriptor limit (`ulimit -n`) or lower --jobs")
}
