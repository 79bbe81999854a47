"""Drive warrant through the real published lodestar-runtime-client (0.5.0).

Usage: python3 lodestar_session.py SPEC_JSON
SPEC: {"vendor": DIR, "binary": PATH, "config": PATH, "tools": [NAMES], "default_launcher": BOOL,
       "steps": [{"govern": TOOL, "args": {...}}
                 | {"approve": KEY_FILE, "as": NAME}  (the last held request, via `warrant approve`)
                 | {"resume": WAIT_MS_OR_NULL, "sleep_ms": N}]}   (the last held action)
Prints one JSON line: {"results": [...], "ran": [tool names whose body ran]}.
"""
import json
import subprocess
import sys
import time

spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["vendor"])
from lodestar_runtime_client import GateClient  # noqa: E402

ran = []


def body_for(name):
    def body(args):
        ran.append(name)
        return {"output": {"tool": name, "args": args}}

    return body


results = []
held = None
# "default_launcher": leave GateClient's default (["lodestar"], found on PATH: a symlink to warrant).
launcher = None if spec.get("default_launcher") else [spec["binary"]]
with GateClient(spec["config"], launcher=launcher) as gate:
    for name in spec["tools"]:
        results.append({"registered": gate.register_tool(name, body_for(name))})
    for step in spec["steps"]:
        if "govern" in step:
            r = gate.govern(step["govern"], step.get("args", {}))
            if r.get("phase") == "pending_approval":
                held = r
            results.append(r)
        elif "approve" in step:
            p = subprocess.run(
                [spec["binary"], "approve", held["request_id"], "--key", step["approve"],
                 "--config", spec["config"], "--json"] + (["--as", step["as"]] if "as" in step else []),
                capture_output=True, text=True, timeout=60,
            )
            results.append({"approve_exit": p.returncode, "stderr": p.stderr[-500:]})
        elif "resume" in step:
            time.sleep(step.get("sleep_ms", 0) / 1000)
            results.append(gate.resume(held["action_id"], held["request_id"], wait_ms=step["resume"]))
print(json.dumps({"results": results, "ran": ran}))
