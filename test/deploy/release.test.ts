/**
 * Install on a server: scripts/release builds both Linux binaries and signs
 * SHA256SUMS; the README's openssl recipe, `sha256sum -c` and
 * `warrant verify-release` each check the download (and refuse a tampered
 * one); `file` confirms each binary's architecture; the Dockerfile and the
 * systemd unit are checked with the tools this machine has.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropSchema, freshSchema } from "../store/postgres/pg-backend.ts";

const ROOT = join(import.meta.dir, "../..");
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const sh = (script: string, cwd: string) =>
  spawnSync("bash", ["-c", script], { cwd, encoding: "utf8", timeout: 300_000 });

let dir: string;
let out: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "warrant-release-"));
  out = join(dir, "release");
  const key = sh(
    `bun src/main.bun.ts keygen --id release --out ${dir}/release.key --json`,
    ROOT,
  );
  expect(key.status).toBe(0);
  const r = sh(`scripts/release --key ${dir}/release.key --out ${out}`, ROOT);
  if (r.status !== 0) throw new Error(`scripts/release failed:\n${r.stderr}${r.stdout}`);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scripts/release", () => {
  test("builds warrant-linux-x64 and warrant-linux-arm64 for their architectures", () => {
    if (!has("file")) {
      console.warn("SKIP architecture check: `file` is not installed");
      return;
    }
    const x64 = sh("file -b warrant-linux-x64", out).stdout;
    const arm = sh("file -b warrant-linux-arm64", out).stdout;
    expect(x64).toContain("ELF 64-bit LSB executable, x86-64");
    expect(arm).toContain("ELF 64-bit LSB executable, ARM aarch64");
  }, 60_000);

  test(
    "the README's openssl + sha256sum recipe verifies the download, and refuses a changed one",
    () => {
      const readme = readFileSync(join(ROOT, "README.md"), "utf8");
      const recipe = [
        "(printf 'warrant:release:v1\\n'; cat SHA256SUMS) > SHA256SUMS.signed",
        "openssl pkeyutl -verify -pubin -inkey warrant-release.pub.pem -rawin -in SHA256SUMS.signed -sigfile SHA256SUMS.sig",
        "sha256sum --check --ignore-missing SHA256SUMS",
      ];
      for (const line of recipe) expect(readme).toContain(line);
      if (!has("openssl") || !has("sha256sum")) {
        console.warn("SKIP openssl recipe: openssl or sha256sum is not installed");
        return;
      }
      const ok = sh(recipe.join(" && "), out);
      expect(ok.stdout).toContain("Signature Verified Successfully");
      expect(ok.stdout).toContain("warrant-linux-arm64: OK");
      expect(ok.stdout).toContain("warrant-linux-x64: OK");
      expect(ok.status).toBe(0);

      const bad = join(dir, "bad-sums");
      mkdirSync(bad);
      for (const f of ["SHA256SUMS", "SHA256SUMS.sig", "warrant-release.pub.pem"]) {
        copyFileSync(join(out, f), join(bad, f));
      }
      // Point a line at other bytes: the signature no longer verifies.
      const sums = readFileSync(join(bad, "SHA256SUMS"), "utf8");
      writeFileSync(
        join(bad, "SHA256SUMS"),
        sums.replace(/^[0-9a-f]/, (c) => (c === "0" ? "1" : "0")),
      );
      const r = sh(recipe.slice(0, 2).join(" && "), bad);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("Signature Verification Failure");
    },
    60_000,
  );

  test(
    "warrant verify-release accepts the download and refuses a tampered binary or another key",
    () => {
      const bin = join(out, "warrant-linux-x64");
      const ok = spawnSync(bin, [
        "verify-release",
        out,
        "--key",
        join(out, "warrant-release.pub.pem"),
      ], {
        encoding: "utf8",
      });
      expect(ok.stdout).toBe("OK  warrant-linux-arm64\nOK  warrant-linux-x64\n");
      expect(ok.status).toBe(0);

      // A download folder with a changed arm64 binary.
      const dl = join(dir, "download");
      mkdirSync(dl);
      for (const f of ["SHA256SUMS", "SHA256SUMS.sig"]) copyFileSync(join(out, f), join(dl, f));
      const arm = readFileSync(join(out, "warrant-linux-arm64"));
      arm[arm.length - 1] = arm[arm.length - 1]! ^ 1;
      writeFileSync(join(dl, "warrant-linux-arm64"), arm);
      const pem = join(out, "warrant-release.pub.pem");
      const tampered = spawnSync(bin, ["verify-release", dl, "--key", pem, "--json"], {
        encoding: "utf8",
      });
      expect(tampered.status).toBe(1);
      expect(JSON.parse(tampered.stderr).error.code).toBe("digest_mismatch");

      // Asking for a file that was not downloaded: not found (3).
      const missing = spawnSync(bin, [
        "verify-release",
        dl,
        "--key",
        pem,
        "--file",
        "warrant-linux-x64",
      ], {
        encoding: "utf8",
      });
      expect(missing.status).toBe(3);
      expect(missing.stderr).toContain("warrant-linux-x64: no such file");

      // Another key (not the release key) does not verify the checksums.
      const other = spawnSync(bin, [
        "keygen",
        "--id",
        "x",
        "--out",
        join(dir, "other.key"),
        "--json",
      ], {
        encoding: "utf8",
      });
      const otherPub = JSON.parse(other.stdout).public_key as string;
      const wrong = spawnSync(bin, ["verify-release", out, "--key", otherPub, "--json"], {
        encoding: "utf8",
      });
      expect(wrong.status).toBe(1);
      expect(JSON.parse(wrong.stderr).error.code).toBe("signature_invalid");
    },
    60_000,
  );
  test(
    "warrant-linux-x64 is built as dist/warrant: nothing planted in its working directory is read, its PostgreSQL worker is inside",
    () => {
      const bin = join(out, "warrant-linux-x64");
      const ws = join(dir, "ws");
      mkdirSync(ws);
      const marker = join(ws, "planted-code-ran");
      writeFileSync(
        join(ws, "planted.js"),
        `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`,
      );
      writeFileSync(join(ws, "bunfig.toml"), 'preload = ["./planted.js"]\n');
      writeFileSync(join(ws, ".env"), "WARRANT_LOG=debug\nWARRANT_EVENTS_STDERR=1\n");
      writeFileSync(
        join(ws, "p.json"),
        JSON.stringify({ policy: "p", version: 1, default: "deny", rules: [] }),
      );
      const gate = (store: object, env: Record<string, string> = {}) => {
        writeFileSync(
          join(ws, "warrant.json"),
          JSON.stringify({
            project: "release",
            store,
            policy: { file: "p.json", allow_unsigned: true },
          }),
        );
        const r = spawnSync(bin, ["runtime", "gate", "--config", "warrant.json"], {
          cwd: ws,
          input: "",
          encoding: "utf8",
          env: { ...process.env, ...env },
          timeout: 60_000,
        });
        expect(r.stdout).toContain('"type":"ready"');
        expect(r.status).toBe(0);
        expect(existsSync(marker)).toBe(false);
        expect(r.stderr).not.toContain('"level":"debug"');
        expect(r.stderr).not.toContain('"event":');
      };
      gate({ path: ".warrant/warrant.db" });
      const url = process.env.WARRANT_TEST_PG_URL;
      if (!url) {
        console.warn(
          "SKIP the PostgreSQL start: no WARRANT_TEST_PG_URL (scripts/test starts a server)",
        );
        return;
      }
      const schema = freshSchema("release");
      try {
        gate({ path: ".warrant/unused.db", postgres: { schema } }, { WARRANT_DATABASE_URL: url });
      } finally {
        dropSchema(url, schema);
      }
    },
    120_000,
  );
});

describe("deploy/", () => {
  test(
    "the Dockerfile passes dockerfilelint, runs as non-root and keeps the store on a volume",
    () => {
      const file = join(ROOT, "deploy/Dockerfile");
      const lint = sh(`node_modules/.bin/dockerfilelint ${file}`, ROOT);
      expect(lint.stdout).toContain("Issues: None found");
      expect(lint.status).toBe(0);
      const text = readFileSync(file, "utf8");
      const lines = text.split("\n").filter((l) => /^[A-Z]+ /.test(l));
      const final = lines.slice(lines.findLastIndex((l) => l.startsWith("FROM ")));
      expect(final[0]).toMatch(/^FROM gcr\.io\/distroless\/base-nossl-debian12:nonroot$/);
      expect(final).toContain("USER 65532:65532");
      expect(final).toContain('VOLUME ["/var/lib/warrant"]');
      const user = final.indexOf("USER 65532:65532");
      expect(final.findIndex((l) => l.startsWith("ENTRYPOINT"))).toBeGreaterThan(user);
    },
    60_000,
  );

  test(
    "the Dockerfile's pick step selects and checks the right binary for each architecture",
    () => {
      // The same shell as the build stage's RUN, on the release folder (no docker engine here).
      const text = readFileSync(join(ROOT, "deploy/Dockerfile"), "utf8");
      const run = /^RUN (case[\s\S]*?)\n\n/m.exec(text)![1]!.replace(/\\\n/g, " ")
        .replace("/warrant", `${dir}/picked`).replace("/state", `${dir}/state`);
      for (const [arch, want] of [["amd64", "x86-64"], ["arm64", "aarch64"]] as const) {
        rmSync(`${dir}/picked`, { force: true });
        rmSync(`${dir}/state`, { recursive: true, force: true });
        const r = sh(`set -o pipefail; TARGETARCH=${arch}; ${run}`, out);
        expect(r.stderr).toBe("");
        expect(r.stdout).toContain(`warrant-linux-${arch === "amd64" ? "x64" : "arm64"}: OK`);
        expect(r.status).toBe(0);
        if (has("file")) expect(sh(`file -b ${dir}/picked`, out).stdout).toContain(want);
      }
      const r = sh(`set -o pipefail; TARGETARCH=s390x; ${run}`, out);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("no warrant build for s390x");
    },
    60_000,
  );

  test("the systemd unit passes systemd-analyze verify and is hardened", () => {
    const unit = readFileSync(join(ROOT, "deploy/warrant.service"), "utf8");
    for (
      const line of [
        "User=warrant",
        "StateDirectory=warrant",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "ExecStart=/usr/local/bin/warrant serve --config /etc/warrant/warrant.json",
      ]
    ) expect(unit.split("\n")).toContain(line);
    if (!has("systemd-analyze")) {
      console.warn("SKIP systemd-analyze: not installed (apt-get install systemd)");
      return;
    }
    // verify checks that ExecStart exists: point it at the built binary.
    const copy = join(dir, "warrant.service");
    writeFileSync(
      copy,
      unit.replace(
        "ExecStart=/usr/local/bin/warrant",
        `ExecStart=${join(out, "warrant-linux-x64")}`,
      ),
    );
    const v = sh(`systemd-analyze verify ${copy}`, dir);
    expect(v.stderr).toBe(""); // unknown keys and bad values are only warnings: none allowed
    expect(v.status).toBe(0);
    const s = sh(`systemd-analyze security --offline=yes --threshold=20 ${copy}`, dir);
    expect(s.stdout).toMatch(/Overall exposure level for warrant\.service: 1\.\d/);
    expect(s.status).toBe(0);
    const u = sh(
      `systemd-sysusers --dry-run --root=${dir}/sysroot ${ROOT}/deploy/warrant.sysusers`,
      dir,
    );
    expect(u.stdout + u.stderr).toContain("Creating user 'warrant'");
  }, 60_000);
});
