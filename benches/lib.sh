# Shared by the benchmarks (sourced, not run): the test PKI and the nginx
# HTTPS target both compare netdoctor against.

# Makes, in the current directory, an EC P-256 root -> intermediate -> leaf
# chain for bench.test: root.pem (the CA to trust), chain.pem (leaf then
# intermediate, what nginx serves) and leaf.key.
bench_pki() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=Bench Root" \
    -keyout root.key -out root.pem 2>/dev/null
  printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.cnf
  openssl req "${ec[@]}" -subj "/CN=Bench Intermediate" -keyout ca.key -out ca.csr 2>/dev/null
  openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -days 2 -extfile ca.cnf -out ca.pem 2>/dev/null
  printf 'subjectAltName=DNS:bench.test\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\n' > leaf.cnf
  openssl req "${ec[@]}" -subj "/CN=bench.test" -keyout leaf.key -out leaf.csr 2>/dev/null
  openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 2 -extfile leaf.cnf -out leaf.pem 2>/dev/null
  cat leaf.pem ca.pem > chain.pem
}

# Writes WORK/nginx.conf: bench.test over TLS on 127.0.0.1:PORT answering
# `200 ok`, its files under WORK; EXTRA is more server directives.
bench_nginx_conf() {
  local work=$1 port=$2 extra=${3:-}
  mkdir -p "$work/tmp"
  cat > "$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    server_name bench.test;
    ssl_certificate $work/chain.pem;
    ssl_certificate_key $work/leaf.key;
    $extra
    default_type text/plain;
    location / { return 200 "ok\n"; }
  }
}
EOF
}
