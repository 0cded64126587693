
use builtin;
use str;

set edit:completion:arg-completer[netdoctor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'netdoctor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'netdoctor'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Probe URLs layer by layer: https:// http:// wss:// ws:// tcp://host:port'
            cand run 'Run a check file (TOML): many targets with their options and expectations, for CI'
            cand azure-speech 'Azure Speech: the STT and TTS WebSockets (and the token service) of a region or endpoint'
            cand openai 'OpenAI: GET /models with the key (and the Realtime WebSocket, the SSE stream)'
            cand azure-openai 'Azure OpenAI: a deployment proven at no token cost (and the SSE stream)'
            cand env 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails'
            cand explain 'Which layers can cause a client''s error message, and the command that tells them apart'
            cand serve 'A Prometheus exporter (blackbox-style): /probe?target=URL&module=NAME, /metrics, /'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the man page (roff) to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netdoctor;check'= {
            cand -H 'Extra request header, as in curl (''Name: value''); values are never printed'
            cand --header 'Extra request header, as in curl (''Name: value''); values are never printed'
            cand -X 'Request method (default GET, or POST with -d)'
            cand --request 'Request method (default GET, or POST with -d)'
            cand -d 'Request body, as in curl (implies POST); @FILE reads it from a file'
            cand --data 'Request body, as in curl (implies POST); @FILE reads it from a file'
            cand --timeout 'Deadline for each stage, e.g. 2s, 500ms'
            cand --max-time 'Deadline for the whole run (every target stops at it)'
            cand --cacert 'Also trust the CAs in this PEM file (added to the container''s stores)'
            cand --resolve 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])'
            cand --connect-to 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)'
            cand --resolver 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)'
            cand --proxy 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)'
            cand --noproxy 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)'
            cand --proxy-cacert 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate'
            cand --cert 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file'
            cand --cert-key 'The client certificate''s private key (PEM), as curl''s --key'
            cand --save-chain 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem'
            cand --hold 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does'
            cand --ping-interval 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open'
            cand --expect-status 'Fail the http stage unless the response has this status'
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand --jobs 'How many targets to probe at once'
            cand --repeat 'Probe every target N times and report per-layer outcomes and latencies'
            cand --interval 'Pause between repeats, e.g. 500ms, 2s'
            cand -4 'Use IPv4 addresses only'
            cand --ipv4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --ipv6 'Use IPv6 addresses only'
            cand -k 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand --insecure 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand -v 'Show every fact of every stage'
            cand --verbose 'Show every fact of every stage'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;run'= {
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand --jobs 'How many targets to probe at once'
            cand --repeat 'Probe every target N times and report per-layer outcomes and latencies'
            cand --interval 'Pause between repeats, e.g. 500ms, 2s'
            cand -v 'Show every fact of every stage'
            cand --verbose 'Show every fact of every stage'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;azure-speech'= {
            cand --region 'The resource''s region, e.g. westeurope (china*/usgov* regions use their clouds'' hosts)'
            cand --endpoint 'A custom domain or private endpoint, e.g. https://NAME.cognitiveservices.azure.com'
            cand --key 'The resource key (also read from AZURE_SPEECH_KEY); never printed'
            cand --language 'The recognition language of the STT URL'
            cand --timeout 'Deadline for each stage, e.g. 2s, 500ms'
            cand --max-time 'Deadline for the whole run (every target stops at it)'
            cand --cacert 'Also trust the CAs in this PEM file (added to the container''s stores)'
            cand --resolve 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])'
            cand --connect-to 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)'
            cand --resolver 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)'
            cand --proxy 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)'
            cand --noproxy 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)'
            cand --proxy-cacert 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate'
            cand --cert 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file'
            cand --cert-key 'The client certificate''s private key (PEM), as curl''s --key'
            cand --save-chain 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem'
            cand --hold 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does'
            cand --ping-interval 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open'
            cand --expect-status 'Fail the http stage unless the response has this status'
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand --jobs 'How many targets to probe at once'
            cand --repeat 'Probe every target N times and report per-layer outcomes and latencies'
            cand --interval 'Pause between repeats, e.g. 500ms, 2s'
            cand --token 'Also probe the token service (issueToken) with the key'
            cand -4 'Use IPv4 addresses only'
            cand --ipv4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --ipv6 'Use IPv6 addresses only'
            cand -k 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand --insecure 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand -v 'Show every fact of every stage'
            cand --verbose 'Show every fact of every stage'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;openai'= {
            cand --base-url 'The API base URL'
            cand --key 'The API key, sent as Authorization: Bearer; never printed'
            cand --model 'The model for --stream (default gpt-4o-mini) and --realtime (default gpt-realtime)'
            cand --timeout 'Deadline for each stage, e.g. 2s, 500ms'
            cand --max-time 'Deadline for the whole run (every target stops at it)'
            cand --cacert 'Also trust the CAs in this PEM file (added to the container''s stores)'
            cand --resolve 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])'
            cand --connect-to 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)'
            cand --resolver 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)'
            cand --proxy 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)'
            cand --noproxy 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)'
            cand --proxy-cacert 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate'
            cand --cert 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file'
            cand --cert-key 'The client certificate''s private key (PEM), as curl''s --key'
            cand --save-chain 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem'
            cand --hold 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does'
            cand --ping-interval 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open'
            cand --expect-status 'Fail the http stage unless the response has this status'
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand --jobs 'How many targets to probe at once'
            cand --repeat 'Probe every target N times and report per-layer outcomes and latencies'
            cand --interval 'Pause between repeats, e.g. 500ms, 2s'
            cand --stream 'Also check streaming: a minimal chat completion with "stream": true (the stream stage)'
            cand --realtime 'Also upgrade the Realtime WebSocket (wss://…/v1/realtime?model=M)'
            cand -4 'Use IPv4 addresses only'
            cand --ipv4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --ipv6 'Use IPv6 addresses only'
            cand -k 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand --insecure 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand -v 'Show every fact of every stage'
            cand --verbose 'Show every fact of every stage'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;azure-openai'= {
            cand --endpoint 'The resource endpoint, e.g. https://NAME.openai.azure.com'
            cand --deployment 'The deployment name'
            cand --api-version 'The data-plane API version, or `v1` for the /openai/v1/ API (no api-version)'
            cand --key 'The resource key, sent as api-key; never printed'
            cand --timeout 'Deadline for each stage, e.g. 2s, 500ms'
            cand --max-time 'Deadline for the whole run (every target stops at it)'
            cand --cacert 'Also trust the CAs in this PEM file (added to the container''s stores)'
            cand --resolve 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])'
            cand --connect-to 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)'
            cand --resolver 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)'
            cand --proxy 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)'
            cand --noproxy 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)'
            cand --proxy-cacert 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate'
            cand --cert 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file'
            cand --cert-key 'The client certificate''s private key (PEM), as curl''s --key'
            cand --save-chain 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem'
            cand --hold 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does'
            cand --ping-interval 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open'
            cand --expect-status 'Fail the http stage unless the response has this status'
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand --jobs 'How many targets to probe at once'
            cand --repeat 'Probe every target N times and report per-layer outcomes and latencies'
            cand --interval 'Pause between repeats, e.g. 500ms, 2s'
            cand --stream 'Also check streaming: a minimal chat completion with "stream": true (the stream stage)'
            cand -4 'Use IPv4 addresses only'
            cand --ipv4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --ipv6 'Use IPv6 addresses only'
            cand -k 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand --insecure 'Go on past certificate faults (as warnings); credentials are then never sent'
            cand -v 'Show every fact of every stage'
            cand --verbose 'Show every fact of every stage'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;env'= {
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand -v 'Also show what clients print for each finding'
            cand --verbose 'Also show what clients print for each finding'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;explain'= {
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;serve'= {
            cand --listen 'The address to listen on (loopback unless told otherwise)'
            cand --max-concurrent 'Probes in flight at most; over it, /probe answers 503'
            cand --log-level 'Which probes are logged on stderr (one line each): error = netdoctor''s own faults, warn = failed probes too, info = every probe'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;man'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;help'= {
            cand check 'Probe URLs layer by layer: https:// http:// wss:// ws:// tcp://host:port'
            cand run 'Run a check file (TOML): many targets with their options and expectations, for CI'
            cand azure-speech 'Azure Speech: the STT and TTS WebSockets (and the token service) of a region or endpoint'
            cand openai 'OpenAI: GET /models with the key (and the Realtime WebSocket, the SSE stream)'
            cand azure-openai 'Azure OpenAI: a deployment proven at no token cost (and the SSE stream)'
            cand env 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails'
            cand explain 'Which layers can cause a client''s error message, and the command that tells them apart'
            cand serve 'A Prometheus exporter (blackbox-style): /probe?target=URL&module=NAME, /metrics, /'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the man page (roff) to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netdoctor;help;check'= {
        }
        &'netdoctor;help;run'= {
        }
        &'netdoctor;help;azure-speech'= {
        }
        &'netdoctor;help;openai'= {
        }
        &'netdoctor;help;azure-openai'= {
        }
        &'netdoctor;help;env'= {
        }
        &'netdoctor;help;explain'= {
        }
        &'netdoctor;help;serve'= {
        }
        &'netdoctor;help;completions'= {
        }
        &'netdoctor;help;man'= {
        }
        &'netdoctor;help;help'= {
        }
    ]
    $completions[$command]
}
