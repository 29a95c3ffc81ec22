"""Cloud Channel v1 over gRPC, driven by the real GAPIC client (google-cloud-channel): plain h2c on the main port,
TLS with provmock's CA on the TLS port, strict auth with bearer tokens, long-running operations waited on with
`.result()`, and errors carrying `google.rpc.ErrorInfo` (`.reason`, `.domain`)."""

import re
import time

import google.api_core.exceptions as gexc
import grpc
import pytest
import requests
from google.cloud import channel_v1
from google.cloud.channel_v1.services.cloud_channel_service.transports import CloudChannelServiceGrpcTransport
from google.protobuf import field_mask_pb2

pytestmark = pytest.mark.usefixtures("fresh")

ACCOUNT = "accounts/C01234567"
OTHER_ACCOUNT = "accounts/C07654321"
UNPROVISIONED = "accounts/C01234567/customers/S0NEWCUSTOMER1"
ERROR_DOMAIN = "cloudchannel.googleapis.com"
Customer = channel_v1.Customer
CustomerType = channel_v1.CloudIdentityInfo.CustomerType


def make_client(channel):
    return channel_v1.CloudChannelServiceClient(transport=CloudChannelServiceGrpcTransport(channel=channel))


@pytest.fixture
def client(fresh):
    channel = grpc.insecure_channel(f"127.0.0.1:{fresh.port}")
    yield make_client(channel)
    channel.close()


def customer_of(domain):
    return {
        "org_display_name": f"{domain} Inc",
        "org_postal_address": {"region_code": "US", "postal_code": "94043", "address_lines": ["1 Main St"]},
        "primary_contact_info": {"first_name": "Jo", "last_name": "Doe", "email": f"jo@{domain}"},
        "domain": domain,
        "language_code": "en-US",
    }


def create(client, domain, parent=ACCOUNT, **kw):
    return client.create_customer(request={"parent": parent, "customer": customer_of(domain)}, **kw)


def assert_error_info(exc):
    assert exc.domain == ERROR_DOMAIN, f"domain={exc.domain!r} reason={exc.reason!r}: {exc}"
    assert exc.reason and re.fullmatch(r"[A-Z][A-Z0-9_]*", exc.reason), f"reason={exc.reason!r}: {exc}"


# ---------- import ----------


def test_import_customer_by_domain(client):
    c = client.import_customer(request={"parent": ACCOUNT, "domain": "altostrat.com"})
    assert c.name.startswith(f"{ACCOUNT}/customers/")
    assert c.cloud_identity_id == "C00000000"
    assert c.domain == "altostrat.com"
    assert c.cloud_identity_info.customer_type == CustomerType.DOMAIN
    assert c.create_time.year >= 2000


def test_import_customer_by_cloud_identity_id(client):
    c = client.import_customer(request={"parent": ACCOUNT, "cloud_identity_id": "C0TEAM001"})
    assert c.cloud_identity_id == "C0TEAM001"
    assert c.domain == "cymbalgroup.com"
    assert c.cloud_identity_info.customer_type == CustomerType.TEAM


def test_import_customer_by_primary_admin_email(client):
    c = client.import_customer(
        request={"parent": ACCOUNT, "primary_admin_email": "admin@example.com", "auth_token": "example-auth-token"}
    )
    assert c.cloud_identity_id == "C0EXAMPL1"
    assert c.domain == "example.com"


def test_import_errors_carry_error_info(client):
    client.import_customer(request={"parent": ACCOUNT, "domain": "altostrat.com"})
    with pytest.raises(gexc.AlreadyExists) as info:
        client.import_customer(request={"parent": ACCOUNT, "domain": "altostrat.com"})
    assert_error_info(info.value)
    again = client.import_customer(request={"parent": ACCOUNT, "domain": "altostrat.com", "overwrite_if_exists": True})
    assert again.cloud_identity_id == "C00000000"

    with pytest.raises(gexc.InvalidArgument) as info:
        client.import_customer(request={"parent": ACCOUNT, "domain": "example.com"})
    assert_error_info(info.value)
    with pytest.raises(gexc.InvalidArgument) as info:
        client.import_customer(request={"parent": ACCOUNT, "domain": "example.com", "auth_token": "wrong"})
    assert_error_info(info.value)

    with pytest.raises(gexc.NotFound) as info:
        client.import_customer(request={"parent": ACCOUNT, "cloud_identity_id": "C0NOSUCH1"})
    assert_error_info(info.value)


# ---------- provision (long-running) ----------


def test_provision_cloud_identity_result(client):
    op = client.provision_cloud_identity(
        request={
            "customer": UNPROVISIONED,
            "cloud_identity_info": {"customer_type": CustomerType.DOMAIN},
            "user": {"email": "admin@example.org", "given_name": "Pat", "family_name": "Lee"},
        }
    )
    assert op.operation.name.startswith("operations/")
    customer = op.result(timeout=30)
    assert isinstance(customer, Customer)
    assert customer.name == UNPROVISIONED
    assert customer.cloud_identity_id
    assert customer.cloud_identity_info.primary_domain == "example.org"
    assert op.metadata.operation_type == channel_v1.OperationMetadata.OperationType.PROVISION_CLOUD_IDENTITY

    got = client.get_customer(request={"name": UNPROVISIONED})
    assert got.cloud_identity_id == customer.cloud_identity_id

    # Importable by the other reseller.
    other = client.import_customer(request={"parent": OTHER_ACCOUNT, "cloud_identity_id": customer.cloud_identity_id})
    assert other.name.startswith(f"{OTHER_ACCOUNT}/customers/")
    assert other.domain == "example.org"


def test_grpc_operation_is_readable_over_rest(client, fresh):
    op = client.provision_cloud_identity(
        request={"customer": UNPROVISIONED, "user": {"email": "admin@example.org"}}
    )
    name = op.operation.name
    r = requests.get(f"{fresh.base}/v1/{name}", timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == name
    assert body["metadata"]["@type"] == "type.googleapis.com/google.cloud.channel.v1.OperationMetadata"
    requests.post(f"{fresh.base}/_mock/operations:flush", timeout=5).raise_for_status()
    body = requests.get(f"{fresh.base}/v1/{name}", timeout=5).json()
    assert body["done"] is True
    assert body["response"]["@type"] == "type.googleapis.com/google.cloud.channel.v1.Customer"
    assert op.result(timeout=30).cloud_identity_id == body["response"]["cloudIdentityId"]


def test_provision_errors(client):
    with pytest.raises(gexc.NotFound) as info:
        client.provision_cloud_identity(
            request={"customer": f"{ACCOUNT}/customers/S0DOESNOTEXIST", "user": {"email": "a@example.org"}}
        )
    assert_error_info(info.value)
    with pytest.raises(gexc.InvalidArgument):
        client.provision_cloud_identity(request={"customer": UNPROVISIONED})


# ---------- list / get / update / delete ----------


def test_list_customers_pager_across_pages(client):
    made = {create(client, f"acme-gpage{i}.com").name for i in range(4)}
    pager = client.list_customers(request={"parent": ACCOUNT, "page_size": 2})
    pages = list(pager.pages)
    assert len(pages) == 3  # 4 created + S0NEWCUSTOMER1
    assert all(len(p.customers) <= 2 for p in pages)
    names = [c.name for p in pages for c in p.customers]
    assert len(names) == len(set(names)) == 5
    assert set(names) == made | {UNPROVISIONED}
    # Iterating the pager itself walks every page too.
    assert len(list(client.list_customers(request={"parent": ACCOUNT, "page_size": 2}))) == 5

    filtered = list(client.list_customers(request={"parent": ACCOUNT, "filter": 'domain = "acme-gpage2.com"'}))
    assert [c.domain for c in filtered] == ["acme-gpage2.com"]


def test_get_update_delete(client):
    created = create(client, "acme-gcrud.com")
    assert client.get_customer(request={"name": created.name}) == created

    time.sleep(0.01)
    updated = client.update_customer(
        request={
            "customer": {"name": created.name, "org_display_name": "Renamed", "alternate_email": "x@elsewhere.com"},
            "update_mask": field_mask_pb2.FieldMask(paths=["org_display_name"]),
        }
    )
    assert updated.org_display_name == "Renamed"
    assert updated.alternate_email == ""
    assert updated.domain == "acme-gcrud.com"
    assert updated.org_postal_address.postal_code == "94043"
    assert client.get_customer(request={"name": created.name}).org_display_name == "Renamed"

    client.delete_customer(request={"name": created.name})
    with pytest.raises(gexc.NotFound) as info:
        client.get_customer(request={"name": created.name})
    assert_error_info(info.value)
    with pytest.raises(gexc.NotFound):
        client.delete_customer(request={"name": created.name})


def test_update_output_only_path_is_invalid(client):
    created = create(client, "acme-gmask.com")
    with pytest.raises(gexc.InvalidArgument) as info:
        client.update_customer(
            request={
                "customer": {"name": created.name, "cloud_identity_id": "C0X"},
                "update_mask": {"paths": ["cloud_identity_id"]},
            }
        )
    assert_error_info(info.value)


def test_check_cloud_identity_accounts_exist(client):
    res = client.check_cloud_identity_accounts_exist(request={"parent": ACCOUNT, "domain": "cymbalgroup.com"})
    (entry,) = res.cloud_identity_accounts
    assert entry.existing and not entry.owned
    assert entry.customer_cloud_identity_id == "C0TEAM001"
    assert entry.customer_type == CustomerType.TEAM
    res = client.check_cloud_identity_accounts_exist(request={"parent": ACCOUNT, "domain": "nobody-here.com"})
    assert list(res.cloud_identity_accounts) == []


# ---------- strict auth and TLS ----------


def test_strict_auth_other_resellers_token_is_permission_denied(strict):
    channel = grpc.insecure_channel(f"127.0.0.1:{strict.port}")
    try:
        client = make_client(channel)
        ok = client.get_customer(
            request={"name": UNPROVISIONED}, metadata=[("authorization", "Bearer reseller-one-token")]
        )
        assert ok.domain == "example.org"
        with pytest.raises(gexc.PermissionDenied) as info:
            client.get_customer(request={"name": UNPROVISIONED}, metadata=[("authorization", "Bearer reseller-two-token")])
        assert_error_info(info.value)
        with pytest.raises(gexc.PermissionDenied) as info:
            client.import_customer(
                request={"parent": ACCOUNT, "domain": "altostrat.com"},
                metadata=[("authorization", "Bearer reseller-two-token")],
            )
        assert_error_info(info.value)
        with pytest.raises(gexc.Unauthenticated):
            client.get_customer(request={"name": UNPROVISIONED})
    finally:
        channel.close()


def test_tls_create_and_get_with_bearer_token(strict):
    creds = grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(root_certificates=strict.ca),
        grpc.access_token_call_credentials("reseller-one-token"),
    )
    channel = grpc.secure_channel(f"localhost:{strict.tls_port}", creds)
    try:
        client = make_client(channel)
        created = create(client, "acme-tls.com")
        assert created.name.startswith(f"{ACCOUNT}/customers/")
        got = client.get_customer(request={"name": created.name})
        assert got.domain == "acme-tls.com"
        assert got == created
    finally:
        channel.close()
