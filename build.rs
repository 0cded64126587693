//! Embeds the build date (`NETDOCTOR_BUILD_EPOCH`, seconds since the Unix
//! epoch) so that `netdoctor env` can tell a clock that is provably wrong: a
//! clock before the day its own binary was built. `SOURCE_DATE_EPOCH` wins
//! for reproducible builds. A stale value is harmless: it stays a lower
//! bound for the real time.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    println!("cargo:rustc-env=NETDOCTOR_BUILD_EPOCH={epoch}");
}
