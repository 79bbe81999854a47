"""The Python client against the echo gate (bench/echo-gate.ts).

Run: python3 -m unittest test/clients/test_gate_client.py   (from the repo root)
Bun is found on PATH, or in scripts/toolchain (set WARRANT_BUN to override).
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

from gate_client import GateClient, GateError  # noqa: E402


def bun() -> str:
    found = os.environ.get("WARRANT_BUN") or shutil.which("bun")
    if found:
        return found
    return os.path.join(ROOT, "scripts", "toolchain", "node_modules", ".bin", "bun")


ECHO = [bun(), os.path.join(ROOT, "bench", "echo-gate.ts")]


class EchoGateTest(unittest.TestCase):
    def setUp(self) -> None:
        self.gate = GateClient(ECHO, "unused.json")

    def tearDown(self) -> None:
        self.assertEqual(self.gate.close(), 0)

    def test_ready_and_register(self) -> None:
        self.assertEqual(self.gate.project_id, "echo")
        self.assertTrue(self.gate.session_id)
        reply = self.gate.register_tool("echo", lambda args: args)
        self.assertEqual(reply["required_level"], 0)
        self.assertEqual(reply["name"], "echo")

    def test_16_threads_x_50_governs_are_correlated(self) -> None:
        def tool(args: dict) -> dict:
            time.sleep(random.random() / 500)  # replies come back out of order
            return {"n": args["n"], "thread": threading.current_thread().name}

        self.gate.register_tool("echo", tool)
        errors: list = []

        def caller(t: int) -> None:
            try:
                for i in range(50):
                    n = t * 1000 + i
                    r = self.gate.govern("echo", {"n": n}, correlation_id=f"c{n}")
                    if r["phase"] != "completed" or r["output"]["n"] != n or r["correlation_id"] != f"c{n}":
                        errors.append((n, r))
                    if r["output"]["thread"] == "gate-reader":
                        errors.append(("tool ran on the reader thread", r))
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=caller, args=(t,)) for t in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertEqual(errors, [])

    def test_tool_exception_becomes_failed(self) -> None:
        def boom(args: dict) -> None:
            raise RuntimeError("disk on fire")

        self.gate.register_tool("boom", boom)
        r = self.gate.govern("boom", {})
        self.assertEqual((r["phase"], r["kind"], r["reason"]), ("failed", "execution_failed", "disk on fire"))

    def test_unregistered_tool_is_rejected(self) -> None:
        r = self.gate.govern("nope")
        self.assertEqual((r["phase"], r["kind"]), ("rejected", "unregistered_tool"))

    def test_error_reply_raises(self) -> None:
        with self.assertRaises(GateError) as cm:
            self.gate.register_tool("")
        self.assertIn("invalid register_tool", cm.exception.message)
        self.assertIsNotNone(cm.exception.request_id)
        self.gate.register_tool("echo", lambda a: a)
        self.assertEqual(self.gate.govern("echo", {"x": 1})["output"], {"x": 1})

    def test_resume_of_unknown_action(self) -> None:
        r = self.gate.resume("a-none", "r-none", wait_ms=10)
        self.assertEqual((r["phase"], r["kind"]), ("rejected", "unknown_action"))

    def test_garbage_lines_do_not_break_the_session(self) -> None:
        self.gate.send_raw(b"not json\n{\"type\":\"govern\",\"id\":777777,\"tool\":1}\n")
        self.gate.register_tool("echo", lambda a: a)
        self.assertEqual(self.gate.govern("echo", {"k": "v"})["phase"], "completed")
        deadline = time.time() + 5
        while not any(isinstance(m, dict) and m.get("id") == 777777 for m in self.gate.unsolicited):
            self.assertLess(time.time(), deadline)
            time.sleep(0.01)


class StartupTest(unittest.TestCase):
    def test_exit_before_ready_raises_with_stderr(self) -> None:
        launcher = [bun(), "-e", "console.error('bad config: no project'); process.exit(2)", "--"]
        with self.assertRaises(GateError) as cm:
            GateClient(launcher, "x.json")
        self.assertIn("code 2", str(cm.exception))
        self.assertIn("bad config: no project", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
