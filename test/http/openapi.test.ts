/**
 * GET /openapi.json: the document validates as OpenAPI 3.1 (an independent
 * validator from npm), lists exactly the routes the app serves, and every
 * operation in it answers as documented: each response's status is listed
 * for that operation, its content type matches, and its body validates
 * against the documented schema (Ajv, JSON Schema 2020-12).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import { openApiDocument } from "../../src/transport/http/openapi.ts";
import { appFixture, FIXTURE } from "./app-harness.ts";
import type { AppFixture } from "./app-harness.ts";
import { signedResolution } from "./signer.ts";

const TOKEN = "openapi-test-token";
const auth = { authorization: `Bearer ${TOKEN}` };

type Op = {
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
};
type Doc = { paths: Record<string, Record<string, Op>>; components: Record<string, unknown> };

let fx: AppFixture;
let doc: Doc;
let ajv: InstanceType<typeof Ajv2020>;
/** "METHOD /path status" of every documented response seen and checked. */
const seen = new Set<string>();

beforeAll(async () => {
  fx = appFixture({ token: TOKEN });
  const r = await fx.fetch("/openapi.json");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("application/json");
  doc = await r.json() as Doc;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: "urn:warrant:openapi", components: doc.components });
});

afterAll(() => fx.close());

/** Check one response against the document; returns the parsed body (or text). */
async function check(method: string, path: string, res: Response): Promise<unknown> {
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${path} is not in the document`);
  const documented = op.responses[String(res.status)];
  if (!documented) {
    throw new Error(
      `${method} ${path} answered ${res.status}, not documented: ${await res.text()}`,
    );
  }
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  const media = documented.content?.[type];
  if (!media) {
    throw new Error(`${method} ${path} ${res.status}: content-type ${type} not documented`);
  }
  let body: unknown;
  if (type.endsWith("json")) {
    body = await res.json();
    const schema = media.schema.$ref
      ? { $ref: `urn:warrant:openapi${media.schema.$ref}` }
      : media.schema;
    const validate = ajv.compile(schema);
    if (!validate(body)) {
      throw new Error(
        `${method} ${path} ${res.status}: body does not match the document: ${
          JSON.stringify(validate.errors)
        }\n${JSON.stringify(body)}`,
      );
    }
  } else if (type === "text/event-stream") {
    body = res.body; // read by the caller
  } else {
    body = await res.text();
  }
  seen.add(`${method} ${path} ${res.status}`);
  return body;
}

const get = (p: string, headers: Record<string, string> = auth) => fx.fetch(p, { headers });

describe("the OpenAPI document", () => {
  test("validates as OpenAPI 3.1", async () => {
    const v = new Validator();
    const r = await v.validate(doc as unknown as Record<string, unknown>);
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
    expect(v.version).toBe("3.1");
  });

  test("docs/openapi.json is the served document (bun scripts/gen-openapi.ts)", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../docs/openapi.json", import.meta.url), "utf8"),
    );
    expect(committed).toEqual(openApiDocument());
    const { servers, ...rest } = doc as unknown as Record<string, unknown>;
    expect(servers).toEqual([{ url: "http://warrant.test" }]);
    expect(rest).toEqual(committed);
  });

  test("lists exactly the routes the app serves", () => {
    const served = new Set(
      fx.app.routes
        .filter((r) => (r.method === "GET" || r.method === "POST") && !r.path.startsWith("/inbox/"))
        .map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/g, "{$1}")}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)
      ),
    );
    expect([...documented].sort()).toEqual([...served].sort());
  });

  test("health, metrics, openapi and the inbox page", async () => {
    expect(await check("GET", "/healthz", await get("/healthz", {}))).toEqual({ ok: true });
    expect(await check("GET", "/metrics", await get("/metrics"))).toContain("# TYPE");
    await check("GET", "/metrics", await get("/metrics", {}));
    await check("GET", "/openapi.json", await get("/openapi.json", {}));
    expect(await check("GET", "/", await get("/", {}))).toContain("<title>warrant inbox</title>");
  });

  test("approvals: list, page, one, errors", async () => {
    const all = await check("GET", "/v1/approvals", await get("/v1/approvals")) as {
      items: unknown[];
    };
    expect(all.items.length).toBe(2);
    const page = await check(
      "GET",
      "/v1/approvals",
      await get("/v1/approvals?state=pending&limit=1"),
    ) as { next_cursor: string | null };
    expect(page.next_cursor).not.toBeNull();
    await check("GET", "/v1/approvals", await get("/v1/approvals?state=bogus"));
    await check("GET", "/v1/approvals", await get("/v1/approvals", {}));
    const one = await check(
      "GET",
      "/v1/approvals/{request_id}",
      await get(`/v1/approvals/${FIXTURE.request.id}`),
    ) as { request_id: string; session_id: string };
    expect(one.session_id).toBe(FIXTURE.request.session_id);
    await check("GET", "/v1/approvals/{request_id}", await get("/v1/approvals/req_nope"));
  });

  test("resolutions: 201, 200 on repeat, and refusals as problems", async () => {
    const P = "/v1/approvals/{request_id}/resolutions";
    const v = { ...FIXTURE.request, request_id: FIXTURE.request.id };
    fx.clock.t = FIXTURE.now;
    const alice = JSON.stringify(signedResolution(v, "alice", { now: FIXTURE.now }));
    const first = await check("POST", P, await fx.post(v.id, alice)) as { status: string };
    expect(first.status).toBe("accepted");
    const again = await check("POST", P, await fx.post(v.id, alice)) as { status: string };
    expect(again.status).toBe("duplicate");
    const forged = JSON.stringify(
      signedResolution(v, "carol", { now: FIXTURE.now, signer: "alice" }),
    );
    const p = await check("POST", P, await fx.post(v.id, forged)) as {
      code: string;
      error: object;
    };
    expect(p.code).toBe("resolution_signature_invalid");
    await check("POST", P, await fx.post(v.id, "{}"));
    await check(
      "POST",
      P,
      await fx.post(v.id, alice, { headers: { "content-type": "text/plain" } }),
    );
    await check("POST", P, await fx.post(v.id, "x".repeat(20_000)));
    await check("POST", P, await fx.post("req_nope", alice));
    const b = await fx.post("req_nope", alice);
    expect(b.headers.get("content-type")).toBe("application/problem+json");
  });

  test("actions, audit, events", async () => {
    await check(
      "GET",
      "/v1/actions/{action_id}",
      await get(`/v1/actions/${FIXTURE.request.action_id}`),
    );
    await check("GET", "/v1/actions/{action_id}", await get("/v1/actions/act_nope"));
    const a = await check("GET", "/v1/audit/verify", await get("/v1/audit/verify")) as {
      ok: boolean;
    };
    expect(a.ok).toBe(true);
    await check("GET", "/v1/audit/verify", await get("/v1/audit/verify", {}));
    await check("GET", "/v1/events", await get("/v1/events?type=x,,y"));
    const ctl = new AbortController();
    const res = await fx.fetch("/v1/events?after=0", { headers: auth, signal: ctl.signal });
    const stream = await check("GET", "/v1/events", res) as ReadableStream<Uint8Array>;
    const reader = stream.getReader();
    let text = "";
    while (!/\ndata: /.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    await reader.cancel();
    const validate = ajv.compile({ $ref: "urn:warrant:openapi#/components/schemas/Event" });
    const data = JSON.parse(/\ndata: (.*)\n/.exec(text)![1]!);
    expect(validate(data)).toBe(true);
  });

  test("every documented operation was called, with its success and a problem status", () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const statuses = Object.keys(op.responses);
        const called = statuses.filter((s) => seen.has(`${method.toUpperCase()} ${path} ${s}`));
        expect({ op: `${method} ${path}`, ok: called.some((s) => s.startsWith("2")) }).toEqual({
          op: `${method} ${path}`,
          ok: true,
        });
        if (statuses.some((s) => !s.startsWith("2"))) {
          expect({ op: `${method} ${path}`, problem: called.some((s) => !s.startsWith("2")) })
            .toEqual({ op: `${method} ${path}`, problem: true });
        }
      }
    }
  });
});
