# reel-zstd3.sh - adapter: `reel archive` with zstd level 3 (compare with the tar-zstd3 row).
REEL_COMPRESS=zstd REEL_LEVEL=3
source "$(dirname "${BASH_SOURCE[0]}")/reel.sh"
