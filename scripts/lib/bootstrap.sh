# Sourced by every script: makes the pinned Bun (and Deno) available and the
# project's dependencies installed, fetching only from the npm registry.
# Idempotent and quiet when everything is already there. Nothing global:
# the toolchain lives in scripts/toolchain/node_modules.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLCHAIN="$ROOT/scripts/toolchain"
export PATH="$TOOLCHAIN/node_modules/.bin:$ROOT/node_modules/.bin:$PATH"
# Bun writes caches under $HOME; keep them inside the project when HOME is unset.
export BUN_INSTALL_CACHE_DIR="${BUN_INSTALL_CACHE_DIR:-$ROOT/node_modules/.cache/bun}"

say() { printf '%s\n' "$*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  say "warrant: npm is required to fetch the pinned Bun (install Node.js 20+ with npm)"; exit 1
fi
want_bun="$(node -p 'require(process.argv[1]).dependencies.bun' "$TOOLCHAIN/package.json")"
if [ ! -x "$TOOLCHAIN/node_modules/.bin/bun" ] || [ "$("$TOOLCHAIN/node_modules/.bin/bun" --version 2>/dev/null)" != "$want_bun" ]; then
  say "warrant: fetching Bun $want_bun and Deno through npm into scripts/toolchain (one time)..."
  # npm install, not npm ci: ci refuses the platform packages npm skips for other OSes.
  (cd "$TOOLCHAIN" && npm install --no-save --no-audit --no-fund --loglevel=error >&2)
fi
if [ ! -d "$ROOT/node_modules/hono" ] || [ "$ROOT/bun.lock" -nt "$ROOT/node_modules/.warrant-installed" ]; then
  say "warrant: installing dependencies (bun install --frozen-lockfile)..."
  (cd "$ROOT" && bun install --frozen-lockfile >&2)
  touch "$ROOT/node_modules/.warrant-installed"
fi
