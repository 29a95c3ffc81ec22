"""Start a provmock process and steer it through its control plane (`/_mock/`).

Only the standard library is used here, so the helpers work wherever the plugin does."""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

#: How long a start may take before it counts as failed (the binary itself starts in milliseconds).
START_TIMEOUT = 15.0
#: Bound on every control-plane call.
CALL_TIMEOUT = 10.0

_LISTENING = re.compile(r"provmock listening on http://(?P<host>[^\s:]+):(?P<port>\d+) \(TLS (?P<tls>[^)\s]+)\)")
_EXE = "provmock.exe" if os.name == "nt" else "provmock"


class ProvmockError(Exception):
    """A control-plane call that did not succeed: `call` ("POST /_mock/reset"), `status` (HTTP status, None when
    provmock could not be reached), `message` (the server's error message), `body` (the parsed answer, if JSON)."""

    def __init__(self, call, status, message, body=None):
        self.call = call
        self.status = status
        self.message = message
        self.body = body
        where = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{call} -> {where}: {message}")


class ProvmockStartError(RuntimeError):
    """provmock did not start: the message holds the command line, the exit code and the process's log."""


def find_binary():
    """The provmock binary to run: $PROVMOCK_BIN, else the one the wheel installed next to this interpreter's
    scripts (a venv's bin/, the user scheme's bin/), else the first `provmock` on PATH."""
    env = os.environ.get("PROVMOCK_BIN")
    if env:
        return env
    dirs = [sysconfig.get_path("scripts")]
    user_scheme = f"{os.name}_user" if os.name != "posix" else "posix_user"
    try:
        dirs.append(sysconfig.get_path("scripts", scheme=user_scheme))
    except KeyError:
        pass
    dirs.append(os.path.dirname(sys.executable))
    for d in dirs:
        if d:
            path = os.path.join(d, _EXE)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    found = shutil.which("provmock")
    if found:
        return found
    raise ProvmockStartError(
        "provmock binary not found: install the wheel (`pip install ./python` in a provmock checkout) "
        "or set PROVMOCK_BIN to a built binary (target/release/provmock)"
    )


def _token_from_args(args):
    for i, a in enumerate(args):
        if a == "--control-token" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--control-token="):
            return a.split("=", 1)[1]
    return None


_running = set()
_running_lock = threading.Lock()


def running_instances():
    """Every provmock this process started that has not been stopped."""
    with _running_lock:
        return list(_running)


@atexit.register
def _stop_leftovers():
    for server in running_instances():
        server.stop()


def launch(
    *args,
    binary=None,
    fixtures=None,
    lro_delay=None,
    auth=None,
    seed=None,
    control_token=None,
    tls=True,
    env=None,
    timeout=START_TIMEOUT,
):
    """Starts provmock on 127.0.0.1 with free ports (the binary picks them: `--port 0 --tls-port 0`, so parallel
    starts never clash) and returns a running `Provmock` once it answers health. `args` are extra flags. Options
    left None are not passed, so the binary's defaults and its PROVMOCK_* environment twins apply."""
    binary = binary or find_binary()
    cmd = [binary, "--host", "127.0.0.1", "--port", "0"]
    cmd += ["--tls-port", "0"] if tls else ["--no-tls"]
    for flag, value in (("--fixtures", fixtures), ("--lro-delay", lro_delay), ("--auth", auth), ("--seed", seed),
                        ("--control-token", control_token)):
        if value is not None and value != "":
            cmd += [flag, str(value)]
    cmd += [str(a) for a in args]
    token = control_token or _token_from_args(cmd) or (env or os.environ).get("PROVMOCK_CONTROL_TOKEN") or None
    child_env = dict(os.environ if env is None else env)
    log = tempfile.NamedTemporaryFile(prefix="provmock-", suffix=".log", delete=False)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=child_env)
    except OSError as e:
        log.close()
        os.unlink(log.name)
        raise ProvmockStartError(f"cannot run {binary}: {e}") from None
    log.close()
    server = Provmock._started(proc, cmd, log.name, token)
    server._wait_started(timeout)
    return server


class Provmock:
    """A running provmock. Attributes: `url` (http://127.0.0.1:PORT, REST and the control plane), `grpc_target`
    (127.0.0.1:PORT, h2c gRPC), `tls_target` (localhost:TLS_PORT, gRPC over TLS), `tls_url`, `ca_pem` (bytes, the
    generated CA of the TLS port), `port`, `tls_port`, `control_token`.

    Control-plane helpers raise `ProvmockError` naming the call, the HTTP status and the server's message."""

    def __init__(self, url, tls_port=None, control_token=None):
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname
        self.port = parsed.port
        self.tls_port = tls_port
        self.control_token = control_token
        self.process = None
        self.args = None
        self.log_path = None
        self._ca = None

    @classmethod
    def _started(cls, proc, cmd, log_path, token):
        self = cls("http://127.0.0.1:0", None, token)
        self.process, self.args, self.log_path = proc, cmd, log_path
        return self

    # -- addresses ---------------------------------------------------------------------------------------------
    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    base = url  # the conformance suite's older name

    @property
    def grpc_target(self):
        return f"{self.host}:{self.port}"

    @property
    def tls_target(self):
        return f"localhost:{self.tls_port}" if self.tls_port else None

    @property
    def tls_url(self):
        return f"https://localhost:{self.tls_port}" if self.tls_port else None

    @property
    def ca_pem(self):
        if self._ca is None:
            self._ca = self._call("GET", "/_mock/ca.pem", raw=True)
        return self._ca

    ca = ca_pem

    def __repr__(self):
        return f"<Provmock {self.url} tls={self.tls_target}>"

    # -- process -----------------------------------------------------------------------------------------------
    def _wait_started(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            m = _LISTENING.search(self.log())
            if m:
                self.host, self.port = m.group("host"), int(m.group("port"))
                tls = m.group("tls")
                self.tls_port = None if tls == "off" else int(tls.rsplit(":", 1)[1])
                break
            if self.process.poll() is not None:
                self._fail_start(f"provmock exited with code {self.process.returncode} at start")
            if time.monotonic() > deadline:
                self.stop(keep_log=True)
                self._fail_start(f"provmock did not report its ports within {timeout:.0f}s")
            time.sleep(0.01)
        with _running_lock:
            _running.add(self)
        while True:
            try:
                if self.health().get("status") == "ok":
                    return
            except ProvmockError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop(keep_log=True)
                self._fail_start(f"provmock did not answer GET /_mock/health within {timeout:.0f}s")
            time.sleep(0.02)

    def _fail_start(self, what):
        text = self.log()
        if self.log_path:
            try:
                os.unlink(self.log_path)
            except OSError:
                pass
            self.log_path = None
        raise ProvmockStartError(f"{what}\ncommand: {' '.join(self.args)}\nlog:\n{text[-6000:]}")

    def log(self, since=0):
        """The process's output (stderr and stdout) from byte offset `since`."""
        if not self.log_path:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log_path) if self.log_path else 0
        except OSError:
            return 0

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, keep_log=False):
        """SIGTERM (provmock drains and exits within a second), SIGKILL after 5 s. Idempotent."""
        with _running_lock:
            _running.discard(self)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if not keep_log and self.log_path:
            try:
                os.unlink(self.log_path)
            except OSError:
                pass
            self.log_path = None

    # -- the control plane -------------------------------------------------------------------------------------
    def _call(self, method, path, body=None, query=None, raw=False):
        if query:
            q = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items() if v is not None}
            if q:
                path = f"{path}?{urllib.parse.urlencode(q)}"
        call = f"{method} {path}"
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.control_token:
            headers["Authorization"] = f"Bearer {self.control_token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=CALL_TIMEOUT) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as e:
            payload = e.read()
            parsed, message = None, payload.decode(errors="replace")
            try:
                parsed = json.loads(payload)
                err = parsed.get("error", {}) if isinstance(parsed, dict) else {}
                if err:
                    message = f"{err.get('status', '')}: {err.get('message', '')}".lstrip(": ")
            except ValueError:
                pass
            raise ProvmockError(call, e.code, message, parsed) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ProvmockError(call, None, f"cannot reach provmock at {self.url}: {reason}") from None
        if raw:
            return payload
        return json.loads(payload) if payload else {}

    def health(self):
        """GET /_mock/health: status, version, port, tls_port, auth, now."""
        return self._call("GET", "/_mock/health")

    def reset(self, family=None):
        """POST /_mock/reset: back to the fixtures (world, operations, id sequence, clock); `family` resets one of
        channel, cloudidentity, scp, yandex."""
        self._call("POST", "/_mock/reset", query={"family": family})

    def fresh(self):
        """reset(), and no fault rules, operation policies or journal entries left: the state a test starts from."""
        self.reset()
        self.clear_faults()
        self.clear_policies()
        self.clear_journal()
        return self

    # operations
    def operations(self, family=None, kind=None, done=None):
        """GET /_mock/operations: the operations, optionally of one family, kind, or done state."""
        return self._call("GET", "/_mock/operations", query={"family": family, "kind": kind, "done": done})[
            "operations"
        ]

    @staticmethod
    def _op_path(op):
        if isinstance(op, dict):  # a REST client's operation
            op = op.get("name", "")
        elif hasattr(op, "operation"):  # google.api_core.operation.Operation (GAPIC clients)
            op = op.operation.name
        elif not isinstance(op, str):  # a longrunning / Yandex Operation message
            op = op.name if hasattr(op, "name") else op.id
        return "/_mock/operations/" + urllib.parse.quote(op, safe="/")

    def complete(self, name):
        """Finishes one pending operation now, successfully: a name (with or without Channel's `operations/`), an
        SCP job id, a REST client's operation dict, a GAPIC client's Operation or an Operation message."""
        return self._call("POST", self._op_path(name) + ":complete", body={})

    def fail(self, name, code="INTERNAL", message=None):
        """Finishes one pending operation with an error (`code` by name or number)."""
        body = {"code": code}
        if message is not None:
            body["message"] = message
        return self._call("POST", self._op_path(name) + ":fail", body=body)

    def flush(self):
        """Finishes every pending operation now; returns how many."""
        return self._call("POST", "/_mock/operations:flush", body={})["completed"]

    def policies(self):
        return self._call("GET", "/_mock/operations/policy")

    def set_policy(self, policy, kind=None):
        """How operations finish: "immediate", "manual", {"after_ms": N} or {"after_polls": N}; for one kind
        (e.g. "channel.provisionCloudIdentity") or, without `kind`, for all."""
        body = {"policy": policy}
        if kind is not None:
            body["kind"] = kind
        return self._call("PUT", "/_mock/operations/policy", body=body)

    def clear_policies(self):
        """Back to --lro-delay for every kind."""
        return self._call("DELETE", "/_mock/operations/policy")

    # faults
    def add_fault(self, match=None, error=None, **rule):
        """Adds a fault rule, e.g. add_fault({"method": "ImportCustomer"}, {"code": "UNAVAILABLE"}, times=2) or
        add_fault({"family": "scp"}, latency_ms=500); returns the rule (with its `id`)."""
        body = {"match": match or {}, **rule}
        if error is not None:
            body["error"] = error
        return self._call("POST", "/_mock/faults", body=body)

    def faults(self):
        """The fault rules with their hit counts."""
        return self._call("GET", "/_mock/faults")["rules"]

    def clear_faults(self, rule_id=None):
        """Removes one rule (by id or rule dict) or, without an argument, all."""
        if rule_id is None:
            return self._call("DELETE", "/_mock/faults")
        if isinstance(rule_id, dict):
            rule_id = rule_id["id"]
        return self._call("DELETE", f"/_mock/faults/{urllib.parse.quote(str(rule_id), safe='')}")

    # clock
    def clock(self):
        """{"now": RFC 3339, "mode": ...}."""
        return self._call("GET", "/_mock/clock")

    def freeze_clock(self, now):
        """Stops provmock's clock at `now` (RFC 3339 string or an aware datetime)."""
        if hasattr(now, "isoformat"):
            now = now.isoformat()
        return self._call("PUT", "/_mock/clock", body={"now": now})

    def advance_clock(self, seconds):
        """Moves provmock's clock forward (operation deadlines, token expiry and SCP version dates follow)."""
        if hasattr(seconds, "total_seconds"):
            seconds = seconds.total_seconds()
        return self._call("POST", "/_mock/clock:advance", body={"seconds": seconds})

    def real_clock(self):
        """Back to real time."""
        return self._call("DELETE", "/_mock/clock")

    # journal and mail
    def journal(self, family=None, method=None, path=None, status=None, limit=None):
        """Recorded API requests, filtered like GET /_mock/journal."""
        q = {"family": family, "method": method, "path": path, "status": status, "limit": limit}
        return self._call("GET", "/_mock/journal", query=q)["entries"]

    def journal_count(self, family=None, method=None, path=None, status=None):
        q = {"family": family, "method": method, "path": path, "status": status}
        return self._call("GET", "/_mock/journal:count", query=q)["count"]

    def clear_journal(self):
        return self._call("DELETE", "/_mock/journal")

    def mail(self):
        """Every invitation email that would have been sent: [{"to", "customer", "time", "count"}]."""
        return self._call("GET", "/_mock/mail")["mail"]

    # state
    def export_state(self):
        """GET /_mock/state: the world and operations (the fixtures format, secrets only as hashes)."""
        return self._call("GET", "/_mock/state")

    def import_state(self, document):
        """PUT /_mock/state: replaces the world and operations (an export or a fixtures document)."""
        return self._call("PUT", "/_mock/state", body=document)

    # directory steering
    def add_consumer_account(self, email):
        """An unmanaged Google consumer account (what an invitation can go to)."""
        return self._call("POST", "/_mock/google/consumer-accounts", body={"email": email})

    def accept_invitation(self, customer, email):
        """The invited user accepts (customer "C00000000" or "customers/C00000000")."""
        return self._invitation(customer, email, "accept")

    def decline_invitation(self, customer, email):
        return self._invitation(customer, email, "decline")

    def _invitation(self, customer, email, verb):
        c = customer.split("/", 1)[1] if customer.startswith("customers/") else customer
        path = f"/_mock/invitations/customers/{c}/userinvitations/{urllib.parse.quote(email, safe='@+')}:{verb}"
        return self._call("POST", path, body={})

    # -- ready-made clients (each imports its SDK only when called) -------------------------------------------
    def channel_rest(self, version="v1", **kwargs):
        from . import clients

        return clients.channel_rest(self, version, **kwargs)

    def cloudidentity_rest(self, version="v1", **kwargs):
        from . import clients

        return clients.cloudidentity_rest(self, version, **kwargs)

    def channel_grpc(self, **kwargs):
        from . import clients

        return clients.channel_grpc(self, **kwargs)

    def yandex_sdk(self, **kwargs):
        from . import clients

        return clients.yandex_sdk(self, **kwargs)

    def scp_auth(self, access_key="AKTEST", secret_key="SKTEST", account_id=""):
        from . import clients

        return clients.ScpAuth(access_key, secret_key, account_id)
