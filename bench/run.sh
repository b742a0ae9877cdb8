#!/usr/bin/env bash
# run.sh [PROFILE...] - the peer benchmark with reel's adapters in the same run as the peers.
# The shared harness is read-only and takes one extra adapter, so this copies it to a scratch
# dir, adds bench/reel*.sh to its tools/, and runs peers.sh for each profile (default: all three).
# env: as peers.sh (BENCH_REPS, BENCH_DIR, CORPUS_SCALE, ...); BENCH_TOOLS overrides the tool list.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shared=${BENCH_SHARED:-$here/../../shared/bench}
[ -x "$shared/peers.sh" ] || { echo "run.sh: peer harness not found at $shared" >&2; exit 2; }
copy=$(mktemp -d "${TMPDIR:-/tmp}/reel-bench.XXXXXX")
cp -r "$shared"/. "$copy"/ && chmod -R u+w "$copy"
cp "$here"/reel.sh "$here"/reel-zstd3.sh "$copy"/tools/
# the server adapter only when asked for: BENCH_TOOLS="tar reel-server" (see server.sh)
case " ${BENCH_TOOLS:-} " in *" reel-server "*) cp "$here"/server.sh "$copy"/tools/reel-server.sh ;; esac
export REEL_HOME="$here/.."
tools=${BENCH_TOOLS:-read-limit write-limit tar tar-zstd3 reel reel-zstd3}
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(mixed small-files large-files)
for profile in "${profiles[@]}"; do
  # shellcheck disable=SC2086
  "$copy"/peers.sh "$profile" $tools
done
