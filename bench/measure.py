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
    """bench-fill's `OK ERR SECONDS` (then P99_MS)."""
    ok, err, secs = open(path).read().split()[:3]
    return int(ok), int(err), float(secs)


def probe(url):
    """A stored customer's name and the page token after the first page, from a list call."""
    import urllib.request
    with urllib.request.urlopen(url, timeout=10) as resp:
        page = json.load(resp)
    return page["customers"][0]["name"], page["nextPageToken"]


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def fixtures(n, out):
    """The default world plus n unmanaged consumer accounts bench{i}@altostrat.com (NOT_YET_SENT invitations of
    Cloud Identity C00000000, whose domain that is)."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "fixtures", "default.json")) as f:
        doc = json.load(f)
    doc["google"]["consumer_accounts"] += [
        {"email": f"bench{i}@altostrat.com", "create_time": "2026-01-02T00:00:00Z"} for i in range(n)]
    with open(out, "w") as f:
        json.dump(doc, f)


def http(method, url, header="", body=None):
    """One loopback HTTP call: (status, body bytes)."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url, method=method, data=body.encode() if body is not None else None)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if header:
        k, v = header.split(":", 1)
        req.add_header(k.strip(), v.strip())
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def dig(doc, path):
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def h2load_numbers(path):
    """Requests/s, p99 (ms, from h2load's --log-file), errors and DATA bytes per 2xx response."""
    text = open(path).read()
    rps, ok, data, errors = 0.0, 0, 0, 0
    for line in text.splitlines():
        parts = line.replace(",", "").split()
        if line.startswith("finished in"):
            rps = float(parts[3])
        elif line.startswith("requests:"):
            done, ok_all = int(parts[5]), int(parts[7])
            errors += done - ok_all + int(parts[9]) + int(parts[11]) + int(parts[13])
        elif line.startswith("status codes:"):
            ok = int(parts[2])
            errors += int(parts[4]) + int(parts[6]) + int(parts[8])
        elif line.startswith("traffic:"):
            data = int(line.split("(")[-1].split(")")[0])
    times = []
    try:
        with open(path + ".log") as f:
            for line in f:
                cols = line.split()
                if len(cols) >= 3:
                    times.append(int(cols[2]))
    except OSError:
        pass
    times.sort()
    p99 = times[(len(times) - 1) * 99 // 100] / 1000 if times else 0.0
    return rps, p99, errors, (data / ok if ok else 0.0)


def wrk_errors(text):
    n = 0
    for line in text.splitlines():
        if "Non-2xx or 3xx responses:" in line:
            n += int(line.split()[-1])
        if line.strip().startswith("Socket errors:"):
            n += sum(int(x.strip(", ").split()[-1]) for x in line.split(":", 1)[1].split(","))
    return n


def record_round(path, family, kind, name, tool, file, expected=None):
    """One round of one path on one server: requests/s, p99 and errors, appended to the results."""
    if tool == "wrk":
        text = open(file).read()
        rps, p99 = wrk_numbers(text)
        errors, note = wrk_errors(text), ""
    elif tool == "h2load":
        rps, p99, errors, per = h2load_numbers(file)
        note = ""
        # every answer of a path is the same message: a different size means some were errors (grpc-status
        # travels in trailers, and h2load counts HTTP 2xx only)
        if expected and abs(per - float(expected)) > 0.01 * float(expected):
            note = f"DATA {per:.0f} B per response, expected {float(expected):.0f}"
            errors = max(errors, 1)
    else:
        ok, err, secs, p99 = open(file).read().split()
        rps, p99, errors, note = int(ok) / float(secs), float(p99), int(err), ""
    r = load(path)
    e = r.setdefault("paths", {}).setdefault(family, {}).setdefault(kind, {"tool": tool}).setdefault(
        name, {"rounds": [], "errors": 0, "notes": []})
    e["rounds"].append([rps, p99])
    e["errors"] += errors
    if note:
        e["notes"].append(note)
    save(path, r)
    if errors:
        print(f"   WARNING: {family} {kind} on {name}: {errors} errors {note}", file=sys.stderr)
    return rps



def fmt(v):
    return f"{v:.1f}" if isinstance(v, float) else str(v)


FAMILIES = [
    ("channel", "Google Cloud Channel", "customers", [
        ("rest-create", "REST `POST /v1/accounts/C07654321/customers`"),
        ("rest-get", "REST `GET /v1/accounts/C01234567/customers/S0NEWCUSTOMER1`"),
        ("rest-list", "REST list, the page after the first (`pageSize=50`, page token)"),
        ("grpc-create", "gRPC `CreateCustomer`"),
        ("grpc-get", "gRPC `GetCustomer`"),
        ("grpc-list", "gRPC `ListCustomers`, the page after the first (`page_size=50`)"),
    ]),
    ("cloudidentity", "Google Cloud Identity", "consumer accounts, each sent an invitation", [
        ("send", "`POST /v1/customers/C00000000/userinvitations/{email}:send`"),
        ("list", "invitation list, the page after the first (`pageSize=100`, page token)"),
    ]),
    ("scp", "Samsung SCP", "accounts", [
        ("create", "`POST /v1/accounts`"),
        ("get", "`GET /v1/organization-accounts/{id}`"),
        ("list", "`GET /v1/organization-accounts?size=50&page=1`"),
    ]),
    ("yandex", "Yandex IdP", "users", [
        ("rest-create", "REST `POST /organization-manager/v1/idp/users`"),
        ("grpc-create", "gRPC `UserService/Create`"),
        ("get", "REST `GET /organization-manager/v1/idp/users/{id}`"),
        ("op-get", "REST `GET /operations/{id}`"),
    ]),
]
TOOLS = {"wrk": "wrk", "h2load": "h2load", "fill": "bench-fill (h2c)"}


def med(rounds, i):
    return statistics.median(x[i] for x in rounds) if rounds else 0.0


def verdict(ok):
    return "PASS" if ok else "MISS"


def report(r, out_path):
    m = r["meta"]
    n = int(m["creates"])
    out = [
        f"{int(m['duration'])} s per throughput run, {int(m['rounds'])} alternating rounds per path (each table shows "
        f"the medians; every round is listed below it), {int(m['connections'])} connections, {int(m['threads'])} "
        f"load-generator threads, on {os.cpu_count()} cores shared by the load generators and the servers. "
        "Baselines: bare axum for REST, bare tonic for gRPC (`bench/baseline/`).",
        "",
        "| metric | provmock | baseline (bare axum) | provmock / baseline | target |",
        "|---|---|---|---|---|",
    ]
    for label, key, target in [("start-up to first answer (median of 10), ms", "startup_ms", 10.0),
                               ("idle RSS, MB", "idle_rss_mb", 10.0)]:
        p, b = r["provmock"][key], r["baseline"][key]
        out.append(f"| {label} | {p:.1f} | {b:.1f} | {p / b if b else float('nan'):.2f} | "
                   f"< {target:g}: {verdict(p < target)} |")
    if "baseline_grpc" in r:
        out.append(f"| idle RSS of the bare tonic baseline, MB | | {r['baseline_grpc']['idle_rss_mb']:.1f} | | |")
    misses = []
    for fam, title, objects, paths in FAMILIES:
        fr = r.get("paths", {}).get(fam, {})
        out += ["", f"### {title}", "",
                "| path | load generator | provmock req/s | baseline req/s | provmock / baseline | target | "
                "p99 ms, provmock / baseline | response bytes, provmock / baseline | errors |",
                "|---|---|---|---|---|---|---|---|---|"]
        rounds_lines = []
        for kind, label in paths:
            e = fr.get(kind)
            if not e or "provmock" not in e or "baseline" not in e:
                out.append(f"| {label} | | not measured | | | | | | |")
                continue
            p, b = e["provmock"], e["baseline"]
            pr, br = med(p["rounds"], 0), med(b["rounds"], 0)
            ratio = pr / br if br else float("nan")
            ok = ratio >= 0.9
            if not ok:
                misses.append(f"{title}: {kind}")
            by = r.get("bytes", {}).get(fam, {}).get(kind, {})
            errs = "none" if not p["errors"] + b["errors"] else f"{p['errors']} / {b['errors']} ERRORS"
            out.append(
                f"| {label} | {TOOLS.get(e['tool'], e['tool'])} | {pr:.0f} | {br:.0f} | {ratio:.2f} | "
                f"≥ 0.9: {verdict(ok)} | {med(p['rounds'], 1):.1f} / {med(b['rounds'], 1):.1f} | "
                f"{by.get('provmock', '–')} / {by.get('baseline', '–')} | {errs} |")
            for name, x in (("provmock", p), ("baseline", b)):
                rounds_lines.append(f"- {kind}, {name}: " + ", ".join(f"{a:.0f}/s {q:.1f} ms" for a, q in x["rounds"])
                                    + ("" if not x["notes"] else " (" + "; ".join(x["notes"]) + ")"))
        rs = r.get("rss", {}).get(fam, {})
        if "provmock" in rs and "baseline" in rs:
            per = {k: (v["after"] - v["idle"]) * 100_000 / v["n"] for k, v in rs.items()}
            ratio = per["provmock"] / per["baseline"] if per["baseline"] > 0 else float("nan")
            if not ratio <= 1.5:
                misses.append(f"{title}: RSS per object")
            out.append(
                f"| RSS per 100 000 {objects}, MB (RSS after {rs['provmock']['n']:,} minus idle, scaled; "
                f"provmock {rs['provmock']['after']:.1f} MB, baseline {rs['baseline']['after']:.1f} MB) | "
                f"bench-fill | {per['provmock']:.1f} | {per['baseline']:.1f} | {ratio:.2f} | "
                f"≤ 1.5: {verdict(ratio <= 1.5)} | | | |")
        out += ["", "Every round (requests/s, p99):", ""] + rounds_lines
    out += ["", "Paths or memory below target: " + (", ".join(misses) if misses else "none")]
    small, large = str(int(m["small"])), str(int(m["large"]))
    s, l = r["scale"][small], r["scale"][large]
    out += [
        "",
        "### Channel: provmock as its store grows",
        "",
        f"{int(m['small']):,} vs {int(m['large']):,} customers stored "
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
            "### Durable creates",
            "",
            "`--data-dir` vs in memory, 16 clients (group commit; every response waits for its fsync)",
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
    elif cmd == "listening":
        port, t0 = int(args[0]), time.time()
        while not listening(port):
            if time.time() - t0 > 10:
                sys.exit(1)
            time.sleep(0.01)
    elif cmd == "fixtures":
        fixtures(int(args[0]), args[1])
    elif cmd == "jget" or cmd == "jpost":
        # jget URL HEADER FIELD... / jpost URL HEADER BODY FIELD...: fields of a JSON answer, space-separated
        url, header = args[0], args[1]
        body, fields = (args[2], args[3:]) if cmd == "jpost" else (None, args[2:])
        status, data = http("POST" if body is not None else "GET", url, header, body)
        if not 200 <= status < 300:
            sys.exit(f"measure.py: {url} answered {status}: {data[:300]!r}")
        doc = json.loads(data)
        import urllib.parse
        print(*(urllib.parse.quote(str(dig(doc, f[:-2])), safe="") if f.endswith("|q") else dig(doc, f)
                for f in fields))
    elif cmd == "size":
        # size R FAMILY KIND NAME URL HEADER: the answer's body length, recorded; a non-2xx answer stops the run
        path, family, kind, name, url, header = args
        status, data = http("GET", url, header)
        if not 200 <= status < 300:
            sys.exit(f"measure.py: {url} answered {status}: {data[:300]!r}")
        r = load(path)
        r.setdefault("bytes", {}).setdefault(family, {}).setdefault(kind, {})[name] = len(data)
        save(path, r)
    elif cmd == "bytes":
        path, family, kind, name, n = args
        r = load(path)
        r.setdefault("bytes", {}).setdefault(family, {}).setdefault(kind, {})[name] = int(n)
        save(path, r)
    elif cmd == "round":
        # round R FAMILY KIND NAME TOOL FILE [EXPECTED_DATA_BYTES]
        rps = record_round(*args)
        print(f"   {args[3]}: {rps:.0f}/s")
    elif cmd == "rss100k":
        path, family, name, idle, after, n = args
        r = load(path)
        r.setdefault("rss", {}).setdefault(family, {})[name] = {"idle": float(idle), "after": float(after), "n": int(n)}
        save(path, r)
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
