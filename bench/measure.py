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


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, r):
    with open(path, "w") as f:
        json.dump(r, f)


def put(path, section, key, value):
    r = load(path)
    try:
        value = float(value)
    except ValueError:
        pass
    r.setdefault(section, {})[key] = value
    save(path, r)


def rounds(files):
    """Requests/s and p99 of each round, in order."""
    return [wrk_numbers(open(f).read()) for f in sorted(files)]


def fill_numbers(path):
    """bench-fill's `OK ERR SECONDS`."""
    ok, err, secs = open(path).read().split()
    return int(ok), int(err), float(secs)


def probe(url):
    """A stored customer's name and the page token after the first page, from a list call."""
    import urllib.request
    with urllib.request.urlopen(url, timeout=10) as resp:
        page = json.load(resp)
    return page["customers"][0]["name"], page["nextPageToken"]


def fmt(v):
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def report(r, out_path):
    m = r["meta"]
    rows = [
        ("start-up to first answer (median of 10), ms", "startup_ms", 20.0),
        ("idle RSS, MB", "idle_rss_mb", 15.0),
        ("RSS after " + f"{int(m['creates']):_}".replace("_", " ") + " creates, MB", "rss_100k_mb", None),
        ("GET requests/s", "get_rps", 0.7),
        ("GET p99, ms", "get_p99_ms", None),
        ("create requests/s", "create_rps", 0.7),
        ("create p99, ms", "create_p99_ms", None),
    ]
    out = [
        f"connections: {int(m['connections'])}, wrk threads: {int(m['threads'])}, {int(m['duration'])} s per "
        f"throughput run, {int(m['rounds'])} alternating rounds (the tables show each metric's median), on "
        f"{os.cpu_count()} cores shared by the load generator and the servers",
        "",
        "| metric | provmock | baseline (bare axum) | provmock / baseline | target |",
        "|---|---|---|---|---|",
    ]
    for label, key, target in rows:
        p, b = r["provmock"][key], r["baseline"][key]
        ratio = p / b if b else float("nan")
        verdict = ""
        if target is not None:
            if key.endswith("_rps"):
                verdict = f"≥ {target} × baseline: {'PASS' if ratio >= target else 'MISS'}"
            else:
                verdict = f"< {target}: {'PASS' if p < target else 'MISS'}"
        out.append(f"| {label} | {p:.1f} | {b:.1f} | {ratio:.2f} | {verdict} |")
    out += ["", "Every round (requests/s, p99 ms):", ""]
    for name in ("provmock", "baseline"):
        for kind in ("get", "create"):
            each = r["rounds"][name][kind]
            out.append(f"- {name} {kind}: " + ", ".join(f"{rps:.0f}/s {p99:.1f} ms" for rps, p99 in each))
    small, large = str(int(m["small"])), str(int(m["large"]))
    s, l = r["scale"][small], r["scale"][large]
    out += [
        "",
        f"provmock as its store grows: {int(m['small']):,} vs {int(m['large']):,} customers stored "
        "(GET one of them; list the page after the first, pageSize=50, through its page token; 20 000 creates)",
        "",
        f"| metric | {int(m['small']):,} stored | {int(m['large']):,} stored | ratio |",
        "|---|---|---|---|",
    ]
    for label, key in [
        ("GET requests/s", "get_rps"), ("GET p99, ms", "get_p99_ms"),
        ("list page requests/s", "list_rps"), ("list page p99, ms", "list_p99_ms"),
        ("creates/s", "create_rps"), ("RSS, MB", "rss_mb"),
    ]:
        ratio = l[key] / s[key] if s[key] else float("nan")
        out.append(f"| {label} | {s[key]:.1f} | {l[key]:.1f} | {ratio:.2f} |")
    if "datadir" in r and "memory" in r:
        d, mem = r["datadir"]["create16_rps"], r["memory"]["create16_rps"]
        ratio = d / mem if mem else float("nan")
        out += [
            "",
            "Durable creates: `--data-dir` vs in memory, 16 clients (group commit; every response waits for its fsync)",
            "",
            "| metric | --data-dir | in memory | ratio | target |",
            "|---|---|---|---|---|",
            f"| create requests/s | {d:.0f} | {mem:.0f} | {ratio:.2f} | ≥ 0.5: {'PASS' if ratio >= 0.5 else 'MISS'} |",
            f"| create p99, ms | {r['datadir']['create16_p99_ms']:.1f} | {r['memory']['create16_p99_ms']:.1f} | | |",
            "",
            "- every round, --data-dir: " + ", ".join(f"{a:.0f}/s" for a, _ in r["rounds"]["datadir"]["create16"]),
            "- every round, in memory: " + ", ".join(f"{a:.0f}/s" for a, _ in r["rounds"]["memory"]["create16"]),
        ]
    text = "\n".join(out)
    print(text)
    with open(out_path, "w") as f:
        f.write("# Benchmark results\n\nWritten by `bench/run.sh` on " + time.strftime("%Y-%m-%d") + ".\n\n"
                + text + "\n")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "startup":
        print(f"{startup(args[1:], int(args[0])):.2f}")
    elif cmd == "healthy":
        port, t0 = int(args[0]), time.time()
        while not healthy(port):
            if time.time() - t0 > 10:
                sys.exit(1)
            time.sleep(0.01)
    elif cmd == "rss":
        print(f"{rss_mb(int(args[0])):.1f}")
    elif cmd == "put":
        put(*args)
    elif cmd == "median":
        # Each metric's own median over the rounds (tail latencies on a shared 2-core machine spike now and then,
        # for either server); every round is kept for the report.
        path, name, kind, files = args[0], args[1], args[2], args[3:]
        each = rounds(files)
        put(path, name, f"{kind}_rps", statistics.median(r[0] for r in each))
        put(path, name, f"{kind}_p99_ms", statistics.median(r[1] for r in each))
        r = load(path)
        r.setdefault("rounds", {}).setdefault(name, {})[kind] = each
        save(path, r)
    elif cmd == "filled":
        ok, err, secs = fill_numbers(args[0])
        print(f"   {ok} created, {err} failed, in {secs:.1f} s ({ok / secs:.0f}/s)")
        if ok != int(args[1]) or err:
            sys.exit(f"bench-fill: expected {args[1]} creates, got {ok} ({err} failed)")
    elif cmd == "probe":
        print(*probe(args[0]))
    elif cmd == "scale":
        path, level, get, lst, create, rss = args
        g, li = wrk_numbers(open(get).read()), wrk_numbers(open(lst).read())
        ok, err, secs = fill_numbers(create)
        r = load(path)
        r.setdefault("scale", {})[level] = {
            "get_rps": g[0], "get_p99_ms": g[1], "list_rps": li[0], "list_p99_ms": li[1],
            "create_rps": ok / secs, "rss_mb": float(rss)}
        save(path, r)
    elif cmd == "report":
        report(load(args[0]), args[1])
    else:
        sys.exit(f"measure.py: unknown command {cmd}")
