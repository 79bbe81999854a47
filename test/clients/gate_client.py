"""A small Python 3 stdlib client of the warrant gate protocol.

It behaves like the published ``lodestar-runtime-client`` ``GateClient``
(0.3-0.5): it starts ``launcher + ["runtime", "gate", "--config", path]``
with pipes, waits for ``ready``, and correlates every reply by ``id`` from ONE
reader thread. ``run_tool`` callbacks are run off the reader thread in a
thread pool, so a slow tool never blocks other replies. Writes to the gate's
stdin are serialised by a lock, so any number of threads may call
``govern`` at once.

Example::

    with GateClient(["dist/warrant"], "warrant.json") as gate:
        gate.register_tool("search_docs", lambda args: {"hits": []})
        result = gate.govern("search_docs", {"q": "lease"})
        if result["phase"] == "completed":
            print(result["output"])

Stdlib only; used by the e2e tests as a real Python hook would use the gate.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence

ToolFn = Callable[[Dict[str, Any]], Any]


class GateError(Exception):
    """An ``error`` reply from the gate, or the gate failing or going away."""

    def __init__(self, message: str, request_id: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class _Pending:
    __slots__ = ("event", "reply", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reply: Optional[dict] = None
        self.error: Optional[GateError] = None


class GateClient:
    """A gate session over the child's stdio.

    ``launcher`` is the command that starts warrant (e.g. ``["dist/warrant"]``
    or ``["bun", "src/main.bun.ts"]``); ``runtime gate --config PATH`` is appended.
    Raises ``GateError`` (with the gate's stderr) if it exits or stays silent
    before ``ready``.
    """

    def __init__(
        self,
        launcher: Sequence[str],
        config_path: str,
        *,
        cwd: Optional[str] = None,
        env: Optional[Dict[str, str]] = None,
        ready_timeout: float = 15.0,
        request_timeout: Optional[float] = None,
        max_workers: int = 16,
    ) -> None:
        self._tools: Dict[str, ToolFn] = {}
        self._pending: Dict[int, _Pending] = {}
        self._pending_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._next_id = 1
        self._closed = False
        self._dead: Optional[str] = None
        self._request_timeout = request_timeout
        self._ready = threading.Event()
        self.ready_message: Optional[dict] = None
        self.session_id: Optional[str] = None
        self.project_id: Optional[str] = None
        #: Frames no request claimed (errors without id, unknown ids, bad lines).
        self.unsolicited: List[Any] = []
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="gate-tool")
        # stderr goes to a file: no extra thread, and it is readable after a crash.
        self._stderr = tempfile.TemporaryFile()
        argv = list(launcher) + ["runtime", "gate", "--config", config_path]
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env=env,
        )
        self._reader = threading.Thread(target=self._read_loop, name="gate-reader", daemon=True)
        self._reader.start()
        if not self._ready.wait(ready_timeout):
            self._proc.kill()
            self._abort_start(f"gate not ready after {ready_timeout}s")
        if self.ready_message is None:
            self._abort_start(f"gate exited with code {self._proc.wait()} before ready")
        self.session_id = self.ready_message.get("session_id")
        self.project_id = self.ready_message.get("project_id")

    # ── public API ─────────────────────────────────────────────────────────

    def register_tool(self, name: str, fn: Optional[ToolFn] = None) -> dict:
        """Declare a tool; ``fn(args) -> output`` runs its body on ``run_tool``.

        Returns the ``registered`` reply (with ``required_level``).
        """
        if fn is not None:
            self._tools[name] = fn
        return self._request({"type": "register_tool", "name": name})

    def govern(
        self, tool: str, args: Optional[dict] = None, correlation_id: Optional[str] = None
    ) -> dict:
        """Propose a call; returns the ``govern_result`` whatever its phase."""
        msg: Dict[str, Any] = {"type": "govern", "tool": tool, "args": args if args is not None else {}}
        if correlation_id is not None:
            msg["correlation_id"] = correlation_id
        return self._request(msg)

    def resume(self, action_id: str, request_id: str, wait_ms: Optional[int] = None) -> dict:
        """Re-present a held action; ``wait_ms`` makes the gate block-wait for approvals."""
        msg: Dict[str, Any] = {"type": "resume", "action_id": action_id, "request_id": request_id}
        if wait_ms is not None:
            msg["wait_ms"] = wait_ms
        return self._request(msg)

    def send_raw(self, line: bytes) -> None:
        """Write bytes to the gate verbatim (hostile-input tests)."""
        with self._write_lock:
            self._proc.stdin.write(line)
            self._proc.stdin.flush()

    def stderr_text(self) -> str:
        """Everything the gate wrote to stderr so far."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace").strip()

    def close(self, timeout: float = 10.0) -> int:
        """Send ``shutdown``, close stdin, wait for the exit; returns the exit code."""
        if not self._closed:
            self._closed = True
            try:
                self._send({"type": "shutdown"})
                self._proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
        try:
            code = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
        self._reader.join(timeout)
        self._pool.shutdown(wait=False)
        self._proc.stdout.close()
        self._stderr.close()
        return code

    def __enter__(self) -> "GateClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ── internals ──────────────────────────────────────────────────────────

    def _abort_start(self, why: str) -> None:
        self._proc.wait()
        self._reader.join(5)
        message = f"{why}: {self.stderr_text() or '(no stderr)'}"
        self._closed = True
        for stream in (self._proc.stdin, self._proc.stdout, self._stderr):
            try:
                stream.close()
            except OSError:
                pass
        self._pool.shutdown(wait=False)
        raise GateError(message)

    def _send(self, msg: dict) -> None:
        data = (json.dumps(msg, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
        with self._write_lock:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()

    def _request(self, msg: dict) -> dict:
        pending = _Pending()
        with self._pending_lock:
            if self._dead is not None:
                raise GateError(self._dead)
            request_id = self._next_id
            self._next_id += 1
            self._pending[request_id] = pending
        try:
            self._send({**msg, "id": request_id})
        except (BrokenPipeError, OSError, ValueError) as e:
            with self._pending_lock:
                self._pending.pop(request_id, None)
            raise GateError(f"cannot write to the gate: {e}", request_id) from e
        if not pending.event.wait(self._request_timeout):
            with self._pending_lock:
                self._pending.pop(request_id, None)
            raise GateError(f"no reply to request {request_id} in {self._request_timeout}s", request_id)
        if pending.error is not None:
            raise pending.error
        assert pending.reply is not None
        return pending.reply

    def _read_loop(self) -> None:
        stdout = self._proc.stdout
        for raw in iter(stdout.readline, b""):
            line = raw.strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                self.unsolicited.append(raw)
                continue
            if not isinstance(msg, dict):
                self.unsolicited.append(msg)
                continue
            kind = msg.get("type")
            if kind == "ready" and not self._ready.is_set():
                self.ready_message = msg
                self._ready.set()
            elif kind == "run_tool":
                self._pool.submit(self._run_tool, msg)
            elif kind in ("registered", "govern_result", "error") and isinstance(msg.get("id"), int):
                with self._pending_lock:
                    pending = self._pending.pop(msg["id"], None)
                if pending is None:
                    self.unsolicited.append(msg)
                    continue
                if kind == "error":
                    pending.error = GateError(str(msg.get("message")), msg["id"])
                else:
                    pending.reply = msg
                pending.event.set()
            else:
                self.unsolicited.append(msg)
        # EOF: the gate is gone. Fail everything still waiting.
        code = self._proc.wait()
        reason = f"gate exited with code {code}"
        with self._pending_lock:
            self._dead = reason
            waiting = list(self._pending.items())
            self._pending.clear()
        for request_id, pending in waiting:
            pending.error = GateError(f"{reason} before replying to request {request_id}", request_id)
            pending.event.set()
        self._ready.set()

    def _run_tool(self, msg: dict) -> None:
        callback_id = msg.get("id")
        fn = self._tools.get(msg.get("tool"))
        try:
            if fn is None:
                raise LookupError(f"no handler for tool {msg.get('tool')!r} in this client")
            output = fn(msg.get("args") or {})
            reply = {"type": "tool_result", "id": callback_id, "output": output, "documents": []}
            json.dumps(reply, allow_nan=False)  # fail here, as tool_error, if not JSON
        except Exception as e:  # noqa: BLE001 - any tool failure is reported, not raised
            reply = {"type": "tool_error", "id": callback_id, "message": str(e) or type(e).__name__}
        try:
            self._send(reply)
        except (BrokenPipeError, OSError, ValueError):
            pass
