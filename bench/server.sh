# server.sh - adapter for ../shared/bench/peers.sh, tool name `reel-server` (bench/run.sh copies it
# to tools/reel-server.sh when BENCH_TOOLS names reel-server): backups and restores through a reel
# server on loopback (`reel server` with its embedded storage node and client agent: client →
# node over loopback TLS, the stream onto a `dir` volume, the file index into the catalog).
#
# The server's data dir (catalog, CA, volumes) is $REPO/data, so stored_size counts volumes and
# catalog, and the harness's copy of REPO between incremental repetitions copies the whole state.
# One server at a time, ports REEL_BENCH_PORT (default 18480) and +1, its pid in $WORK/server.pid.
# Lifecycle: `init` (untimed, after each fresh REPO) stops any server and starts one on the empty
# REPO. peers.sh calls `daemon_pids` (untimed) right before every timed op; it (re)starts the
# server when none runs or when REPO was replaced since it started (phase B resets REPO with
# `cp -a REPO.base REPO` between incremental repetitions), so no timed op pays for a start.
# `teardown` stops it (SIGTERM, clean shutdown), so REPO is quiescent when the harness copies it.
# Every op is one `reel` CLI process (node start-up ~0.3-0.5 s included, as for a user).
# Restores write SRC's absolute path under the target: restore into $DEST.r, then move the
# restored SRC dir (or file) to DEST (a rename on the same filesystem).
REEL_MAIN=${REEL_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}/dist/src/cli/main.js
REEL_BENCH_PORT=${REEL_BENCH_PORT:-18480}
export REEL_SERVER=http://127.0.0.1:$REEL_BENCH_PORT
reel() { REEL_TOKEN=$(cat "$REPO/data/admin.token") node "$REEL_MAIN" "$@"; }

available() { [ -f "$REEL_MAIN" ] && command -v node >/dev/null; }
version() { echo "reel $(node "$REEL_MAIN" --version) server on loopback (node $(node --version), compress none)"; }

_pid() { cat "$WORK/server.pid" 2>/dev/null || :; }
_alive() { local p; p=$(_pid); [ -n "$p" ] && [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat")" != Z ]; }
_stop() {  # SIGTERM our server (by pid) and wait until it is gone; SIGKILL after 20 s
  local p; p=$(_pid); rm -f "$WORK/server.pid" "$WORK/server.repo"
  [ -n "$p" ] && kill "$p" 2>/dev/null || return 0
  for _ in $(seq 200); do [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat")" != Z ] || return 0; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || :
}
_start() {  # start a server on $REPO/data, wait until it listens and both embedded agents are connected
  local out=$WORK/server.out
  mkdir -p "$REPO/data" "$WORK" && : > "$out"
  node "$REEL_MAIN" server --data "$REPO/data" --listen "127.0.0.1:$REEL_BENCH_PORT" \
    --agent-listen "127.0.0.1:$((REEL_BENCH_PORT + 1))" </dev/null >>"$out" 2>&1 &
  echo $! > "$WORK/server.pid"; stat -c %d:%i "$REPO" > "$WORK/server.repo"
  for _ in $(seq 300); do
    grep -q 'reel server listening' "$out" && grep -q 'client localhost: connected' "$out" &&
      grep -q 'node local: connected' "$out" && return 0
    _alive || break; sleep 0.1
  done
  echo "reel server did not come up:" >&2; cat "$out" >&2; _stop; return 1
}
_ensure() {  # a server on the current REPO
  if _alive && [ "$(cat "$WORK/server.repo" 2>/dev/null)" = "$(stat -c %d:%i "$REPO")" ]; then return 0; fi
  _stop; _start
}

init() { _stop; _start; }
teardown() { _stop; }
daemon_pids() { _ensure >&2 && _pid; }

_backup() {  # _backup ARGS... : run `reel backup --json`, remember the saveset id in REPO
  local out; out=$(reel backup --task bench --json "$@")
  echo "$out"
  grep -o '"saveset":{"id":[0-9]*' <<<"$out" | grep -o '[0-9]*$' > "$REPO/saveset.id"
  [ -s "$REPO/saveset.id" ]
}
backup() { _ensure; _backup "$SRC"; }
incremental() { _ensure; _backup --level incr; }
restore() {
  local tmp=$DEST.r; rm -rf "$tmp" && mkdir -p "$tmp"
  reel restore "$(cat "$REPO/saveset.id")" --target "$tmp"
  rmdir "$DEST" && mv "$tmp$SRC" "$DEST" && rm -rf "$tmp"
}
restore_one() {
  local tmp=$DEST.r; rm -rf "$tmp" && mkdir -p "$tmp"
  reel restore "$(cat "$REPO/saveset.id")" --target "$tmp" "$SRC/$ONE"
  mkdir -p "$(dirname "$DEST/$ONE")" && mv "$tmp$SRC/$ONE" "$DEST/$ONE" && rm -rf "$tmp"
}
stored_size() { du -sb "$REPO/data" | cut -f1; }   # volumes + catalog (+ a few KiB of certificates)
