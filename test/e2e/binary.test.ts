/**
 * The single binary stands alone: copied into an empty folder, with no
 * node_modules, sources or config around it, it runs and prints its help.
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, OTHER_PRODUCT } from "./harness.ts";

// Only the compiled single binary can be copied alone; scripts/warrant-deno runs from the sources.
if (OTHER_PRODUCT) {
  console.warn("skip: binary.test.ts checks dist/warrant only (WARRANT_E2E_BIN set)");
}
test.skipIf(OTHER_PRODUCT)("dist/warrant runs --help from an empty folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warrant-alone-"));
  try {
    const bin = join(dir, "warrant");
    copyFileSync(await ensureBinary(), bin);
    spawnSync("chmod", ["+x", bin]);
    const r = spawnSync(bin, ["--help"], {
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("runtime gate");
    expect(r.stdout).toContain("Exit codes");
    const v = spawnSync(bin, ["policy", "sign", "--help"], {
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      encoding: "utf8",
    });
    expect(v.status).toBe(0);
    expect(v.stdout).toContain("Example");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
