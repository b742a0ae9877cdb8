# reel.sh - adapter for ../shared/bench/peers.sh: `reel archive` without compression
# (compare with the tar row). REEL_COMPRESS=zstd REEL_LEVEL=N switch compression on.
REEL_MAIN=${REEL_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}/dist/src/cli/main.js
REEL_COMPRESS=${REEL_COMPRESS:-none}
REEL_LEVEL=${REEL_LEVEL:-3}
reel() { node "$REEL_MAIN" "$@"; }

available() { [ -f "$REEL_MAIN" ] && command -v node >/dev/null; }
version() { echo "reel $(reel --version) (node $(node --version), compress $REEL_COMPRESS${REEL_COMPRESS/none/}${REEL_COMPRESS/zstd/ level $REEL_LEVEL})" | sed 's/zstdzstd/zstd/;s/nonenone/none/'; }
backup() { reel archive create --compress "$REEL_COMPRESS" --level "$REEL_LEVEL" -f "$REPO/full.reel" -C "$SRC" .; }
restore() { reel archive extract -f "$REPO/full.reel" -C "$DEST"; }
restore_one() { reel archive extract -f "$REPO/full.reel" -C "$DEST" "$ONE"; }
stored_size() { du -cb "$REPO"/*.reel | tail -1 | cut -f1; }
