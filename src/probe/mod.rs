//! The pipeline: the ordered stages of a target, skip-after-fail, deadlines.
//!
//! A stage is a function from the previous stage's product (addresses, a
//! stream, a chain, a response) to a [`StageResult`]: its facts, its
//! diagnosis if any, and its own product. The pipeline times each stage,
//! cuts it at its deadline (`--timeout`, within `--max-time`), stops at the
//! first `fail` and marks the remaining stages `skipped` with the reason.
//! Stages never print.

pub mod auth;
pub mod certificate;
pub mod dns;
pub(crate) mod h1;
pub mod http;
pub mod proxy;
pub mod revocation;
pub mod stream;
pub mod tcp;
pub mod tls;
pub mod websocket;

use crate::config::{Check, ProbeConfig};
use crate::diagnosis::{Code, Diagnosis, Layer, Status};
use crate::report::{StageReport, TargetReport};
use crate::target::Target;
use crate::trust::TrustStores;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;

/// A byte stream a stage can hand on (TCP or TLS over TCP).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What a stage returns.
pub struct StageResult<T> {
    summary: String,
    facts: Value,
    diagnosis: Option<Diagnosis>,
    /// Further warnings beside the diagnosis.
    warnings: Vec<Diagnosis>,
    product: Option<T>,
}

impl<T> StageResult<T> {
    /// The stage passed.
    pub fn pass(summary: String, facts: Value, product: T) -> Self {
        StageResult {
            summary,
            facts,
            diagnosis: None,
            warnings: Vec::new(),
            product: Some(product),
        }
    }

    /// The stage found something worth a warning; the pipeline goes on.
    pub fn warn(diagnosis: Diagnosis, summary: String, facts: Value, product: T) -> Self {
        StageResult {
            summary,
            facts,
            diagnosis: Some(diagnosis),
            warnings: Vec::new(),
            product: Some(product),
        }
    }

    /// The same failure with another product type.
    fn fail_from<U>(other: StageResult<U>) -> Self {
        StageResult {
            summary: other.summary,
            facts: other.facts,
            diagnosis: other.diagnosis,
            warnings: other.warnings,
            product: None,
        }
    }

    /// The stage failed; the pipeline stops.
    pub fn fail(diagnosis: Diagnosis, facts: Value) -> Self {
        StageResult {
            summary: diagnosis.summary.clone(),
            facts,
            diagnosis: Some(diagnosis),
            warnings: Vec::new(),
            product: None,
        }
    }

    /// Adds further warnings beside the diagnosis.
    #[must_use]
    pub fn with_warnings(mut self, warnings: Vec<Diagnosis>) -> Self {
        self.warnings.extend(warnings);
        self
    }
}

/// Everything shared by the targets that have the same options.
pub struct Context {
    pub cfg: Arc<ProbeConfig>,
    pub resolver: dns::NameResolver,
    pub trust: TrustStores,
    /// The stores an `https://` proxy's certificate is judged against, when
    /// `--proxy-cacert` adds to them (else `trust`).
    pub proxy_trust: Option<TrustStores>,
}

impl Context {
    /// Reads the container's resolver settings and trust stores once.
    pub fn new(cfg: Arc<ProbeConfig>) -> Self {
        let resolver = dns::NameResolver::new(&cfg);
        let trust = TrustStores::load(&cfg.sysroot, &cfg.cacert);
        let proxy_trust = (!cfg.proxy_cacert.is_empty()).then(|| {
            let all: Vec<_> = cfg
                .cacert
                .iter()
                .chain(&cfg.proxy_cacert)
                .cloned()
                .collect();
            TrustStores::load(&cfg.sysroot, &all)
        });
        Context {
            cfg,
            resolver,
            trust,
            proxy_trust,
        }
    }
}

/// How a run is scheduled.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Targets probed at once.
    pub jobs: usize,
    /// Runs per target.
    pub repeat: u32,
    /// Pause between a target's runs.
    pub interval: Option<Duration>,
}

/// Told when a target enters a stage and when it is done (live progress);
/// the pipeline itself never prints.
pub trait Observer: Send + Sync {
    /// Target `index` started `layer`.
    fn stage(&self, index: usize, layer: Layer);
    /// Target `index` finished (all its runs).
    fn done(&self, index: usize, ok: bool);
}

/// Probes every check, `jobs` at a time; reports come back in input order.
/// Checks that share their options share one [`Context`].
pub async fn run_all(
    checks: Vec<Check>,
    schedule: Schedule,
    observer: Option<Arc<dyn Observer>>,
) -> Vec<TargetReport> {
    let mut contexts: Vec<Arc<Context>> = Vec::new();
    let permits = Arc::new(Semaphore::new(schedule.jobs.max(1)));
    let mut handles = Vec::with_capacity(checks.len());
    for (index, check) in checks.into_iter().enumerate() {
        let ctx = match contexts.iter().find(|c| Arc::ptr_eq(&c.cfg, &check.probe)) {
            Some(c) => c.clone(),
            None => {
                let c = Arc::new(Context::new(check.probe.clone()));
                contexts.push(c.clone());
                c
            }
        };
        let permits = permits.clone();
        let shown = check.target.display_url();
        let observer = observer.clone();
        let task = tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let watch = observer.as_ref().map(|o| (o.clone(), index));
            let report = run_repeated(&ctx, &check, schedule, watch).await;
            if let Some(o) = &observer {
                o.done(index, report.met);
            }
            report
        });
        handles.push((task, shown));
    }
    let mut reports = Vec::with_capacity(handles.len());
    for (task, shown) in handles {
        match task.await {
            Ok(r) => reports.push(r),
            Err(e) => reports.push(TargetReport::internal_error(shown, e.to_string())),
        }
    }
    reports
}

/// Probes one check `repeat` times; one run gives its report as is.
async fn run_repeated(
    ctx: &Context,
    check: &Check,
    schedule: Schedule,
    watch: Option<(Arc<dyn Observer>, usize)>,
) -> TargetReport {
    let mut runs = Vec::with_capacity(schedule.repeat as usize);
    for i in 0..schedule.repeat.max(1) {
        if i > 0 {
            if let Some(pause) = schedule.interval {
                tokio::time::sleep(pause).await;
            }
        }
        runs.push(run_target_watched(ctx, &check.target, watch.clone()).await);
    }
    let mut report = if runs.len() == 1 {
        runs.pop().unwrap_or_else(|| {
            TargetReport::internal_error(check.target.display_url(), "no run".into())
        })
    } else {
        TargetReport::from_repeats(runs)
    };
    if let Some(preset) = &check.probe.preset {
        if let Some(slot) = preset.token.as_ref().filter(|s| s.issues) {
            // The token check ended before an http exchange: no token.
            slot.set(None);
        }
        crate::presets::decorate(preset, &mut report);
    }
    report.apply_expectation(check.expect);
    report
}

/// The code a layer reports when its deadline passes.
fn timeout_code(layer: Layer) -> Code {
    match layer {
        Layer::Dns => Code::DnsTimeout,
        Layer::Tcp => Code::TcpTimeout,
        Layer::Proxy => Code::ProxyTimeout,
        Layer::Tls | Layer::Certificate => Code::TlsTimeout,
        Layer::Websocket => Code::WsPingTimeout,
        _ => Code::HttpTimeout,
    }
}

/// One target's run: the stages done so far and the deadlines.
struct Pipeline<'a> {
    ctx: &'a Context,
    watch: Option<(Arc<dyn Observer>, usize)>,
    stages: Vec<StageReport>,
    end: Option<Instant>,
    /// The target's stages, in order (with `proxy` when one is configured).
    layers: Vec<Layer>,
}

impl Pipeline<'_> {
    /// The deadline of a stage that starts now, and the option that set it.
    fn deadline(&self) -> (Instant, String) {
        let per_stage = Instant::now() + self.ctx.cfg.timeout;
        let by_timeout = format!("--timeout {}s", self.ctx.cfg.timeout.as_secs_f64());
        match (self.end, self.ctx.cfg.max_time) {
            (Some(end), Some(max)) if end < per_stage => {
                (end, format!("--max-time {}s", max.as_secs_f64()))
            }
            _ => (per_stage, by_timeout),
        }
    }

    /// Runs a stage under its deadline and records it; the product comes
    /// back unless the stage failed.
    async fn stage<T, F>(&mut self, layer: Layer, run: impl FnOnce(Instant) -> F) -> Option<T>
    where
        F: Future<Output = StageResult<T>>,
    {
        let (result, elapsed) = self.run(layer, run).await;
        self.record(layer, elapsed, result)
    }

    /// Runs a stage under its deadline without recording it (the caller
    /// records it once it has judged the result).
    async fn run<T, F>(
        &mut self,
        layer: Layer,
        run: impl FnOnce(Instant) -> F,
    ) -> (StageResult<T>, Duration)
    where
        F: Future<Output = StageResult<T>>,
    {
        let (deadline, limit) = self.deadline();
        if let Some((o, index)) = &self.watch {
            o.stage(*index, layer);
        }
        let started = Instant::now();
        // Stages that classify their own timeouts get a little slack.
        let backstop = deadline + Duration::from_millis(250);
        let result = match tokio::time::timeout_at(backstop.into(), run(deadline)).await {
            Ok(r) => r,
            Err(_) => {
                let after = started.elapsed();
                let d = Diagnosis::new(
                    timeout_code(layer),
                    format!("did not complete within {} ms ({limit})", after.as_millis()),
                );
                StageResult::fail(d, serde_json::json!({ "timeout_ms": after.as_millis() }))
            }
        };
        (result, started.elapsed())
    }

    fn record<T>(&mut self, layer: Layer, elapsed: Duration, r: StageResult<T>) -> Option<T> {
        let facts = match r.facts {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let failed = r
            .diagnosis
            .as_ref()
            .is_some_and(|d| d.status == Status::Fail);
        let mut report = StageReport::ran(layer, elapsed, r.summary, facts, r.diagnosis);
        report.warnings = r.warnings;
        self.stages.push(report);
        if failed {
            None
        } else {
            r.product
        }
    }

    /// Fills in the layers that did not run.
    fn finish(mut self, target: &Target, reason: Option<String>) -> TargetReport {
        let reason = reason.unwrap_or_else(|| {
            self.stages
                .iter()
                .find(|s| s.status == Status::Fail)
                .map_or_else(
                    || "not reached".to_owned(),
                    |s| format!("{} failed", s.layer),
                )
        });
        for layer in &self.layers {
            if !self.stages.iter().any(|s| s.layer == *layer) {
                self.stages
                    .push(StageReport::skipped(*layer, reason.clone()));
            }
        }
        let order = &self.layers;
        self.stages
            .sort_by_key(|s| order.iter().position(|l| *l == s.layer));
        let name = target.name.clone().unwrap_or_else(|| target.display_url());
        TargetReport::from_stages(name, target.display_url(), self.stages)
    }
}

/// Probes one target through its stages.
pub async fn run_target(ctx: &Context, target: &Target) -> TargetReport {
    run_target_watched(ctx, target, None).await
}

/// Probes one target, telling `watch` which stage it is in.
async fn run_target_watched(
    ctx: &Context,
    target: &Target,
    watch: Option<(Arc<dyn Observer>, usize)>,
) -> TargetReport {
    let route = crate::proxy::route(&ctx.cfg.proxy, target);
    let mut layers = if route.is_some() {
        target.scheme.layers_with_proxy()
    } else {
        target.scheme.layers()
    };
    if stream_spec(ctx).is_some() {
        layers.push(Layer::Stream);
    }
    let mut p = Pipeline {
        ctx,
        watch,
        stages: Vec::new(),
        end: ctx.cfg.max_time.map(|m| Instant::now() + m),
        layers,
    };
    let reason = match route {
        Some(route) if route.proxied() => run_via_proxy(&mut p, target, &route).await,
        Some(route) => {
            p.record(Layer::Proxy, Duration::ZERO, proxy::bypassed(&route));
            run_stages(&mut p, target).await
        }
        None => run_stages(&mut p, target).await,
    };
    p.finish(target, reason)
}

/// A target through a proxy: the proxy reaches the target, so the target's
/// dns and tcp are its business; then tls, certificate, http… as usual.
async fn run_via_proxy(
    p: &mut Pipeline<'_>,
    target: &Target,
    route: &crate::proxy::Route,
) -> Option<String> {
    let ctx = p.ctx;
    let socks = route.url.as_ref().is_ok_and(|u| {
        matches!(
            u.scheme,
            crate::proxy::ProxyScheme::Socks5 | crate::proxy::ProxyScheme::Socks5h
        )
    });
    let local = route
        .url
        .as_ref()
        .is_ok_and(|u| u.scheme.resolves_locally());
    let resolved = if local {
        // socks5:// resolves the target here; the proxy connects to it.
        let addrs = p
            .stage(Layer::Dns, |deadline| {
                dns::stage(&ctx.resolver, target, &ctx.cfg, deadline)
            })
            .await?;
        p.stages
            .push(StageReport::skipped(Layer::Tcp, "connected by the proxy"));
        Some(addrs)
    } else {
        for layer in [Layer::Dns, Layer::Tcp] {
            p.stages
                .push(StageReport::skipped(layer, "resolved by the proxy"));
        }
        None
    };
    let (hop, elapsed) = p
        .run(Layer::Proxy, |deadline| {
            proxy::stage(ctx, route, target, resolved.as_deref(), deadline)
        })
        .await;
    if target.scheme.is_tls() || socks {
        let hop = p.record(Layer::Proxy, elapsed, hop)?;
        return after_connect(p, target, hop.stream, true).await;
    }
    // Plain http/ws: the request itself goes to the proxy (absolute-form);
    // the proxy stage is judged from the reply.
    let failed = hop
        .diagnosis
        .as_ref()
        .is_some_and(|d| d.status == Status::Fail);
    if failed || hop.product.is_none() {
        p.record(Layer::Proxy, elapsed, StageResult::<()>::fail_from(hop));
        return None;
    }
    let product = hop.product?;
    let proxy::Hop {
        stream,
        authorization,
        mut facts,
    } = product;
    let via = http::ViaProxy { authorization };
    let (exchange, http_elapsed) = p
        .run(Layer::Http, |deadline| {
            http::stage(stream, target, &ctx.cfg, true, Some(&via), deadline)
        })
        .await;
    let url = route.url.as_ref().ok()?;
    let judged = exchange.product.as_ref().and_then(|ex| {
        proxy::reply_facts(&mut facts, ex.status, &ex.reason, &ex.headers);
        proxy::judge_reply(
            url,
            ex.status,
            &ex.reason,
            &ex.headers,
            &ex.body,
            via.authorization.is_some(),
        )
    });
    if let Some(d) = judged {
        p.record(Layer::Proxy, elapsed, StageResult::<()>::fail(d, facts));
        return None;
    }
    let summary = format!(
        "{url} ({}) relayed the request{}",
        route.source,
        proxy::differ_note(route)
    );
    p.record(Layer::Proxy, elapsed, StageResult::pass(summary, facts, ()));
    let exchange = p.record(Layer::Http, http_elapsed, exchange)?;
    after_exchange(p, target, exchange).await
}

/// Runs the stages in order; returns a skip reason when one was decided
/// other than "a stage failed".
async fn run_stages(p: &mut Pipeline<'_>, target: &Target) -> Option<String> {
    let ctx = p.ctx;
    let addrs = p
        .stage(Layer::Dns, |deadline| {
            dns::stage(&ctx.resolver, target, &ctx.cfg, deadline)
        })
        .await?;
    let tcp = p
        .stage(Layer::Tcp, |deadline| async move {
            tcp::stage(&addrs, deadline).await
        })
        .await?;
    if target.scheme == crate::target::Scheme::Tcp {
        return None;
    }
    after_connect(p, target, Box::new(tcp), false).await
}

/// The server's certificate on a direct connection (same resolver settings,
/// no proxy), for the re-signing comparison; why not, when the direct path
/// does not work from here.
async fn direct_leaf(ctx: &Context, target: &Target, deadline: Instant) -> certificate::Direct {
    let work = async {
        let addrs = dns::stage(&ctx.resolver, target, &ctx.cfg, deadline)
            .await
            .product
            .ok_or("the name does not resolve here")?;
        let tcp = tcp::stage(&addrs, deadline)
            .await
            .product
            .ok_or("no direct TCP connection")?;
        let session = tls::stage(tcp, &target.host)
            .await
            .product
            .ok_or("no direct TLS handshake")?;
        session
            .chain
            .into_iter()
            .next()
            .ok_or("no certificate on the direct connection")
    };
    match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(r) => r.map_err(str::to_owned),
        Err(_) => Err("the direct path did not answer in time".to_owned()),
    }
}

/// From a connected stream (direct or a proxy tunnel): tls, certificate,
/// http, auth, websocket.
async fn after_connect(
    p: &mut Pipeline<'_>,
    target: &Target,
    tcp: Box<dyn Io>,
    proxied: bool,
) -> Option<String> {
    let ctx = p.ctx;
    let (stream, send_credentials): (Box<dyn Io>, bool) = if target.scheme.is_tls() {
        let session = p
            .stage(Layer::Tls, |_| tls::stage(tcp, &target.host))
            .await?;
        let chain = &session.chain;
        let unverified = session.unverified_signature.as_deref();
        let verdict = p
            .stage(Layer::Certificate, |deadline| async move {
                // Through a proxy, an unexplained private chain is compared
                // with the certificate the server presents directly.
                let direct = if proxied
                    && certificate::wants_direct_comparison(chain, &target.host, &ctx.trust)
                {
                    Some(direct_leaf(ctx, target, deadline).await)
                } else {
                    None
                };
                let mut r = certificate::stage(
                    chain,
                    &target.host,
                    &ctx.trust,
                    ctx.cfg.insecure,
                    unverified,
                    direct.as_ref(),
                );
                if speech_sdk_target(ctx) && r.product.is_some_and(|v| v.trusted) {
                    // Older Speech SDKs fetch the chain's CRLs: through the same path.
                    let route = crate::proxy::route(&ctx.cfg.proxy, target)
                        .filter(crate::proxy::Route::proxied);
                    if let Some((facts, warning)) =
                        revocation::check(ctx, chain, route.as_ref(), deadline).await
                    {
                        revocation::attach(&mut r, facts, warning);
                    }
                }
                if let (Some(path), Value::Object(facts)) = (&target.save_chain, &mut r.facts) {
                    let (key, value) = match certificate::save_chain(path, chain) {
                        Ok(()) => ("saved_chain", path.display().to_string()),
                        Err(e) => ("save_chain_error", e),
                    };
                    facts.insert(key.to_owned(), Value::String(value));
                }
                r
            })
            .await?;
        (Box::new(session.stream), verdict.trusted)
    } else {
        (tcp, true)
    };
    let exchange = p
        .stage(Layer::Http, |deadline| {
            http::stage(stream, target, &ctx.cfg, send_credentials, None, deadline)
        })
        .await?;
    after_exchange(p, target, exchange).await
}

/// auth and websocket, from the http exchange.
async fn after_exchange(
    p: &mut Pipeline<'_>,
    target: &Target,
    exchange: http::Exchange,
) -> Option<String> {
    let auth = auth::stage(&exchange);
    let auth_warned = auth.diagnosis.is_some();
    p.record(Layer::Auth, Duration::ZERO, auth)?;
    if let Some(spec) = stream_spec(p.ctx) {
        if !exchange.credential_sent {
            return Some(if exchange.credentials_withheld {
                "credentials are withheld (the certificate chain is not trusted)".to_owned()
            } else {
                "the stream needs a credential (see auth)".to_owned()
            });
        }
        drop(exchange);
        let ctx = p.ctx;
        p.stage(Layer::Stream, |deadline| stream::stage(ctx, spec, deadline))
            .await?;
        return None;
    }
    if !target.scheme.is_websocket() {
        return None;
    }
    if auth_warned && exchange.status != 101 {
        return Some("the upgrade needs a credential (see auth)".to_owned());
    }
    p.stage(Layer::Websocket, |deadline| {
        websocket::stage(exchange, deadline)
    })
    .await?;
    None
}

/// Whether the target is one the Speech SDK connects to itself (its
/// WebSockets), whose chain's CRLs older SDKs download.
fn speech_sdk_target(ctx: &Context) -> bool {
    ctx.cfg.preset.as_ref().is_some_and(|p| {
        matches!(
            p.role,
            crate::presets::Role::SpeechStt | crate::presets::Role::SpeechTts
        )
    })
}

/// The `--stream` request of a preset's check, if any.
fn stream_spec(ctx: &Context) -> Option<&crate::presets::StreamSpec> {
    ctx.cfg.preset.as_ref().and_then(|p| p.stream.as_ref())
}

/// A new connection to `target` for a stage's own request (the stream
/// stage): the same resolver settings and route, and a chain the container
/// trusts, or the diagnosis of what failed.
pub(crate) async fn connect_again(
    ctx: &Context,
    target: &Target,
    deadline: Instant,
) -> Result<Box<dyn Io>, Diagnosis> {
    let failed = |d: Option<Diagnosis>, what: &str| {
        d.unwrap_or_else(|| Diagnosis::new(Code::HttpMalformed, format!("{what} failed")))
    };
    let route = crate::proxy::route(&ctx.cfg.proxy, target).filter(crate::proxy::Route::proxied);
    let tcp: Box<dyn Io> = match route {
        Some(route) => {
            if !target.scheme.is_tls() {
                return Err(Diagnosis::new(
                    Code::HttpStatus,
                    "a second request through a plain-http proxy is not supported".to_owned(),
                )
                .with_status(Status::Fail));
            }
            let local = route
                .url
                .as_ref()
                .is_ok_and(|u| u.scheme.resolves_locally());
            let resolved = if local {
                let r = dns::stage(&ctx.resolver, target, &ctx.cfg, deadline).await;
                Some(r.product.ok_or_else(|| failed(r.diagnosis, "dns"))?)
            } else {
                None
            };
            let hop = proxy::stage(ctx, &route, target, resolved.as_deref(), deadline).await;
            hop.product
                .ok_or_else(|| failed(hop.diagnosis, "proxy"))?
                .stream
        }
        None => {
            let r = dns::stage(&ctx.resolver, target, &ctx.cfg, deadline).await;
            let addrs = r.product.ok_or_else(|| failed(r.diagnosis, "dns"))?;
            let t = tcp::stage(&addrs, deadline).await;
            Box::new(t.product.ok_or_else(|| failed(t.diagnosis, "tcp"))?)
        }
    };
    if !target.scheme.is_tls() {
        return Ok(tcp);
    }
    let s = tls::stage(tcp, &target.host).await;
    let session = s.product.ok_or_else(|| failed(s.diagnosis, "tls"))?;
    let v = certificate::stage(
        &session.chain,
        &target.host,
        &ctx.trust,
        false,
        session.unverified_signature.as_deref(),
        None,
    );
    match v.product {
        Some(v) if v.trusted => Ok(Box::new(session.stream)),
        _ => Err(failed(v.diagnosis, "certificate")),
    }
}
