//! The HTTP side: hyper's HTTP/1 server on the listener, with the head
//! limited in size ([`HEAD_MAX`]: larger is 431) and in time
//! ([`HEAD_TIME`] to send it), each connection on its own task (so one
//! garbage connection stops nothing else), and the routes: `/probe`,
//! `/metrics`, `/`, `/-/healthy`; GET and HEAD only.

use super::modules::{self, Refusal};
use super::{metrics, page, probe, State};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The largest request head read (hyper's smallest buffer limit).
const HEAD_MAX: usize = 8 * 1024;
/// How long a client has to send a request head.
const HEAD_TIME: Duration = Duration::from_secs(5);

type Reply = Response<Full<Bytes>>;

/// Accepts connections until the process ends.
pub(crate) async fn serve(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or a connection reset before accept: wait
            // a moment rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(route(&state, &req).await) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIME)
                .max_buf_size(HEAD_MAX)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn text(status: StatusCode, body: impl Into<String>) -> Reply {
    let mut body = body.into();
    body.push('\n');
    reply(status, "text/plain; charset=utf-8", body)
}

async fn route(state: &Arc<State>, req: &Request<Incoming>) -> Reply {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match req.uri().path() {
        "/probe" => probe_route(state, req).await,
        "/metrics" => reply(
            StatusCode::OK,
            metrics::CONTENT_TYPE,
            state.metrics.render(),
        ),
        "/-/healthy" => text(StatusCode::OK, "OK"),
        "/" => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page::render(state.file.names(), &state.history),
        ),
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: try /probe?target=URL&module=NAME, /metrics, / or /-/healthy",
        ),
    }
}

/// Raises the in-flight count for as long as it lives.
struct InFlight<'a>(&'a State);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.metrics.in_flight().dec();
    }
}

async fn probe_route(state: &Arc<State>, req: &Request<Incoming>) -> Reply {
    let refused = |Refusal(status, reason): Refusal| {
        state.metrics.refused(status.as_u16());
        text(status, reason)
    };
    let header = req
        .headers()
        .get("x-prometheus-scrape-timeout-seconds")
        .map(|v| v.to_str().unwrap_or("?"));
    let bound = match modules::scrape_bound(header) {
        Ok(b) => b,
        Err(r) => return refused(r),
    };
    let plan = match modules::plan(&state.file, req.uri().query().unwrap_or(""), bound) {
        Ok(plan) => plan,
        Err(r) => return refused(r),
    };
    if state.in_flight.fetch_add(1, Ordering::AcqRel) >= state.max_concurrent {
        state.in_flight.fetch_sub(1, Ordering::AcqRel);
        return refused(Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} probes in flight already (--max-concurrent)",
                state.max_concurrent
            ),
        ));
    }
    state.metrics.in_flight().inc();
    let guard = InFlight(state);
    let started = Instant::now();
    let env = state.fresh_env();
    let reports = probe::run(state, &plan).await;
    drop(guard);
    probe::record(state, &plan, &reports, started.elapsed().as_secs_f64());
    if plan.json {
        let mut body = String::new();
        let texts: Vec<String> = reports.iter().map(crate::report::json::target).collect();
        let met = reports.iter().all(|r| r.met);
        crate::report::json::document(met, &env, texts.iter().map(String::as_str), &mut |t| {
            body.push_str(t);
        });
        reply(StatusCode::OK, "application/json", body)
    } else {
        reply(
            StatusCode::OK,
            metrics::PROBE_CONTENT_TYPE,
            metrics::render_probe(&reports),
        )
    }
}
