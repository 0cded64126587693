//! `netdoctor serve`: a Prometheus exporter in blackbox_exporter's
//! multi-target pattern (DESIGN "Serving metrics"), so the same scrape
//! configuration (`__param_target` relabelling) works.
//!
//! - [`http`]: the server (hyper, HTTP/1) and its routes;
//! - [`modules`]: a `/probe` query to the checks it runs, or a refusal;
//! - [`allow`]: the `[serve] allow` host globs;
//! - [`probe`]: one probe through the `check` pipeline, then recorded;
//! - [`metrics`]: the exporter's own metrics and one probe's;
//! - [`page`]: the landing page and the last probes;
//! - [`log`]: one line per probe on stderr.
//!
//! The trust stores and the container look are loaded once and shared by
//! every probe; at most once a second a probe checks the image's CA files
//! (a [`crate::trust::Stamp`]), and when one changed — a new CA in the
//! image, a rotated bundle, a new certifi — both are read afresh.

mod allow;
mod http;
mod log;
mod metrics;
mod modules;
mod page;
mod probe;

use crate::args::checkfile::ServeFile;
use crate::args::flags::{LogLevel, ServeArgs};
use crate::env::EnvReport;
use crate::sysroot::Sysroot;
use crate::trust::{Stamp, TrustStores};
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a probe may check the image's CA files for a change.
const FRESHNESS: Duration = Duration::from_secs(1);

/// Worker threads of the server: one per core, at most this many.
const MAX_WORKERS: usize = 8;

/// Trust stores by what they are loaded from; kept for the server's life
/// (the check file names a bounded set of `--cacert` lists).
type Stores = Mutex<Vec<(Sysroot, Vec<PathBuf>, Arc<TrustStores>)>>;

/// The container look and what the image's CA files looked like when the
/// stores and the look were read.
struct Image {
    env: Arc<EnvReport>,
    stamps: Vec<Stamp>,
    checked: Instant,
}

/// What every request shares.
pub(crate) struct State {
    file: ServeFile,
    sysroot: Sysroot,
    /// The container look (the `env` of JSON reports) and its freshness.
    image: Mutex<Image>,
    stores: Arc<Stores>,
    metrics: metrics::Exporter,
    history: page::History,
    max_concurrent: usize,
    in_flight: AtomicUsize,
    log_level: LogLevel,
}

impl State {
    /// The stamps of every store in use (the image's and each module's
    /// `--cacert` list).
    fn stamps(&self) -> Vec<Stamp> {
        let base = TrustStores::load(&self.sysroot, &[]).stamp();
        let list = self
            .stores
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::iter::once(base)
            .chain(list.iter().map(|(_, _, s)| s.stamp()))
            .collect()
    }

    /// The container look, after reading the image afresh when its CA
    /// files changed (checked at most once per [`FRESHNESS`]).
    fn fresh_env(&self) -> Arc<EnvReport> {
        let mut image = self
            .image
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if image.checked.elapsed() < FRESHNESS {
            return image.env.clone();
        }
        image.checked = Instant::now();
        let stamps = self.stamps();
        if stamps != image.stamps {
            crate::trust::forget();
            self.stores
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
            image.env = Arc::new(look(&self.sysroot));
            image.stamps = self.stamps();
            log::always("info: the image's CA files changed: trust stores and the container look read afresh");
        }
        image.env.clone()
    }

    /// The probes' trust stores: loaded on first use, then kept.
    fn trust_source(&self) -> crate::probe::TrustSource {
        let stores = self.stores.clone();
        Arc::new(move |sysroot: &Sysroot, cacert: &[PathBuf]| {
            let mut list = stores
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, _, s)) = list.iter().find(|(r, c, _)| r == sysroot && c == cacert) {
                return s.clone();
            }
            let s = Arc::new(TrustStores::load(sysroot, cacert));
            list.push((sysroot.clone(), cacert.to_vec(), s.clone()));
            s
        })
    }
}

/// The container look at the image under `sysroot`.
fn look(sysroot: &Sysroot) -> EnvReport {
    let trust = TrustStores::load(sysroot, &[]);
    crate::env::inspect(sysroot, &trust, crate::env::Depth::Quick)
}

/// `netdoctor serve`: loads the file, binds, serves until killed. Returns
/// an exit code only when it cannot start.
pub(crate) fn run(args: &ServeArgs) -> u8 {
    let file = match &args.file {
        Some(path) => match ServeFile::load(path) {
            Ok(f) => f,
            Err(e) => {
                log::always(&format!("error: {e}"));
                return crate::exit::USAGE;
            }
        },
        None => ServeFile::default(),
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(MAX_WORKERS);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log::always(&format!("error: cannot start the async runtime: {e}"));
            return crate::exit::INTERNAL;
        }
    };
    let sysroot = Sysroot::from_env();
    let image = Image {
        env: Arc::new(look(&sysroot)),
        stamps: vec![TrustStores::load(&sysroot, &[]).stamp()],
        checked: Instant::now(),
    };
    let state = Arc::new(State {
        file,
        sysroot,
        image: Mutex::new(image),
        stores: Arc::default(),
        metrics: metrics::Exporter::new(),
        history: page::History::default(),
        max_concurrent: args.max_concurrent.get(),
        in_flight: AtomicUsize::new(0),
        log_level: args.log_level,
    });
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                log::always(&format!("error: cannot listen on {}: {e}", args.listen));
                return crate::exit::INTERNAL;
            }
        };
        let shown = listener.local_addr().unwrap_or(args.listen);
        log::always(&format!("listening on http://{shown}/"));
        http::serve(listener, state).await;
        crate::exit::OK
    })
}
