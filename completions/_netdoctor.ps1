
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'netdoctor' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'netdoctor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'netdoctor' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe URLs layer by layer: https:// http:// wss:// ws:// tcp://host:port')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a check file (TOML): many targets with their options and expectations, for CI')
            [CompletionResult]::new('azure-speech', 'azure-speech', [CompletionResultType]::ParameterValue, 'Azure Speech: the STT and TTS WebSockets (and the token service) of a region or endpoint')
            [CompletionResult]::new('openai', 'openai', [CompletionResultType]::ParameterValue, 'OpenAI: GET /models with the key (and the Realtime WebSocket, the SSE stream)')
            [CompletionResult]::new('azure-openai', 'azure-openai', [CompletionResultType]::ParameterValue, 'Azure OpenAI: a deployment proven at no token cost (and the SSE stream)')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Which layers can cause a client''s error message, and the command that tells them apart')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'A Prometheus exporter (blackbox-style): /probe?target=URL&module=NAME, /metrics, /')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netdoctor;check' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header, as in curl (''Name: value''); values are never printed')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, as in curl (''Name: value''); values are never printed')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Request method (default GET, or POST with -d)')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Request method (default GET, or POST with -d)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Request body, as in curl (implies POST); @FILE reads it from a file')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Request body, as in curl (implies POST); @FILE reads it from a file')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each stage, e.g. 2s, 500ms')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Deadline for the whole run (every target stops at it)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file (added to the container''s stores)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)')
            [CompletionResult]::new('--noproxy', '--noproxy', [CompletionResultType]::ParameterName, 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)')
            [CompletionResult]::new('--proxy-cacert', '--proxy-cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file')
            [CompletionResult]::new('--cert-key', '--cert-key', [CompletionResultType]::ParameterName, 'The client certificate''s private key (PEM), as curl''s --key')
            [CompletionResult]::new('--save-chain', '--save-chain', [CompletionResultType]::ParameterName, 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open')
            [CompletionResult]::new('--expect-status', '--expect-status', [CompletionResultType]::ParameterName, 'Fail the http stage unless the response has this status')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many targets to probe at once')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Probe every target N times and report per-layer outcomes and latencies')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Pause between repeats, e.g. 500ms, 2s')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;run' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many targets to probe at once')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Probe every target N times and report per-layer outcomes and latencies')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Pause between repeats, e.g. 500ms, 2s')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;azure-speech' {
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The resource''s region, e.g. westeurope (china*/usgov* regions use their clouds'' hosts)')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'A custom domain or private endpoint, e.g. https://NAME.cognitiveservices.azure.com')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The resource key (also read from AZURE_SPEECH_KEY); never printed')
            [CompletionResult]::new('--language', '--language', [CompletionResultType]::ParameterName, 'The recognition language of the STT URL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each stage, e.g. 2s, 500ms')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Deadline for the whole run (every target stops at it)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file (added to the container''s stores)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)')
            [CompletionResult]::new('--noproxy', '--noproxy', [CompletionResultType]::ParameterName, 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)')
            [CompletionResult]::new('--proxy-cacert', '--proxy-cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file')
            [CompletionResult]::new('--cert-key', '--cert-key', [CompletionResultType]::ParameterName, 'The client certificate''s private key (PEM), as curl''s --key')
            [CompletionResult]::new('--save-chain', '--save-chain', [CompletionResultType]::ParameterName, 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open')
            [CompletionResult]::new('--expect-status', '--expect-status', [CompletionResultType]::ParameterName, 'Fail the http stage unless the response has this status')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many targets to probe at once')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Probe every target N times and report per-layer outcomes and latencies')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Pause between repeats, e.g. 500ms, 2s')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Also probe the token service (issueToken) with the key')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;openai' {
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The API key, sent as Authorization: Bearer; never printed')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model for --stream (default gpt-4o-mini) and --realtime (default gpt-realtime)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each stage, e.g. 2s, 500ms')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Deadline for the whole run (every target stops at it)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file (added to the container''s stores)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)')
            [CompletionResult]::new('--noproxy', '--noproxy', [CompletionResultType]::ParameterName, 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)')
            [CompletionResult]::new('--proxy-cacert', '--proxy-cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file')
            [CompletionResult]::new('--cert-key', '--cert-key', [CompletionResultType]::ParameterName, 'The client certificate''s private key (PEM), as curl''s --key')
            [CompletionResult]::new('--save-chain', '--save-chain', [CompletionResultType]::ParameterName, 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open')
            [CompletionResult]::new('--expect-status', '--expect-status', [CompletionResultType]::ParameterName, 'Fail the http stage unless the response has this status')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many targets to probe at once')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Probe every target N times and report per-layer outcomes and latencies')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Pause between repeats, e.g. 500ms, 2s')
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'Also check streaming: a minimal chat completion with "stream": true (the stream stage)')
            [CompletionResult]::new('--realtime', '--realtime', [CompletionResultType]::ParameterName, 'Also upgrade the Realtime WebSocket (wss://…/v1/realtime?model=M)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;azure-openai' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'The resource endpoint, e.g. https://NAME.openai.azure.com')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'The deployment name')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'The data-plane API version, or `v1` for the /openai/v1/ API (no api-version)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The resource key, sent as api-key; never printed')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each stage, e.g. 2s, 500ms')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Deadline for the whole run (every target stops at it)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file (added to the container''s stores)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Pin HOST:PORT to addresses, as in curl (ADDR[,ADDR…])')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 instead of HOST:PORT, keeping SNI and Host (curl semantics)')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of /etc/resolv.conf''s (drops search and ndots)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy instead of the proxy variables (http://, https://, socks5://, socks5h://)')
            [CompletionResult]::new('--noproxy', '--noproxy', [CompletionResultType]::ParameterName, 'Hosts to reach directly instead of NO_PROXY (comma list: names, .domain, *, IPs)')
            [CompletionResult]::new('--proxy-cacert', '--proxy-cacert', [CompletionResultType]::ParameterName, 'Also trust the CAs in this PEM file for an https:// proxy''s own certificate')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM; the leaf first, then any intermediates), sent when the server asks for one; the key may be in the same file')
            [CompletionResult]::new('--cert-key', '--cert-key', [CompletionResultType]::ParameterName, 'The client certificate''s private key (PEM), as curl''s --key')
            [CompletionResult]::new('--save-chain', '--save-chain', [CompletionResultType]::ParameterName, 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'WebSocket targets: after the upgrade, stay connected and idle this long (e.g. 90s), as an idle client does')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'With --hold: send a ping every DURATION meanwhile, to prove pings keep the connection open')
            [CompletionResult]::new('--expect-status', '--expect-status', [CompletionResultType]::ParameterName, 'Fail the http stage unless the response has this status')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many targets to probe at once')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Probe every target N times and report per-layer outcomes and latencies')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Pause between repeats, e.g. 500ms, 2s')
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'Also check streaming: a minimal chat completion with "stream": true (the stream stage)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Go on past certificate faults (as warnings); credentials are then never sent')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show every fact of every stage')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;env' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also show what clients print for each finding')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Also show what clients print for each finding')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;explain' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'The address to listen on (loopback unless told otherwise)')
            [CompletionResult]::new('--max-concurrent', '--max-concurrent', [CompletionResultType]::ParameterName, 'Probes in flight at most; over it, /probe answers 503')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Which probes are logged on stderr (one line each): error = netdoctor''s own faults, warn = failed probes too, info = every probe')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;man' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netdoctor;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe URLs layer by layer: https:// http:// wss:// ws:// tcp://host:port')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a check file (TOML): many targets with their options and expectations, for CI')
            [CompletionResult]::new('azure-speech', 'azure-speech', [CompletionResultType]::ParameterValue, 'Azure Speech: the STT and TTS WebSockets (and the token service) of a region or endpoint')
            [CompletionResult]::new('openai', 'openai', [CompletionResultType]::ParameterValue, 'OpenAI: GET /models with the key (and the Realtime WebSocket, the SSE stream)')
            [CompletionResult]::new('azure-openai', 'azure-openai', [CompletionResultType]::ParameterValue, 'Azure OpenAI: a deployment proven at no token cost (and the SSE stream)')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Which layers can cause a client''s error message, and the command that tells them apart')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'A Prometheus exporter (blackbox-style): /probe?target=URL&module=NAME, /metrics, /')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netdoctor;help;check' {
            break
        }
        'netdoctor;help;run' {
            break
        }
        'netdoctor;help;azure-speech' {
            break
        }
        'netdoctor;help;openai' {
            break
        }
        'netdoctor;help;azure-openai' {
            break
        }
        'netdoctor;help;env' {
            break
        }
        'netdoctor;help;explain' {
            break
        }
        'netdoctor;help;serve' {
            break
        }
        'netdoctor;help;completions' {
            break
        }
        'netdoctor;help;man' {
            break
        }
        'netdoctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
