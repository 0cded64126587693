//! The man page (`netdoctor man`, committed as `doc/netdoctor.1`): one page
//! with every command and its options, rendered by clap_mangen from the
//! same clap definition as `--help`, plus the exit codes.

use crate::args::flags::Cli;
use clap::CommandFactory;
use std::io;

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
every target met its expectation (warnings allowed)
.TP
\fB1\fR
netdoctor itself failed
.TP
\fB2\fR
usage error (bad option, URL or check file)
.TP
\fB3\fR
an expected failure did not happen
.TP
\fB4\fR
explain: the text matches no known client error
.TP
\fB10\fR\-\fB19\fR
the most fundamental failing layer: 10 env, 11 dns, 12 tcp, 13 proxy, 14 tls, 15 certificate, 16 http, 17 auth, 18 websocket, 19 stream
"#;

/// Renders the man page as roff.
pub fn render() -> io::Result<String> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("netdoctor {}", sub.get_name());
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let mut section = Vec::new();
        sub_man.render_synopsis_section(&mut section)?;
        sub_man.render_description_section(&mut section)?;
        sub_man.render_options_section(&mut section)?;
        // Each command is one section; its parts are subsections.
        let text = String::from_utf8_lossy(&section).replace(".SH ", ".SS ");
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(EXIT_STATUS.as_bytes());
    man.render_version_section(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
