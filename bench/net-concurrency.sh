#!/usr/bin/env bash
# net-concurrency.sh - four concurrent backups through one reel server vs one backup alone, then
# one-file restores from the volume that holds the four interleaved streams.
#
#   npm run build && bench/net-concurrency.sh
#
# Trees: 4 × corpus.sh large-files at NET_SCALE (default 0.25: 4 files, 512 MiB per tree; seeds
# 1-4, so every tree differs) plus two 8 KiB files: s-mid.dat (sorts into the middle of the
# stream, 256 MiB before its end) and zz-end.dat (the last file of the stream).
# One server (bench/server.sh's functions, port REEL_BENCH_PORT, default 18490) on NET_DIR/repo.
# Each repetition (NET_REPS, default 3; the order solo/concurrent alternates between repetitions):
#   solo        `reel backup` of tree 1 (task t1, full)
#   concurrent  4 × `reel backup` (tasks t1..t4, full) started together, waited for
# each timed from launch to the end of `sync -f` (as peers.sh does); aggregate MB/s = bytes of the
# 4 trees / wall; ratio = aggregate MB/s / solo MB/s. The server-side span (job startedAt →
# endedAt, first start to last end) is reported too: it leaves out the CLI's node start-up.
# Then (NET_REPS_ONE, default 5, each): `reel restore ID --target T /…/tree3/zz-end.dat` and
# `… s-mid.dat` of tree 3's saveset of the last concurrent run, timed end to end (CLI start,
# job, sync), plus the job's server-side duration (createdAt → endedAt), checked with cmp.
# Results: NET_DIR/results.jsonl and a summary on stdout. NET_KEEP=1 keeps NET_DIR.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shared=${BENCH_SHARED:-$here/../../shared/bench}
NET_DIR=${NET_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/reel-net-conc.XXXXXX")}
mkdir -p "$NET_DIR" && NET_DIR=$(cd "$NET_DIR" && pwd)
REPS=${NET_REPS:-3} REPS_ONE=${NET_REPS_ONE:-5} SCALE=${NET_SCALE:-0.25}
export REEL_BENCH_PORT=${REEL_BENCH_PORT:-18490}
export REEL_HOME=$here/..
REPO=$NET_DIR/repo WORK=$NET_DIR/work
# shellcheck source=server.sh
source "$here/server.sh"
OUT=$NET_DIR/results.jsonl
trap '_stop' EXIT

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}'; }
jobs_json() { curl -sf -H "Authorization: Bearer $(cat "$REPO/data/admin.token")" "$REEL_SERVER/api/v1/jobs?limit=100"; }
# span JOBID... : seconds from the first job's startedAt (or createdAt) to the last one's endedAt
span() { jobs_json | python3 -c '
import json, sys
from datetime import datetime
ids = {int(a) for a in sys.argv[1:]}
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
js = [j for j in json.load(sys.stdin) if j["id"] in ids]
assert len(js) == len(ids) and all(j["state"] == "done" for j in js), js
print("%.3f" % (max(t(j["endedAt"]) for j in js) - min(t(j["startedAt"] or j["createdAt"]) for j in js)))' "$@"; }
created_span() { jobs_json | python3 -c '
import json, sys
from datetime import datetime
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
j = [j for j in json.load(sys.stdin) if j["id"] == int(sys.argv[1])][0]
assert j["state"] == "done", j
print("%.3f" % (t(j["endedAt"]) - t(j["createdAt"])))' "$1"; }
backup_json() {  # backup_json TASK TREE > json line
  reel backup --task "$1" --json "$2"
}

echo "# net-concurrency: NET_DIR=$NET_DIR scale $SCALE, $REPS reps, $(nproc) cores"
for i in 1 2 3 4; do
  T=$NET_DIR/tree$i
  [ -d "$T" ] || {
    CORPUS_SEED=$i CORPUS_SCALE=$SCALE "$shared/corpus.sh" large-files "$T"
    python3 -c 'import os,sys,random; r=random.Random(int(sys.argv[2]))
for n in ("s-mid.dat", "zz-end.dat"): open(os.path.join(sys.argv[1], n), "wb").write(r.randbytes(8192))' "$T" "$i"
  }
done
BYTES=() ; for i in 1 2 3 4; do BYTES[i]=$(du -sb --apparent-size "$NET_DIR/tree$i" | cut -f1); done
ALL=$(( BYTES[1] + BYTES[2] + BYTES[3] + BYTES[4] ))
sync && sleep "${NET_SETTLE:-10}"

mkdir -p "$WORK" "$REPO"
_stop; _start
echo "server up on $REEL_SERVER (data $REPO/data)"
for i in 1 2 3 4; do   # warm-up: creates the first volume and the tasks (a failure is reported, then retried once)
  backup_json "t$i" "$NET_DIR/tree$i" > /dev/null || { echo "WARM-UP BACKUP OF tree$i FAILED (see above; server log $WORK/server.out), retrying"
    echo "{\"op\":\"failed\",\"what\":\"warm-up backup t$i\"}" >> "$OUT"; backup_json "t$i" "$NET_DIR/tree$i" > /dev/null; }
done

solo() {
  local t0 w j; sync; t0=$(now)
  j=$(backup_json t1 "$NET_DIR/tree1") || { echo "  rep $1 solo FAILED"; echo "{\"op\":\"failed\",\"what\":\"solo rep $1\"}" >> "$OUT"; return 0; }
  sync -f "$REPO"; w=$(since "$t0")
  local id; id=$(grep -o '"job":{"id":[0-9]*' <<<"$j" | grep -o '[0-9]*$')
  local s; s=$(span "$id")
  echo "{\"op\":\"solo\",\"rep\":$1,\"wall_s\":$w,\"server_s\":$s,\"bytes\":${BYTES[1]}}" >> "$OUT"
  printf '  rep %s solo        %7.2f s  %6.0f MB/s   (server-side %6.2f s)\n' "$1" "$w" "$(echo "${BYTES[1]} / $w / 1000000" | bc -l)" "$s"
}
concurrent() {
  local t0 w i pids=() ids=() s; sync; t0=$(now)
  for i in 1 2 3 4; do backup_json "t$i" "$NET_DIR/tree$i" > "$WORK/conc$i.json" & pids+=($!); done
  local failed=0; for p in "${pids[@]}"; do wait "$p" || failed=1; done
  [ $failed = 0 ] || { echo "  rep $1 concurrent: a backup FAILED"; echo "{\"op\":\"failed\",\"what\":\"concurrent rep $1\"}" >> "$OUT"; return 0; }
  sync -f "$REPO"; w=$(since "$t0")
  for i in 1 2 3 4; do ids+=("$(grep -o '"job":{"id":[0-9]*' "$WORK/conc$i.json" | grep -o '[0-9]*$')"); done
  s=$(span "${ids[@]}")
  LAST_SAVESET3=$(grep -o '"saveset":{"id":[0-9]*' "$WORK/conc3.json" | grep -o '[0-9]*$')
  echo "{\"op\":\"concurrent\",\"rep\":$1,\"wall_s\":$w,\"server_s\":$s,\"bytes\":$ALL,\"savesets\":\"$(grep -ho '"saveset":{"id":[0-9]*' "$WORK"/conc?.json | grep -o '[0-9]*$' | tr '\n' ' ')\"}" >> "$OUT"
  printf '  rep %s concurrent  %7.2f s  %6.0f MB/s aggregate   (server-side %6.2f s)\n' "$1" "$w" "$(echo "$ALL / $w / 1000000" | bc -l)" "$s"
}
for rep in $(seq "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then solo "$rep"; concurrent "$rep"; else concurrent "$rep"; solo "$rep"; fi
done

echo "placement of the last concurrent run's streams (copy_extents per saveset and volume):"
sqlite3 -readonly "$REPO/data/catalog.sqlite" "SELECT 'saveset ' || c.saveset_id || ' on medium ' || e.medium_id || ': ' || count(*) || ' extents, blocks ' || min(e.first_block) || '-' || max(e.first_block + e.block_count - 1)
  FROM copy_extents e JOIN copies c ON c.id = e.copy_id
  WHERE c.saveset_id IN ($(grep -ho '"saveset":{"id":[0-9]*' "$WORK"/conc?.json | grep -o '[0-9]*$' | paste -sd,)) GROUP BY c.saveset_id, e.medium_id" | sed 's/^/  /'

restore_one() {  # restore_one NAME REP
  local tmp=$NET_DIR/r1 t0 w j id s ok
  rm -rf "$tmp" && mkdir -p "$tmp" && sync; t0=$(now)
  j=$(reel restore "$LAST_SAVESET3" --target "$tmp" --json "$NET_DIR/tree3/$1"); sync -f "$REPO"; w=$(since "$t0")
  id=$(grep -o '"job":{"id":[0-9]*' <<<"$j" | grep -o '[0-9]*$'); s=$(created_span "$id")
  if cmp -s "$NET_DIR/tree3/$1" "$tmp$NET_DIR/tree3/$1"; then ok=OK; else ok=DIFF; fi
  echo "{\"op\":\"restore_one\",\"file\":\"$1\",\"rep\":$2,\"wall_s\":$w,\"server_s\":$s,\"verify\":\"$ok\"}" >> "$OUT"
  printf '  restore_one %-10s #%s %6.3f s   (server-side job %6.3f s) %s\n' "$1" "$2" "$w" "$s" "$ok"
}
for rep in $(seq "$REPS_ONE"); do restore_one zz-end.dat "$rep"; restore_one s-mid.dat "$rep"; done
for rep in $(seq 3); do   # the CLI's fixed cost: a call that does nothing on the server
  sync; t0=$(now); reel jobs --limit 1 --json > /dev/null; w=$(since "$t0")
  echo "{\"op\":\"cli_jobs\",\"rep\":$rep,\"wall_s\":$w}" >> "$OUT"
  printf '  reel jobs --limit 1 #%s %6.3f s (CLI start-up + one GET)\n' "$rep" "$w"
done

python3 - "$OUT" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(xs): return "%.3f (%.3f-%.3f)" % (statistics.median(xs), min(xs), max(xs))
solo = [r for r in rows if r["op"] == "solo"]; conc = [r for r in rows if r["op"] == "concurrent"]
print("failures:", [r["what"] for r in rows if r["op"] == "failed"] or "none")
pairs = [(s, c) for s in solo for c in conc if s["rep"] == c["rep"]]   # same repetition: same disk weather
ratio = [c["bytes"] / c["wall_s"] / (s["bytes"] / s["wall_s"]) for s, c in pairs]
ratio_srv = [c["bytes"] / c["server_s"] / (s["bytes"] / s["server_s"]) for s, c in pairs]
print("\nsummary (median (min-max))")
print("solo wall s            ", med([r["wall_s"] for r in solo]), " MB/s %.0f" % (solo[0]["bytes"] / statistics.median([r["wall_s"] for r in solo]) / 1e6))
print("concurrent wall s      ", med([r["wall_s"] for r in conc]), " MB/s %.0f" % (conc[0]["bytes"] / statistics.median([r["wall_s"] for r in conc]) / 1e6))
print("aggregate / solo, per rep (CLI wall)     ", med(ratio), " target >= 0.9")
print("aggregate / solo, per rep (server spans) ", med(ratio_srv))
for f in ("zz-end.dat", "s-mid.dat"):
    o = [r for r in rows if r["op"] == "restore_one" and r["file"] == f]
    print("restore_one %-10s wall %s, server-side job %s, verify %s  target < 0.3 s" % (f, med([r["wall_s"] for r in o]), med([r["server_s"] for r in o]), ",".join(sorted({r["verify"] for r in o}))))
print("CLI fixed cost (reel jobs --limit 1) ", med([r["wall_s"] for r in rows if r["op"] == "cli_jobs"]))
EOF
_stop; trap - EXIT
[ "${NET_KEEP:-0}" = 1 ] || rm -rf "$NET_DIR"
