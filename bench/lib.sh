# shellcheck shell=bash
# Shell helpers shared by the bench/*.sh scripts (sourced, not run).

stop_pid() {  # stop_pid <pid> <seconds>: SIGTERM, wait, then SIGKILL; returns the exit status
  local pid=$1 limit=$2 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench: pid $pid did not exit within ${limit}s of SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 124
  fi
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  return $rc
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
  else
    local p
    while :; do
      p=$((20000 + RANDOM % 20000))
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
  fi
}

wait_http() {  # wait_http <url> <pid> <seconds>
  local url=$1 pid=$2 limit=$3 i
  for ((i = 0; i < limit * 10; i++)); do
    if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "bench: server (pid $pid) exited while waiting for $url" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: $url not ready after ${limit}s" >&2
  return 1
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'; }

write_push_body() {  # write_push_body <file>: a ~1 KB GitHub push-like JSON body, the same in every bench
  {
    printf '{"ref":"refs/heads/main","before":"%s","after":"%s",' \
      6113728f27ae82c7b1a177c8d03f9e96e0adf246 59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5
    printf '"repository":{"id":1296269,"full_name":"octocat/Hello-World","private":false,"html_url":"https://github.com/octocat/Hello-World"},'
    printf '"pusher":{"name":"octocat","email":"octocat@github.com"},"sender":{"login":"octocat","id":1,"type":"User"},'
    printf '"head_commit":{"id":"59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5","message":"%s","timestamp":"2024-01-01T00:00:00Z",' \
      "Benchmark commit message padding the payload to about one kilobyte of JSON."
    printf '"author":{"name":"Monalisa Octocat","email":"support@github.com"},"added":["README.md"],"removed":[],"modified":["src/main.cc","src/server.cc"]},'
    printf '"commits":[{"id":"59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5","distinct":true,"message":"%s","url":"%s"}],' \
      "Update the README and the server wiring for the benchmark run" \
      "https://github.com/octocat/Hello-World/commit/59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5"
    printf '"compare":"https://github.com/octocat/Hello-World/compare/6113728f27ae...59b20b8d5c6f","created":false,"deleted":false,"forced":false}'
  } >"$1"
}

# parse_wrk <file>: prints "rps p99_ms total duration_s non2xx sockerr"
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /m$/)  { sub(/m$/,  "", v); return v * 60000 }
      if (v ~ /h$/)  { sub(/h$/,  "", v); return v * 3600000 }
      if (v ~ /s$/)  { sub(/s$/,  "", v); return v * 1000 }
      return v + 0
    }
    /Requests\/sec:/             { rps = $2 }
    /^[ \t]+99%/                 { p99 = ms($2) }
    / requests in /              { total = $1; d = $4; sub(/,$/, "", d); dur = ms(d) / 1000 }
    /Non-2xx or 3xx responses:/  { non2xx = $NF }
    /Socket errors:/             { gsub(/,/, ""); sockerr = $4 + $6 + $8 + $10 }
    END { printf "%s %.3f %d %.3f %d %d\n", rps + 0, p99 + 0, total + 0, dur + 0, non2xx + 0, sockerr + 0 }
  ' "$1"
}

# start_nginx_204 <dir> <fds> <server lines>: Debian's nginx, one worker, as the receiver of the
# delivery benches: each server line (`server { listen …; access_log <dir>/x.log hookd; … }`)
# answers `return 204` and logs "$msec $http_webhook_id $status $uri" in the `hookd` format.
# Needs NGINX; sets NGINX_PID; returns non-zero (its logs on stderr) when the first server does
# not answer.
start_nginx_204() {
  local dir=$1 fds=$2 servers=$3 user_line="" first_port
  mkdir -p "$dir/tmp"
  [[ $(id -u) == 0 ]] && user_line="user $(id -un) $(id -gn);"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $fds;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
$user_line
events { worker_connections $((fds - 100)); }
http {
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_max_body_size 2m;
  log_format hookd '\$msec \$http_webhook_id \$status \$uri';
$servers
}
EOF
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  first_port=$(sed -n 's/.*listen 127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$servers" | head -1)
  wait_http "http://127.0.0.1:$first_port/" "$NGINX_PID" 10 ||
    { cat "$dir/stdout.log" "$dir/error.log" >&2; return 1; }
}

