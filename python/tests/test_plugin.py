"""The pytest plugin and the control-plane helpers, against the installed wheel's binary."""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request

import pytest

import provmock as pm
from conftest import ROOT

WAIT = 10


def http(method, url, body=None, headers=None):
    """(status, parsed JSON body) for one plain request."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def cargo_version():
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        return re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)


# ---------- the session fixture and the wheel ----------


def test_session_fixture_has_urls_targets_and_the_ca(provmock):
    health = provmock.health()
    assert health["status"] == "ok"
    assert provmock.url == f"http://127.0.0.1:{health['port']}"
    assert provmock.grpc_target == f"127.0.0.1:{health['port']}"
    assert provmock.tls_target == f"localhost:{health['tls_port']}"
    assert provmock.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert provmock.running


def test_runs_from_the_installed_wheel_with_the_crates_version(provmock):
    assert not os.path.abspath(pm.__file__).startswith(os.path.join(ROOT, "python")), pm.__file__
    assert importlib.metadata.version("provmock") == pm.__version__ == cargo_version()
    assert provmock.health()["version"] == cargo_version()
    if not os.environ.get("PROVMOCK_BIN"):
        assert pm.find_binary() == os.path.join(sysconfig.get_path("scripts"), "provmock")
        assert provmock.args[0] == pm.find_binary()
    out = subprocess.run([sys.executable, "-m", "provmock", "--version"], capture_output=True, text=True, timeout=WAIT)
    assert out.returncode == 0 and cargo_version() in out.stdout


# ---------- helpers over the control plane ----------

ACCOUNT = "accounts/C01234567"
UNPROVISIONED = f"{ACCOUNT}/customers/S0NEWCUSTOMER1"


def import_altostrat(server):
    return http("POST", f"{server.url}/v1/{ACCOUNT}/customers:import", {"domain": "altostrat.com"})


def provision(server):
    status, op = http("POST", f"{server.url}/v1/{UNPROVISIONED}:provisionCloudIdentity",
                      {"cloudIdentityInfo": {"customerType": "DOMAIN"}, "user": {"email": "admin@example.org"}})
    assert status == 200, op
    return op


def test_fresh_method_resets_world_faults_policies_and_journal(provmock):
    provmock.reset()
    assert import_altostrat(provmock)[0] == 200
    provmock.add_fault({"method": "GetCustomer"}, {"code": "UNAVAILABLE"})
    provmock.set_policy("manual")
    assert provmock.journal_count() >= 1
    assert provmock.fresh() is provmock
    assert provmock.faults() == [] and provmock.journal_count() == 0
    assert provmock.policies()["kinds"] == {} and provmock.policies()["default"] != "manual"
    assert import_altostrat(provmock)[0] == 200  # the import was forgotten: no ALREADY_EXISTS


def test_reset_of_one_family(provmock_fresh):
    assert import_altostrat(provmock_fresh)[0] == 200
    provmock_fresh.reset(family="scp")
    assert import_altostrat(provmock_fresh)[0] == 409
    provmock_fresh.reset(family="channel")
    assert import_altostrat(provmock_fresh)[0] == 200


def test_complete_and_fail_operations(provmock_fresh):
    provmock_fresh.set_policy("manual", kind="channel.provisionCloudIdentity")
    op = provision(provmock_fresh)
    assert not op.get("done")
    assert [o["name"] for o in provmock_fresh.operations(family="channel", done=False)] == [op["name"]]
    provmock_fresh.complete(op)
    status, got = http("GET", f"{provmock_fresh.url}/v1/{op['name']}")
    assert got["done"] and got["response"]["cloudIdentityId"]

    provmock_fresh.reset()
    op = provision(provmock_fresh)
    provmock_fresh.fail(op["name"], "RESOURCE_EXHAUSTED", "quota")
    status, got = http("GET", f"{provmock_fresh.url}/v1/{op['name']}")
    assert got["done"] and got["error"]["code"] == 8 and got["error"]["message"] == "quota"


def test_flush_finishes_every_pending_operation(provmock_fresh):
    provmock_fresh.set_policy("manual")
    provision(provmock_fresh)
    assert len(provmock_fresh.operations(done=False)) == 1
    assert provmock_fresh.flush() == 1
    assert provmock_fresh.operations(done=False) == []
    assert len(provmock_fresh.operations(done=True)) == 1


def test_policy_after_polls(provmock_fresh):
    provmock_fresh.set_policy({"after_polls": 2}, kind="channel.provisionCloudIdentity")
    assert provmock_fresh.policies()["kinds"]["channel.provisionCloudIdentity"] == {"after_polls": 2}
    op = provision(provmock_fresh)
    assert not http("GET", f"{provmock_fresh.url}/v1/{op['name']}")[1].get("done")
    assert http("GET", f"{provmock_fresh.url}/v1/{op['name']}")[1]["done"]


def test_fault_rules(provmock_fresh):
    rule = provmock_fresh.add_fault({"method": "channel.ImportCustomer"}, {"code": "UNAVAILABLE"}, times=1)
    status, body = import_altostrat(provmock_fresh)
    assert status == 503 and body["error"]["status"] == "UNAVAILABLE"
    assert import_altostrat(provmock_fresh)[0] == 200
    (listed,) = provmock_fresh.faults()
    assert listed["id"] == rule["id"] and listed["hits"] == 1
    provmock_fresh.add_fault({"family": "scp"}, latency_ms=1)
    provmock_fresh.clear_faults(rule)
    assert [r["match"] for r in provmock_fresh.faults()] == [{"family": "scp"}]
    provmock_fresh.clear_faults()
    assert provmock_fresh.faults() == []


def test_clock(provmock_fresh):
    frozen = provmock_fresh.freeze_clock("2030-01-01T00:00:00Z")
    assert frozen["now"].startswith("2030-01-01T00:00:00")
    assert provmock_fresh.advance_clock(3600)["now"].startswith("2030-01-01T01:00:00")
    status, customer = import_altostrat(provmock_fresh)
    assert customer["createTime"].startswith("2030-01-01T01:00:00")
    mode = provmock_fresh.clock()["mode"]
    assert provmock_fresh.real_clock()["mode"] != mode
    assert not provmock_fresh.clock()["now"].startswith("2030")


def test_journal(provmock_fresh):
    http("GET", f"{provmock_fresh.url}/v1/{UNPROVISIONED}")
    import_altostrat(provmock_fresh)
    entries = provmock_fresh.journal(method="GET")
    assert [(e["method"], e["status"]) for e in entries] == [("GET", 200)]
    assert provmock_fresh.journal_count() == 2
    assert provmock_fresh.journal_count(method="POST", path="/v1/accounts/*/customers:import") == 1
    assert len(provmock_fresh.journal(limit=1)) == 1
    provmock_fresh.clear_journal()
    assert provmock_fresh.journal_count() == 0


def test_mail_consumer_accounts_and_invitations(provmock_fresh):
    base = f"{provmock_fresh.url}/v1/customers/C00000000/userinvitations"
    provmock_fresh.add_consumer_account("newbie@altostrat.com")
    assert http("GET", f"{base}/newbie@altostrat.com")[1]["state"] == "NOT_YET_SENT"
    assert http("POST", f"{base}/newbie@altostrat.com:send", {})[0] == 200
    assert [(m["to"], m["count"]) for m in provmock_fresh.mail()] == [("newbie@altostrat.com", 1)]
    provmock_fresh.accept_invitation("customers/C00000000", "newbie@altostrat.com")
    assert http("GET", f"{base}/newbie@altostrat.com")[1]["state"] == "ACCEPTED"
    http("POST", f"{base}/writer@altostrat.com:send", {})
    provmock_fresh.decline_invitation("C00000000", "writer@altostrat.com")
    assert http("GET", f"{base}/writer@altostrat.com")[1]["state"] == "DECLINED"


def test_export_and_import_state(provmock_fresh):
    before = provmock_fresh.export_state()
    assert import_altostrat(provmock_fresh)[0] == 200
    after = provmock_fresh.export_state()
    assert len(after["google"]["customers"]) == len(before["google"]["customers"]) + 1
    provmock_fresh.import_state(before)
    assert provmock_fresh.export_state()["google"]["customers"] == before["google"]["customers"]
    assert import_altostrat(provmock_fresh)[0] == 200


def test_errors_name_the_call_status_and_message(provmock_fresh):
    with pytest.raises(pm.ProvmockError) as e:
        provmock_fresh.complete("operations/provision-nope")
    assert e.value.call == "POST /_mock/operations/operations/provision-nope:complete"
    assert e.value.status == 404
    assert "NOT_FOUND" in e.value.message and "provision-nope" in e.value.message
    assert str(e.value).startswith("POST /_mock/operations/operations/provision-nope:complete -> HTTP 404: NOT_FOUND")

    with pytest.raises(pm.ProvmockError) as e:
        provmock_fresh.import_state({"google": {"customers": [{"bogus": 1}]}})
    assert (e.value.call, e.value.status) == ("PUT /_mock/state", 400)
    assert "google.customers[0]" in e.value.message

    with pytest.raises(pm.ProvmockError) as e:
        provmock_fresh.add_consumer_account("writer@altostrat.com")
    assert e.value.status == 409 and "ALREADY_EXISTS" in e.value.message

    with pytest.raises(pm.ProvmockError) as e:
        pm.Provmock("http://127.0.0.1:9").health()
    assert e.value.status is None and "cannot reach provmock" in str(e.value)


# ---------- the control token ----------


def test_control_token_is_sent_by_every_helper(provmock_factory):
    server = provmock_factory(control_token="s3cret")
    assert server.control_token == "s3cret"
    assert http("GET", f"{server.url}/_mock/health")[0] == 200
    status, body = http("POST", f"{server.url}/_mock/reset")
    assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    server.fresh()
    server.add_fault({"family": "scp"}, latency_ms=1)
    assert len(server.faults()) == 1 and server.journal() == [] and server.mail() == []
    assert server.export_state()["google"] and server.clock()["now"]
    assert server.ca_pem.startswith(b"-----BEGIN")
    with pytest.raises(pm.ProvmockError) as e:
        pm.Provmock(server.url, control_token="wrong").reset()
    assert e.value.status == 401 and "UNAUTHENTICATED" in str(e.value)


def test_control_token_given_as_a_flag_is_known_to_the_handle(provmock_factory):
    server = provmock_factory("--control-token", "flag-token")
    assert server.control_token == "flag-token"
    server.reset()


# ---------- the plugin in a pytest run of its own (pytester) ----------


def run(pytester, *args, timeout=120):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=timeout)


def test_fresh_fixture_isolates_tests(pytester):
    pytester.makepyfile(
        """
        import json, urllib.request

        def post(url, body):
            req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
            return urllib.request.urlopen(req, timeout=10).status

        def test_dirty(provmock_fresh):
            provmock_fresh.add_fault({"method": "GetCustomer"}, {"code": "NOT_FOUND"})
            provmock_fresh.set_policy("manual")
            assert post(provmock_fresh.url + "/v1/accounts/C01234567/customers:import", {"domain": "altostrat.com"}) == 200

        def test_clean(provmock_fresh, provmock):
            assert provmock_fresh is provmock
            assert provmock.faults() == [] and provmock.journal_count() == 0
            assert provmock.policies()["kinds"] == {}
            assert post(provmock.url + "/v1/accounts/C01234567/customers:import", {"domain": "altostrat.com"}) == 200
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_command_line_options_reach_the_binary(pytester, tmp_path):
    pytester.makepyfile(
        f"""
        import json, urllib.error, urllib.request

        def test_options(provmock):
            assert provmock.health()["auth"] == "strict"
            assert provmock.control_token == "cli-token"
            try:
                urllib.request.urlopen(urllib.request.Request(provmock.url + "/_mock/reset", method="POST"), timeout=10)
                raise AssertionError("reset without the token was accepted")
            except urllib.error.HTTPError as e:
                assert e.code == 401
            provmock.reset()
            req = urllib.request.Request(
                provmock.url + "/v1/accounts/C01234567/customers/S0NEWCUSTOMER1:provisionCloudIdentity",
                data=json.dumps({{"user": {{"email": "admin@example.org"}}}}).encode(), method="POST",
                headers={{"Authorization": "Bearer reseller-one-token"}})
            op = json.loads(urllib.request.urlopen(req, timeout=10).read())
            assert op["done"], op  # --provmock-lro-delay 0
            with open({str(tmp_path / "names")!r}, "a") as f:
                f.write(op["name"] + "\\n")
        """
    )
    for _ in range(2):
        run(pytester, "--provmock-auth", "strict", "--provmock-lro-delay", "0", "--provmock-seed", "42",
            "--provmock-control-token", "cli-token").assert_outcomes(passed=1)
    names = (tmp_path / "names").read_text().split()
    assert len(names) == 2 and names[0] == names[1], names  # the same seed, the same operation name


def test_ini_options_and_the_token_from_the_environment(pytester, monkeypatch):
    pytester.makefile(".json", world=json.dumps({"google": {"accounts": [{"id": "C09999999", "display_name": "Mine"}]}}))
    pytester.makeini(
        """
        [pytest]
        provmock_fixtures = world.json
        provmock_lro_delay = 7s
        provmock_auth = permissive
        """
    )
    monkeypatch.setenv("PROVMOCK_CONTROL_TOKEN", "env-token")
    pytester.makepyfile(
        """
        def test_ini(provmock):
            assert provmock.control_token == "env-token"
            assert [a["id"] for a in provmock.export_state()["google"]["accounts"]] == ["C09999999"]
            assert provmock.health()["auth"] == "permissive"
            assert "--lro-delay" in provmock.args and "7s" in provmock.args
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_a_start_failure_shows_the_exit_code_and_the_log(pytester):
    pytester.makefile(".json", bad='{"google": {"accounts": [{"id": 5}]}}')
    pytester.makepyfile("def test_x(provmock):\n    pass\n")
    result = run(pytester, "--provmock-fixtures", "bad.json")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "provmock exited with code 2 at start" in out
    assert "bad.json" in out and "google.accounts[0]" in out


def test_a_missing_binary_is_named(pytester, monkeypatch):
    monkeypatch.setenv("PROVMOCK_BIN", "/nonexistent/provmock")
    pytester.makepyfile("def test_x(provmock):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    assert "cannot run /nonexistent/provmock" in result.stdout.str()


def test_a_failing_test_shows_what_provmock_logged_during_it(pytester):
    pytester.makepyfile(
        """
        import urllib.request

        def test_before(provmock):
            urllib.request.urlopen(provmock.url + "/v1/accounts/C01234567/customers?pageSize=1", timeout=10)

        def test_fails(provmock):
            urllib.request.urlopen(provmock.url + "/v1/accounts/C01234567/customers?pageSize=2", timeout=10)
            assert False, "on purpose"
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert re.search(r"provmock log http://127\.0\.0\.1:\d+ \(call\)", out), out
    assert "pageSize=2" in out
    assert "pageSize=1" not in out  # only what happened during the failing test


def test_the_session_stops_provmock(pytester, tmp_path):
    pidfile = tmp_path / "pid"
    pytester.makepyfile(
        f"""
        def test_pid(provmock):
            open({str(pidfile)!r}, "w").write(str(provmock.process.pid))
        """
    )
    run(pytester).assert_outcomes(passed=1)
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + WAIT
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, f"provmock {pid} still running after the session"
        time.sleep(0.05)


def test_one_instance_per_xdist_worker(pytester, tmp_path):
    pytester.makepyfile(
        f"""
        import os, time
        import pytest

        @pytest.mark.parametrize("i", range(8))
        def test_worker(provmock_fresh, i):
            time.sleep(0.05)
            with open(os.path.join({str(tmp_path)!r}, os.environ["PYTEST_XDIST_WORKER"]), "a") as f:
                f.write(f"{{provmock_fresh.url}} {{provmock_fresh.process.pid}}\\n")
        """
    )
    run(pytester, "-n", "2").assert_outcomes(passed=8)
    per_worker = {p.name: set(p.read_text().split("\n")) - {""} for p in tmp_path.iterdir()}
    assert sorted(per_worker) == ["gw0", "gw1"], per_worker
    assert all(len(seen) == 1 for seen in per_worker.values()), per_worker
    (a,), (b,) = per_worker.values()
    assert a.split()[0] != b.split()[0] and a.split()[1] != b.split()[1]


def test_plugin_imports_no_sdk_and_names_a_missing_one():
    code = """
import sys
sys.modules["yandexcloud"] = None  # as if not installed
import provmock, provmock.plugin, provmock.clients
heavy = [m for m in ("googleapiclient", "grpc", "yandexcloud", "requests", "google.cloud.channel_v1")
         if sys.modules.get(m) is not None]
assert heavy == [], heavy
try:
    provmock.clients.yandex_sdk(provmock.Provmock("http://127.0.0.1:9", 10))
except ImportError as e:
    assert "yandex_sdk needs yandexcloud (pip install yandexcloud)" in str(e), e
else:
    raise AssertionError("no ImportError")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=WAIT)
    assert out.returncode == 0, out.stderr
