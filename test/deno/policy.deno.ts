/**
 * The policy decision vectors under Deno: the same data and runner as Bun.
 * Run: deno task test
 */
import { runVector, VECTOR_FILES } from "../core/policy/vectors.ts";
import type { VectorFile } from "../core/policy/vectors.ts";

declare const Deno: {
  test(name: string, fn: () => void): void;
  readTextFileSync(path: string | URL): string;
};

for (const name of VECTOR_FILES) {
  const file = JSON.parse(
    Deno.readTextFileSync(new URL(`../vectors/policies/${name}.json`, import.meta.url)),
  ) as VectorFile;
  for (const c of file.cases) {
    Deno.test(`policy vectors: ${name}: ${c.name}`, () => {
      const problem = runVector(file, c);
      if (problem !== null) throw new Error(problem);
    });
  }
}
