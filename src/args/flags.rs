//! The whole command line (clap derive): every command, flag and help text.
//!
//! Values are parsed by the parsers of [`super::values`] (and
//! [`parse_duration`]), so a malformed value is a usage error (exit 2) that
//! names the flag and the value. The check files of `netdoctor run` are read
//! through this same definition.

use super::values::{parse_connect_to, parse_proxy, parse_resolve, parse_resolver, Masked};
use crate::duration::parse_duration;
use crate::probe::{ConnectTo, ResolveEntry, ResolverAddr};
use crate::proxy::ProxyUrl;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Tells which layer of a network connection broke, why, and how to fix it.
#[derive(Debug, Parser)]
#[command(
    name = "netdoctor",
    version,
    about,
    propagate_version = true,
    args_override_self = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Probe URLs layer by layer: https:// http:// wss:// ws:// tcp://host:port
    Check(Box<CheckArgs>),
    /// Run a check file (TOML): many targets with their options and expectations, for CI
    Run(RunArgs),
    /// Azure Speech: the STT and TTS WebSockets (and the token service) of a region or endpoint
    AzureSpeech(Box<AzureSpeechArgs>),
    /// OpenAI: GET /models with the key (and the Realtime WebSocket, the SSE stream)
    Openai(Box<OpenaiArgs>),
    /// Azure OpenAI: a deployment proven at no token cost (and the SSE stream)
    AzureOpenai(Box<AzureOpenaiArgs>),
    /// Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails
    Env(EnvArgs),
    /// Which layers can cause a client's error message, and the command that tells them apart
    Explain(ExplainArgs),
    /// A Prometheus exporter (blackbox-style): /probe?target=URL&module=NAME, /metrics, /
    Serve(ServeArgs),
    /// Print a shell completion script to stdout
    Completions {
        /// The shell to generate completions for
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout
    #[command(hide = true)]
    Man,
}

/// `netdoctor run FILE`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The check file (TOML): [defaults] and [[check]] tables
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `netdoctor serve [FILE]`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The check file (TOML): its [[check]] tables are the modules, [serve] allow the targets
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,

    /// The address to listen on (loopback unless told otherwise)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9116")]
    pub(crate) listen: std::net::SocketAddr,

    /// Probes in flight at most; over it, /probe answers 503
    #[arg(long, value_name = "N", default_value_t = std::num::NonZeroUsize::new(64).unwrap_or(std::num::NonZeroUsize::MIN))]
    pub(crate) max_concurrent: std::num::NonZeroUsize,

    /// Which probes are logged on stderr (one line each): error = netdoctor's own faults, warn = failed probes too, info = every probe
    #[arg(long, value_enum, default_value_t = LogLevel::Warn)]
    pub(crate) log_level: LogLevel,
}

/// `netdoctor serve --log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum LogLevel {
    Error,
    Warn,
    Info,
}

/// How a run is reported and repeated (not per target).
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,

    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    /// Show every fact of every stage
    #[arg(short, long)]
    pub(crate) verbose: bool,

    /// How many targets to probe at once
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) jobs: u16,

    /// Probe every target N times and report per-layer outcomes and latencies
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) repeat: u32,

    /// Pause between repeats, e.g. 500ms, 2s
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) interval: Option<Duration>,
}

/// `netdoctor check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The URLs to probe; several run concurrently
    #[arg(required = true, value_name = "URL")]
    pub(crate) urls: Vec<String>,

    /// Extra request header, as in curl ('Name: value'); values are never printed
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,

    /// Request method (default GET, or POST with -d)
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub(crate) method: Option<String>,

    /// Request body, as in curl (implies POST); @FILE reads it from a file
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub(crate) data: Option<String>,

    #[command(flatten)]
    pub(crate) probe: ProbeArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `netdoctor azure-speech`.
#[derive(Debug, Args)]
pub(crate) struct AzureSpeechArgs {
    /// The resource's region, e.g. westeurope (china*/usgov* regions use their clouds' hosts)
    #[arg(
        long,
        value_name = "REGION",
        required_unless_present = "endpoint",
        conflicts_with = "endpoint"
    )]
    pub(crate) region: Option<String>,

    /// A custom domain or private endpoint, e.g. https://NAME.cognitiveservices.azure.com
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint: Option<String>,

    /// The resource key (also read from AZURE_SPEECH_KEY); never printed
    #[arg(long, value_name = "KEY", env = "SPEECH_KEY", hide_env_values = true)]
    pub(crate) key: Option<String>,

    /// The recognition language of the STT URL
    #[arg(long, value_name = "LANG", default_value = "en-US")]
    pub(crate) language: String,

    /// Also probe the token service (issueToken) with the key
    #[arg(long)]
    pub(crate) token: bool,

    #[command(flatten)]
    pub(crate) probe: ProbeArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `netdoctor openai`.
#[derive(Debug, Args)]
pub(crate) struct OpenaiArgs {
    /// The API base URL
    #[arg(
        long = "base-url",
        value_name = "URL",
        env = "OPENAI_BASE_URL",
        default_value = "https://api.openai.com/v1"
    )]
    pub(crate) base_url: String,

    /// The API key, sent as Authorization: Bearer; never printed
    #[arg(
        long,
        value_name = "KEY",
        env = "OPENAI_API_KEY",
        hide_env_values = true
    )]
    pub(crate) key: Option<String>,

    /// Also check streaming: a minimal chat completion with "stream": true (the stream stage)
    #[arg(long)]
    pub(crate) stream: bool,

    /// Also upgrade the Realtime WebSocket (wss://…/v1/realtime?model=M)
    #[arg(long)]
    pub(crate) realtime: bool,

    /// The model for --stream (default gpt-4o-mini) and --realtime (default gpt-realtime)
    #[arg(long, value_name = "MODEL")]
    pub(crate) model: Option<String>,

    #[command(flatten)]
    pub(crate) probe: ProbeArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `netdoctor azure-openai`.
#[derive(Debug, Args)]
pub(crate) struct AzureOpenaiArgs {
    /// The resource endpoint, e.g. https://NAME.openai.azure.com
    #[arg(long, value_name = "URL", env = "AZURE_OPENAI_ENDPOINT")]
    pub(crate) endpoint: String,

    /// The deployment name
    #[arg(long, value_name = "NAME")]
    pub(crate) deployment: String,

    /// The data-plane API version, or `v1` for the /openai/v1/ API (no api-version)
    #[arg(long = "api-version", value_name = "VERSION", env = "OPENAI_API_VERSION", default_value = crate::presets::azure_openai::DEFAULT_API_VERSION)]
    pub(crate) api_version: String,

    /// The resource key, sent as api-key; never printed
    #[arg(
        long,
        value_name = "KEY",
        env = "AZURE_OPENAI_API_KEY",
        hide_env_values = true
    )]
    pub(crate) key: Option<String>,

    /// Also check streaming: a minimal chat completion with "stream": true (the stream stage)
    #[arg(long)]
    pub(crate) stream: bool,

    #[command(flatten)]
    pub(crate) probe: ProbeArgs,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `netdoctor env`: offline, the Dockerfile `RUN` step.
#[derive(Debug, Args)]
pub(crate) struct EnvArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = EnvFormat::Human)]
    pub(crate) format: EnvFormat,

    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    /// Also show what clients print for each finding
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// `netdoctor explain TEXT|-`: offline, no probe.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The error message your client printed (quote it), or - to read a traceback from stdin
    #[arg(required = true, value_name = "TEXT")]
    pub(crate) text: Vec<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub(crate) format: ExplainFormat,

    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// `explain` formats (no JUnit: nothing is tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExplainFormat {
    Human,
    Json,
}

/// Options every probing command takes, named as curl names them.
#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// Deadline for each stage, e.g. 2s, 500ms
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    pub(crate) timeout: Duration,

    /// Deadline for the whole run (every target stops at it)
    #[arg(long = "max-time", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) max_time: Option<Duration>,

    /// Also trust the CAs in this PEM file (added to the container's stores)
    #[arg(long, value_name = "FILE")]
    pub(crate) cacert: Vec<PathBuf>,

    /// Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])
    #[arg(long, value_name = "HOST:PORT:ADDR", value_parser = Masked(parse_resolve))]
    pub(crate) resolve: Vec<ResolveEntry>,

    /// Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)
    #[arg(long = "connect-to", value_name = "HOST:PORT:HOST2:PORT2", value_parser = Masked(parse_connect_to))]
    pub(crate) connect_to: Vec<ConnectTo>,

    /// Ask this DNS server instead of /etc/resolv.conf's (drops search and ndots)
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = Masked(parse_resolver))]
    pub(crate) resolver: Option<ResolverAddr>,

    /// Use IPv4 addresses only
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub(crate) ipv4: bool,

    /// Use IPv6 addresses only
    #[arg(short = '6', long = "ipv6")]
    pub(crate) ipv6: bool,

    /// Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)
    #[arg(long, value_name = "URL", value_parser = Masked(parse_proxy))]
    pub(crate) proxy: Option<ProxyUrl>,

    /// Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)
    #[arg(long, value_name = "LIST")]
    pub(crate) noproxy: Option<String>,

    /// Also trust the CAs in this PEM file for an https:// proxy's own certificate
    #[arg(long = "proxy-cacert", value_name = "FILE")]
    pub(crate) proxy_cacert: Vec<PathBuf>,

    /// Go on past certificate faults (as warnings); credentials are then never sent
    #[arg(short = 'k', long)]
    pub(crate) insecure: bool,

    /// Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: Option<PathBuf>,

    /// The client certificate's private key (PEM), as curl's --key
    #[arg(long = "cert-key", value_name = "FILE", requires = "cert")]
    pub(crate) cert_key: Option<PathBuf>,

    /// Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem
    #[arg(long = "save-chain", value_name = "PATH")]
    pub(crate) save_chain: Option<PathBuf>,

    /// WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) hold: Option<Duration>,

    /// With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open
    #[arg(long = "ping-interval", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) ping_interval: Option<Duration>,

    /// Fail the http stage unless the response has this status
    #[arg(long = "expect-status", value_name = "N", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub(crate) expect_status: Option<u16>,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
    Junit,
    /// JSON Lines: each target as one line as soon as it ends, then the
    /// run (`ok`, `env`) as the last line
    Jsonl,
    /// Prometheus text exposition: each target's metrics (success, failure
    /// layer and code, stages, TLS, certificate expiry), a `target` label
    /// each
    Prometheus,
}

/// `netdoctor env`'s formats: the look's findings are not per-target
/// metrics, so it has no Prometheus output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EnvFormat {
    Human,
    Json,
    Junit,
    /// JSON Lines: the run (`ok`, `env`) as one line
    Jsonl,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}
