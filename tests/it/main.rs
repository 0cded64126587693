//! The one integration-test binary: black-box tests that run `netdoctor`
//! against real servers on loopback, a module per stage, plus the harness in
//! `support` whose own self-tests prove the fixtures behave
//! (`cargo test --test it support::`).
//!
//! Every test pins its names (`--resolve`, `--connect-to`, `--resolver` to a
//! local DNS server) and uses only 127.0.0.0/8 and ::1: no test reaches the
//! machine's resolver or the internet.

// Some tests print what they compared (e.g. openssl's subject hashes); a
// test that cannot run for want of a tool says so through `support::skip`.
#![allow(clippy::print_stderr)]

mod support;

mod auth;
mod certificate;
mod cli;
mod clients;
mod cold_start;
mod completions;
mod dns;
mod env;
mod env_clients;
mod env_speech_sdk;
mod explain;
mod hardening;
mod http;
mod idle_ws;
mod interception;
mod limits;
mod many;
mod mtls;
mod mtu;
mod presets;
mod prometheus;
mod prometheus_tier;
mod proxy;
mod revocation;
mod run;
mod runtime_stores;
mod search_domain;
mod secrets;
mod serve;
mod snapshots;
mod stream;
mod strict;
mod tcp;
mod tls;
mod trust;
mod websocket;
