#!/usr/bin/env python3
"""Drive the real gate like lodestar-runtime-client's GateClient does:
16 threads x 50 concurrent governs through one client, every reply
correlated to its own call; plus allow/deny/hold/unregistered.

usage: e2e_concurrency.py BINARY CONFIG
"""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from gate_client import GateClient  # noqa: E402

binary, config = sys.argv[1], sys.argv[2]
lock = threading.Lock()
bodies = []


def body(args):
    with lock:
        bodies.append((args["t"], args["i"]))
    return {"t": args["t"], "i": args["i"]}


failures = []
with GateClient([binary], config) as gate:
    gate.register_tool("search_docs", body)
    gate.register_tool("shell", lambda args: "ran")
    gate.register_tool("send_payment", lambda args: "paid")

    def worker(t):
        for i in range(50):
            r = gate.govern("search_docs", {"t": t, "i": i}, correlation_id=f"{t}-{i}")
            if r.get("phase") != "completed" or r.get("output") != {"t": t, "i": i}:
                failures.append(("mismatch", t, i, r))
            if r.get("correlation_id") != f"{t}-{i}":
                failures.append(("correlation", t, i, r))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    checks = {
        "deny": gate.govern("shell", {"cmd": "rm -rf /"}),
        "hold": gate.govern("send_payment", {"amount": 500, "to": "X"}),
        "unregistered": gate.govern("read_file", {"path": "/etc/passwd"}),
    }
    if checks["deny"]["phase"] != "rejected" or checks["deny"]["kind"] != "policy_denied":
        failures.append(("deny", checks["deny"]))
    if checks["hold"]["phase"] != "pending_approval" or not checks["hold"]["request_id"]:
        failures.append(("hold", checks["hold"]))
    if checks["unregistered"]["kind"] != "unregistered_tool":
        failures.append(("unregistered", checks["unregistered"]))

print(json.dumps({"governs": 16 * 50, "bodies": len(bodies), "distinct": len(set(bodies)), "failures": failures[:5]}))
sys.exit(1 if failures or len(set(bodies)) != 800 or len(bodies) != 800 else 0)
