"""Yandex IdP driven by the real `yandexcloud` SDK: TLS with provmock's CA, endpoint discovery, IAM tokens,
operations waited on with `wait_operation_and_get_result`, and the REST routes with a plain HTTP client.

The server is the suite's `--auth strict` provmock (conftest.py), so the OAuth path really goes through
IamTokenService; the SDK is the plugin's `yandex_sdk()`."""

import time
import uuid

import grpc
import pytest
import requests
import yandexcloud
from yandex.cloud.organizationmanager.v1.idp import (
    user_pb2,
    user_service_pb2,
    user_service_pb2_grpc,
    userpool_pb2,
    userpool_service_pb2,
    userpool_service_pb2_grpc,
)

ORG = "bpfprovmockorg000001"
POOL = "ek0provmockpool00001"
IAM_TOKEN = "provmock-iam-token"
OAUTH_TOKEN = "provmock-oauth-token"


@pytest.fixture()
def yc(strict):
    return {"base": strict.url, "tls": strict.tls_target, "ca": strict.ca_pem, "server": strict}


@pytest.fixture()
def sdk(yc):
    return yc["server"].yandex_sdk(iam_token=IAM_TOKEN)


def _user(username, **extra):
    return user_service_pb2.CreateUserRequest(
        userpool_id=POOL,
        username=username,
        full_name="Ivan Petrov",
        password_spec=user_service_pb2.PasswordSpec(password="S3cret-Passw0rd!"),
        **extra,
    )


def test_create_user_and_wait_returns_the_user(sdk, yc):
    users = sdk.client(user_service_pb2_grpc.UserServiceStub)
    op = users.Create(_user("ivan@provmock.idp.yandexcloud.net", email="ivan@example.com"))
    assert not op.done
    result = sdk.wait_operation_and_get_result(
        op, response_type=user_pb2.User, meta_type=user_service_pb2.CreateUserMetadata, timeout=30
    )
    assert result.meta.user_id
    assert result.response.id == result.meta.user_id
    assert result.response.username == "ivan@provmock.idp.yandexcloud.net"
    assert result.response.status == user_pb2.User.Status.ACTIVE
    got = users.Get(user_service_pb2.GetUserRequest(user_id=result.meta.user_id))
    assert got.email == "ivan@example.com"

    # The REST route answers the same, in Yandex JSON.
    rest = requests.get(
        f"{yc['base']}/organization-manager/v1/idp/users/{got.id}",
        headers={"Authorization": f"Bearer {IAM_TOKEN}"},
        timeout=5,
    ).json()
    assert rest["id"] == got.id
    assert rest["status"] == "ACTIVE"
    assert rest["userpoolId"] == POOL
    state = requests.get(f"{yc['base']}/_mock/state", timeout=5).text
    assert "S3cret-Passw0rd!" not in state


def test_userpool_create_and_users_listed_across_pages(sdk):
    pools = sdk.client(userpool_service_pb2_grpc.UserpoolServiceStub)
    op = pools.Create(
        userpool_service_pb2.CreateUserpoolRequest(organization_id=ORG, name="conformance-pool", default_subdomain="conf")
    )
    pool = sdk.wait_operation_and_get_result(
        op, response_type=userpool_pb2.Userpool, meta_type=userpool_service_pb2.CreateUserpoolMetadata, timeout=30
    ).response
    assert list(pool.domains) == ["conf.idp.yandexcloud.net"]
    users = sdk.client(user_service_pb2_grpc.UserServiceStub)
    for i in range(5):
        req = _user(f"u{i}@conf.idp.yandexcloud.net")
        req.userpool_id = pool.id
        users.Create(req)
    seen, token = [], ""
    while True:
        page = users.List(user_service_pb2.ListUsersRequest(userpool_id=pool.id, page_size=2, page_token=token))
        assert len(page.users) <= 2
        seen.extend(u.username for u in page.users)
        if not page.next_page_token:
            break
        token = page.next_page_token
    assert sorted(seen) == sorted(f"u{i}@conf.idp.yandexcloud.net" for i in range(5))
    listed = pools.List(userpool_service_pb2.ListUserpoolsRequest(organization_id=ORG))
    assert pool.id in [p.id for p in listed.userpools]


def test_oauth_token_goes_through_iam_token_service(yc):
    requests.post(f"{yc['base']}/_mock/reset", timeout=5).raise_for_status()
    sdk = yandexcloud.SDK(endpoint=yc["tls"], root_certificates=yc["ca"], token=OAUTH_TOKEN)
    users = sdk.client(user_service_pb2_grpc.UserServiceStub)
    # Strict auth accepts only IAM tokens on IdP calls, so this works only if the SDK exchanged the OAuth token.
    page = users.List(user_service_pb2.ListUsersRequest(userpool_id=POOL))
    assert list(page.users) == []
    state = requests.get(f"{yc['base']}/_mock/state", timeout=5).json()
    assert len(state["yandex"]["issued_tokens"]) == 1


def test_errors_raise_grpc_codes(sdk):
    users = sdk.client(user_service_pb2_grpc.UserServiceStub)
    with pytest.raises(grpc.RpcError) as e:
        users.Get(user_service_pb2.GetUserRequest(user_id="ajenosuchuser0000000"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND

    users.Create(_user("taken@provmock.idp.yandexcloud.net"))
    with pytest.raises(grpc.RpcError) as e:
        users.Create(_user("taken@provmock.idp.yandexcloud.net"))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS

    with pytest.raises(grpc.RpcError) as e:
        users.Create(_user("no-at-sign"))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "username" in e.value.details()

    bad = _user("x@provmock.idp.yandexcloud.net")
    bad.ClearField("password_spec")
    with pytest.raises(grpc.RpcError) as e:
        users.Create(bad)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_token_is_unauthenticated(yc):
    creds = grpc.ssl_channel_credentials(root_certificates=yc["ca"])
    channel = grpc.secure_channel(yc["tls"], creds)
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    with pytest.raises(grpc.RpcError) as e:
        stub.Get(user_service_pb2.GetUserRequest(user_id="x"), metadata=[("authorization", f"Bearer {uuid.uuid4()}")])
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_rest_routes_give_the_same_results(yc):
    requests.post(f"{yc['base']}/_mock/reset", timeout=5).raise_for_status()
    h = {"Authorization": f"Bearer {IAM_TOKEN}"}
    base = yc["base"]
    body = {
        "userpoolId": POOL,
        "username": "rest@provmock.idp.yandexcloud.net",
        "fullName": "Rest User",
        "passwordSpec": {"password": "pw"},
    }
    op = requests.post(f"{base}/organization-manager/v1/idp/users", json=body, headers=h, timeout=5).json()
    assert op["done"] is False
    assert op["metadata"]["@type"] == "type.googleapis.com/yandex.cloud.organizationmanager.v1.idp.CreateUserMetadata"
    for _ in range(100):
        got = requests.get(f"{base}/operations/{op['id']}", headers=h, timeout=5).json()
        if got["done"]:
            break
        time.sleep(0.05)
    assert got["response"]["username"] == "rest@provmock.idp.yandexcloud.net"
    dup = requests.post(f"{base}/organization-manager/v1/idp/users", json=body, headers=h, timeout=5)
    assert dup.status_code == 409 and dup.json()["code"] == 6
    missing = requests.get(f"{base}/organization-manager/v1/idp/users/nope", headers=h, timeout=5)
    assert missing.status_code == 404 and missing.json()["code"] == 5
    invalid = requests.post(f"{base}/organization-manager/v1/idp/users", json={**body, "fullName": ""}, headers=h, timeout=5)
    assert invalid.status_code == 400 and invalid.json()["code"] == 3
    endpoints = requests.get(f"{base}/endpoints", timeout=5).json()
    assert {"iam", "operation", "organization-manager"} <= {e["id"] for e in endpoints["endpoints"]}
