"""HTTP load on loopback: `wrk` when it is installed (Debian: `apt-get install wrk`), else a
small asyncio client; `BENCH_LOAD_TOOL=python|wrk` forces one. Bounded by a duration and a
number of connections; every request body can be different (a template with the request
number in it).

Both report requests/s, latency percentiles (ms), how many requests completed and how many
answered something other than 2xx.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import percentile

ID_MARK = "__ID__"  # replaced by a number unique to the request


@dataclass
class Load:
    tool: str
    seconds: float
    requests: int
    non_2xx: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float

    def as_dict(self, prefix: str) -> dict[str, Any]:
        return {f"{prefix}_{k}": (round(v, 3) if isinstance(v, float) else v)
                for k, v in asdict(self).items()}  # fmt: skip


TOOLS = ("python", "wrk")


def wrk_path() -> str | None:
    return shutil.which("wrk")


def choose_tool(tool: str | None = None) -> str:
    """`tool`, else BENCH_LOAD_TOOL, else wrk when installed, else the Python client."""
    chosen = (tool or os.environ.get("BENCH_LOAD_TOOL") or "").strip().lower()
    if not chosen:
        return "wrk" if wrk_path() else "python"
    if chosen not in TOOLS:
        raise ValueError(f"BENCH_LOAD_TOOL: '{chosen}' is not one of {', '.join(TOOLS)}")
    if chosen == "wrk" and wrk_path() is None:
        raise RuntimeError("BENCH_LOAD_TOOL=wrk but wrk is not installed (apt-get install wrk)")
    return chosen


async def run(
    url: str,
    *,
    connections: int,
    seconds: float,
    body: str | None = None,
    first_id: int = 1,
    tool: str | None = None,
) -> Load:
    """POST `body` (with ID_MARK replaced by a unique number) or GET `url` for `seconds`
    over `connections` keep-alive connections, with `choose_tool(tool)`.

    A coroutine: the benchmarks run in an event loop, and the Python client runs in it."""
    if choose_tool(tool) == "wrk":
        # wrk is a child process: wait for it without blocking the loop.
        return await asyncio.to_thread(_wrk, url, connections, seconds, body, first_id)
    return await _python(url, connections, seconds, body, first_id)


# --- wrk ---------------------------------------------------------------------------------

_LUA = """
local template = [==[%(template)s]==]
local counter = 0
local next_thread = 0
-- thread_base is a global each thread gets from setup() (a local here would shadow it)

function setup(thread)
  thread:set("thread_base", %(first_id)d + next_thread * 100000000)
  next_thread = next_thread + 1
end

function request()
  if template == "" then
    return wrk.format("GET")
  end
  counter = counter + 1
  local id = tostring(thread_base + counter)
  local body = template:gsub("%(mark)s", id)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


def _wrk(url: str, connections: int, seconds: float, body: str | None, first_id: int) -> Load:
    threads = 2 if connections >= 2 else 1
    script = _LUA % {"template": body or "", "first_id": first_id, "mark": ID_MARK}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = Path(f.name)
    try:
        done = subprocess.run(  # our own command line
            [wrk_path() or "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s",
             "--latency", "--timeout", "10s", "-s", str(path), url],
            capture_output=True, text=True, timeout=seconds + 60,
        )  # fmt: skip
    finally:
        path.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    return _parse_wrk(done.stdout, seconds)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def _parse_wrk(out: str, seconds: float) -> Load:
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if requests is None or not pct:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    elapsed = _ms(requests.group(2) + requests.group(3)) / 1000
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Load(
        tool="wrk",
        seconds=elapsed,
        requests=int(requests.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(x) for x in errors.groups()) if errors else 0,
        rps=int(requests.group(1)) / elapsed,
        p50_ms=_ms(pct["50"]),
        p90_ms=_ms(pct["90"]),
        p99_ms=_ms(pct["99"]),
    )


# --- the Python fallback -----------------------------------------------------------------


async def _python(
    url: str, connections: int, seconds: float, body: str | None, first_id: int
) -> Load:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    make = _request_maker(target, f"{host}:{port}", body)
    ids = iter(range(first_id, first_id + 10**9))
    latencies: list[float] = []
    counts = {"non_2xx": 0, "errors": 0}
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(make(next(ids)))
                status = await _read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                if not 200 <= status < 300:
                    counts["non_2xx"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts["errors"] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return Load(
        tool="python",
        seconds=elapsed,
        requests=len(latencies),
        non_2xx=counts["non_2xx"],
        errors=counts["errors"],
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 50),
        p90_ms=percentile(latencies, 90),
        p99_ms=percentile(latencies, 99),
    )


def _request_maker(target: str, host: str, body: str | None) -> Callable[[int], bytes]:
    if body is None:
        fixed = f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        return lambda _n: fixed
    head = f"POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"

    def make(n: int) -> bytes:
        payload = body.replace(ID_MARK, str(n)).encode()
        return (head + f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload

    return make


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if length:
        await reader.readexactly(int(length.group(1)))
    elif re.search(rb"(?i)\r\ntransfer-encoding:\s*chunked", head):
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status
