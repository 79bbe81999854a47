/**
 * Loaded before the test files (bunfig.toml [test] preload): e2e tests spawn
 * the compiled binary and CLIs on a shared 2-core machine, so every test
 * file gets a 60 s default per-test timeout, as scripts/test's --timeout.
 * Why a loader: bunfig's `timeout` key is not read by `bun test`, and
 * setDefaultTimeout() called here reaches only the first file, so the call
 * is prepended to each test file as it loads (on its first line, so line
 * numbers in failures stay right).
 */
import { plugin } from "bun";

const PREFIX = 'import { setDefaultTimeout as __warrantTimeout } from "bun:test"; ' +
  "__warrantTimeout(60_000); ";

plugin({
  name: "warrant-default-timeout",
  setup(build) {
    build.onLoad({ filter: /\.test\.ts$/ }, async (args) => ({
      contents: PREFIX + (await Bun.file(args.path).text()),
      loader: "ts",
    }));
  },
});
