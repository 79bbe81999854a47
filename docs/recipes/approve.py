#!/usr/bin/env python3
"""Approve or deny a warrant approval request over HTTP, with Python's stdlib
and `cryptography`: fetch the request, recompute its action digest from the
fields shown, sign a warrant.resolution/v1 with your ed25519 key, POST it.

usage: approve.py URL REQUEST_ID KEY_FILE APPROVER approve|deny [REASON]
env:   WARRANT_HTTP_TOKEN  the read token, when the server sets http.token_env
"""
import base64, datetime, hashlib, json, os, secrets, sys, urllib.error, urllib.request
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key


def load_key(path):
    """A warrant key file (warrant keygen) or a PKCS#8 PEM (openssl genpkey -algorithm ed25519)."""
    text = open(path).read()
    if text.lstrip().startswith("-----BEGIN PRIVATE KEY-----"):
        return load_pem_private_key(text.encode(), password=None)
    seed = json.loads(text)["secret_key"].removeprefix("ed25519-secret:")
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed, validate=True))


def jcs(v):
    """RFC 8785 canonical JSON for strings, integers, booleans, null, lists and objects.
    (Other numbers may be spelled differently from JavaScript: the digest check then
    refuses, which is the safe side.)"""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))  # UTF-16 code unit order
        return "{" + ",".join(jcs(k) + ":" + jcs(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        v = int(v)
    return json.dumps(v, ensure_ascii=False)


def call(url, body=None):
    req = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    if body:
        req.add_header("content-type", "application/json")
    elif os.environ.get("WARRANT_HTTP_TOKEN"):
        req.add_header("authorization", "Bearer " + os.environ["WARRANT_HTTP_TOKEN"])
    try:
        with urllib.request.urlopen(req) as res:
            return json.load(res)
    except urllib.error.HTTPError as e:  # RFC 9457 problem: code + detail
        p = json.load(e)
        sys.exit(f"refused ({e.code} {p['code']}): {p['detail']}")


def main(url, request_id, key_file, approver, decision, reason=None):
    view = call(f"{url}/v1/approvals/{request_id}")
    digest_input = {k: view[k] for k in ("action_id", "session_id", "tool", "args", "policy")}
    if view.get("salt"):  # the request's random salt, an input of the digest
        digest_input["salt"] = view["salt"]
    digest = "sha256:" + hashlib.sha256(jcs(digest_input).encode()).hexdigest()
    if digest != view["action_digest"]:
        sys.exit(f"refusing to sign: the shown fields hash to {digest}, not {view['action_digest']}")
    print(f"{decision} {view['tool']} {json.dumps(view['args'])} (held by {', '.join(view['rules'])})")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    doc = {
        "type": "warrant.resolution/v1",
        "request_id": view["request_id"],
        "action_id": view["action_id"],
        "action_digest": digest,
        "decision": decision,
        "approver": approver,
        "issued_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires_at": (now + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nonce": base64.b64encode(secrets.token_bytes(16)).decode(),
    }
    if reason:
        doc["reason"] = reason
    signed = b"warrant:resolution:v1\n" + jcs(doc).encode()
    doc["signature"] = base64.b64encode(load_key(key_file).sign(signed)).decode()
    out = call(f"{url}/v1/approvals/{request_id}/resolutions", json.dumps(doc).encode())
    print(f"{out['status']}: request {out['request_id']} is {out['state']}")


if __name__ == "__main__":
    if len(sys.argv) not in (6, 7) or sys.argv[5] not in ("approve", "deny"):
        sys.exit(__doc__)
    main(*sys.argv[1:])
