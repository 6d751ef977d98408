"""Benchmark: the dashboard under load, on loopback only.

    python benchmarks/web_load.py --workspace benchmarks/data/web-1m --clients 20 --seconds 60
    python benchmarks/web_load.py --workspace benchmarks/data/web-200k --distinct-ranges --seconds 45

Starts `supportmetrics serve` on a free 127.0.0.1 port over the workspace (adding a `loadtest` user to
its user file), logs each of `--clients` concurrent clients in, requests every page once to warm the
server (reported as cold latency), then lets the clients alternate between the overview and a metric
page (`--api`: two JSON API metrics) for `--seconds`. With `--distinct-ranges` every request asks for its own 30-day range (client i's
n-th request starts on day i + n * clients of the tickets' dates), so no answer comes from the result cache:
that measures uncached queries running side by side. Reports per page: requests, errors (non-200 or
failed), p50 / p95 / max latency in milliseconds and requests per second, and `--label` names the
result file (web_load-LABEL.json) so runs can be compared. Goal: p95 <= 300 ms warm, zero errors.
"""

from __future__ import annotations

import argparse
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

import supportmetrics
from _report import machine, save
from supportmetrics.web.users import Users

PAGES = {"overview": "/", "metric": "/metrics/first_response_time"}
API = {
    "metric api": "/api/metrics/first_response_time?stat=median&by=channel",
    "volume api": "/api/metrics/ticket_volume?by=team",
}
USER = "loadtest"
RANGE_DAYS = 30


def _span(workspace: Path) -> tuple[date, date]:
    """The first and last day tickets were created (the ranges asked for hold data)."""
    ws = supportmetrics.connect(workspace)
    try:
        engine = ws.engine()
        tickets = engine.table("tickets")
        span = tickets.aggregate(first=tickets.created_at.min(), last=tickets.created_at.max())
        first, last = engine.arrow(span).to_pylist()[0].values()
        return first.date(), last.date()
    finally:
        ws.close()


def _ranged(path: str, first: date, days: int, step: int) -> str:
    """`path` over the 30-day range starting `step` days into the data (wrapping around)."""
    start = first + timedelta(days=step % max(1, days - RANGE_DAYS))
    end = start + timedelta(days=RANGE_DAYS - 1)
    joint = "&" if "?" in path else "?"
    return f"{path}{joint}from={start.isoformat()}&to={end.isoformat()}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_in(base: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post("/login", data={"username": USER, "password": password, "csrf_token": csrf})
    if done.status_code != 303:
        raise SystemExit(f"login failed: {done.status_code}")
    return client


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("benchmarks/data/web-1m"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--distinct-ranges",
        action="store_true",
        help="every request asks for its own date range (uncached queries)",
    )
    parser.add_argument(
        "--api", action="store_true", help="request two JSON API metrics instead of the pages"
    )
    parser.add_argument("--label", default="", help="suffix of the result file's name")
    args = parser.parse_args()
    pages = API if args.api else PAGES
    first, last = _span(args.workspace)
    days = (last - first).days + 1

    users = Users.of_workspace(args.workspace)
    if USER in {u.username for u in users.list()}:
        users.remove(USER)
    password = secrets.token_urlsafe(16)
    users.add(USER, password, "viewer")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["serve", "-w", str(args.workspace), "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen([sys.executable, "-m", "supportmetrics", *command])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)

        clients = [_log_in(base, password) for _ in range(args.clients)]
        cold = {}
        for name, path in pages.items():
            started = time.perf_counter()
            status = clients[0].get(path).status_code
            cold[name] = round(1000 * (time.perf_counter() - started))
            if status != 200:
                raise SystemExit(f"{path} answered {status} when warming up")

        latencies: dict[str, list[float]] = {name: [] for name in pages}
        errors: dict[str, int] = dict.fromkeys(pages, 0)
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def work(index: int, client: httpx.Client) -> None:
            names = list(pages)
            turn = index
            while time.monotonic() < stop:
                name = names[turn % len(names)]
                path = pages[name]
                if args.distinct_ranges:
                    path = _ranged(path, first, days, index + turn * args.clients)
                turn += 1
                started = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = 1000 * (time.perf_counter() - started)
                with lock:
                    latencies[name].append(elapsed)
                    errors[name] += not ok

        threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        users.remove(USER)

    result = {
        "benchmark": "web_load",
        "workspace": str(args.workspace),
        "clients": args.clients,
        "seconds": args.seconds,
        "distinct_ranges": args.distinct_ranges,
        "machine": machine(),
        "cold_ms": cold,
        "pages": {
            name: {
                "path": pages[name],
                "requests": len(values),
                "errors": errors[name],
                "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(_percentile(values, 0.95), 1),
                "max_ms": round(max(values), 1),
                "per_second": round(len(values) / args.seconds, 1),
            }
            for name, values in latencies.items()
        },
    }
    save(result, f"web_load-{args.label}" if args.label else "web_load")


if __name__ == "__main__":
    main()
