"""The control plane end to end with real SDKs: an injected fault seen by the gRPC Channel client and the discovery
REST client, a manual operation finished from the test, the fault header, the journal, and a yandexcloud call
through a fault rule."""

import time

import grpc
import pytest
import requests
import yandexcloud
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import channel_v1
from google.cloud.channel_v1.services.cloud_channel_service.transports import CloudChannelServiceGrpcTransport
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from yandex.cloud.organizationmanager.v1.idp import user_service_pb2, user_service_pb2_grpc


@pytest.fixture()
def base(provmock_port):
    url = f"http://127.0.0.1:{provmock_port}"
    requests.delete(f"{url}/_mock/faults", timeout=5).raise_for_status()
    requests.delete(f"{url}/_mock/operations/policy", timeout=5).raise_for_status()
    requests.delete(f"{url}/_mock/journal", timeout=5).raise_for_status()
    yield url
    requests.delete(f"{url}/_mock/faults", timeout=5).raise_for_status()
    requests.delete(f"{url}/_mock/operations/policy", timeout=5).raise_for_status()


@pytest.fixture()
def client(provmock_port):
    channel = grpc.insecure_channel(f"127.0.0.1:{provmock_port}")
    yield channel_v1.CloudChannelServiceClient(transport=CloudChannelServiceGrpcTransport(channel=channel))
    channel.close()


def test_sdks_see_an_injected_fault_and_wait_on_a_manual_operation(base, client, provmock_port):
    rule = {"match": {"method": "channel.ImportCustomer"}, "error": {"code": "UNAVAILABLE"}, "times": 1}
    requests.post(f"{base}/_mock/faults", json=rule, timeout=5).raise_for_status()
    with pytest.raises(exceptions.ServiceUnavailable):
        client.import_customer(request={"parent": "accounts/C07654321", "domain": "altostrat.com"})
    imported = client.import_customer(request={"parent": "accounts/C07654321", "domain": "altostrat.com"})
    assert imported.cloud_identity_id == "C00000000"

    requests.post(f"{base}/_mock/faults", json={**rule, "match": {"method": "ListCustomers"}}, timeout=5).raise_for_status()
    rest = build("cloudchannel", "v1", static_discovery=True, credentials=AnonymousCredentials(),
                 client_options={"api_endpoint": f"{base}/"})
    with pytest.raises(HttpError) as e:
        rest.accounts().customers().list(parent="accounts/C07654321").execute()
    assert e.value.resp.status == 503

    policy = {"kind": "channel.provisionCloudIdentity", "policy": "manual"}
    requests.put(f"{base}/_mock/operations/policy", json=policy, timeout=5).raise_for_status()
    op = client.provision_cloud_identity(request={
        "customer": "accounts/C01234567/customers/S0NEWCUSTOMER1", "user": {"email": "admin@example.org"}})
    time.sleep(0.3)
    assert not op.done()
    requests.post(f"{base}/_mock/{op.operation.name}:complete", timeout=5).raise_for_status()
    customer = op.result(timeout=30)
    assert customer.cloud_identity_id.startswith("C0")


def test_fault_header_and_journal(base, client):
    with pytest.raises(exceptions.PermissionDenied):
        client.get_customer(request={"name": "accounts/C01234567/customers/S0NEWCUSTOMER1"},
                            metadata=[("x-provmock-fault", "PERMISSION_DENIED")])
    client.get_customer(request={"name": "accounts/C01234567/customers/S0NEWCUSTOMER1"})
    entries = requests.get(f"{base}/_mock/journal?family=channel", timeout=5).json()["entries"]
    rpcs = [(e["method"], e["status"]) for e in entries]
    get = "google.cloud.channel.v1.CloudChannelService/GetCustomer"
    assert (get, 7) in rpcs and (get, 0) in rpcs, rpcs
    assert requests.get(f"{base}/_mock/journal:count?method=GetCustomer", timeout=5).json()["count"] == 2


def test_yandex_sdk_through_a_fault_rule(base, provmock_port):
    health = requests.get(f"{base}/_mock/health", timeout=5).json()
    if not health.get("tls_port"):
        pytest.skip("the shared server has no TLS listener")
    ca = requests.get(f"{base}/_mock/ca.pem", timeout=5).content
    sdk = yandexcloud.SDK(endpoint=f"localhost:{health['tls_port']}", root_certificates=ca,
                          iam_token="provmock-iam-token")
    rule = {"match": {"method": "UserService/Get"}, "error": {"code": "NOT_FOUND", "message": "injected"}}
    requests.post(f"{base}/_mock/faults", json=rule, timeout=5).raise_for_status()
    users = sdk.client(user_service_pb2_grpc.UserServiceStub)
    with pytest.raises(grpc.RpcError) as e:
        users.Get(user_service_pb2.GetUserRequest(user_id="ajeanything000000000"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    assert "injected" in e.value.details()
