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
pub mod client_cert;
pub(crate) mod connect;
pub mod dns;
pub(crate) mod h1;
pub mod http;
pub mod mtu;
pub mod options;
mod outcome;
pub mod profile;
pub mod proxy;
pub mod revocation;
mod schedule;
pub mod stream;
pub mod tcp;
pub mod tls;
pub mod websocket;

use crate::diagnosis::{Code, Diagnosis, Layer, Status};
use crate::target::Target;
use crate::trust::TrustStores;
use connect::Reached;
pub use outcome::{Facts, StageReport, StageResult, TargetOutcome};
use profile::ServiceProfile;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tcp::SocketOptions;
use tokio::io::{AsyncRead, AsyncWrite};

pub use options::{Check, ConnectTo, Family, ProbeConfig, RequestSpec, ResolveEntry, ResolverAddr};
pub use schedule::{run_all, run_all_with, NotRun, Observer, Runs, Schedule, TrustSource};

/// A byte stream a stage can hand on (TCP or TLS over TCP).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Everything shared by the targets that have the same options.
pub struct Context {
    pub cfg: Arc<ProbeConfig>,
    pub resolver: dns::NameResolver,
    pub trust: Arc<TrustStores>,
    /// The stores an `https://` proxy's certificate is judged against, when
    /// `--proxy-cacert` adds to them (else `trust`).
    pub proxy_trust: Option<Arc<TrustStores>>,
    /// The run's deadline for these targets (`--max-time`, counted from
    /// the start of the run) and how to name it.
    end: Option<(Instant, String)>,
}

impl Context {
    /// The context of `cfg`'s targets in a run that started at `started`;
    /// `trust` loads (or shares) the stores of a list of `--cacert` files.
    pub fn new(
        cfg: Arc<ProbeConfig>,
        started: Instant,
        mut trust: impl FnMut(&[std::path::PathBuf]) -> Arc<TrustStores>,
    ) -> Self {
        let resolver = dns::NameResolver::new(&cfg);
        let proxy_trust = (!cfg.proxy_cacert.is_empty()).then(|| {
            let all: Vec<_> = cfg
                .cacert
                .iter()
                .chain(&cfg.proxy_cacert)
                .cloned()
                .collect();
            trust(&all)
        });
        let end = cfg
            .max_time
            .map(|m| (started + m, format!("--max-time {}s", m.as_secs_f64())));
        Context {
            trust: trust(&cfg.cacert),
            cfg,
            resolver,
            proxy_trust,
            end,
        }
    }

    /// Whether the run's deadline for these targets has passed.
    fn ended(&self) -> Option<&str> {
        self.end
            .as_ref()
            .filter(|(end, _)| Instant::now() >= *end)
            .map(|(_, name)| name.as_str())
    }
}

/// How long after its deadline a stage that has not returned is cut: the
/// moment a stage needs to classify its own timeout, no more (a stage
/// passes the deadline to every wait of its own).
const BACKSTOP: Duration = Duration::from_millis(20);

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
    /// The deadline of the whole run (`--max-time`, or a caller's deadline
    /// for a scratch pipeline) and how to name it.
    end: Option<(Instant, String)>,
    /// The target's stages, in order (with `proxy` when one is configured).
    layers: Vec<Layer>,
    /// The service's own error in the http reply, when a profile finds one.
    service_error: Option<String>,
    /// Whether the stages go into the target's report (else a scratch
    /// pipeline: see [`Pipeline::scratch`]).
    reported: bool,
    /// netdoctor's own failure, when a stage could not be done.
    internal: Option<String>,
}

impl<'a> Pipeline<'a> {
    /// The pipeline of one target's run.
    fn new(
        ctx: &'a Context,
        watch: Option<(Arc<dyn Observer>, usize)>,
        layers: Vec<Layer>,
    ) -> Self {
        Pipeline {
            ctx,
            watch,
            stages: Vec::new(),
            end: ctx.end.clone(),
            layers,
            service_error: None,
            reported: true,
            internal: None,
        }
    }

    /// A pipeline whose stages are not reported, for a connection a stage
    /// makes of its own (see [`connect`]): each step is cut at `deadline`
    /// (the calling stage's), and the service's knowledge is left to the
    /// stage that reports the outcome, so nothing is decorated twice.
    fn scratch(ctx: &'a Context, deadline: Instant) -> Self {
        let timeout = format!("--timeout {}s", ctx.cfg.timeout.as_secs_f64());
        let limit = match ctx.cfg.max_time {
            Some(max) => format!("{timeout} / --max-time {}s", max.as_secs_f64()),
            None => timeout,
        };
        Pipeline {
            ctx,
            watch: None,
            stages: Vec::new(),
            end: Some((deadline, limit)),
            layers: Vec::new(),
            service_error: None,
            reported: false,
            internal: None,
        }
    }

    /// The first failure recorded, if any.
    fn failure(&self) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.status == Status::Fail)
    }

    /// The diagnosis of the step that failed, for a scratch pipeline's
    /// caller (a failed stage always carries one; the fallback names the
    /// layer that stopped, should one not).
    fn failed_with(&self) -> Diagnosis {
        let failed = self.failure();
        failed.and_then(|s| s.diagnosis.clone()).unwrap_or_else(|| {
            let layer = failed.map_or(Layer::Tcp, |s| s.layer);
            let why = self.internal.clone();
            Diagnosis::new(
                timeout_code(layer),
                why.unwrap_or_else(|| format!("{layer} failed")),
            )
        })
    }

    /// The deadline of a stage that starts now, and the option that set it
    /// (the websocket stage's covers `--hold` too).
    fn deadline(&self, layer: Layer) -> (Instant, String) {
        let (extra, named) = match self.ctx.cfg.hold.filter(|_| layer == Layer::Websocket) {
            Some(h) => (
                h.duration,
                format!("--hold {}s + ", h.duration.as_secs_f64()),
            ),
            None => (Duration::ZERO, String::new()),
        };
        let per_stage = Instant::now() + extra + self.ctx.cfg.timeout;
        match &self.end {
            Some((end, limit)) if *end < per_stage => (*end, limit.clone()),
            _ => (
                per_stage,
                format!("{named}--timeout {}s", self.ctx.cfg.timeout.as_secs_f64()),
            ),
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
        let (deadline, limit) = self.deadline(layer);
        if let Some((o, index)) = &self.watch {
            o.stage(*index, layer);
        }
        let started = Instant::now();
        // Stages that classify their own timeouts get a moment to do so.
        let backstop = deadline + BACKSTOP;
        let result = if let Ok(r) = tokio::time::timeout_at(backstop.into(), run(deadline)).await {
            r
        } else {
            let after = started.elapsed();
            let d = Diagnosis::new(
                timeout_code(layer),
                format!("did not complete within {} ms ({limit})", after.as_millis()),
            );
            StageResult::fail(
                d,
                Facts::Timeout {
                    timeout_ms: after.as_millis(),
                },
            )
        };
        (result, started.elapsed())
    }

    fn record<T>(&mut self, layer: Layer, elapsed: Duration, r: StageResult<T>) -> Option<T> {
        let StageResult {
            mut summary,
            facts,
            mut diagnosis,
            mut warnings,
            product,
            internal,
        } = r;
        if let Some(reason) = internal {
            // Not the path's fault: the stage is left out and the target
            // reports netdoctor's own failure.
            self.internal.get_or_insert(reason);
            return None;
        }
        let profile = self.ctx.cfg.profile.as_deref().filter(|_| self.reported);
        if let Some(profile) = profile {
            if layer == Layer::Http {
                self.service_error = facts.http_body().and_then(|b| profile.service_error(b));
            }
            if let Some(d) = diagnosis.as_mut() {
                let shown = summary == d.summary;
                self.decorate(profile, layer, d);
                if shown {
                    summary.clone_from(&d.summary);
                }
            }
            for d in &mut warnings {
                self.decorate(profile, layer, d);
            }
        }
        if self.reported {
            // A later fault of a target whose name a search domain answered.
            for d in diagnosis.iter_mut().chain(&mut warnings) {
                dns::note_search_answer(&self.stages, d);
            }
        }
        let failed = diagnosis.as_ref().is_some_and(|d| d.status == Status::Fail);
        let mut report = StageReport::ran(layer, elapsed, summary, facts, diagnosis);
        report.warnings = warnings;
        self.stages.push(report);
        if failed {
            None
        } else {
            product
        }
    }

    /// The service's knowledge added to a diagnosis: its own error quoted
    /// (from the http stage's body), its clients' strings and its fix.
    fn decorate(&self, profile: &dyn ServiceProfile, layer: Layer, d: &mut Diagnosis) {
        // The http reply's error belongs to the http and auth stages only
        // (the stream stage's own request has its own reply).
        let http_or_auth = |l: Layer| matches!(l, Layer::Http | Layer::Auth);
        if let Some(err) = self.service_error.as_ref().filter(|_| http_or_auth(layer)) {
            let quoted = format!(": {err}");
            if http_or_auth(d.layer) && !d.summary.contains(&quoted) {
                // The service's error replaces the body quoted as is.
                if let Some(cut) = d.summary.find(": \"") {
                    d.summary.truncate(cut);
                }
                d.summary.push_str(&quoted);
            }
        }
        profile.decorate(d);
    }

    /// Fills in the layers that did not run.
    fn finish(mut self, target: &Target, reason: Option<String>) -> TargetOutcome {
        let own = self
            .internal
            .as_ref()
            .map(|e| format!("netdoctor failed: {e}"));
        let reason = own.or(reason).unwrap_or_else(|| {
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
        TargetOutcome {
            name: target.name.clone().unwrap_or_else(|| target.display_url()),
            target: target.display_url(),
            stages: self.stages,
            internal: self.internal,
        }
    }
}

/// Probes one target, telling `watch` which stage it is in.
async fn run_target_watched(
    ctx: &Context,
    target: &Target,
    watch: Option<(Arc<dyn Observer>, usize)>,
) -> TargetOutcome {
    let route = crate::proxy::route(&ctx.cfg.proxy, target);
    let profile = ctx.cfg.profile.as_deref();
    let ignored = profile.and_then(ServiceProfile::ignored_proxy);
    let mut layers = if route.is_some() || ignored.is_some() {
        target.scheme.layers_with_proxy()
    } else {
        target.scheme.layers()
    };
    if stream_spec(ctx).is_some() {
        layers.push(Layer::Stream);
    }
    let mut p = Pipeline::new(ctx, watch, layers);
    if let Some(ignored) = ignored {
        // The client connects directly, as this target does: say so where
        // its proxy stage would be.
        let d = ignored.diagnosis.clone();
        let summary = d.summary.clone();
        p.record(
            Layer::Proxy,
            Duration::ZERO,
            StageResult::warn(d, summary, Facts::IgnoredProxy(ignored), ()),
        );
    }
    let reason = run_stages(&mut p, target, route.as_ref()).await;
    p.finish(target, reason)
}

/// Runs the stages in order; returns a skip reason when one was decided
/// other than "a stage failed".
async fn run_stages(
    p: &mut Pipeline<'_>,
    target: &Target,
    route: Option<&crate::proxy::Route>,
) -> Option<String> {
    match connect::connect(p, target, route, SocketOptions::default()).await? {
        Reached::Stream { proxied: false, .. } if target.scheme == crate::target::Scheme::Tcp => {
            None
        }
        Reached::Stream {
            stream,
            proxied,
            retry,
        } => {
            let via = route.filter(|_| proxied);
            after_connect(p, target, stream, via, retry).await
        }
        Reached::Forward(forward) => forwarded(p, target, route?, forward).await,
    }
}

/// Plain http/ws through an HTTP proxy: the request itself goes to the
/// proxy (absolute-form) and the proxy stage is judged from its reply.
async fn forwarded(
    p: &mut Pipeline<'_>,
    target: &Target,
    route: &crate::proxy::Route,
    forward: connect::Forward,
) -> Option<String> {
    let ctx = p.ctx;
    let connect::Forward { hop, elapsed } = forward;
    let proxy::Hop {
        stream,
        authorization,
        mut facts,
    } = hop;
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
    if let Some(e) = judged {
        p.record(
            Layer::Proxy,
            elapsed,
            StageResult::<()>::fail(e.diagnosis(), Facts::Proxy(facts)),
        );
        return None;
    }
    let summary = format!(
        "{url} ({}) relayed the request{}",
        route.source,
        proxy::differ_note(route)
    );
    p.record(
        Layer::Proxy,
        elapsed,
        StageResult::pass(summary, Facts::Proxy(facts), ()),
    );
    let exchange = p.record(Layer::Http, http_elapsed, exchange)?;
    after_exchange(p, target, exchange).await
}

/// The server's certificate on a direct connection (same resolver settings,
/// no proxy), for the re-signing comparison; why not, when the direct path
/// does not work from here.
async fn direct_leaf(ctx: &Context, target: &Target, deadline: Instant) -> certificate::Direct {
    let mut scratch = Pipeline::scratch(ctx, deadline);
    let work = async {
        let session =
            match connect::open(&mut scratch, target, None, SocketOptions::default()).await {
                Some(connect::Opened::Tls(session)) => Some(session),
                _ => None,
            };
        let Some(session) = session else {
            let why = match scratch.failure().map(|s| s.layer) {
                Some(Layer::Dns) => "the name does not resolve here",
                Some(Layer::Tcp) => "no direct TCP connection",
                _ => "no direct TLS handshake",
            };
            return Err(why);
        };
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

/// From a connected stream (direct, or a tunnel through `via`'s proxy):
/// tls, certificate, http, auth, websocket. `retry`: a direct connection's
/// small-MSS retry of a stalled handshake (see `mtu.rs`).
async fn after_connect(
    p: &mut Pipeline<'_>,
    target: &Target,
    tcp: Box<dyn Io>,
    via: Option<&crate::proxy::Route>,
    retry: Option<mtu::Retry>,
) -> Option<String> {
    let ctx = p.ctx;
    let (stream, send_credentials, client_auth): (Box<dyn Io>, bool, _) = if target.scheme.is_tls()
    {
        let Some(session) = connect::handshake(p, target, tcp, retry).await else {
            // No failure recorded: the handshake hit netdoctor's own limit.
            return p
                .failure()
                .is_none()
                .then(|| tls::STOPPED_BY_LIMIT.to_owned());
        };
        let chain = &session.chain;
        let unverified = session.unverified_signature.as_deref();
        let verdict = p
            .stage(Layer::Certificate, |deadline| async move {
                // Through a proxy, an unexplained private chain is compared
                // with the certificate the server presents directly.
                let direct = if via.is_some()
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
                if checks_revocation(ctx) && r.product.is_some_and(|v| v.trusted) {
                    // Older Speech SDKs fetch the chain's CRLs: through the same path.
                    if let Some((facts, warning)) =
                        revocation::check(ctx, chain, via, deadline).await
                    {
                        revocation::attach(&mut r, facts, warning);
                    }
                }
                if let (Some(path), Facts::Certificate(facts)) = (&target.save_chain, &mut r.facts)
                {
                    facts.set_saved_chain(path, certificate::save_chain(path, chain));
                }
                r
            })
            .await?;
        let auth = session.client_auth.clone();
        (Box::new(session.stream), verdict.trusted, Some(auth))
    } else {
        (tcp, true, None)
    };
    let (exchange, elapsed) = p
        .run(Layer::Http, |deadline| {
            http::stage(stream, target, &ctx.cfg, send_credentials, None, deadline)
        })
        .await;
    if refused_client_cert(p, client_auth.as_ref(), &exchange) {
        return None;
    }
    let exchange = p.record(Layer::Http, elapsed, exchange)?;
    after_exchange(p, target, exchange).await
}

/// A server that refused the client certificate only after the handshake
/// (TLS 1.3's alert, nginx's 400): the http stage's outcome is the tls
/// layer's failure, so the tls stage is re-recorded as failed and http is
/// left unrecorded (skipped: "tls failed").
fn refused_client_cert(
    p: &mut Pipeline<'_>,
    auth: Option<&tls::ClientAuth>,
    http: &StageResult<http::Exchange>,
) -> bool {
    let failed = http
        .diagnosis
        .as_ref()
        .is_some_and(|d| d.status == Status::Fail);
    let Some(mut d) = auth.and_then(|a| tls::refusal(a, &http.facts, failed)) else {
        return false;
    };
    if let Some(profile) = p.ctx.cfg.profile.as_deref() {
        p.decorate(profile, Layer::Tls, &mut d);
    }
    if let Some(stage) = p.stages.iter_mut().find(|s| s.layer == Layer::Tls) {
        tls::refail(stage, d);
    }
    true
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
    let cfg = &p.ctx.cfg;
    let limit = p.deadline(Layer::Websocket).1;
    p.stage(Layer::Websocket, |deadline| {
        websocket::stage(exchange, deadline, cfg.hold.as_ref(), cfg.timeout, &limit)
    })
    .await?;
    None
}

/// Whether the target's client downloads the chain's CRLs (older Speech
/// SDKs), so their URLs are checked.
fn checks_revocation(ctx: &Context) -> bool {
    ctx.cfg
        .profile
        .as_ref()
        .is_some_and(|p| p.checks_revocation())
}

/// The `--stream` request of a preset's check, if any.
fn stream_spec(ctx: &Context) -> Option<&profile::StreamSpec> {
    ctx.cfg.profile.as_ref().and_then(|p| p.stream())
}

/// A connection a stage opened for a request of its own.
pub(crate) struct Reopened {
    pub(crate) stream: Box<dyn Io>,
    /// Through a plain-http proxy: the request goes to it in absolute-form,
    /// with its credentials.
    pub(crate) via: Option<http::ViaProxy>,
}

/// A new connection to `target` for a stage's own request (the stream
/// stage): the same resolver settings and route, and a chain the container
/// trusts, or the diagnosis of the step that failed (a name that does not
/// resolve is its `DNS_` code, as for the target).
pub(crate) async fn connect_again(
    ctx: &Context,
    target: &Target,
    deadline: Instant,
) -> Result<Reopened, Diagnosis> {
    let route = crate::proxy::route(&ctx.cfg.proxy, target).filter(crate::proxy::Route::proxied);
    let mut scratch = Pipeline::scratch(ctx, deadline);
    let session = match connect::open(
        &mut scratch,
        target,
        route.as_ref(),
        SocketOptions::default(),
    )
    .await
    {
        Some(connect::Opened::Tls(session)) => session,
        Some(connect::Opened::Plain(stream)) => return Ok(Reopened { stream, via: None }),
        Some(connect::Opened::Forward(hop)) => {
            let via = http::ViaProxy {
                authorization: hop.authorization,
            };
            return Ok(Reopened {
                stream: hop.stream,
                via: Some(via),
            });
        }
        None => return Err(scratch.failed_with()),
    };
    let v = certificate::stage(
        &session.chain,
        &target.host,
        &ctx.trust,
        false,
        session.unverified_signature.as_deref(),
        None,
    );
    match v.product {
        Some(v) if v.trusted => Ok(Reopened {
            stream: Box::new(session.stream),
            via: None,
        }),
        _ => Err(v
            .diagnosis
            .unwrap_or_else(|| Diagnosis::new(Code::CertInvalid, "certificate failed".to_owned()))),
    }
}
