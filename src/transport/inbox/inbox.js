// The approver's inbox: lists pending requests live (the /v1/events SSE
// stream, read with fetch so the bearer token travels in a header), shows
// what each would do, and signs approve/deny resolutions in the page. The
// secret key stays in this page: a non-extractable WebCrypto key (or, where
// the browser has no Ed25519, the seed in memory for @noble/ed25519).
import {
  buildResolution,
  digestProblem,
  fromBase64,
  parseKeyFile,
  pkcs8FromSeed,
  PUBLIC_KEY_PREFIX,
  signingBytes,
  toBase64,
} from "./warrant-web.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "warrant.token";
const APPROVER_KEY = "warrant.approver";
const EVENT_TYPES = [
  "request.created",
  "request.approved",
  "request.rejected",
  "request.expired",
  "resolution.accepted",
  "action.executing",
  "action.completed",
  "action.failed",
  "action.outcome_unknown",
].join(",");
const forceNoble = new URLSearchParams(location.search).get("signer") === "noble";

/** @type {{approver: string|null, publicKey: string, sign: (m: Uint8Array) => Promise<Uint8Array>, kind: string} | null} */
let signer = null;
let lastSeq = null;
let tokenWaiters = [];
const views = new Map(); // request_id → last view fetched
const notes = new Map(); // request_id → the card's last message, kept across re-renders

// ───────────────────────────── DOM helpers ─────────────────────────────

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function timeLeft(deadline) {
  const ms = Date.parse(deadline) - Date.now();
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m left` : m > 0 ? `${m}m ${s % 60}s left` : `${s}s left`;
}

// ───────────────────────────── HTTP ─────────────────────────────

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Ask for the token once; resolves when the user has entered one. */
function needToken(message) {
  $("token-panel").hidden = false;
  $("token-error").textContent = message ?? "";
  $("token-input").focus();
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

async function api(path, init = {}) {
  for (;;) {
    const headers = new Headers(init.headers ?? {});
    const t = token();
    if (t) headers.set("authorization", `Bearer ${t}`);
    const res = await fetch(path, { ...init, headers, credentials: "omit", cache: "no-store" });
    if (res.status !== 401) return res;
    if (t) sessionStorage.removeItem(TOKEN_KEY);
    await needToken(t ? "That token was refused." : "");
  }
}

/** The error of a failed response: RFC 9457 problem (detail, code) or the legacy body. */
async function problemOf(res) {
  try {
    const b = await res.json();
    const code = b.code ?? b.error?.code ?? `http_${res.status}`;
    const detail = b.detail ?? b.error?.message ?? res.statusText;
    return `${detail} [${code}]`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

async function listAll(query) {
  const out = [];
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const q = new URLSearchParams(query);
    q.set("limit", "500");
    if (cursor) q.set("cursor", cursor);
    const res = await api(`/v1/approvals?${q}`);
    if (!res.ok) throw new Error(await problemOf(res));
    const body = await res.json();
    out.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return out;
}

// ───────────────────────────── rendering ─────────────────────────────

function quorumBlock(v) {
  const q = v.quorum;
  if (!q) return el("dd", {}, "unknown (no policy loaded)");
  return el(
    "dd",
    {},
    el(
      "ul",
      { class: "quorum" },
      q.progress.map((p) =>
        el(
          "li",
          {},
          `${p.rule}: ${p.keys ?? p.approvers.length} of ${p.quorum} (${p.roles.join(" or ")})`,
          p.approvers.length ? ` — approved by ${p.approvers.join(", ")}` : "",
          p.note ? ` (${p.note})` : "",
        )
      ),
    ),
    q.denied_by.length ? el("p", { class: "bad" }, `denied by ${q.denied_by.join(", ")}`) : null,
  );
}

function details(v) {
  return el(
    "dl",
    {},
    el("dt", {}, "arguments"),
    el("dd", {}, el("pre", { class: "args" }, JSON.stringify(v.args, null, 2))),
    el("dt", {}, "held by"),
    el("dd", {}, v.rules.join(", "), v.reason ? ` — ${v.reason}` : ""),
    el("dt", {}, "quorum"),
    quorumBlock(v),
    el("dt", {}, "policy"),
    el("dd", {}, `${v.policy.id} v${v.policy.version}`),
    el("dt", {}, "session"),
    el("dd", { class: "mono" }, v.session_id ?? "?"),
    el("dt", {}, "digest"),
    el("dd", { class: "mono digest" }, v.action_digest, " ", digestCheck(v)),
  );
}

/** "✓ matches" once the digest is recomputed from the fields above, or a warning. */
function digestCheck(v) {
  const span = el("span", { class: "digest-check" }, "(checking…)");
  digestProblem(v).then((p) => {
    span.textContent = p ? `⚠ ${p}` : "✓ matches the fields shown";
    span.className = p ? "digest-check bad" : "digest-check ok";
  });
  return span;
}

function pendingCard(v) {
  const reasonId = `reason-${v.request_id}`;
  const note = notes.get(v.request_id);
  const msg = el(
    "p",
    { class: note ? `result ${note.cls}` : "result", role: "status", "aria-live": "polite" },
    note?.text ?? "",
  );
  const act = (decision) => () => resolve(v.request_id, decision);
  const card = el(
    "li",
    { "data-request": v.request_id, "aria-labelledby": `h-${v.request_id}` },
    el("h3", { id: `h-${v.request_id}` }, v.tool),
    el(
      "p",
      { class: "meta" },
      el("span", { class: "left", "data-deadline": v.deadline }, timeLeft(v.deadline)),
      ` · request ${v.request_id} · action ${v.action_id}`,
    ),
    details(v),
    el(
      "div",
      { class: "row" },
      el("label", { for: reasonId }, "Reason"),
      el("input", { id: reasonId, class: "reason", maxlength: 1000, placeholder: "optional" }),
    ),
    el(
      "div",
      { class: "row" },
      el("button", { type: "button", class: "approve", onclick: act("approve") }, "Approve"),
      el("button", { type: "button", class: "deny", onclick: act("deny") }, "Deny"),
    ),
    msg,
  );
  return card;
}

function historyCard(v, action) {
  const outcome = action ? `action ${action.state}` : "";
  return el(
    "li",
    { "data-request": v.request_id },
    el("h3", {}, el("span", { class: `state ${v.state}` }, v.state), " ", v.tool),
    el(
      "p",
      { class: "meta" },
      `decided ${v.resolved_at ?? "?"} · ${outcome} · request ${v.request_id}`,
    ),
    details(v),
    v.resolutions.length
      ? el(
        "ul",
        { class: "resolutions" },
        v.resolutions.map((r) => el("li", {}, `${r.decision} by ${r.approver} at ${r.at}`)),
      )
      : el("p", { class: "meta" }, "no resolutions (timed out)"),
  );
}

async function refreshPending() {
  const items = await listAll({ state: "pending" });
  const list = $("pending-list");
  const keep = new Set(items.map((v) => v.request_id));
  for (const li of [...list.children]) {
    if (!keep.has(li.dataset.request)) li.remove();
  }
  for (const v of items) {
    const old = views.get(v.request_id);
    views.set(v.request_id, v);
    const existing = list.querySelector(`li[data-request="${CSS.escape(v.request_id)}"]`);
    if (existing && old && JSON.stringify(old) === JSON.stringify(v)) continue;
    const card = pendingCard(v);
    if (existing) {
      // keep what the approver typed
      card.querySelector(".reason").value = existing.querySelector(".reason").value;
      card.querySelectorAll("button").forEach((b, i) => {
        b.disabled = existing.querySelectorAll("button")[i]?.disabled ?? false;
      });
      existing.replaceWith(card);
    } else list.append(card);
  }
  $("pending-count").textContent = String(items.length);
  $("pending-empty").hidden = items.length > 0;
}

async function refreshHistory() {
  if ($("history").hidden) return;
  const items = (await listAll({})).filter((v) => v.state !== "pending").reverse().slice(0, 100);
  const cards = await Promise.all(items.map(async (v) => {
    const r = await api(`/v1/actions/${encodeURIComponent(v.action_id)}`);
    return historyCard(v, r.ok ? await r.json() : null);
  }));
  $("history-list").replaceChildren(...cards);
  const a = await api("/v1/audit/verify");
  const audit = $("audit");
  if (!a.ok) {
    audit.textContent = `audit log: cannot check (${await problemOf(a)})`;
    audit.className = "audit warn";
    return;
  }
  const r = await a.json();
  audit.textContent = r.ok
    ? `audit log verified: hash chain intact through event ${r.head_seq} (${r.checked} checked)`
    : `audit log BROKEN at event ${r.first_bad.seq}: ${r.first_bad.problem}`;
  audit.className = r.ok ? "audit ok" : "audit bad";
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshPending().catch(showConnError);
    refreshHistory().catch(showConnError);
  }, 100);
}

function showConnError(e) {
  $("conn").textContent = `error: ${e.message}`;
  $("conn").className = "conn bad";
}

// ───────────────────────────── live events ─────────────────────────────

/** Read /v1/events forever (fetch + a small SSE parser), reconnecting from the last id. */
async function follow() {
  for (;;) {
    try {
      const q = new URLSearchParams({ type: EVENT_TYPES });
      if (lastSeq !== null) q.set("after", String(lastSeq));
      const res = await api(`/v1/events?${q}`);
      if (!res.ok || !res.body) throw new Error(await problemOf(res));
      $("conn").textContent = "live";
      $("conn").className = "conn live";
      if (lastSeq === null) lastSeq = 0;
      scheduleRefresh();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(frame);
          if (id) {
            lastSeq = Number(id[1]);
            scheduleRefresh();
          }
        }
      }
    } catch (e) {
      showConnError(e);
    }
    $("conn").textContent = "reconnecting…";
    $("conn").className = "conn";
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// ───────────────────────────── keys ─────────────────────────────

const DB = "warrant-inbox";
function idb(mode, fn) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore("keys");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction("keys", mode);
      const req = fn(tx.objectStore("keys"));
      tx.oncomplete = () => resolve(req?.result);
      tx.onerror = () => reject(tx.error);
    };
  });
}

function setSigner(s) {
  signer = s;
  if (s?.approver && !$("approver").value) $("approver").value = s.approver;
  $("key-status").textContent = s ? `Key loaded (${s.kind}): ${s.publicKey}` : "No key loaded.";
  $("key-error").textContent = "";
}

async function webCryptoSigner(seed, expectPub) {
  // Import once to learn the public key, then keep only a non-extractable copy.
  const tmp = await crypto.subtle.importKey("pkcs8", pkcs8FromSeed(seed), "Ed25519", true, [
    "sign",
  ]);
  const jwk = await crypto.subtle.exportKey("jwk", tmp);
  const pub = fromBase64(jwk.x.replace(/-/g, "+").replace(/_/g, "/").padEnd(44, "="), 32);
  if (expectPub && toBase64(expectPub) !== toBase64(pub)) {
    throw new Error("the key file's public key does not match its secret key");
  }
  const key = await crypto.subtle.importKey("pkcs8", pkcs8FromSeed(seed), "Ed25519", false, [
    "sign",
  ]);
  return { key, publicKey: PUBLIC_KEY_PREFIX + toBase64(pub) };
}

function cryptoKeySigner(key, publicKey, approver, kind) {
  return {
    approver,
    publicKey,
    kind,
    sign: async (m) => new Uint8Array(await crypto.subtle.sign("Ed25519", key, m)),
  };
}

async function loadKeyText(text) {
  const parsed = parseKeyFile(text);
  const approver = parsed.id ?? ($("approver").value.trim() || null);
  if (parsed.id) $("approver").value = parsed.id;
  let s = null;
  if (!forceNoble) {
    try {
      const { key, publicKey } = await webCryptoSigner(parsed.seed, parsed.publicKey);
      s = cryptoKeySigner(key, publicKey, approver, "WebCrypto Ed25519, non-extractable");
      if ($("remember").checked) {
        await idb("readwrite", (st) => st.put({ key, publicKey, approver }, "default"));
        s.kind += ", remembered in this browser";
      }
    } catch (e) {
      if (e instanceof Error && /public key/.test(e.message)) throw e;
      s = null; // no Ed25519 in this browser's WebCrypto: fall back below
    }
  }
  if (!s) {
    const ed = await import("./noble-ed25519.js");
    const seed = parsed.seed.slice();
    const pub = await ed.getPublicKeyAsync(seed);
    if (parsed.publicKey && toBase64(parsed.publicKey) !== toBase64(pub)) {
      throw new Error("the key file's public key does not match its secret key");
    }
    s = {
      approver,
      publicKey: PUBLIC_KEY_PREFIX + toBase64(pub),
      kind: "@noble/ed25519 (kept in this page's memory only)",
      sign: (m) => ed.signAsync(m, seed),
    };
  }
  parsed.seed.fill(0);
  setSigner(s);
}

async function loadFile(file) {
  try {
    if (file.size > 16384) throw new Error("that file is too large to be a key file");
    await loadKeyText(await file.text());
  } catch (e) {
    $("key-error").textContent = `Cannot use that key: ${e.message}`;
  }
}

async function restoreKey() {
  try {
    const saved = await idb("readonly", (st) => st.get("default"));
    if (saved?.key) {
      setSigner(
        cryptoKeySigner(saved.key, saved.publicKey, saved.approver, "kept in this browser"),
      );
    }
  } catch {
    // no IndexedDB (private mode): keys are per page load
  }
}

async function generateKey() {
  const approver = $("approver").value.trim();
  if (!approver) {
    $("key-error").textContent = "Enter your approver name first (the name the policy will use).";
    $("approver").focus();
    return;
  }
  try {
    const pair = await crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const publicKey = PUBLIC_KEY_PREFIX + toBase64(raw);
    await idb(
      "readwrite",
      (st) => st.put({ key: pair.privateKey, publicKey, approver }, "default"),
    );
    setSigner(cryptoKeySigner(pair.privateKey, publicKey, approver, "created in this browser"));
    $("key-status").textContent =
      `New key kept in this browser (it cannot be exported). Add it to the policy: ` +
      `"approvers": {"${approver}": {"key": "${publicKey}", "roles": [...]}}`;
  } catch (e) {
    $("key-error").textContent = `This browser cannot create Ed25519 keys (${e.message}); ` +
      `load a key file instead`;
  }
}

// ───────────────────────────── signing ─────────────────────────────

const cardOf = (id) => $("pending-list").querySelector(`li[data-request="${CSS.escape(id)}"]`);

/** Show a message on a request's card (whichever element renders it now). */
function noteOn(requestId, text, cls) {
  notes.set(requestId, { text, cls });
  const m = cardOf(requestId)?.querySelector(".result");
  if (m) {
    m.textContent = text;
    m.className = `result ${cls}`;
  }
}

/** A decision's outcome, kept at the top of the page (its card may leave the list). */
function notice(requestId, text) {
  const li = el("li", { "data-request": requestId }, text);
  $("notices").prepend(li);
  while ($("notices").children.length > 5) $("notices").lastElementChild.remove();
}

function setBusy(requestId, busy) {
  cardOf(requestId)?.querySelectorAll("button").forEach((b) => (b.disabled = busy));
}

async function resolve(requestId, decision) {
  const approver = $("approver").value.trim();
  if (!signer) return noteOn(requestId, "Load your approver key first.", "error");
  if (!approver) return noteOn(requestId, "Enter your approver name.", "error");
  localStorage.setItem(APPROVER_KEY, approver);
  const reason = cardOf(requestId)?.querySelector(".reason").value.trim() ?? "";
  noteOn(requestId, "Signing…", "");
  setBusy(requestId, true);
  try {
    // Sign what the server holds now, and show it: the fields on screen are the signed ones.
    const res = await api(`/v1/approvals/${encodeURIComponent(requestId)}`);
    if (!res.ok) throw new Error(await problemOf(res));
    const view = await res.json();
    const problem = await digestProblem(view);
    if (problem) return noteOn(requestId, `Refusing to sign: ${problem}.`, "error");
    const doc = buildResolution({
      view,
      approver,
      decision,
      reason,
      now: Date.now(),
      nonce: crypto.getRandomValues(new Uint8Array(16)),
    });
    doc.signature = toBase64(await signer.sign(signingBytes(doc)));
    const post = await api(`/v1/approvals/${encodeURIComponent(requestId)}/resolutions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(doc),
    });
    if (!post.ok) throw new Error(await problemOf(post));
    const out = await post.json();
    const text = `${decision === "approve" ? "Approved" : "Denied"} — request ${out.state}.`;
    noteOn(requestId, text, "ok");
    notice(requestId, `${text.slice(0, -1)} (${view.tool}, ${requestId})`);
    scheduleRefresh();
  } catch (e) {
    noteOn(requestId, `Not recorded: ${e.message}`, "error");
  } finally {
    setBusy(requestId, false);
  }
}

// ───────────────────────────── wiring ─────────────────────────────

function showTab(name) {
  const pending = name === "pending";
  $("pending").hidden = !pending;
  $("history").hidden = pending;
  $("tab-pending").setAttribute("aria-pressed", String(pending));
  $("tab-history").setAttribute("aria-pressed", String(!pending));
  if (!pending) refreshHistory().catch(showConnError);
}

function wire() {
  $("approver").value = localStorage.getItem(APPROVER_KEY) ?? "";
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("token-input").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token-input").value = "";
    $("token-panel").hidden = true;
    const w = tokenWaiters;
    tokenWaiters = [];
    w.forEach((f) => f());
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer?.files?.[0];
    if (f) loadFile(f);
  });
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") $("key-file").click();
  });
  $("key-file").addEventListener("change", (e) => {
    const f = e.target.files?.[0];
    if (f) loadFile(f);
    e.target.value = "";
  });
  $("gen-key").addEventListener("click", generateKey);
  $("forget-key").addEventListener("click", async () => {
    await idb("readwrite", (st) => st.delete("default")).catch(() => {});
    setSigner(null);
  });
  $("tab-pending").addEventListener("click", () => showTab("pending"));
  $("tab-history").addEventListener("click", () => showTab("history"));
  setInterval(() => {
    for (const s of document.querySelectorAll("[data-deadline]")) {
      s.textContent = timeLeft(s.dataset.deadline);
    }
  }, 1000);
  if (location.hash === "#history") showTab("history");
  const want = /^#request=(.+)$/.exec(location.hash);
  if (want) {
    // a link from a chat message: scroll to that request once it is listed
    const id = decodeURIComponent(want[1]);
    const t = setInterval(() => {
      const li = document.querySelector(`li[data-request="${CSS.escape(id)}"]`);
      if (li) {
        clearInterval(t);
        li.scrollIntoView();
        li.querySelector("button")?.focus();
      }
    }, 200);
    setTimeout(() => clearInterval(t), 10_000);
  }
}

wire();
restoreKey();
follow();
