//! Many targets in one run (issue 12): they are probed on a multi-thread
//! runtime, so a long `check` uses every core; every target still passes
//! and the report keeps the command line's order. Threads are counted
//! (strace), never timed.

use crate::support::{pki, run_check, strace, Response, TlsServer, GOOD_NAMES};

/// The threads that connected to `port` while `netdoctor ARGS` ran
/// (strace's `connect` lines, by thread id), or `None` without strace.
fn threads_connecting(args: &[String], port: u16) -> Option<usize> {
    let (code, text) = strace(args, "connect")?;
    assert_eq!(code, Some(0), "netdoctor under strace");
    let port = format!("htons({port})");
    let mut tids: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&port))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    tids.sort_unstable();
    tids.dedup();
    Some(tids.len())
}

#[test]
fn forty_https_targets_pass_in_order_on_more_than_one_thread() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let ca = pki().ca_file();
    let mut args = vec!["check".to_owned()];
    args.extend((0..40).map(|i| server.url("https", "good.test", &format!("/p{i}"))));
    args.extend([
        "--resolve".to_owned(),
        server.resolve("good.test"),
        "--cacert".to_owned(),
        ca.arg(),
    ]);
    let r = run_check(&args);
    r.assert_all_pass();
    let targets = r.json["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 40, "{}", r.dump());
    // Reported in the command line's order, whatever order they ended in.
    for (i, t) in targets.iter().enumerate() {
        let url = t["target"].as_str().unwrap_or_default();
        assert!(url.ends_with(&format!("/p{i}")), "targets[{i}] is {url}");
    }

    // Before: one thread made every connection (a current-thread runtime).
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if cores < 2 {
        // One core: one thread is the right runtime.
        return;
    }
    let Some(threads) = threads_connecting(&args, server.port()) else {
        return;
    };
    assert!(threads >= 2, "{threads} thread(s) connected to the server");
}
