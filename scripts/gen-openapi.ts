/**
 * Writes docs/openapi.json: the HTTP API's OpenAPI 3.1 document as served at
 * GET /openapi.json (without `servers`), for readers without a running
 * server. test/http/openapi.test.ts fails when it is stale.
 *
 *   bun scripts/gen-openapi.ts
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { openApiDocument } from "../src/transport/http/openapi.ts";

const OUT = resolve(import.meta.dir, "../docs/openapi.json");
writeFileSync(OUT, JSON.stringify(openApiDocument(), null, 2) + "\n");
console.error(`wrote ${OUT}`);
