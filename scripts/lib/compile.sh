# How the Bun executable is compiled, defined once: scripts/build (dist/warrant)
# and scripts/release (the Linux binaries users install) both call
# compile_warrant, so a release is the binary the tests ran.
#
#   compile_warrant OUT [more bun build flags, e.g. --target, --compile-executable-path]
#
# - The inbox page's files are compiled in as string constants
#   (src/transport/inbox/assets.gen.ts, generated here).
# - --bytecode: precompiled JavaScriptCore bytecode, ~20 ms less start-up per spawn.
# - src/platform/pg-worker.ts is a second entry point: the PostgreSQL store's
#   driver runs in that worker thread (src/platform/pg-bridge.ts finds it
#   inside the binary).
# - --compile-jit-policy=32: JavaScriptCore's tier-up thresholds x32 until a
#   face is up (Platform.steadyState() restores them): start-up code runs
#   once, and compiling it cost a gate ~4-6 ms of spawn -> ready
#   (bench/startup.ts). Other CLI verbs restore the thresholds at dispatch
#   (cli/run.ts). bench/lib/echo.ts builds the echo gate the same way.
# - --no-compile-autoload-*: a compiled Bun executable otherwise reads
#   bunfig.toml and .env from its working directory, which is usually the
#   agent's project: a planted bunfig.toml `preload` would run the agent's
#   code inside warrant, and a planted .env would set its variables
#   (test/e2e/working-dir.test.ts). tsconfig.json and package.json are off
#   by default today; they are named so that stays true.
compile_warrant() {
  local out="$1"; shift
  bun scripts/gen-inbox-assets.ts
  bun build --compile --minify --bytecode --compile-jit-policy=32 --sourcemap=none \
    --no-compile-autoload-bunfig --no-compile-autoload-dotenv \
    --no-compile-autoload-tsconfig --no-compile-autoload-package-json \
    "$@" src/main.bun.ts src/platform/pg-worker.ts --outfile "$out" >&2
}
