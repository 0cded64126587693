//! The run's scheduler: which checks run when, under the run's deadline.
//!
//! At most `--jobs` checks are in flight; each check's [`Context`] (its
//! resolver and trust stores) is built when the check starts and shared
//! with the checks in flight that have the same options, so memory follows
//! `--jobs`, not the length of a check file. Results are handed to the
//! caller as each check ends. `--max-time` is the deadline of the whole
//! run: a check still queued when it passes is not started, and a
//! repeated check stops repeating at it.

use super::options::{Check, ProbeConfig};
use super::{run_target_watched, Context, TargetOutcome};
use crate::diagnosis::Layer;
use crate::sysroot::Sysroot;
use crate::trust::TrustStores;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::task::{Id, JoinSet};

/// How a run is scheduled.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Targets probed at once.
    pub jobs: usize,
    /// Runs per target.
    pub repeat: u32,
    /// Pause between a target's runs.
    pub interval: Option<Duration>,
    /// When the run started: `--max-time` counts from here.
    pub started: Instant,
}

/// Told when a target enters a stage (live progress); the pipeline itself
/// never prints.
pub trait Observer: Send + Sync {
    /// Target `index` started `layer`.
    fn stage(&self, index: usize, layer: Layer);
}

/// Why a check has no runs.
#[derive(Debug, Clone)]
pub enum NotRun {
    /// netdoctor itself failed on it.
    Internal(String),
    /// The run's deadline passed before its turn: the reason, naming the
    /// option, and the layers that were not probed.
    Deadline(String, Vec<Layer>),
}

/// A check's runs (one, or `--repeat N`, fewer when `--max-time` cut the
/// repeats short), or why there are none.
pub type Runs = Result<Vec<TargetOutcome>, NotRun>;

/// Where a run's trust stores come from when they outlive the run (`serve`
/// loads them once for every probe): by the root and the `--cacert` files.
pub type TrustSource = Arc<dyn Fn(&Sysroot, &[PathBuf]) -> Arc<TrustStores> + Send + Sync>;

/// Probes every check, `jobs` at a time, and hands each check's runs to
/// `done` as soon as they end (so in the order they end, with the check's
/// index in the input).
pub async fn run_all<F>(
    checks: Vec<Check>,
    schedule: Schedule,
    observer: Option<Arc<dyn super::Observer>>,
    done: F,
) where
    F: FnMut(usize, &Check, Runs),
{
    run_all_with(checks, schedule, observer, None, done).await;
}

/// [`run_all`], with the trust stores of `source` when given (else loaded
/// for this run).
pub async fn run_all_with<F>(
    checks: Vec<Check>,
    schedule: Schedule,
    observer: Option<Arc<dyn super::Observer>>,
    source: Option<TrustSource>,
    mut done: F,
) where
    F: FnMut(usize, &Check, Runs),
{
    let jobs = schedule.jobs.max(1);
    let mut contexts = Contexts::new(schedule.started);
    contexts.source = source;
    let mut queue = checks.into_iter().enumerate();
    let mut running = JoinSet::new();
    let mut in_flight: HashMap<Id, (usize, Check)> = HashMap::with_capacity(jobs);
    loop {
        while running.len() < jobs {
            let Some((index, check)) = queue.next() else {
                break;
            };
            let ctx = contexts.get(&check.probe);
            if let Some(limit) = ctx.ended() {
                let reason = format!("not started: {limit} ended the run before its turn");
                done(
                    index,
                    &check,
                    Err(NotRun::Deadline(reason, check.target.scheme.layers())),
                );
                continue;
            }
            let task_check = check.clone();
            let watch = observer.clone().map(|o| (o, index));
            let handle = running
                .spawn(async move { run_repeated(&ctx, &task_check, schedule, watch).await });
            in_flight.insert(handle.id(), (index, check));
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (id, runs) = match joined {
            Ok((id, runs)) => (id, Ok(runs)),
            Err(e) => (e.id(), Err(NotRun::Internal(e.to_string()))),
        };
        if let Some((index, check)) = in_flight.remove(&id) {
            done(index, &check, runs);
        }
    }
}

/// Probes one check `repeat` times, stopping early at the run's deadline.
async fn run_repeated(
    ctx: &Context,
    check: &Check,
    schedule: Schedule,
    watch: Option<(Arc<dyn super::Observer>, usize)>,
) -> Vec<TargetOutcome> {
    let mut runs = Vec::with_capacity(schedule.repeat.min(64) as usize);
    for i in 0..schedule.repeat.max(1) {
        if i > 0 {
            if let Some(pause) = schedule.interval {
                match &ctx.end {
                    Some((end, _)) => {
                        tokio::time::sleep_until((*end).min(Instant::now() + pause).into()).await;
                    }
                    None => tokio::time::sleep(pause).await,
                }
            }
            if ctx.ended().is_some() {
                break;
            }
        }
        runs.push(run_target_watched(ctx, &check.target, watch.clone()).await);
    }
    if let Some(slot) = check
        .probe
        .profile
        .as_ref()
        .and_then(|p| p.token())
        .filter(|s| s.issues)
    {
        // The token check ended before an http exchange: no token.
        slot.set(None);
    }
    runs
}

/// The contexts of the checks in flight, shared while they are alive and
/// dropped with their last check, and the trust stores they load.
struct Contexts {
    started: Instant,
    /// By the address of the checks' shared options (checks of one
    /// `check` command share one `Arc<ProbeConfig>`).
    live: Vec<Weak<Context>>,
    trust: TrustCache,
    /// Stores that outlive the run, when the caller keeps them.
    source: Option<TrustSource>,
}

impl Contexts {
    fn new(started: Instant) -> Self {
        Contexts {
            started,
            live: Vec::new(),
            trust: TrustCache::default(),
            source: None,
        }
    }

    /// The context of `cfg`: the live one, or a new one.
    fn get(&mut self, cfg: &Arc<ProbeConfig>) -> Arc<Context> {
        self.live.retain(|w| w.strong_count() > 0);
        let live = self.live.iter().filter_map(Weak::upgrade);
        if let Some(ctx) = live.into_iter().find(|c| Arc::ptr_eq(&c.cfg, cfg)) {
            return ctx;
        }
        let trust = &mut self.trust;
        let source = self.source.as_ref();
        let ctx = Arc::new(Context::new(
            cfg.clone(),
            self.started,
            |cacert| match source {
                Some(source) => source(&cfg.sysroot, cacert),
                None => trust.get(&cfg.sysroot, cacert),
            },
        ));
        self.live.push(Arc::downgrade(&ctx));
        ctx
    }
}

/// Trust stores by what they are loaded from (the root and the `--cacert`
/// files): shared by the contexts that are alive, and the last one loaded
/// kept for the next check (the common case: every check the same).
#[derive(Default)]
struct TrustCache {
    live: Vec<(Sysroot, Vec<PathBuf>, Weak<TrustStores>)>,
    last: Option<Arc<TrustStores>>,
}

impl TrustCache {
    fn get(&mut self, sysroot: &Sysroot, cacert: &[PathBuf]) -> Arc<TrustStores> {
        self.live.retain(|(_, _, w)| w.strong_count() > 0);
        let found = self
            .live
            .iter()
            .filter(|(root, files, _)| root == sysroot && files == cacert)
            .find_map(|(_, _, w)| w.upgrade());
        let stores = found.unwrap_or_else(|| {
            let stores = Arc::new(TrustStores::load(sysroot, cacert));
            self.live
                .push((sysroot.clone(), cacert.to_vec(), Arc::downgrade(&stores)));
            stores
        });
        self.last = Some(stores.clone());
        stores
    }
}
