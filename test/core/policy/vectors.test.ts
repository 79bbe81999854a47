import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runVector, VECTOR_FILES } from "./vectors.ts";
import type { VectorFile } from "./vectors.ts";

const dir = join(import.meta.dir, "../../vectors/policies");
let total = 0;
for (const name of VECTOR_FILES) {
  const file = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as VectorFile;
  total += file.cases.length;
  describe(`policy vectors: ${name}`, () => {
    for (const c of file.cases) test(c.name, () => expect(runVector(file, c)).toBeNull());
  });
}
test("at least 60 decision vectors", () => expect(total).toBeGreaterThanOrEqual(60));
