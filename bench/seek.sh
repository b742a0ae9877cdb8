#!/usr/bin/env bash
# seek.sh - reel's own figures beside tar: extracting one small file from the middle of a
# 2 GiB archive, and listing an archive of 100k entries. Uses the peer harness's corpora.
# usage: bench/seek.sh [SCRATCH]   env: REPS (5), BENCH_SHARED (../shared/bench)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shared=${BENCH_SHARED:-$here/../../shared/bench}
reel() { node "$here/../dist/src/cli/main.js" "$@"; }
scratch=${1:-$(mktemp -d "${TMPDIR:-/tmp}/reel-seek.XXXXXX")}
reps=${REPS:-5}
mkdir -p "$scratch"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() {  # timeit CMD... : median wall seconds of $reps runs
  local i s
  for ((i = 0; i < reps; i++)); do
    s=$EPOCHREALTIME; "$@" >/dev/null; echo "$EPOCHREALTIME - $s" | bc
  done | median
}

# 1. One file from the middle of a 2 GiB archive.
[ -d "$scratch/large" ] || "$shared/corpus.sh" large-files "$scratch/large" >/dev/null
mkdir -p "$scratch/big"
files=("$scratch"/large/*)
half=$(( ${#files[@]} / 2 ))
for f in "${files[@]:0:$half}"; do ln -f "$f" "$scratch/big/a-$(basename "$f")"; done
printf 'the needle\n' > "$scratch/big/m-needle.txt"
for f in "${files[@]:$half}"; do ln -f "$f" "$scratch/big/z-$(basename "$f")"; done
reel archive create --compress none -f "$scratch/big.reel" -C "$scratch/big" .
tar -C "$scratch/big" -cf "$scratch/big.tar" .
one() { rm -rf "$scratch/one" && mkdir "$scratch/one" && reel archive extract -f "$scratch/big.reel" -C "$scratch/one" m-needle.txt && cmp -s "$scratch/one/m-needle.txt" "$scratch/big/m-needle.txt"; }
one_tar() { rm -rf "$scratch/one" && mkdir "$scratch/one" && tar -C "$scratch/one" -xf "$scratch/big.tar" --occurrence=1 ./m-needle.txt; }
archive_bytes=$(stat -c %s "$scratch/big.reel")
t_one=$(timeit one); t_one_tar=$(timeit one_tar)

# 2. Listing 100k entries.
[ -d "$scratch/small" ] || "$shared/corpus.sh" small-files "$scratch/small" >/dev/null
reel archive create --compress zstd -f "$scratch/small.reel" -C "$scratch/small" .
tar -C "$scratch/small" -cf "$scratch/small.tar" .
entries=$(reel archive list -f "$scratch/small.reel" | wc -l)
t_list=$(timeit reel archive list -f "$scratch/small.reel")
t_list_v=$(timeit reel archive list -v -f "$scratch/small.reel")
t_list_json=$(timeit reel archive list --json -f "$scratch/small.reel")
t_list_tar=$(timeit tar -tf "$scratch/small.tar")

cat <<REPORT
| measurement | reel s | tar s | target |
|---|---|---|---|
| one 11-byte file from the middle of a $((archive_bytes / 1048576)) MiB archive | $t_one | $t_one_tar | reel < 0.5 s |
| list $entries entries | $t_list | $t_list_tar | reel < 1 s |
| list -v $entries entries | $t_list_v | | |
| list --json $entries entries | $t_list_json | | |

median of $reps runs; $(nproc) cores; node $(node --version); scratch $scratch
REPORT
