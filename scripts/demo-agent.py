#!/usr/bin/env python3
"""The demo's agent: a hook session over stdio, using the stdlib test client.

It registers three tools, hits allow, deny and hold, writes the held
request id to a file for the operator's approvals, then resumes with
wait_ms until two approvers have signed, and runs the payment exactly once.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "clients"))
from gate_client import GateClient  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--binary", required=True)
ap.add_argument("--config", required=True)
ap.add_argument("--request-file", required=True)
a = ap.parse_args()

paid = []


def show(label, r):
    extra = {k: r[k] for k in ("output", "kind", "reason", "request_id", "deadline") if k in r}
    print(f"  agent: {label:<34} → {r['phase']:<16} {json.dumps(extra)}", flush=True)


def send_payment(args):
    paid.append(args)
    return {"tx": "0x9a" + str(len(paid)), "amount": args["amount"], "to": args["to"]}


with GateClient([a.binary], a.config) as gate:
    print(f"  agent: gate ready, session {gate.session_id}", flush=True)
    gate.register_tool("search_docs", lambda args: {"hits": ["warrant.md"], "q": args.get("q")})
    gate.register_tool("shell", lambda args: {"ran": args["cmd"]})
    gate.register_tool("send_payment", send_payment)
    show("search_docs {q: refunds}", gate.govern("search_docs", {"q": "refunds"}))
    show("shell {cmd: rm -rf /}", gate.govern("shell", {"cmd": "rm -rf /"}))
    show("send_payment {amount: 40}", gate.govern("send_payment", {"amount": 40, "to": "ACME"}))
    held = gate.govern("send_payment", {"amount": 250, "to": "ACME"})
    show("send_payment {amount: 250}", held)
    if held["phase"] != "pending_approval":
        sys.exit("expected the large payment to be held")
    with open(a.request_file + ".tmp", "w") as f:
        f.write(held["request_id"] + " " + held["action_id"])
    os.replace(a.request_file + ".tmp", a.request_file)
    print("  agent: waiting (resume with wait_ms) for two finance approvals...", flush=True)
    r = gate.resume(held["action_id"], held["request_id"], wait_ms=120000)
    show("resume (after approvals)", r)
    r2 = gate.resume(held["action_id"], held["request_id"])
    show("resume again (recorded outcome)", r2)
    print(f"  agent: send_payment body ran {len([p for p in paid if p['amount'] == 250])} time(s) for 250", flush=True)
    if r["phase"] != "completed" or r2.get("phase") != "completed" or r2.get("output") != r.get("output"):
        sys.exit("expected completed, and the same recorded outcome on the second resume")
