# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_netdoctor_global_optspecs
    string join \n h/help V/version
end

function __fish_netdoctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_netdoctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_netdoctor_using_subcommand
    set -l cmd (__fish_netdoctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c netdoctor -n "__fish_netdoctor_needs_command" -s h -l help -d 'Print help'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "check" -d 'Probe URLs layer by layer: https:// http:// wss:// ws:// tcp://host:port'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "run" -d 'Run a check file (TOML): many targets with their options and expectations, for CI'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "azure-speech" -d 'Azure Speech: the STT and TTS WebSockets (and the token service) of a region or endpoint'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "openai" -d 'OpenAI: GET /models with the key (and the Realtime WebSocket, the SSE stream)'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "azure-openai" -d 'Azure OpenAI: a deployment proven at no token cost (and the SSE stream)'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "env" -d 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "explain" -d 'Which layers can cause a client\'s error message, and the command that tells them apart'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "serve" -d 'A Prometheus exporter (blackbox-style): /probe?target=URL&module=NAME, /metrics, /'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "man" -d 'Print the man page (roff) to stdout'
complete -c netdoctor -n "__fish_netdoctor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s H -l header -d 'Extra request header, as in curl (\'Name: value\'); values are never printed' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s X -l request -d 'Request method (default GET, or POST with -d)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s d -l data -d 'Request body, as in curl (implies POST); @FILE reads it from a file' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l timeout -d 'Deadline for each stage, e.g. 2s, 500ms' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l max-time -d 'Deadline for the whole run (every target stops at it)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l cacert -d 'Also trust the CAs in this PEM file (added to the container\'s stores)' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l resolve -d 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l connect-to -d 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l resolver -d 'Ask this DNS server instead of /etc/resolv.conf\'s (drops search and ndots)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l proxy -d 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l noproxy -d 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l proxy-cacert -d 'Also trust the CAs in this PEM file for an https:// proxy\'s own certificate' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l cert -d 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l cert-key -d 'The client certificate\'s private key (PEM), as curl\'s --key' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l save-chain -d 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l hold -d 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l ping-interval -d 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l expect-status -d 'Fail the http stage unless the response has this status' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l format -d 'Output format' -r -f -a "human\t''
json\t''
junit\t''
jsonl\t'JSON Lines: each target as one line as soon as it ends, then the run (`ok`, `env`) as the last line'
prometheus\t'Prometheus text exposition: each target\'s metrics (success, failure layer and code, stages, TLS, certificate expiry), a `target` label each'"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l jobs -d 'How many targets to probe at once' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l repeat -d 'Probe every target N times and report per-layer outcomes and latencies' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -l interval -d 'Pause between repeats, e.g. 500ms, 2s' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s 4 -l ipv4 -d 'Use IPv4 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s 6 -l ipv6 -d 'Use IPv6 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s k -l insecure -d 'Go on past certificate faults (as warnings); credentials are then never sent'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s v -l verbose -d 'Show every fact of every stage'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand check" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -l format -d 'Output format' -r -f -a "human\t''
json\t''
junit\t''
jsonl\t'JSON Lines: each target as one line as soon as it ends, then the run (`ok`, `env`) as the last line'
prometheus\t'Prometheus text exposition: each target\'s metrics (success, failure layer and code, stages, TLS, certificate expiry), a `target` label each'"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -l jobs -d 'How many targets to probe at once' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -l repeat -d 'Probe every target N times and report per-layer outcomes and latencies' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -l interval -d 'Pause between repeats, e.g. 500ms, 2s' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -s v -l verbose -d 'Show every fact of every stage'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand run" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l region -d 'The resource\'s region, e.g. westeurope (china*/usgov* regions use their clouds\' hosts)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l endpoint -d 'A custom domain or private endpoint, e.g. https://NAME.cognitiveservices.azure.com' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l key -d 'The resource key (also read from AZURE_SPEECH_KEY); never printed' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l language -d 'The recognition language of the STT URL' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l timeout -d 'Deadline for each stage, e.g. 2s, 500ms' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l max-time -d 'Deadline for the whole run (every target stops at it)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l cacert -d 'Also trust the CAs in this PEM file (added to the container\'s stores)' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l resolve -d 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l connect-to -d 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l resolver -d 'Ask this DNS server instead of /etc/resolv.conf\'s (drops search and ndots)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l proxy -d 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l noproxy -d 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l proxy-cacert -d 'Also trust the CAs in this PEM file for an https:// proxy\'s own certificate' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l cert -d 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l cert-key -d 'The client certificate\'s private key (PEM), as curl\'s --key' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l save-chain -d 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l hold -d 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l ping-interval -d 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l expect-status -d 'Fail the http stage unless the response has this status' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l format -d 'Output format' -r -f -a "human\t''
json\t''
junit\t''
jsonl\t'JSON Lines: each target as one line as soon as it ends, then the run (`ok`, `env`) as the last line'
prometheus\t'Prometheus text exposition: each target\'s metrics (success, failure layer and code, stages, TLS, certificate expiry), a `target` label each'"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l jobs -d 'How many targets to probe at once' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l repeat -d 'Probe every target N times and report per-layer outcomes and latencies' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l interval -d 'Pause between repeats, e.g. 500ms, 2s' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -l token -d 'Also probe the token service (issueToken) with the key'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -s 4 -l ipv4 -d 'Use IPv4 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -s 6 -l ipv6 -d 'Use IPv6 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -s k -l insecure -d 'Go on past certificate faults (as warnings); credentials are then never sent'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -s v -l verbose -d 'Show every fact of every stage'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-speech" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l base-url -d 'The API base URL' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l key -d 'The API key, sent as Authorization: Bearer; never printed' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l model -d 'The model for --stream (default gpt-4o-mini) and --realtime (default gpt-realtime)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l timeout -d 'Deadline for each stage, e.g. 2s, 500ms' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l max-time -d 'Deadline for the whole run (every target stops at it)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l cacert -d 'Also trust the CAs in this PEM file (added to the container\'s stores)' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l resolve -d 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l connect-to -d 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l resolver -d 'Ask this DNS server instead of /etc/resolv.conf\'s (drops search and ndots)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l proxy -d 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l noproxy -d 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l proxy-cacert -d 'Also trust the CAs in this PEM file for an https:// proxy\'s own certificate' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l cert -d 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l cert-key -d 'The client certificate\'s private key (PEM), as curl\'s --key' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l save-chain -d 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l hold -d 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l ping-interval -d 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l expect-status -d 'Fail the http stage unless the response has this status' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l format -d 'Output format' -r -f -a "human\t''
json\t''
junit\t''
jsonl\t'JSON Lines: each target as one line as soon as it ends, then the run (`ok`, `env`) as the last line'
prometheus\t'Prometheus text exposition: each target\'s metrics (success, failure layer and code, stages, TLS, certificate expiry), a `target` label each'"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l jobs -d 'How many targets to probe at once' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l repeat -d 'Probe every target N times and report per-layer outcomes and latencies' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l interval -d 'Pause between repeats, e.g. 500ms, 2s' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l stream -d 'Also check streaming: a minimal chat completion with "stream": true (the stream stage)'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -l realtime -d 'Also upgrade the Realtime WebSocket (wss://…/v1/realtime?model=M)'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -s 4 -l ipv4 -d 'Use IPv4 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -s 6 -l ipv6 -d 'Use IPv6 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -s k -l insecure -d 'Go on past certificate faults (as warnings); credentials are then never sent'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -s v -l verbose -d 'Show every fact of every stage'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand openai" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l endpoint -d 'The resource endpoint, e.g. https://NAME.openai.azure.com' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l deployment -d 'The deployment name' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l api-version -d 'The data-plane API version, or `v1` for the /openai/v1/ API (no api-version)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l key -d 'The resource key, sent as api-key; never printed' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l timeout -d 'Deadline for each stage, e.g. 2s, 500ms' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l max-time -d 'Deadline for the whole run (every target stops at it)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l cacert -d 'Also trust the CAs in this PEM file (added to the container\'s stores)' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l resolve -d 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l connect-to -d 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l resolver -d 'Ask this DNS server instead of /etc/resolv.conf\'s (drops search and ndots)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l proxy -d 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l noproxy -d 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l proxy-cacert -d 'Also trust the CAs in this PEM file for an https:// proxy\'s own certificate' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l cert -d 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l cert-key -d 'The client certificate\'s private key (PEM), as curl\'s --key' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l save-chain -d 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem' -r -F
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l hold -d 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l ping-interval -d 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l expect-status -d 'Fail the http stage unless the response has this status' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l format -d 'Output format' -r -f -a "human\t''
json\t''
junit\t''
jsonl\t'JSON Lines: each target as one line as soon as it ends, then the run (`ok`, `env`) as the last line'
prometheus\t'Prometheus text exposition: each target\'s metrics (success, failure layer and code, stages, TLS, certificate expiry), a `target` label each'"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l jobs -d 'How many targets to probe at once' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l repeat -d 'Probe every target N times and report per-layer outcomes and latencies' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l interval -d 'Pause between repeats, e.g. 500ms, 2s' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -l stream -d 'Also check streaming: a minimal chat completion with "stream": true (the stream stage)'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -s 4 -l ipv4 -d 'Use IPv4 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -s 6 -l ipv6 -d 'Use IPv6 addresses only'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -s k -l insecure -d 'Go on past certificate faults (as warnings); credentials are then never sent'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -s v -l verbose -d 'Show every fact of every stage'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand azure-openai" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand env" -l format -d 'Output format' -r -f -a "human\t''
json\t''
junit\t''
jsonl\t'JSON Lines: the run (`ok`, `env`) as one line'"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand env" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand env" -s v -l verbose -d 'Also show what clients print for each finding'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand env" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand explain" -l format -d 'Output format' -r -f -a "human\t''
json\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand explain" -l color -d 'When to colour the output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand explain" -s h -l help -d 'Print help'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand explain" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand serve" -l listen -d 'The address to listen on (loopback unless told otherwise)' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand serve" -l max-concurrent -d 'Probes in flight at most; over it, /probe answers 503' -r
complete -c netdoctor -n "__fish_netdoctor_using_subcommand serve" -l log-level -d 'Which probes are logged on stderr (one line each): error = netdoctor\'s own faults, warn = failed probes too, info = every probe' -r -f -a "error\t''
warn\t''
info\t''"
complete -c netdoctor -n "__fish_netdoctor_using_subcommand serve" -s h -l help -d 'Print help'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand serve" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand completions" -s h -l help -d 'Print help'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand completions" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand man" -s h -l help -d 'Print help'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand man" -s V -l version -d 'Print version'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "check" -d 'Probe URLs layer by layer: https:// http:// wss:// ws:// tcp://host:port'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "run" -d 'Run a check file (TOML): many targets with their options and expectations, for CI'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "azure-speech" -d 'Azure Speech: the STT and TTS WebSockets (and the token service) of a region or endpoint'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "openai" -d 'OpenAI: GET /models with the key (and the Realtime WebSocket, the SSE stream)'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "azure-openai" -d 'Azure OpenAI: a deployment proven at no token cost (and the SSE stream)'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "env" -d 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "explain" -d 'Which layers can cause a client\'s error message, and the command that tells them apart'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "serve" -d 'A Prometheus exporter (blackbox-style): /probe?target=URL&module=NAME, /metrics, /'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "man" -d 'Print the man page (roff) to stdout'
complete -c netdoctor -n "__fish_netdoctor_using_subcommand help; and not __fish_seen_subcommand_from check run azure-speech openai azure-openai env explain serve completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
