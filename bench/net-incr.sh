#!/usr/bin/env bash
# net-incr.sh - incremental backup of an UNCHANGED 100k-file tree (corpus.sh small-files):
# `reel backup --level incr` through a reel server on loopback vs `restic backup` (same settings
# as the harness's restic adapter: repository format 2, password, cache in the repo dir).
#
#   npm run build && bench/net-incr.sh
#
# Untimed: corpus (NET_SCALE, default 1 = 100,000 files), one full backup with each tool.
# Timed, NET_REPS (default 5) rounds, order reel/restic alternating between rounds: each tool's
# backup of the unchanged tree, from launch to the end of `sync -f` (as peers.sh), with the CPU
# of the command (/usr/bin/time) and, for reel, the server's CPU (/proc/PID/stat delta) and the
# job's server-side duration (startedAt → endedAt). Ratio per round = restic wall / reel wall
# (≥ 1: reel no slower). Results: NET_DIR/results.jsonl + a summary. NET_KEEP=1 keeps NET_DIR.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shared=${BENCH_SHARED:-$here/../../shared/bench}
NET_DIR=${NET_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/reel-net-incr.XXXXXX")}
mkdir -p "$NET_DIR" && NET_DIR=$(cd "$NET_DIR" && pwd)
REPS=${NET_REPS:-5}
export REEL_BENCH_PORT=${REEL_BENCH_PORT:-18510}
export REEL_HOME=$here/..
export SRC=$NET_DIR/corpus REPO=$NET_DIR/repo-reel WORK=$NET_DIR/work
# shellcheck source=server.sh
source "$here/server.sh"
export RESTIC_REPOSITORY=$NET_DIR/repo-restic/repo RESTIC_CACHE_DIR=$NET_DIR/repo-restic/cache RESTIC_PASSWORD=bench
OUT=$NET_DIR/results.jsonl
trap '_stop' EXIT
hz=$(getconf CLK_TCK)
server_cpu() { awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$(_pid)/stat"; }

echo "# net-incr: NET_DIR=$NET_DIR, $REPS rounds, $(nproc) cores, $(restic version | head -1)"
[ -d "$SRC" ] || CORPUS_SCALE=${NET_SCALE:-1} "$shared/corpus.sh" small-files "$SRC"
FILES=$(find "$SRC" -type f | wc -l)
sync && sleep "${NET_SETTLE:-35}"   # peers.sh's settle: inodes freed by earlier deletes age out

mkdir -p "$REPO" "$WORK" "$NET_DIR/repo-restic"
_stop; _start
t0=$EPOCHREALTIME; reel backup --task small "$SRC" | tail -1
printf 'reel full backup (untimed) %.2f s\n' "$(echo "$EPOCHREALTIME - $t0" | bc)"
restic init -q
t0=$EPOCHREALTIME; (cd "$SRC" && restic backup -q .)
printf 'restic full backup (untimed) %.2f s\n' "$(echo "$EPOCHREALTIME - $t0" | bc)"

run_reel() {
  local tv=$WORK/time.txt c0 c1 t0 w j id s
  c0=$(server_cpu); sync; t0=$EPOCHREALTIME
  j=$(/usr/bin/time -v -o "$tv" bash -c 'source "$0"; reel backup --task small --level incr --json' "$here/server.sh"); sync -f "$REPO"
  w=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}'); c1=$(server_cpu)
  id=$(grep -o '"job":{"id":[0-9]*' <<<"$j" | grep -o '[0-9]*$')
  s=$(python3 -c 'import json,sys; from datetime import datetime as d; j=json.loads(sys.argv[1])["job"]; t=lambda x: d.fromisoformat(x.replace("Z","+00:00")).timestamp(); print("%.3f %s %s" % (t(j["endedAt"]) - t(j["startedAt"]), j["level"], j["message"].replace(" ", "_")))' "$j")
  local cpu scpu; cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$tv")
  scpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.2f", b-a}')
  echo "{\"tool\":\"reel\",\"rep\":$1,\"wall_s\":$w,\"cpu_s\":$cpu,\"server_cpu_s\":$scpu,\"server_s\":${s%% *}}" >> "$OUT"
  printf '  #%s reel incr     %6.2f s  cli cpu %5.2f s  server cpu %5.2f s  (server-side job %s s: %s)\n' "$1" "$w" "$cpu" "$scpu" "${s%% *}" "${s#* }"
}
run_restic() {
  local tv=$WORK/time.txt t0 w cpu summary
  sync; t0=$EPOCHREALTIME
  summary=$(cd "$SRC" && /usr/bin/time -v -o "$tv" restic backup . | grep -E '^Files:' | tr -s ' '); sync -f "$NET_DIR/repo-restic"
  w=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
  cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$tv")
  echo "{\"tool\":\"restic\",\"rep\":$1,\"wall_s\":$w,\"cpu_s\":$cpu}" >> "$OUT"
  printf '  #%s restic backup %6.2f s  cpu     %5.2f s  (%s)\n' "$1" "$w" "$cpu" "$summary"
}
for rep in $(seq "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then run_reel "$rep"; run_restic "$rep"; else run_restic "$rep"; run_reel "$rep"; fi
done

python3 - "$OUT" "$FILES" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(xs): return "%.2f (%.2f-%.2f)" % (statistics.median(xs), min(xs), max(xs))
reel = {r["rep"]: r for r in rows if r["tool"] == "reel"}; restic = {r["rep"]: r for r in rows if r["tool"] == "restic"}
print("\nsummary, %s unchanged files (median (min-max) of %d rounds)" % (sys.argv[2], len(reel)))
print("reel incr wall s        ", med([r["wall_s"] for r in reel.values()]), " CLI CPU", med([r["cpu_s"] for r in reel.values()]), " server CPU", med([r["server_cpu_s"] for r in reel.values()]), " server-side job", med([r["server_s"] for r in reel.values()]))
print("restic backup wall s    ", med([r["wall_s"] for r in restic.values()]), " CPU", med([r["cpu_s"] for r in restic.values()]))
print("restic wall / reel wall, per round", med([restic[k]["wall_s"] / reel[k]["wall_s"] for k in reel if k in restic]), " target >= 1 (reel no slower)")
EOF
_stop; trap - EXIT
[ "${NET_KEEP:-0}" = 1 ] || rm -rf "$NET_DIR"
