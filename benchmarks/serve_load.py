"""`serve` under load, on this machine: the figures of the README's `serve` section.

    python benchmarks/serve_load.py [--soak-seconds 600] [--warehouse FILE.duckdb]

Starts `prediction-monitor serve --host 127.0.0.1` on a copy of the demo warehouse
(built first when `data/demo.duckdb` is missing) with a broken batch written today (so
every cycle owes alert messages), a Slack that is down (its API answers 503: every
message fails and is kept pending, and each cycle spends slack-sdk's retries on it) and
the Slack app on, then measures, one after another:

1. 50 concurrent `/metrics` scrapers, 20 scrapes each: latency p50/p99/max, timeouts
   (30 s), errors, and the kernel's listen overflows meanwhile (system-wide);
2. 300 idle connections (a request line and half a header, then nothing): serve's
   thread count before and while they are open, `/healthz` answered meanwhile, and how
   many of them the server closed by itself after its 30 s channel timeout;
3. 40 concurrent `/validate-daily` slash commands (signed): how many were acknowledged
   and the slowest acknowledgement (Slack wants one within 3 s);
4. 20 Pub/Sub pushes within one second while Slack is down: their answers, the slowest,
   and how many cycles they cost (`prediction_monitor_cycles_total`);
5. a soak of pushes for --soak-seconds (one at a time, back to back, and a scrape
   between): serve's resident memory and open file handles, sampled every 30 s.

Not part of `make test`; prints the figures. The machine's load average is printed too:
other work on the machine slows every figure.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.contract import ContractDB, features  # noqa: E402 - after the path

BIN = Path(sys.executable).parent / "prediction-monitor"
SECRET = "bench-signing-secret-0000000000000"


def slack_down() -> ThreadingHTTPServer:
    """Slack's API, down: every call answers 503 (after 0.2 s)."""

    class Down(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(0.2)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), Down)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def broken_batch_today(path: Path) -> None:
    """Today's slate from a batch whose Vegas lines are missing from the features (the
    incident's failure), written half an hour ago: the checks fire on it."""
    db = ContractDB(path, varchar_features=False)
    now = dt.datetime.now(dt.UTC)
    today = (now - dt.timedelta(hours=5)).date()  # the US/Eastern game date, roughly
    try:
        for _ in range(60):
            db.prediction(day=today, line=21.5, cf=features(None, has=0.0),
                          commit="bench123", predicted_at=now - dt.timedelta(minutes=30))
        db.batch(day=today, commit="bench123", started=now - dt.timedelta(minutes=40),
                 mode="backfill")
    finally:
        db.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = 30.0) -> tuple[int, bytes, float]:
    """(status, body, seconds); status 0 on a timeout or a connection error."""
    started = time.perf_counter()
    req = urllib.request.Request(url, body, headers or {},
                                 method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), time.perf_counter() - started
    except urllib.error.HTTPError as exc:
        data = exc.read()
        exc.close()
        return exc.code, data, time.perf_counter() - started
    except (OSError, TimeoutError):
        return 0, b"", time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def proc_status(pid: int) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def threads(pid: int) -> int:
    return int(proc_status(pid)["Threads"])


def rss_mib(pid: int) -> float:
    return int(proc_status(pid)["VmRSS"].split()[0]) / 1024


def handles(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listen_overflows() -> int:
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split(), strict=False))["ListenOverflows"])
    return -1


def cycles_total(base: str) -> float:
    status, body, _ = request(f"{base}/metrics")
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith("prediction_monitor_cycles_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_idle(pid: int, quiet: float = 3.0, limit: float = 600.0) -> None:
    """Until serve used no CPU for `quiet` seconds (background work finished)."""
    deadline = time.monotonic() + limit
    last, still = cpu_seconds(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - last > 0.05:
            last, still = now, time.monotonic()
        elif time.monotonic() - still >= quiet:
            return


def push_body(n: int) -> bytes:
    data = base64.b64encode(json.dumps({"execution_id": f"bench_{n}",
                                        "game_date": "2026-01-09"}).encode()).decode()
    return json.dumps({"message": {"data": data, "messageId": str(900000 + n)},
                       "subscription": "projects/bench/subscriptions/push"}).encode()


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body,
                      hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def scrapers(base: str, clients: int = 50, each: int = 20) -> None:
    before = listen_overflows()

    def scraper(_: int) -> list[tuple[int, float]]:
        return [request(f"{base}/metrics")[::2] for _ in range(each)]

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = [r for batch in pool.map(scraper, range(clients)) for r in batch]
    times = [t for _, t in results]
    ok = sum(1 for s, _ in results if s == 200)
    timeouts = sum(1 for s, t in results if s == 0 and t >= 29)
    print(f"1. {clients} concurrent /metrics scrapers x {each}: {ok}/{len(results)} answered "
          f"200, p50 {pct(times, 0.5) * 1000:.0f} ms, p99 {pct(times, 0.99) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms, timeouts {timeouts}, errors "
          f"{len(results) - ok - timeouts}; listen overflows (system-wide) "
          f"{listen_overflows() - before}")


def idle_connections(base: str, port: int, pid: int, count: int = 300) -> None:
    before = threads(pid)
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
        socks.append(s)
    time.sleep(1)
    during = threads(pid)
    status, _, took = request(f"{base}/healthz")
    started = time.monotonic()
    closed = 0
    for s in socks:
        s.settimeout(max(1.0, 45 - (time.monotonic() - started)))
        try:
            closed += s.recv(1) == b""
        except OSError:
            pass
        s.close()
    print(f"2. {count} idle half-sent connections: serve's threads {before} before, {during} "
          f"while open; /healthz meanwhile {status} in {took * 1000:.0f} ms; closed by the "
          f"server within {time.monotonic() - started:.0f} s: {closed}/{count}")


def slash_commands(base: str, count: int = 40) -> None:
    body = urlencode({"command": "/validate-daily", "text": "2026-01-09", "user_id": "UBENCH",
                      "response_url": f"http://127.0.0.1:{free_port()}/commands/x"}).encode()
    barrier = threading.Barrier(count)

    def command(_: int) -> tuple[int, bytes, float]:
        headers = signed(body)
        barrier.wait()
        return request(f"{base}/slack/commands", body, headers)

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        results = list(pool.map(command, range(count)))
    acked = [t for s, b, t in results if s == 200 and b"validating 2026-01-09" in b]
    print(f"3. {count} concurrent /validate-daily commands: {len(acked)}/{count} acknowledged, "
          f"slowest {max(t for _, _, t in results) * 1000:.0f} ms, within 3 s: "
          f"{sum(1 for t in acked if t < 3)}")


def burst(base: str, count: int = 20) -> None:
    cycles_before = cycles_total(base)
    results: list[tuple[int, bytes, float]] = [(0, b"", 0.0)] * count

    def push(n: int) -> None:
        time.sleep(n / count)  # spread over one second
        results[n] = request(f"{base}/events/batch", push_body(n),
                             {"Content-Type": "application/json"}, timeout=120)

    workers = [threading.Thread(target=push, args=(n,)) for n in range(count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    statuses: dict[int, int] = {}
    for s, _, _ in results:
        statuses[s] = statuses.get(s, 0) + 1
    # Each distinct reason once, with how many answers gave it (cut to its first words).
    reasons: dict[str, int] = {}
    for s, b, _ in results:
        if s >= 500:
            words = b.decode(errors="replace").strip().split(":")[0][:60]
            reasons[words] = reasons.get(words, 0) + 1
    reason = "; ".join(f"{n}× {text}" for text, n in sorted(reasons.items()))
    print(f"4. {count} pushes in one second, Slack down: answers {statuses} ({reason}), "
          f"slowest {max(t for _, _, t in results):.1f} s, cycles run "
          f"{cycles_total(base) - cycles_before:.0f}")


def soak(base: str, pid: int, seconds: float) -> None:
    samples: list[tuple[float, float, int]] = []
    started = time.monotonic()
    next_sample = started
    pushes = 0
    statuses: dict[int, int] = {}
    while time.monotonic() - started < seconds:
        if time.monotonic() >= next_sample:
            samples.append((time.monotonic() - started, rss_mib(pid), handles(pid)))
            next_sample += 30
        status = request(f"{base}/events/batch", push_body(1000 + pushes),
                         {"Content-Type": "application/json"}, timeout=120)[0]
        statuses[status] = statuses.get(status, 0) + 1
        request(f"{base}/metrics")
        pushes += 1
    samples.append((time.monotonic() - started, rss_mib(pid), handles(pid)))
    rss = [r for _, r, _ in samples]
    fds = [f for _, _, f in samples]
    half = len(samples) // 2
    print(f"5. soak {seconds:.0f} s: {pushes} pushes ({statuses}); RSS MiB first "
          f"{rss[0]:.0f}, max {max(rss):.0f}, last {rss[-1]:.0f} (mean of the first half "
          f"{statistics.mean(rss[:max(half, 1)]):.0f}, second half "
          f"{statistics.mean(rss[half:]):.0f}); open files first {fds[0]}, max {max(fds)}, "
          f"last {fds[-1]}")
    print("   samples (s, RSS MiB, files): "
          + ", ".join(f"({t:.0f}, {r:.0f}, {f})" for t, r, f in samples))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--warehouse", type=Path, default=Path("data/demo.duckdb"),
                        help="a demo warehouse to copy (built when missing)")
    parser.add_argument("--keep-log", type=Path, help="copy serve's log here at the end")
    args = parser.parse_args()
    if not args.warehouse.exists():
        subprocess.run([str(BIN), "demo", "--path", str(args.warehouse)], check=True,
                       capture_output=True)
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}, "
          f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "demo.duckdb"
        shutil.copy(args.warehouse, copy)
        broken_batch_today(copy)
        down = slack_down()
        port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "GOOGLE_", "MONITOR_", "CLOUD_RUN", "K_"))}
        env.update(MONITOR_DATA_DIR=str(Path(tmp) / "data"),
                   MONITOR_METRICS_DIR=str(Path(tmp) / "metrics"),
                   MONITOR_HOURLY_CYCLE="job", SLACK_BOT_TOKEN="xoxb-bench-0000",
                   SLACK_CHANNEL="#bench", SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=f"http://127.0.0.1:{down.server_address[1]}/api/")
        log = open(Path(tmp) / "serve.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen([str(BIN), "serve", "--warehouse", f"duckdb:///{copy}",
                                 "--host", "127.0.0.1", "--port", str(port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while request(f"{base}/healthz", timeout=2)[0] != 200:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("serve did not start: see its log")
                time.sleep(0.2)
            # A first cycle, so /metrics serves a full cycle's gauges.
            request(f"{base}/events/batch", push_body(0), {"Content-Type": "application/json"},
                    timeout=120)
            wait_idle(proc.pid)
            print(f"serve: pid {proc.pid}, {threads(proc.pid)} threads, "
                  f"/metrics {len(request(f'{base}/metrics')[1])} bytes")
            scrapers(base)
            idle_connections(base, port, proc.pid)
            slash_commands(base)
            wait_idle(proc.pid)  # the 40 validations run after their answers
            burst(base)
            wait_idle(proc.pid)
            soak(base, proc.pid, args.soak_seconds)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
            down.shutdown()
            if args.keep_log:
                shutil.copy(Path(tmp) / "serve.log", args.keep_log)
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
          f"at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
