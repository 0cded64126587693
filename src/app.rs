//! Parse, dispatch, render, exit: the glue between the command line, the
//! pipeline and the printer.

use crate::cli::{Cli, ColorChoice, Command, Format};
use crate::config::Config;
use crate::probe::{self, Context};
use crate::report::{human, json, Printer, Report};
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
            Ok(cfg) => check(cfg),
            Err(e) => usage_error(&e.to_string()),
        },
        Command::Completions { shell } => completions(shell),
    })
}

fn usage_error(message: &str) -> u8 {
    let _ = writeln!(std::io::stderr(), "error: {message}");
    crate::exit::USAGE
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

fn check(cfg: Config) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot start the async runtime: {e}"
            );
            return crate::exit::INTERNAL;
        }
    };
    let Config {
        targets,
        probe: probe_cfg,
        format,
        color,
        verbose,
    } = cfg;
    let report = runtime.block_on(async move {
        let ctx = Arc::new(Context::new(probe_cfg));
        let env = crate::env::inspect(&ctx.cfg.sysroot, &ctx.trust);
        let targets = probe::run_all(ctx, targets).await;
        Report::new(env, targets)
    });
    let text = match format {
        Format::Json => json::render(&report),
        Format::Human => human::render(
            &report,
            human::Style {
                color: use_color(color),
                verbose,
            },
        ),
    };
    if Printer::stdout().write(&text).is_err() {
        return crate::exit::INTERNAL;
    }
    report.exit_code()
}
