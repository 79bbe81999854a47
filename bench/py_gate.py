"""Govern round trips through the real published Python client.

Drives ``GateClient`` from lodestar-runtime-client (imported from the folder
given by --client, unmodified) against a gate: warrant or the echo gate.
Sequential (1 caller) and concurrent (N threads sharing one session) governs
of an allowed tool with a trivial body; prints one JSON object per row on
stdout: callers, calls, wall seconds, calls/s, p50/p99 ms, and the gate
process's CPU ms over the row (from /proc, Linux).

    python3 bench/py_gate.py --client DIR --launcher BIN --config CFG \\
        [--callers 1,8,32] [--calls 2000] [--warmup 200]

Used by bench/gate.ts; stdlib only.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time


def cpu_ms(pid: int) -> float:
    """User + system CPU ms of process ``pid`` so far (clock ticks of 10 ms)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
        fields = text[text.rindex(")") + 2 :].split(" ")
        return (int(fields[11]) + int(fields[12])) * 10.0
    except OSError:
        return float("nan")


def pct(sorted_xs: list[float], p: float) -> float:
    if not sorted_xs:
        return float("nan")
    k = max(0, min(len(sorted_xs) - 1, int(round(p / 100 * (len(sorted_xs) - 1)))))
    return sorted_xs[k]


def run_row(gate, pid: int, callers: int, calls: int) -> dict:
    lat: list[float] = []
    lock = threading.Lock()
    issued = [0]
    failures: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                if issued[0] >= calls:
                    return
                issued[0] += 1
                n = issued[0]
            t0 = time.perf_counter()
            r = gate.govern("echo", {"n": n})
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt * 1000)
                if r.get("phase") != "completed":
                    failures.append(json.dumps(r)[:200])

    c0 = cpu_ms(pid)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    c1 = cpu_ms(pid)
    if failures:
        raise SystemExit(f"govern echo did not complete: {failures[0]}")
    lat.sort()
    return {
        "callers": callers,
        "calls": calls,
        "wall_s": wall,
        "calls_per_s": calls / wall,
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "gate_cpu_ms": c1 - c0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", required=True, help="folder holding lodestar_runtime_client/")
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--callers", default="1,8,32")
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    a = ap.parse_args()
    sys.path.insert(0, a.client)
    from lodestar_runtime_client import GateClient  # noqa: E402

    with GateClient(a.config, launcher=[a.launcher]) as gate:
        pid = gate._proc.pid  # read only: the client is used as published
        gate.register_tool("echo", lambda args: {"output": args})
        run_row(gate, pid, 8, a.warmup)
        for c in [int(x) for x in a.callers.split(",")]:
            print(json.dumps(run_row(gate, pid, c, a.calls)), flush=True)


if __name__ == "__main__":
    main()
