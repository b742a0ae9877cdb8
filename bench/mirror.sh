#!/usr/bin/env bash
# mirror.sh - CPU per byte of a backup with two mirror stages vs the same backup without mirrors
# (issue: "no more than 1.3x"), and the throughput of each. One reel server on loopback with its
# embedded node and client agent; the mirror stages are two more `dir` drives on the same node,
# in separate directories (MIRROR_DIRS may put them on other disks). The server's CPU (all its
# threads: client agent worker, node, server) is read from /proc before and after each backup.
#
#   bench/mirror.sh [SIZE_MIB=1024] [REPS=3]
set -euo pipefail
SIZE=${1:-1024}; REPS=${2:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAIN=$HERE/dist/src/cli/main.js
WORK=${BENCH_WORK:-/tmp/reel-mirror-bench}
PORT=${REEL_BENCH_PORT:-18580}
rm -rf "$WORK"; mkdir -p "$WORK/src"
read -r -a DIRS <<<"${MIRROR_DIRS:-$WORK/m1 $WORK/m2}"
for i in $(seq 1 8); do head -c $((SIZE / 8))M /dev/urandom > "$WORK/src/f$i.bin"; done
node "$MAIN" server --data "$WORK/var" --listen 127.0.0.1:$PORT --agent-listen 127.0.0.1:$((PORT + 1)) > "$WORK/server.out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || :' EXIT
for _ in $(seq 100); do grep -q 'client localhost: connected' "$WORK/server.out" && grep -q 'reel server listening' "$WORK/server.out" && break; sleep 0.1; done
export REEL_SERVER=http://127.0.0.1:$PORT REEL_TOKEN; REEL_TOKEN=$(cat "$WORK/var/admin.token")
reel() { node "$MAIN" "$@"; }
api() { curl -sf -X POST -H "authorization: Bearer $REEL_TOKEN" -H 'content-type: application/json' "$REEL_SERVER/api/v1/$1" -d "$2" >/dev/null; }
api drives "{\"name\":\"mirror1\",\"node\":\"local\",\"kind\":\"dir\",\"path\":\"${DIRS[0]}\",\"driveGroup\":\"mirror1\"}"
api drives "{\"name\":\"mirror2\",\"node\":\"local\",\"kind\":\"dir\",\"path\":\"${DIRS[1]}\",\"driveGroup\":\"mirror2\"}"
reel pool set mirror1 --drive-group mirror1 >/dev/null
reel pool set mirror2 --drive-group mirror2 >/dev/null
reel task set plain "$WORK/src" --client localhost >/dev/null
reel task set mirrored "$WORK/src" --client localhost --mirror mirror1 --mirror mirror2 >/dev/null
ticks() { awk '{print $14, $15}' "/proc/$PID/stat"; }   # user and system clock ticks, all threads
HZ=$(getconf CLK_TCK)
run() {  # run TASK -> "user_seconds system_seconds wall_seconds"
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || :
  local u0 s0 t0 u1 s1 t1; read -r u0 s0 <<<"$(ticks)"; t0=$(date +%s.%N)
  reel backup --task "$1" --json > "$WORK/last.json"
  read -r u1 s1 <<<"$(ticks)"; t1=$(date +%s.%N)
  grep -q '"state":"done"' "$WORK/last.json" || { echo "backup of $1 failed: $(cat "$WORK/last.json")" >&2; exit 1; }
  echo "$(echo "($u1 - $u0) / $HZ" | bc -l) $(echo "($s1 - $s0) / $HZ" | bc -l) $(echo "$t1 - $t0" | bc -l)"
}
echo "corpus: $SIZE MiB in 8 files of random bytes; mirror dirs: ${DIRS[*]}; $(nproc) cores; node $(node --version)"
printf '%-4s %-9s %7s %7s %8s %9s\n' rep task user_s sys_s wall_s MiB/s
for r in $(seq "$REPS"); do
  for task in plain mirrored; do
    read -r user sys wall <<<"$(run $task)"
    printf '%-4s %-9s %7.2f %7.2f %8.2f %9.1f\n' "$r" "$task" "$user" "$sys" "$wall" "$(echo "$SIZE / $wall" | bc -l)"
    echo "$task $(echo "$user + $sys" | bc -l) $wall" >> "$WORK/results"
  done
done
# The kernel's share of writing copies, as a peer: the same bytes read and written once and three
# times by `cat | tee` (CPU of the whole pipeline; cat alone would use copy_file_range).
kernel() {  # kernel once|three -> "cpu_seconds wall_seconds"
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || :
  local TIMEFORMAT='%U %S %R' t
  if [ "$1" = once ]; then t=$( { time sh -c "cat '$WORK'/src/* | tee '${DIRS[0]}/k1' > /dev/null; sync" ; } 2>&1 )
  else t=$( { time sh -c "cat '$WORK'/src/* | tee '${DIRS[0]}/k1' '${DIRS[1]}/k2' > '$WORK/k0'; sync" ; } 2>&1 ); fi
  rm -f "${DIRS[0]}/k1" "${DIRS[1]}/k2" "$WORK/k0"
  awk '{printf "%.2f %.2f\n", $1 + $2, $3}' <<<"$t"
}
for r in $(seq "$REPS"); do
  read -r c1 w1 <<<"$(kernel once)"; read -r c3 w3 <<<"$(kernel three)"
  printf '%-4s %-9s %15.2f %8.2f   (cat | tee, one copy)\n%-4s %-9s %15.2f %8.2f   (cat | tee, three copies)\n' "$r" kernel-1 "$c1" "$w1" "$r" kernel-3 "$c3" "$w3"
  echo "kernel1 $c1 $w1" >> "$WORK/results"; echo "kernel3 $c3 $w3" >> "$WORK/results"
done
awk '{cpu[$1]+=$2; n[$1]++} END { printf "peer: CPU of writing three copies / one with cat | tee: %.2f\n", (cpu["kernel3"]/n["kernel3"])/(cpu["kernel1"]/n["kernel1"]) }' "$WORK/results"
awk -v size="$SIZE" '{cpu[$1]+=$2; wall[$1]+=$3; n[$1]++}
  END { printf "CPU per byte, mirrored / plain: %.2f (target <= 1.3); throughput mirrored / plain: %.2f\n", (cpu["mirrored"]/n["mirrored"])/(cpu["plain"]/n["plain"]), (wall["plain"]/n["plain"])/(wall["mirrored"]/n["mirrored"]) }' "$WORK/results"
