"""The ready-made clients, each driven through its real SDK (the conformance suite's pinned versions)."""

import time
import uuid

import grpc
import pytest
import requests
from google.api_core import exceptions as gexc
from googleapiclient.errors import HttpError
from yandex.cloud.organizationmanager.v1.idp import user_pb2, user_service_pb2, user_service_pb2_grpc

from provmock import ScpAuth, scp_headers, scp_signature

ACCOUNT = "accounts/C01234567"
UNPROVISIONED = f"{ACCOUNT}/customers/S0NEWCUSTOMER1"
SCP_BODY = {"name": "acct-one", "email": "owner@example.com", "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
            "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}
SCP_VERSION = {"Scp-API-Version": "cloudcontrol 1.2"}


@pytest.fixture
def strict(provmock_factory):
    return provmock_factory(auth="strict", lro_delay="0")


def test_channel_rest_discovery_client(provmock_fresh):
    channel = provmock_fresh.channel_rest()
    customer = channel.accounts().customers().import_(parent=ACCOUNT, body={"domain": "altostrat.com"}).execute()
    assert customer["cloudIdentityId"] == "C00000000"
    names = [c["name"] for c in channel.accounts().customers().list(parent=ACCOUNT).execute()["customers"]]
    assert customer["name"] in names and UNPROVISIONED in names
    provmock_fresh.set_policy("manual", kind="channel.provisionCloudIdentity")
    op = channel.accounts().customers().provisionCloudIdentity(
        customer=UNPROVISIONED, body={"user": {"email": "admin@example.org"}}).execute()
    provmock_fresh.complete(op)
    assert channel.operations().get(name=op["name"]).execute()["done"]


def test_channel_rest_with_a_token_in_strict_auth(strict):
    got = strict.channel_rest(token="reseller-one-token").accounts().customers().get(name=UNPROVISIONED).execute()
    assert got["domain"] == "example.org"
    with pytest.raises(HttpError) as e:
        strict.channel_rest(token="reseller-two-token").accounts().customers().get(name=UNPROVISIONED).execute()
    assert e.value.resp.status == 403


def test_cloudidentity_rest_discovery_client(provmock_fresh):
    invitations = provmock_fresh.cloudidentity_rest().customers().userinvitations()
    page = invitations.list(parent="customers/C00000000", filter="state!='accepted'").execute()
    assert "customers/C00000000/userinvitations/writer@altostrat.com" in [i["name"] for i in page["userInvitations"]]
    invitations.send(name="customers/C00000000/userinvitations/writer@altostrat.com").execute()
    assert [m["to"] for m in provmock_fresh.mail()] == ["writer@altostrat.com"]


def test_channel_grpc_over_h2c(provmock_fresh):
    client = provmock_fresh.channel_grpc()
    try:
        customer = client.import_customer(request={"parent": ACCOUNT, "domain": "altostrat.com"})
        assert customer.cloud_identity_id == "C00000000"
        provmock_fresh.set_policy("manual")
        op = client.provision_cloud_identity(request={"customer": UNPROVISIONED,
                                                      "user": {"email": "admin@example.org"}})
        assert not op.done()
        provmock_fresh.complete(op)  # the GAPIC Operation itself names the operation
        assert op.result(timeout=30).cloud_identity_id
    finally:
        client.transport.grpc_channel.close()


def test_channel_grpc_with_a_token_plain_and_over_tls(strict):
    for client in (strict.channel_grpc(token="reseller-one-token"),
                   strict.channel_grpc(tls=True, token="reseller-one-token")):
        try:
            assert client.get_customer(request={"name": UNPROVISIONED}).domain == "example.org"
        finally:
            client.transport.grpc_channel.close()
    client = strict.channel_grpc()
    try:
        with pytest.raises(gexc.Unauthenticated):
            client.get_customer(request={"name": UNPROVISIONED})
    finally:
        client.transport.grpc_channel.close()


def _create_user(sdk, username, complete_with=None):
    users = sdk.client(user_service_pb2_grpc.UserServiceStub)
    op = users.Create(user_service_pb2.CreateUserRequest(
        userpool_id="ek0provmockpool00001", username=username, full_name="Ivan Petrov",
        password_spec=user_service_pb2.PasswordSpec(password="S3cret-Passw0rd!")))
    if complete_with is not None:
        assert not op.done
        complete_with.complete(op)  # the Operation message names the operation by its id
    return sdk.wait_operation_and_get_result(op, response_type=user_pb2.User,
                                             meta_type=user_service_pb2.CreateUserMetadata).response


def test_yandex_sdk_over_tls_with_discovery(provmock_fresh):
    provmock_fresh.set_policy("manual", kind="yandex.createUser")
    user = _create_user(provmock_fresh.yandex_sdk(), "ivan@provmock.idp.yandexcloud.net", complete_with=provmock_fresh)
    assert user.username == "ivan@provmock.idp.yandexcloud.net" and user.id.startswith("aje")


def test_yandex_sdk_with_an_oauth_token_in_strict_auth(strict):
    user = _create_user(strict.yandex_sdk(token="provmock-oauth-token"), "oauth@provmock.idp.yandexcloud.net")
    assert user.username == "oauth@provmock.idp.yandexcloud.net"
    with pytest.raises(grpc.RpcError) as e:
        _create_user(strict.yandex_sdk(iam_token="t1.unknown"), "nobody@provmock.idp.yandexcloud.net")
    assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_scp_signer_reproduces_the_contract_vectors():
    ts = "1767225600000"
    url = "https://cloudcontrol.e.samsungsdscloud.com/v1/accounts"
    assert scp_signature("SKTEST", "POST", url, ts, "AKTEST") == "/GqR9RwJ11xwz69UuaCf4qB9j6HcJuKKUbnppzIZlWo="
    assert scp_signature("SKTEST", "POST", url, ts, "AKTEST", "acc123") == "Fqj50Q1ZuVxj/umalGAd7dThzoS+a9K4wVTl/bEUppo="
    get = "https://organization.e.samsungsdscloud.com/v1/organization-accounts/abc?lazy_policy=true"
    assert scp_signature("SKTEST", "GET", get, ts, "AKTEST") == "k+U0wfR/6dpM1LZwBmuWfpP7I91tOorrLafpOvqQZ8c="
    headers = scp_headers("POST", url, timestamp=ts)
    assert headers == {"Scp-AccessKey": "AKTEST", "Scp-Signature": "/GqR9RwJ11xwz69UuaCf4qB9j6HcJuKKUbnppzIZlWo=",
                       "Scp-Timestamp": ts, "Scp-ClientType": "Openapi", "Scp-AccountId": ""}
    assert abs(int(scp_headers("GET", url)["Scp-Timestamp"]) - time.time() * 1000) < 60_000


def test_scp_auth_signs_requests_in_strict_auth(strict):
    url = f"{strict.url}/v1/accounts"
    r = requests.post(url, json=SCP_BODY, headers=SCP_VERSION, auth=strict.scp_auth(), timeout=10)
    assert r.status_code == 201, r.text
    account = r.json()["account_id"]
    got = requests.get(f"{strict.url}/v1/organization-accounts/{account}?lazy=true",
                       headers={"Scp-API-Version": "organization 1.2"},
                       auth=ScpAuth("PROVMOCKACCESSKEY", "provmock-secret-key"), timeout=10)
    assert got.status_code == 200 and got.json()["account"]["name"] == "acct-one", got.text
    body = {**SCP_BODY, "name": f"a{uuid.uuid4().hex[:8]}", "email": "x@example.com"}
    bad = requests.post(url, json=body, headers=SCP_VERSION, auth=ScpAuth("AKTEST", "wrong"), timeout=10)
    assert bad.status_code == 401, bad.text
    unsigned = requests.post(url, json=body, headers=SCP_VERSION, timeout=10)
    assert unsigned.status_code == 401
