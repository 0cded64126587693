//! Parse, dispatch, render, exit: the glue between the command line, the
//! pipeline and the printer.

use crate::args::flags::{
    Cli, ColorChoice, Command, EnvArgs, EnvFormat, ExplainArgs, ExplainFormat, Format,
};
use crate::args::Config;
use crate::diagnosis::{Layer, Status};
use crate::probe::{self, Schedule};
use crate::report::collect::{Collector, Kind};
use crate::report::progress::Progress;
use crate::report::{self, human, json, junit, Printer, Report};
use crate::sysroot::Sysroot;
use crate::trust::TrustStores;
use clap::{CommandFactory, Parser};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// Runs netdoctor with the process arguments and returns its exit code.
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                crate::exit::USAGE
            } else {
                crate::exit::OK
            });
        }
    };
    ExitCode::from(match cli.command {
        Command::Check(args) => match Config::from_check(*args) {
            Ok(cfg) => probe_and_report(cfg),
            Err(e) => usage_error(&e.to_string()),
        },
        Command::AzureSpeech(args) => match Config::from_azure_speech(*args) {
            Ok(cfg) => probe_and_report(cfg),
            Err(e) => usage_error(&e.to_string()),
        },
        Command::Openai(args) => match Config::from_openai(*args) {
            Ok(cfg) => probe_and_report(cfg),
            Err(e) => usage_error(&e.to_string()),
        },
        Command::AzureOpenai(args) => match Config::from_azure_openai(*args) {
            Ok(cfg) => probe_and_report(cfg),
            Err(e) => usage_error(&e.to_string()),
        },
        Command::Run(args) => match Config::from_run(args) {
            Ok(cfg) => probe_and_report(cfg),
            Err(e) => usage_error(&e.to_string()),
        },
        Command::Env(args) => env(&args),
        Command::Explain(args) => explain(&args),
        Command::Serve(args) => crate::serve::run(&args),
        Command::Completions { shell } => completions(shell),
        Command::Man => man_page(),
    })
}

fn usage_error(message: &str) -> u8 {
    let _ = writeln!(std::io::stderr(), "error: {message}");
    crate::exit::USAGE
}

fn man_page() -> u8 {
    let Ok(page) = crate::manpage::render() else {
        return crate::exit::INTERNAL;
    };
    match Printer::stdout().write(&page) {
        Ok(()) => crate::exit::OK,
        Err(_) => crate::exit::INTERNAL,
    }
}

fn completions(shell: clap_complete::Shell) -> u8 {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "netdoctor", &mut buf);
    match Printer::stdout().write(&String::from_utf8_lossy(&buf)) {
        Ok(()) => crate::exit::OK,
        Err(_) => crate::exit::INTERNAL,
    }
}

/// The one colour decision: `--color`, then `NO_COLOR`, then
/// `FORCE_COLOR`/`CLICOLOR_FORCE`, then whether stdout is a terminal.
fn use_color(choice: ColorChoice) -> bool {
    let non_empty = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty() && x != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if non_empty("NO_COLOR") => false,
        ColorChoice::Auto if set("FORCE_COLOR") || set("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}

/// `netdoctor explain TEXT|-`: exit 0 when a cause matched, 4 when none did.
fn explain(args: &ExplainArgs) -> u8 {
    use crate::explain::MAX_INPUT;
    use std::io::Read;
    let (text, truncated) = if args.text.len() == 1 && args.text[0] == "-" {
        let mut buf = Vec::new();
        let limit = u64::try_from(MAX_INPUT + 1).unwrap_or(u64::MAX);
        if let Err(e) = std::io::stdin().lock().take(limit).read_to_end(&mut buf) {
            let _ = writeln!(std::io::stderr(), "error: cannot read stdin: {e}");
            return crate::exit::INTERNAL;
        }
        let truncated = buf.len() > MAX_INPUT;
        buf.truncate(MAX_INPUT);
        (String::from_utf8_lossy(&buf).into_owned(), truncated)
    } else {
        (args.text.join(" "), false)
    };
    if text.trim().is_empty() {
        return usage_error("explain: nothing to explain (TEXT is empty; `-` reads stdin)");
    }
    let explanation = crate::explain::explain(&text);
    let rendered = match args.format {
        ExplainFormat::Json => report::explain::render_json(&explanation, truncated),
        ExplainFormat::Human => {
            report::explain::render_human(&explanation, truncated, use_color(args.color))
        }
    };
    if Printer::stdout().write(&rendered).is_err() {
        return crate::exit::INTERNAL;
    }
    if explanation.matches.is_empty() {
        crate::exit::UNKNOWN_ERROR_TEXT
    } else {
        crate::exit::OK
    }
}

/// `netdoctor env`: the container look alone; exit 10 when a finding fails.
fn env(args: &EnvArgs) -> u8 {
    let sysroot = Sysroot::from_env();
    let trust = TrustStores::load(&sysroot, &[]);
    let env = crate::env::inspect(&sysroot, &trust, crate::env::Depth::Full);
    let failed = env.status == Some(Status::Fail);
    let mut report = Report::new(env, Vec::new());
    report.ok = !failed;
    let text = match args.format {
        EnvFormat::Json => json::render(&report),
        EnvFormat::Jsonl => json::head_line(report.ok, &report.env),
        EnvFormat::Junit => junit::render_env(&report),
        EnvFormat::Human => human::render_env_command(
            &report,
            human::Style {
                color: use_color(args.color),
                verbose: args.verbose,
            },
        ),
    };
    if Printer::stdout().write(&text).is_err() {
        return crate::exit::INTERNAL;
    }
    if failed {
        Layer::Env.exit_code()
    } else {
        crate::exit::OK
    }
}

/// Live progress only for people: human output with stderr on a terminal.
fn show_progress(format: Format) -> bool {
    format == Format::Human && std::io::stderr().is_terminal()
}

/// Worker threads of a many-target run: one per core, at most this many.
const MAX_WORKERS: usize = 8;

/// The run's async runtime. One check (or `--jobs 1`) runs on the current
/// thread, so a cold start spawns no workers; more run on one worker per
/// core (at most [`MAX_WORKERS`], never more than `jobs`), so that many
/// targets' handshakes and chain checks use every core.
fn runtime(checks: usize, jobs: usize) -> std::io::Result<tokio::runtime::Runtime> {
    // Asked only for many checks: it reads the cgroup's CPU quota files.
    let workers = if checks > 1 && jobs > 1 {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        cores.min(MAX_WORKERS).min(jobs)
    } else {
        1
    };
    if workers > 1 {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
}

/// Starts the container look beside the probes (it reads files only; its
/// findings join the report at the end). When a certificate will be
/// judged, what the verdict needs is loaded beside them too, while the
/// probes resolve, connect and shake hands: the CA files on one blocking
/// thread, the runtimes' stores first on the look's.
fn look_beside(
    checks: &[crate::probe::Check],
) -> (
    Option<tokio::task::JoinHandle<()>>,
    tokio::task::JoinHandle<crate::env::EnvReport>,
) {
    let judges = checks.iter().any(|c| {
        c.target
            .scheme
            .layers()
            .contains(&crate::diagnosis::Layer::Certificate)
    });
    let prefetch = judges.then(|| {
        tokio::task::spawn_blocking(|| TrustStores::load(&Sysroot::from_env(), &[]).prefetch())
    });
    let look = tokio::task::spawn_blocking(move || {
        let sysroot = Sysroot::from_env();
        let trust = TrustStores::load(&sysroot, &[]);
        if judges {
            trust.prefetch_runtimes();
        }
        crate::env::inspect(&sysroot, &trust, crate::env::Depth::Quick)
    });
    (prefetch, look)
}

fn probe_and_report(cfg: Config) -> u8 {
    let Config { checks, output } = cfg;
    let schedule = Schedule {
        jobs: crate::limits::jobs(output.jobs, &checks),
        repeat: output.repeat,
        interval: output.interval,
        started: std::time::Instant::now(),
    };
    let runtime = match runtime(checks.len(), schedule.jobs) {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot start the async runtime: {e}"
            );
            return crate::exit::INTERNAL;
        }
    };
    let kind = match output.format {
        Format::Json => Kind::Json,
        Format::Jsonl => Kind::Jsonl,
        Format::Junit => Kind::Junit,
        Format::Prometheus => Kind::Prometheus,
        Format::Human => Kind::Human(human::Style {
            color: use_color(output.color),
            verbose: output.verbose,
        }),
    };
    runtime.block_on(async move {
        let (prefetch, look) = look_beside(&checks);
        let progress = show_progress(output.format).then(|| {
            let names: Vec<String> = checks
                .iter()
                .map(|c| {
                    c.target
                        .name
                        .clone()
                        .unwrap_or_else(|| c.target.display_url())
                })
                .collect();
            Arc::new(Progress::new(&names))
        });
        let observer = progress.clone().map(|p| p as Arc<dyn probe::Observer>);
        let ids = checks
            .iter()
            .map(|c| c.probe.profile.as_ref().map(|p| p.id()))
            .collect();
        let mut collector = Collector::new(kind, ids);
        probe::run_all(checks, schedule, observer, |index, check, runs| {
            let report = report::TargetReport::from_runs(check, runs);
            if let Some(p) = &progress {
                p.done(index, report.met);
            }
            collector.add(index, report);
        })
        .await;
        if let Some(p) = &progress {
            p.clear();
        }
        if let Some(prefetch) = prefetch {
            // Done long before (the verdicts waited for what they needed).
            let _ = prefetch.await;
        }
        let Ok(mut env) = look.await else {
            let _ = writeln!(std::io::stderr(), "error: the look at the container failed");
            return crate::exit::INTERNAL;
        };
        let dates = collector.server_dates();
        crate::env::clock::check_server_dates(&mut env, dates, std::time::SystemTime::now());
        let mut printer = Printer::stdout();
        let mut failed = false;
        let code = collector.finish(&env, &mut |text| {
            failed |= printer.write(text).is_err();
        });
        if failed {
            crate::exit::INTERNAL
        } else {
            code
        }
    })
}
