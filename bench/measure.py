#!/usr/bin/env python3
"""bench helpers: start-up time, RSS, and the report. Used by bench/run.sh; loopback only."""
import json
import os
import socket
import statistics
import subprocess
import sys
import time


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def startup(cmd, port, runs=10):
    """Median ms from exec to the first 200 from /_mock/health, over `runs` starts."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not healthy(port):
            if time.perf_counter() - t0 > 10:
                p.kill()
                raise SystemExit(f"{cmd[0]} did not start")
        times.append((time.perf_counter() - t0) * 1000)
        p.terminate()
        p.wait()
        time.sleep(0.05)
    return statistics.median(times)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wrk_numbers(text):
    """Requests/s and p99 (ms) from `wrk --latency` output."""
    rps, p99 = 0.0, 0.0
    for line in text.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            rps = float(parts[1])
        if len(parts) == 2 and parts[0] == "99%":
            v = parts[1]
            scale = 1.0
            for unit, s in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
                if v.endswith(unit):
                    v, scale = v[: -len(unit)], s
                    break
            p99 = float(v) * scale
    return rps, p99


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "startup":
        port = int(sys.argv[2])
        print(f"{startup(sys.argv[3:], port):.2f}")
    elif cmd == "healthy":
        port = int(sys.argv[2])
        t0 = time.time()
        while not healthy(port):
            if time.time() - t0 > 10:
                sys.exit(1)
            time.sleep(0.01)
    elif cmd == "created":
        # successful requests of a wrk run: "N requests in", minus "Non-2xx or 3xx responses: M"
        total, bad = 0, 0
        for line in open(sys.argv[2]):
            parts = line.split()
            if "requests in" in line:
                total = int(parts[0])
            if line.strip().startswith("Non-2xx"):
                bad = int(parts[-1])
        print(total - bad)
    elif cmd == "rss":
        print(f"{rss_mb(int(sys.argv[2])):.1f}")
    elif cmd == "wrk":
        rps, p99 = wrk_numbers(open(sys.argv[2]).read())
        print(json.dumps({"rps": rps, "p99_ms": p99}))
    elif cmd == "report":
        r = json.load(open(sys.argv[2]))
        rows = [
            ("start-up to first answer (median of 10), ms", "startup_ms", "lower", 20.0),
            ("idle RSS, MB", "idle_rss_mb", "lower", 15.0),
            ("RSS after 100 000 creates, MB", "rss_100k_mb", "lower", None),
            ("GET requests/s", "get_rps", "higher", 0.7),
            ("GET p99, ms", "get_p99_ms", "lower", None),
            ("create requests/s", "create_rps", "higher", 0.7),
            ("create p99, ms", "create_p99_ms", "lower", None),
        ]
        out = [
            f"connections: {r['connections']}, wrk threads: {r['threads']}, {r['duration']} s per throughput run, "
            f"on {os.cpu_count()} cores shared by the load generator and the server",
            "",
            "| metric | provmock | baseline (bare axum) | provmock / baseline | target |",
            "|---|---|---|---|---|",
        ]
        for label, key, better, target in rows:
            p, b = r["provmock"][key], r["baseline"][key]
            ratio = p / b if b else float("nan")
            verdict = ""
            if target is not None:
                if key in ("get_rps", "create_rps"):
                    verdict = f"≥ {target} × baseline: {'PASS' if ratio >= target else 'MISS'}"
                else:
                    verdict = f"< {target}: {'PASS' if p < target else 'MISS'}"
            out.append(f"| {label} | {p:.1f} | {b:.1f} | {ratio:.2f} | {verdict} |")
        text = "\n".join(out)
        print(text)
        with open(sys.argv[3], "w") as f:
            f.write("# Benchmark results\n\nWritten by `bench/run.sh` on " + time.strftime("%Y-%m-%d") + ".\n\n" + text + "\n")
