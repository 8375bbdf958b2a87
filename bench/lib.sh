# shellcheck shell=bash
# Shell helpers shared by bench/run.sh and bench/delivery.sh (sourced, not run).

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
