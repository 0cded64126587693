
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
            cand env 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails'
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
            cand --save-chain 'Write the presented certificate chain here (PEM, leaf first); with several targets, a directory of <n>-<host>.pem'
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
            cand -h 'Print help'
            cand --help 'Print help'
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
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netdoctor;env'= {
            cand --format 'Output format'
            cand --color 'When to colour the output'
            cand -v 'Also show what clients print for each finding'
            cand --verbose 'Also show what clients print for each finding'
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
            cand env 'Offline checks of this container (CA bundles, OpenSSL, DNS config, clock); exits 10 when one fails'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the man page (roff) to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netdoctor;help;check'= {
        }
        &'netdoctor;help;run'= {
        }
        &'netdoctor;help;env'= {
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
