"""Hardening, seen from real clients:

* gRPC server reflection answers while the client keeps its stream open (grpcio-reflection's stub and its
  `ProtoReflectionDescriptorDatabase`), and describes all 49 RPCs of CloudChannelService; the 41 provmock does not
  implement answer UNIMPLEMENTED naming the RPC (google-cloud-channel's GAPIC client).
* SCP signatures verify over HTTP/2 — TLS with ALPN h2 and h2c with prior knowledge — as over HTTP/1.1 (httpx).
* SCP Organization 1.2, as the public Python SDK `scpv2-sdk` sends it, signed by the SDK itself in strict auth.
* Yandex RPCs carry `x-request-id` / `x-server-trace-id` as response headers on success and error (grpcio, and the
  Yandex Node SDK's `ApiError`).
* `--control-token` locks `/_mock/` but not health, the CA or the APIs.
"""

import base64
import concurrent.futures
import hashlib
import hmac
import json
import os
import queue
import select
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid

import google.api_core.exceptions as gexc
import grpc
import httpx
import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import channel_v1
from google.cloud.channel_v1.services.cloud_channel_service.transports import CloudChannelServiceGrpcTransport
from google.protobuf import descriptor_pb2, descriptor_pool
from googleapiclient.discovery import build
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from yandex.cloud.organizationmanager.v1.idp import user_service_pb2, user_service_pb2_grpc

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
CHANNEL_SERVICE = "google.cloud.channel.v1.CloudChannelService"
ACCOUNT = "accounts/C01234567"
LZ = "2c8a138f8d78e1fc29a449dbfa8681"
OU = "ou-b30e9fcc39f84a20bf9e7458e5ec3801"
YANDEX_POOL = "ek0provmockpool00001"
YANDEX_IAM_TOKEN = "provmock-iam-token"
WAIT = 5.0  # seconds for any single answer


def _unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---------- 1. gRPC reflection on an open stream; UNIMPLEMENTED for the other RPCs ----------


class _OpenStream:
    """A reflection stream whose request iterator stays open (a generator blocked on a queue) until `close()`."""

    def __init__(self, channel, method):
        self._q = queue.Queue()
        call = channel.stream_stream(
            method,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        self._responses = call(self._requests(), timeout=30)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    def _requests(self):
        while True:
            try:
                item = self._q.get(timeout=30)
            except queue.Empty:
                return
            if item is None:
                return
            yield item

    def ask(self, request):
        """Sends one request and waits (bounded) for its answer; the request stream is still open meanwhile."""
        self._q.put(request)
        try:
            return self._pool.submit(next, self._responses).result(timeout=WAIT)
        except concurrent.futures.TimeoutError:
            pytest.fail(f"no reflection answer within {WAIT}s while the request stream is open ({request})")

    def close(self):
        """Half-closes; the server then ends the call with OK."""
        self._q.put(None)
        rest = self._pool.submit(list, self._responses).result(timeout=WAIT)
        assert rest == [], rest
        assert self._responses.code() == grpc.StatusCode.OK

    def cancel(self):
        self._q.put(None)
        self._responses.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _service_from(response, service):
    assert response.WhichOneof("message_response") == "file_descriptor_response", response
    package, _, name = service.rpartition(".")
    for raw in response.file_descriptor_response.file_descriptor_proto:
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        if fd.package == package:
            for svc in fd.service:
                if svc.name == name:
                    return svc
    pytest.fail(f"{service} is not in the files reflection returned")


# grpcio-reflection ships only the v1alpha stubs; v1 has the same messages, so the same stream speaks both.
@pytest.mark.parametrize("method", [
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
])
def test_reflection_answers_each_request_while_the_stream_is_open(fresh, method):
    channel = grpc.insecure_channel(f"127.0.0.1:{fresh.port}")
    stream = _OpenStream(channel, method)
    try:
        listed = stream.ask(reflection_pb2.ServerReflectionRequest(list_services=""))
        names = {s.name for s in listed.list_services_response.service}
        assert {
            CHANNEL_SERVICE,
            "google.longrunning.Operations",
            "yandex.cloud.organizationmanager.v1.idp.UserService",
            "yandex.cloud.organizationmanager.v1.idp.UserpoolService",
        } <= names, names
        # Same stream, still open: the Channel service's file, with every RPC the real service has.
        got = stream.ask(reflection_pb2.ServerReflectionRequest(file_containing_symbol=CHANNEL_SERVICE))
        svc = _service_from(got, CHANNEL_SERVICE)
        methods = {m.name for m in svc.method}
        assert len(svc.method) == 49, sorted(methods)
        assert {"ListCustomers", "ProvisionCloudIdentity", "ListEntitlements", "ChangeOffer"} <= methods
        stream.close()
    except BaseException:
        stream.cancel()
        raise
    finally:
        channel.close()


def test_reflection_unknown_symbol_is_an_error_response_and_the_stream_goes_on(fresh):
    channel = grpc.insecure_channel(f"127.0.0.1:{fresh.port}")
    stream = _OpenStream(channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    try:
        try:
            missing = stream.ask(reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Service"))
        except grpc.RpcError as e:
            pytest.fail(f"the stream ended with {e.code()} instead of answering an ErrorResponse")
        assert missing.WhichOneof("message_response") == "error_response"
        assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
        listed = stream.ask(reflection_pb2.ServerReflectionRequest(list_services=""))
        assert listed.list_services_response.service
        stream.close()
    except BaseException:
        stream.cancel()
        raise
    finally:
        channel.close()


def test_reflection_descriptor_pool_finds_the_channel_service(fresh):
    with grpc.insecure_channel(f"127.0.0.1:{fresh.port}") as channel:
        db = ProtoReflectionDescriptorDatabase(channel)
        assert CHANNEL_SERVICE in db.get_services()
        pool = descriptor_pool.DescriptorPool(db)
        svc = pool.FindServiceByName(CHANNEL_SERVICE)
        assert len(svc.methods) == 49
        list_entitlements = svc.methods_by_name["ListEntitlements"]
        assert list_entitlements.input_type.full_name == "google.cloud.channel.v1.ListEntitlementsRequest"
        # The imports resolved too: a message from another file of the service.
        assert pool.FindMessageTypeByName("google.cloud.channel.v1.Customer").fields_by_name["domain"]


def test_an_unimplemented_rpc_answers_unimplemented_naming_it(fresh):
    with grpc.insecure_channel(f"127.0.0.1:{fresh.port}") as channel:
        client = channel_v1.CloudChannelServiceClient(transport=CloudChannelServiceGrpcTransport(channel=channel))
        with pytest.raises(gexc.MethodNotImplemented) as e:
            client.list_sku_groups(request={"parent": ACCOUNT}, timeout=10)
        assert e.value.grpc_status_code == grpc.StatusCode.UNIMPLEMENTED
        assert "ListSkuGroups" in e.value.message, e.value.message
        # An implemented RPC on the same channel still works.
        page = client.list_customers(request={"parent": ACCOUNT}, timeout=10)
        assert page.customers


# ---------- 2. SCP signatures over HTTP/2 ----------


def _scp_sign(secret, method, url, timestamp, access_key, account_id=""):
    # The contract's signer, as in test_scp_account_factory.py (checked there against the contract's vectors).
    msg = (method + url + timestamp + access_key + account_id + "Openapi").encode()
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()


def _scp_headers(method, url, key="AKTEST", secret="SKTEST"):
    ts = str(int(time.time() * 1000))
    return {
        "Scp-AccessKey": key,
        "Scp-Signature": _scp_sign(secret, method, url, ts, key),
        "Scp-Timestamp": ts,
        "Scp-ClientType": "Openapi",
        "Scp-AccountId": "",
        "Scp-API-Version": "cloudcontrol 1.2",
    }


def _account_body(name):
    return {"name": name, "email": f"{name}@example.com", "landing_zone_id": LZ, "parent_unit_id": OU}


@pytest.mark.parametrize("transport", ["https-h2", "https-http1.1", "h2c"])
def test_scp_signature_verifies_over_each_transport(strict, transport):
    if transport == "h2c":
        base, client = strict.base, httpx.Client(http1=False, http2=True, timeout=WAIT)
    else:
        ctx = ssl.create_default_context(cadata=strict.ca.decode())
        base = f"https://localhost:{strict.tls_port}"
        client = httpx.Client(http2=transport == "https-h2", http1=True, verify=ctx, timeout=WAIT)
    want = "HTTP/1.1" if transport == "https-http1.1" else "HTTP/2"
    url = f"{base}/v1/accounts"
    with client:
        name = _unique("h2")
        r = client.post(url, json=_account_body(name), headers=_scp_headers("POST", url))
        assert r.http_version == want
        assert r.status_code == 201, r.text
        assert len(r.json()["account_id"]) == 32
        # Strict auth really checks the signature on this transport: a wrong secret is refused.
        bad = client.post(url, json=_account_body(_unique("h2bad")), headers=_scp_headers("POST", url, secret="WRONG"))
        assert bad.http_version == want
        assert bad.status_code == 401, bad.text


# ---------- 3. SCP Organization 1.2 with the public Python SDK ----------
#
# scpv2-sdk has no endpoint override: `Session.endpoint_for(api)` is always
# `https://{api}.{region}.{environment}.samsungsdscloud.com`. It does honour the standard HTTPS proxy variables (with
# `Session(no_proxy=False)`; requests also reads REQUESTS_CA_BUNDLE), so the unmodified SDK reaches provmock the way it
# would reach SCP through a corporate proxy: a loopback CONNECT proxy tunnels every CONNECT to provmock's TLS port,
# whose certificate also names the SCP hosts (`--tls-san`). The SDK's signature is
# `method + url + timestamp + access_key + "Openapi"` without an Scp-AccountId header — the contract's signature with
# an empty account id — so strict auth with AKTEST/SKTEST checks it.

SCP_HOSTS = ["cloudcontrol.kr-west1.e.samsungsdscloud.com", "organization.kr-west1.e.samsungsdscloud.com"]


class _ConnectProxy:
    """A loopback HTTPS proxy that tunnels every CONNECT to 127.0.0.1:`port` and records the targets asked for."""

    def __init__(self, port):
        self.port_to = port
        self.targets = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, client):
        upstream = None
        try:
            client.settimeout(WAIT)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode()
            verb, target, _ = line.split(" ", 2)
            self.targets.append(target)
            if verb != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection(("127.0.0.1", self.port_to), timeout=WAIT)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                upstream.sendall(rest)
            idle_deadline = time.monotonic() + 30
            while time.monotonic() < idle_deadline and not self._stopped.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (upstream if s is client else client).sendall(data)
        except OSError:
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()

    def stop(self):
        self._stopped.set()
        self._sock.close()
        self._thread.join(timeout=WAIT)


@pytest.fixture
def scp_sdk_env(start_provmock, monkeypatch, tmp_path):
    import scpv2

    server = start_provmock("--auth", "strict", "--tls-san", ",".join(SCP_HOSTS))
    ca = tmp_path / "provmock-ca.pem"
    ca.write_bytes(server.ca)
    proxy = _ConnectProxy(server.tls_port)
    for var in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    # The SDK calls requests without a timeout; urllib3 then uses the socket default, which bounds every wait here.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(WAIT * 2)
    # Record the headers the SDK sends (the call goes through unchanged).
    sent = []
    real_request = requests.request

    def recording_request(method, url, **kw):
        sent.append((method, url, dict(kw.get("headers") or {})))
        return real_request(method, url, **kw)

    monkeypatch.setattr(requests, "request", recording_request)
    try:
        sess = scpv2.Session(access_key="AKTEST", secret_key="SKTEST", region="kr-west1", environment="e",
                             no_proxy=False, retry_config=scpv2.RetryConfig(max_attempts=1))
        yield {"session": sess, "server": server, "proxy": proxy, "sent": sent, "scpv2": scpv2}
    finally:
        socket.setdefaulttimeout(previous)
        proxy.stop()


def test_scp_python_sdk_shows_and_lists_accounts_with_organization_1_2(scp_sdk_env):
    sess, proxy, sent, scpv2 = (scp_sdk_env[k] for k in ("session", "proxy", "sent", "scpv2"))
    name = _unique("sdk")
    created = sess.client("cloudcontrol_account").create_account_factory_account(
        name=name, email=f"{name}@example.com", landing_zone_id=LZ, parent_unit_id=OU)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    account_id = created["account_id"]
    assert len(account_id) == 32

    org = sess.client("organization_account")
    shown = org.show_account(account_id=account_id)
    assert shown["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert shown["account"]["id"] == account_id
    assert shown["account"]["name"] == name
    assert shown["account"]["parent_unit_id"] == OU
    listed = org.list_accounts(size=20, page=0, name=name)
    assert [a["id"] for a in listed["accounts"]] == [account_id]
    assert listed["ResponseMetadata"]["HTTPStatusCode"] == 200
    # provmock answered the request id the SDK surfaces.
    assert shown["ResponseMetadata"]["RequestId"]

    # What the SDK sent: its own hosts through the proxy, `organization 1.2` for show and list.
    assert set(proxy.targets) <= {f"{h}:443" for h in SCP_HOSTS} and proxy.targets, proxy.targets
    versions = [(m, url.split("?")[0].rsplit("/v1/", 1)[1], h["Scp-Api-Version"]) for m, url, h in sent]
    assert versions == [
        ("POST", "accounts", "cloudcontrol 1.2"),
        ("GET", f"organization-accounts/{account_id}", "organization 1.2"),
        ("GET", "organization-accounts", "organization 1.2"),
    ], versions
    assert all("Scp-AccountId" not in h for _, _, h in sent)

    # Strict auth checked the SDK's signatures: the same SDK with a wrong secret is refused.
    wrong = scpv2.Session(access_key="AKTEST", secret_key="WRONG", region="kr-west1", environment="e",
                          no_proxy=False, retry_config=scpv2.RetryConfig(max_attempts=1))
    with pytest.raises(scpv2.ClientError) as e:
        wrong.client("organization_account").show_account(account_id=account_id)
    assert e.value.response["_status"] == 401, e.value


def test_scp_organization_versions_plain(fresh):
    created = requests.post(f"{fresh.base}/v1/accounts", json=_account_body(_unique("ver")), timeout=WAIT)
    assert created.status_code == 201, created.text
    url = f"{fresh.base}/v1/organization-accounts/{created.json()['account_id']}"
    for version in ("organization 1.2", "organization 1.1"):
        r = requests.get(url, headers={"Scp-API-Version": version}, timeout=WAIT)
        assert r.status_code == 200, (version, r.text)
        assert "Warning" not in r.headers, (version, r.headers)
    unknown = requests.get(url, headers={"Scp-API-Version": "organization 9.9"}, timeout=WAIT)
    assert unknown.status_code == 400, unknown.text


# ---------- 4. Yandex: x-request-id / x-server-trace-id as response headers ----------


def _yandex_channel(server, transport):
    if transport == "h2c":
        return grpc.insecure_channel(f"127.0.0.1:{server.port}")
    creds = grpc.ssl_channel_credentials(root_certificates=server.ca)
    return grpc.secure_channel(f"localhost:{server.tls_port}", creds)


@pytest.mark.parametrize("transport", ["h2c", "tls"])
def test_yandex_rpcs_send_request_and_trace_ids_as_headers(fresh, transport):
    channel = _yandex_channel(fresh, transport)
    try:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        auth = [("authorization", f"Bearer {YANDEX_IAM_TOKEN}")]
        page, call = stub.List.with_call(user_service_pb2.ListUsersRequest(userpool_id=YANDEX_POOL), metadata=auth,
                                         timeout=WAIT)
        assert call.code() == grpc.StatusCode.OK
        headers = dict(call.initial_metadata())
        assert headers.get("x-request-id") and headers.get("x-server-trace-id"), headers

        with pytest.raises(grpc.RpcError) as e:
            stub.Get(user_service_pb2.GetUserRequest(user_id="nope"), metadata=auth + [("x-request-id", "conf-req-1")],
                     timeout=WAIT)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        initial = dict(e.value.initial_metadata())
        # Not trailers-only: the ids arrive in the header block, before the status.
        assert initial.get("x-request-id") == "conf-req-1", initial
        assert initial.get("x-server-trace-id"), initial
        assert initial["x-server-trace-id"] != headers["x-server-trace-id"]
        assert "grpc-status" not in initial
    finally:
        channel.close()


def _node_sdk_ready():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip(f"the Yandex Node SDK test needs node and npm on PATH (node={node}, npm={npm})")
    installed = os.path.join(NODE_DIR, "node_modules", "@yandex-cloud", "nodejs-sdk", "package.json")
    lock = os.path.join(NODE_DIR, "package-lock.json")
    marker = os.path.join(NODE_DIR, "node_modules", ".package-lock.json")
    fresh_install = (
        os.path.exists(installed) and os.path.exists(marker) and os.path.getmtime(marker) >= os.path.getmtime(lock)
    )
    if not fresh_install:
        try:
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True,
                                  text=True, timeout=240)
        except subprocess.TimeoutExpired:
            pytest.skip("npm ci in conformance/node did not finish within 240s (no registry access?)")
        if done.returncode != 0:
            pytest.skip(f"npm ci in conformance/node failed (no registry access?): {done.stderr[-1500:]}")
    with open(installed) as f:
        assert json.load(f)["version"] == "3.2.0"
    return node


def test_yandex_node_sdk_api_error_carries_request_and_trace_ids(fresh, tmp_path):
    node = _node_sdk_ready()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(fresh.ca)
    run = subprocess.run(
        [node, os.path.join(NODE_DIR, "yandex_api_error.js"), f"localhost:{fresh.tls_port}", str(ca),
         YANDEX_IAM_TOKEN, YANDEX_POOL, "nope"],
        cwd=NODE_DIR, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, f"stdout={run.stdout}\nstderr={run.stderr}"
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["list"]["requestId"] and out["list"]["serverTraceId"], out
    got = out["get"]
    assert got["error"] == "ApiError" and got["isApiError"], out
    assert got["message"].startswith("/yandex.cloud.organizationmanager.v1.idp.UserService/Get NOT_FOUND"), out
    assert got["requestId"] and got["serverTraceId"], out


# ---------- 5. --control-token ----------


def test_control_token_locks_the_control_plane_only(start_provmock):
    server = start_provmock("--control-token", "t0k3n")
    base = server.base
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = requests.get(f"{base}/_mock/state", headers=headers, timeout=WAIT)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"]["status"] == "UNAUTHENTICATED", r.text
    locked_reset = requests.post(f"{base}/_mock/reset", timeout=WAIT)
    assert locked_reset.status_code == 401, locked_reset.text
    ok = requests.get(f"{base}/_mock/state", headers={"Authorization": "Bearer t0k3n"}, timeout=WAIT)
    assert ok.status_code == 200, ok.text
    assert "channel" in json.dumps(ok.json())
    assert requests.post(f"{base}/_mock/reset", headers={"Authorization": "Bearer t0k3n"},
                         timeout=WAIT).status_code == 200

    health = requests.get(f"{base}/_mock/health", timeout=WAIT)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ca = requests.get(f"{base}/_mock/ca.pem", timeout=WAIT)
    assert ca.status_code == 200 and b"BEGIN CERTIFICATE" in ca.content

    # The APIs need no control token: the discovery REST client and the GAPIC gRPC client.
    rest = build("cloudchannel", "v1", static_discovery=True, credentials=AnonymousCredentials(),
                 client_options={"api_endpoint": f"{base}/"})
    page = rest.accounts().customers().list(parent=ACCOUNT).execute()
    assert page["customers"]
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        client = channel_v1.CloudChannelServiceClient(transport=CloudChannelServiceGrpcTransport(channel=channel))
        assert client.get_customer(request={"name": page["customers"][0]["name"]}, timeout=WAIT).domain
