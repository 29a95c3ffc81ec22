"""SCP Cloud Control account factory, driven the way SCP's Go SDK and Terraform provider do it. No SCP SDK exists on
PyPI, so the signer below is written from the contract (shared/contracts/scp-cloudcontrol.md §1) and checked against
its three test vectors before it is used."""

import base64
import concurrent.futures
import hashlib
import hmac
import time

import pytest
import requests

LZ = "2c8a138f8d78e1fc29a449dbfa8681"
OU = "ou-b30e9fcc39f84a20bf9e7458e5ec3801"
SECURITY_OU = "ou-5ec0a1b2c3d4e5f60718293a4b5c6d7e"


def sign(secret, method, url, timestamp, access_key, account_id=""):
    msg = (method + url + timestamp + access_key + account_id + "Openapi").encode()
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()


def test_signer_reproduces_the_contract_vectors():
    ts = "1767225600000"
    assert sign("SKTEST", "POST", "https://cloudcontrol.e.samsungsdscloud.com/v1/accounts", ts, "AKTEST") == (
        "/GqR9RwJ11xwz69UuaCf4qB9j6HcJuKKUbnppzIZlWo="
    )
    assert sign(
        "SKTEST",
        "GET",
        "https://organization.e.samsungsdscloud.com/v1/organization-accounts/abc?lazy_policy=true",
        ts,
        "AKTEST",
    ) == "k+U0wfR/6dpM1LZwBmuWfpP7I91tOorrLafpOvqQZ8c="
    assert sign("SKTEST", "POST", "https://cloudcontrol.e.samsungsdscloud.com/v1/accounts", ts, "AKTEST", "acc123") == (
        "Fqj50Q1ZuVxj/umalGAd7dThzoS+a9K4wVTl/bEUppo="
    )


@pytest.fixture
def permissive(fresh):
    """The suite's permissive provmock (conftest.py), reset; its base URL."""
    return fresh.url


@pytest.fixture
def strict(strict):
    """The suite's `--auth strict` provmock (conftest.py), reset; its base URL."""
    return strict.url


def _body(name, **extra):
    return {"email": f"{name}@example.com", "landing_zone_id": LZ, "name": name, "parent_unit_id": OU,
            "sso_user_email": None, "sso_user_name": None, "sso_user_real_name": None, **extra}


def _signed_headers(base, method, path, key="AKTEST", secret="SKTEST", ts=None):
    ts = ts or str(int(time.time() * 1000))
    return {
        "Scp-AccessKey": key,
        "Scp-Signature": sign(secret, method, base + path, ts, key),
        "Scp-Timestamp": ts,
        "Scp-ClientType": "Openapi",
        "Scp-AccountId": "",
        "Scp-API-Version": "cloudcontrol 1.2",
    }


def _error(resp, status):
    assert resp.status_code == status, resp.text
    err = resp.json()["errors"][0]
    assert {"detail", "code", "title"} <= set(err)
    return err["detail"]


def test_the_documented_sample_works_verbatim(permissive):
    headers = {
        "Scp-Accesskey": "2a6b3c3d4e5f",
        "Scp-Signature": "aGVsbG8=",
        "Scp-Timestamp": "1767225600000",
        "Scp-ClientType": "Openapi",
        "Accept-Language": "ko-KR",
        "Scp-Api-Version": "cloudcontrol 1.2",
    }
    r = requests.post(f"{permissive}/v1/accounts", json=_body("sample-account"), headers=headers, timeout=5)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["account_id"]) == 32 and body["account_id"].isalnum() and body["account_id"].islower()
    assert len(body["job_id"]) == 32 and all(c in "0123456789abcdef" for c in body["job_id"])


def test_strict_mode_checks_every_part_of_the_signature(strict):
    path = "/v1/accounts"
    ok = requests.post(strict + path, json=_body("signed"), headers=_signed_headers(strict, "POST", path), timeout=5)
    assert ok.status_code == 201, ok.text
    cases = {
        "unknown key": _signed_headers(strict, "POST", path, key="AKNOPE"),
        "bad signature": _signed_headers(strict, "POST", path, secret="WRONG"),
        "stale timestamp": _signed_headers(strict, "POST", path, ts=str(int(time.time() * 1000) - 600_000)),
    }
    missing = _signed_headers(strict, "POST", path)
    del missing["Scp-Signature"]
    cases["missing header"] = missing
    for what, headers in cases.items():
        detail = _error(requests.post(strict + path, json=_body("x" + what[:3]), headers=headers, timeout=5), 401)
        assert detail, what


def test_each_error_status(permissive):
    post = lambda body: requests.post(f"{permissive}/v1/accounts", json=body, timeout=5)  # noqa: E731
    for field in ("name", "landing_zone_id", "parent_unit_id"):
        body = _body("missing")
        del body[field]
        assert field in _error(post(body), 400)
    typed = _body("typed")
    typed["name"] = 42
    assert "name" in _error(post(typed), 400)
    assert "bad-email" in _error(post(_body("mail", email="bad-email")), 400)
    malformed = requests.post(f"{permissive}/v1/accounts", data="{\"name\":", timeout=5,
                              headers={"Content-Type": "application/json"})
    _error(malformed, 400)
    assert "nolz" in _error(post(_body("lz", landing_zone_id="nolz")), 404)
    assert "ou-nope" in _error(post(_body("ou", parent_unit_id="ou-nope")), 404)
    _error(post(_body("sec", parent_unit_id=SECURITY_OU)), 403)
    assert post(_body("taken")).status_code == 201
    _error(post(_body("TAKEN", email="other@example.com")), 409)
    _error(post(_body("other", email="taken@example.com")), 409)


def test_versions_follow_provmocks_clock(permissive):
    def create(version, name):
        return requests.post(f"{permissive}/v1/accounts", json=_body(name), timeout=5,
                             headers={"Scp-API-Version": version})

    requests.put(f"{permissive}/_mock/clock", json={"now": "2026-06-20T00:00:00Z"}, timeout=5).raise_for_status()
    early = create("cloudcontrol 1.1", "early")
    assert early.status_code == 201, early.text
    assert "2026-06-30" in early.headers["Warning"] and "10 days left" in early.headers["Warning"]
    assert "2025-12-31" in _error(create("cloudcontrol 1.0", "old"), 400)
    requests.put(f"{permissive}/_mock/clock", json={"now": "2026-07-01T00:00:00Z"}, timeout=5).raise_for_status()
    detail = _error(create("cloudcontrol 1.1", "late"), 400)
    assert "1.1" in detail and "DEPRECATED" in detail and "2026-06-30" in detail
    _error(create("cloudcontrol 9.9", "unknown"), 400)
    _error(create("billing 1.2", "service"), 400)
    assert create("cloudcontrol 1.2", "current").status_code == 201
    versions = requests.get(f"{permissive}/", timeout=5).json()["versions"]
    assert [(v["id"], v["status"], v["not_before"]) for v in versions] == [
        ("v1.2", "CURRENT", ""), ("v1.1", "DEPRECATED", "2026-06-30"), ("v1.0", "DEPRECATED", "2025-12-31")]


def test_poll_organization_until_active_like_terraform(permissive):
    created = requests.post(f"{permissive}/v1/accounts", json=_body("polled"), timeout=5).json()
    url = f"{permissive}/v1/organization-accounts/{created['account_id']}"
    states = []
    for _ in range(100):
        account = requests.get(url, headers={"Scp-API-Version": "organization 1.1"}, timeout=5).json()["account"]
        states.append(account["state"])
        if account["state"] == "ACTIVE":
            break
        time.sleep(0.1)
    assert states[0] == "PENDING" and states[-1] == "ACTIVE", states
    assert account["joined_method"] == "CLOUD_CONTROL" and account["type"] == "MEMBER"
    assert account["parent_unit_id"] == OU

    doomed = requests.post(f"{permissive}/v1/accounts", json=_body("doomed"), timeout=5).json()
    requests.post(f"{permissive}/_mock/operations/{doomed['job_id']}:fail", json={"code": "INTERNAL"},
                  timeout=5).raise_for_status()
    failed = requests.get(f"{permissive}/v1/organization-accounts/{doomed['account_id']}", timeout=5).json()
    assert failed["account"]["state"] == "CREATE_FAILED"
    listed = requests.get(f"{permissive}/v1/organization-accounts?size=20&page=0&sort=created_at:desc&name=doomed",
                          timeout=5).json()
    assert [a["id"] for a in listed["accounts"]] == [doomed["account_id"]]


def test_twenty_parallel_creates_of_one_name(permissive):
    def create(i):
        return requests.post(f"{permissive}/v1/accounts", json=_body("racer", email=f"racer{i}@example.com"),
                             timeout=10).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, range(20)))
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 19, statuses
