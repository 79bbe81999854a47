import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from "../../../src/core/base64.ts";
import { isWarrantError } from "../../../src/core/errors.ts";
import {
  formatKeyFile,
  formatPkcs8Pem,
  formatPublicKey,
  formatSpkiPem,
  parsePublicKey,
  parseSecretKeyFile,
} from "../../../src/core/keys.ts";

const fixture = (f: string) =>
  readFileSync(new URL(`../../fixtures/keys/${f}`, import.meta.url), "utf8");
const EXPECTED = JSON.parse(fixture("openssl-ed25519.expected.json"));
const SEEDS = JSON.parse(fixture("test-seeds.json")).seeds as Record<string, string>;

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return isWarrantError(e) ? e.code : "not a WarrantError";
  }
}

describe("strict base64", () => {
  test("round trips every length 0..40", () => {
    for (let n = 0; n <= 40; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const t = encodeBase64(b);
      expect(t).toBe(Buffer.from(b).toString("base64"));
      expect(Array.from(decodeBase64(t)!)).toEqual(Array.from(b));
    }
  });
  test("rejects non-canonical spellings", () => {
    for (
      const t of ["AQI", "AQI=A", "AQ==\n", "AR==", "AQJ=", "A===", "-_8=", "AQ=A", " AQI=", "=AQI"]
    ) {
      expect(decodeBase64(t)).toBeNull();
    }
  });
  test("expected length", () => {
    expect(decodeBase64("AQID", 3)).not.toBeNull();
    expect(decodeBase64("AQID", 4)).toBeNull();
  });
  test("hex", () => {
    expect(encodeHex(decodeHex("00ff10")!)).toBe("00ff10");
    expect(decodeHex("0g")).toBeNull();
    expect(decodeHex("abc")).toBeNull();
  });
});

describe("openssl PEM keys", () => {
  test("PKCS#8 private key derives the openssl public key", () => {
    const k = parseSecretKeyFile(fixture("openssl-ed25519.pem"), "openssl-ed25519.pem");
    expect(k.format).toBe("pkcs8-pem");
    expect(k.id).toBeNull();
    expect(formatPublicKey(k.publicKey)).toBe(EXPECTED.public_key);
    expect(formatPkcs8Pem(k.secret).trim()).toBe(fixture("openssl-ed25519.pem").trim());
  });
  test("SPKI public key parses to the same key", () => {
    const pub = parsePublicKey(fixture("openssl-ed25519.pub.pem"));
    expect(formatPublicKey(pub)).toBe(EXPECTED.public_key);
    expect(formatSpkiPem(pub).trim()).toBe(fixture("openssl-ed25519.pub.pem").trim());
  });
  test("PKCS#8 v2 with a matching public key", () => {
    const k = parseSecretKeyFile(fixture("openssl-ed25519.pem"), "x");
    const der = new Uint8Array([
      ...decodeHex("3051020101300506032b657004220420")!,
      ...k.secret,
      0x81,
      0x21,
      0x00,
      ...k.publicKey,
    ]);
    const pem = `-----BEGIN PRIVATE KEY-----\n${encodeBase64(der)}\n-----END PRIVATE KEY-----\n`;
    expect(formatPublicKey(parseSecretKeyFile(pem, "v2.pem").publicKey)).toBe(EXPECTED.public_key);
    der[der.length - 1]! ^= 1;
    const bad = `-----BEGIN PRIVATE KEY-----\n${encodeBase64(der)}\n-----END PRIVATE KEY-----\n`;
    expect(codeOf(() => parseSecretKeyFile(bad, "v2.pem"))).toBe("key_file_invalid");
  });
  test("other PEM blocks are refused with the file name", () => {
    expect(() =>
      parseSecretKeyFile(
        "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----",
        "ec.pem",
      )
    )
      .toThrow("ec.pem");
    expect(
      codeOf(() =>
        parseSecretKeyFile("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "k")
      ),
    )
      .toBe("key_file_invalid");
  });
});

describe("warrant key files", () => {
  const seed = decodeHex(SEEDS.alice!)!;
  test("round trip", () => {
    const text = formatKeyFile("alice", seed);
    const k = parseSecretKeyFile(text, "alice.key");
    expect(k.id).toBe("alice");
    expect(k.format).toBe("warrant-json");
    expect(encodeHex(k.secret)).toBe(SEEDS.alice!);
    expect(JSON.parse(text).public_key).toBe(formatPublicKey(k.publicKey));
    expect(JSON.parse(text).type).toBe("warrant.key/v1");
  });
  test("refusals", () => {
    const good = JSON.parse(formatKeyFile("alice", seed));
    const cases: Record<string, unknown>[] = [
      { ...good, type: "warrant.key/v2" },
      { ...good, extra: 1 },
      { ...good, id: "" },
      { ...good, secret_key: good.secret_key.replace("ed25519-secret:", "") },
      { ...good, secret_key: "ed25519-secret:AAAA" },
      { ...good, public_key: formatPublicKey(new Uint8Array(32).fill(9)) },
    ];
    for (const c of cases) {
      expect(codeOf(() => parseSecretKeyFile(JSON.stringify(c), "alice.key"))).toBe(
        "key_file_invalid",
      );
    }
    expect(codeOf(() => parseSecretKeyFile('{"type":"warrant.key/v1","type":"x"}', "dup.key")))
      .toBe("key_file_invalid");
    expect(codeOf(() => parseSecretKeyFile("hello", "x.key"))).toBe("key_file_invalid");
    expect(() => parseSecretKeyFile("hello", "some/dir/x.key")).toThrow("some/dir/x.key");
  });
  test("bad id", () => expect(codeOf(() => formatKeyFile("a b", seed))).toBe("invalid_argument"));
});

describe("parsePublicKey", () => {
  test("accepts ed25519:BASE64", () => {
    expect(formatPublicKey(parsePublicKey(EXPECTED.public_key))).toBe(EXPECTED.public_key);
    expect(formatPublicKey(parsePublicKey(` ${EXPECTED.public_key}\n`))).toBe(EXPECTED.public_key);
  });
  test("refuses malformed and weak keys", () => {
    const bad = [
      "YIxprzJmnntZmhSe+C1w7FYC5PJfNz2HizNTFFK3OyY=",
      "ed25519:YIxprzJmnntZmhSe+C1w7FYC5PJfNz2HizNTFFK3OyY",
      "ed25519:YIxprzJmnntZmhSe+C1w7FYC5PJfNz2HizNTFFK3Ow==",
      `ed25519:${encodeBase64(new Uint8Array(33))}`,
      `ed25519:${encodeBase64(decodeHex("01" + "00".repeat(31))!)}`,
      `ed25519:${encodeBase64(decodeHex("ec" + "ff".repeat(30) + "7f")!)}`,
      `ed25519:${encodeBase64(decodeHex("ee" + "ff".repeat(30) + "7f")!)}`,
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
      "",
    ];
    for (const t of bad) expect(codeOf(() => parsePublicKey(t))).toBe("key_invalid");
  });
});
