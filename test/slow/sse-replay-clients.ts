/**
 * The SSE clients of test/slow/sse-replay.slow.test.ts, in their own
 * process (run niced): in a deployment they are other machines, so their
 * CPU must not be the gate's or the governing agent's. Each client replays
 * `/v1/events?after=0` until it has read the frame of event LAST, retrying
 * on 503 after Retry-After. Prints a progress line every 15 s and, at the
 * end, one JSON line: {"finished","refused","bytes"}.
 *
 *   bun test/slow/sse-replay-clients.ts URL CLIENTS LAST
 */
const [url, clientsArg, lastArg] = process.argv.slice(2);
const CLIENTS = Number(clientsArg);
const needle = Buffer.from(`\nid: ${Number(lastArg)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let received = 0;
let finished = 0;
let refusals = 0;

async function client(): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}/v1/events?after=0`);
    if (res.status === 503) {
      refusals++;
      await res.body?.cancel();
      await sleep(Number(res.headers.get("retry-after") ?? "1") * 1000 * (0.5 + Math.random()));
      continue;
    }
    if (res.status !== 200 || !res.body) throw new Error(`events: HTTP ${res.status}`);
    // Read until the frame of the last event, wherever it falls in a chunk
    // (a match may straddle two chunks: a short carry).
    const reader = res.body.getReader();
    let carry = Buffer.alloc(0);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error("the stream ended before the replay did");
      const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      received += chunk.length;
      if (
        chunk.includes(needle) ||
        Buffer.concat([carry, chunk.subarray(0, needle.length - 1)]).includes(needle)
      ) break;
      carry = Buffer.from(chunk.subarray(Math.max(0, chunk.length - needle.length + 1)));
    }
    await reader.cancel();
    finished++;
    return;
  }
}

const t0 = performance.now();
const ticker = setInterval(() => {
  const s = ((performance.now() - t0) / 1000).toFixed(0);
  console.error(
    `  storm ${s} s: ${finished}/${CLIENTS} replays done, ` +
      `${(received / 1e6).toFixed(0)} MB, ${refusals} refused (503)`,
  );
}, 15_000);
await Promise.all(Array.from({ length: CLIENTS }, client));
clearInterval(ticker);
console.log(JSON.stringify({ finished, refused: refusals, bytes: received }));
export {};
