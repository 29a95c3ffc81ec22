"""The reseller's order flow, driven by the real SDKs: the discovery client (googleapiclient, REST) and
google-cloud-channel (GAPIC, gRPC) each run an order (provision a Cloud Identity, find an offer, create an
entitlement, change its seats, suspend, activate, cancel) and a transfer (import, transferable SKUs and offers,
transfer), end to end, through provmock's operation engine (the default --lro-delay: operations are polled)."""

import time

import google.api_core.exceptions as gexc
import google.auth.credentials
import grpc
import pytest
from google.cloud import channel_v1
from google.cloud.channel_v1.services.cloud_channel_service.transports import CloudChannelServiceGrpcTransport
from google.protobuf import field_mask_pb2
from googleapiclient import discovery
from googleapiclient.errors import HttpError

pytestmark = pytest.mark.usefixtures("fresh")

ACCOUNT = "accounts/C01234567"
OTHER_ACCOUNT = "accounts/C07654321"
UNPROVISIONED = "accounts/C01234567/customers/S0NEWCUSTOMER1"
STANDARD = "products/GOOGLE_WORKSPACE/skus/1010020028"
ENTITLEMENT_TYPE = "type.googleapis.com/google.cloud.channel.v1.Entitlement"


# ---------- REST: the discovery client ----------

@pytest.fixture
def svc(fresh):
    return discovery.build(
        "cloudchannel",
        "v1",
        static_discovery=True,
        credentials=google.auth.credentials.AnonymousCredentials(),
        client_options={"api_endpoint": f"http://127.0.0.1:{fresh.port}/"},
    )


def wait(svc, op, timeout=30):
    deadline = time.monotonic() + timeout
    while not op.get("done") and time.monotonic() < deadline:
        time.sleep(0.2)
        op = svc.operations().get(name=op["name"]).execute()
    assert op.get("done"), op
    assert "error" not in op, op
    return op


def status_of(request):
    with pytest.raises(HttpError) as info:
        request.execute()
    return info.value.resp.status


def test_rest_order_flow_provision_offer_entitlement_seats_suspend_activate_cancel(svc):
    customers = svc.accounts().customers()
    entitlements = customers.entitlements()
    op = customers.provisionCloudIdentity(
        customer=UNPROVISIONED,
        body={"cloudIdentityInfo": {"customerType": "DOMAIN"}, "user": {"email": "admin@example.org"}},
    ).execute()
    customer = wait(svc, op)["response"]
    assert customer["cloudIdentityId"]

    products = svc.products().list(account=ACCOUNT).execute()
    assert "products/GOOGLE_WORKSPACE" in [p["name"] for p in products["products"]]
    skus = svc.products().skus().list(parent="products/GOOGLE_WORKSPACE", account=ACCOUNT).execute()
    assert STANDARD in [s["name"] for s in skus["skus"]]
    offers = customers.listPurchasableOffers(
        customer=UNPROVISIONED, createEntitlementPurchase_sku=STANDARD
    ).execute()["purchasableOffers"]
    annual = next(
        o["offer"] for o in offers
        if o["offer"]["plan"]["paymentPlan"] == "COMMITMENT" and o["offer"]["plan"]["paymentCycle"]["periodType"] == "YEAR"
    )
    assert annual["sku"]["marketingInfo"]["displayName"] == "Google Workspace Business Standard"

    op = entitlements.create(
        parent=UNPROVISIONED,
        body={"entitlement": {
            "offer": annual["name"],
            "parameters": [{"name": "num_units", "value": {"int64Value": 5}}],
            "commitmentSettings": {"renewalSettings": {
                "enableRenewal": True, "paymentPlan": "COMMITMENT", "paymentCycle": {"periodType": "YEAR", "duration": 1}}},
            "purchaseOrderId": "A codelab test",
        }},
    ).execute()
    assert op["metadata"]["operationType"] == "CREATE_ENTITLEMENT"
    e = wait(svc, op)["response"]
    assert e["@type"] == ENTITLEMENT_TYPE
    name = e["name"]
    assert entitlements.get(name=name).execute()["provisioningState"] == "ACTIVE"
    assert [x["name"] for x in entitlements.list(parent=UNPROVISIONED).execute()["entitlements"]] == [name]
    assert status_of(entitlements.create(parent=UNPROVISIONED, body={"entitlement": {"offer": annual["name"],
        "parameters": [{"name": "num_units", "value": {"int64Value": 5}}]}})) == 409

    op = entitlements.changeParameters(
        name=name, body={"parameters": [{"name": "num_units", "value": {"int64Value": 12}}]}).execute()
    seats = wait(svc, op)["response"]["parameters"]
    assert seats[0]["value"]["int64Value"] == "12"
    assert status_of(entitlements.changeParameters(
        name=name, body={"parameters": [{"name": "num_units", "value": {"int64Value": 60000}}]})) == 400

    op = entitlements.suspend(name=name, body={}).execute()
    assert op["metadata"]["operationType"] == "SUSPEND_ENTITLEMENT"
    assert wait(svc, op)["response"]["provisioningState"] == "SUSPENDED"
    assert status_of(entitlements.suspend(name=name, body={})) == 400
    op = entitlements.activate(name=name, body={}).execute()
    assert wait(svc, op)["response"]["provisioningState"] == "ACTIVE"
    assert entitlements.lookupOffer(entitlement=name).execute()["name"] == annual["name"]
    history = entitlements.listEntitlementChanges(parent=name).execute()["entitlementChanges"]
    assert [c["changeType"] for c in history] == ["CREATED", "COMMITMENT_CHANGED", "SUSPENDED", "ACTIVATED"]

    assert status_of(customers.delete(name=UNPROVISIONED)) == 400  # it still has an entitlement
    op = entitlements.cancel(name=name, body={}).execute()
    done = wait(svc, op)
    assert done["response"]["@type"] == "type.googleapis.com/google.protobuf.Empty"
    assert status_of(entitlements.get(name=name)) == 404
    customers.delete(name=UNPROVISIONED).execute()


def test_rest_transfer_flow_import_transferable_skus_and_offers_transfer(svc):
    customers = svc.accounts().customers()
    customer = customers.import_(parent=ACCOUNT, body={"domain": "altostrat.com"}).execute()
    skus = svc.accounts().listTransferableSkus(
        parent=ACCOUNT, body={"customerName": customer["name"]}).execute()["transferableSkus"]
    assert [s["sku"]["name"] for s in skus] == [STANDARD]
    assert skus[0]["transferEligibility"]["isEligible"] is True
    offers = svc.accounts().listTransferableOffers(
        parent=ACCOUNT, body={"customerName": customer["name"], "sku": STANDARD}).execute()["transferableOffers"]
    flexible = next(o["offer"] for o in offers if o["offer"]["plan"]["paymentPlan"] == "FLEXIBLE")
    op = customers.transferEntitlements(parent=customer["name"], body={"entitlements": [
        {"offer": flexible["name"], "parameters": [{"name": "max_units", "value": {"int64Value": 20}}]}]}).execute()
    assert op["metadata"]["operationType"] == "TRANSFER_ENTITLEMENTS"
    moved = wait(svc, op)["response"]["entitlements"]
    assert moved[0]["provisionedService"]["skuId"] == "1010020028"
    assert customers.entitlements().list(parent=customer["name"]).execute()["entitlements"] == moved
    left = svc.accounts().listTransferableSkus(parent=ACCOUNT, body={"cloudIdentityId": "C00000000"}).execute()
    assert "transferableSkus" not in left
    # A token-protected identity needs its token.
    assert status_of(svc.accounts().listTransferableSkus(parent=ACCOUNT, body={"cloudIdentityId": "C0EXAMPL1"})) == 403


def test_rest_catalog_filters_and_partner_links(svc):
    offers = svc.accounts().offers().list(
        parent=ACCOUNT, filter="sku.product.name=products/CLOUD_IDENTITY").execute()["offers"]
    assert {o["sku"]["marketingInfo"]["displayName"] for o in offers} == {"Cloud Identity Free", "Cloud Identity Premium"}
    page = svc.accounts().offers().list(parent=ACCOUNT, pageSize=5).execute()
    rest = svc.accounts().offers().list_next(svc.accounts().offers().list(parent=ACCOUNT, pageSize=5), page).execute()
    assert len(page["offers"]) == 5 and len(rest["offers"]) == 5
    groups = svc.accounts().customers().queryEligibleBillingAccounts(
        customer=UNPROVISIONED, skus=[STANDARD]).execute()["skuPurchaseGroups"]
    assert groups[0]["skus"] == [STANDARD]
    links = svc.accounts().channelPartnerLinks()
    assert [l["name"] for l in links.list(parent=ACCOUNT).execute()["channelPartnerLinks"]] == [
        "accounts/C01234567/channelPartnerLinks/L1"]
    created = links.create(parent=ACCOUNT, body={"resellerCloudIdentityId": "C0EXAMPL1", "linkState": "INVITED"}).execute()
    assert created["linkState"] == "INVITED"
    full = links.get(name=created["name"], view="FULL").execute()
    assert full["channelPartnerCloudIdentityInfo"]["primaryDomain"] == "example.com"
    patched = links.patch(name="accounts/C01234567/channelPartnerLinks/L1", body={
        "channelPartnerLink": {"linkState": "SUSPENDED"}, "updateMask": "channel_partner_link.link_state"}).execute()
    assert patched["linkState"] == "SUSPENDED"
    assert status_of(links.patch(name=created["name"], body={
        "channelPartnerLink": {"linkState": "ACTIVE"}, "updateMask": "channel_partner_link.link_state"})) == 400


# ---------- gRPC: google-cloud-channel ----------

@pytest.fixture
def client(fresh):
    channel = grpc.insecure_channel(f"127.0.0.1:{fresh.port}")
    yield channel_v1.CloudChannelServiceClient(transport=CloudChannelServiceGrpcTransport(channel=channel))
    channel.close()


def test_grpc_order_flow_as_googles_provisioning_sample_runs_it(client):
    op = client.provision_cloud_identity(request={
        "customer": UNPROVISIONED,
        "cloud_identity_info": {"customer_type": "DOMAIN"},
        "user": {"email": "admin@example.org", "given_name": "Ada", "family_name": "Admin"}})
    customer = op.result(timeout=30)
    assert customer.cloud_identity_id

    # Google's sample: pick the annual Business Standard offer from list_offers.
    selected = None
    for offer in client.list_offers(request={"parent": ACCOUNT}):
        if (offer.sku.marketing_info.display_name == "Google Workspace Business Standard"
                and offer.plan.payment_plan == channel_v1.PaymentPlan.COMMITMENT
                and offer.plan.payment_cycle.period_type == channel_v1.PeriodType.YEAR):
            selected = offer
            break
    assert selected is not None
    purchasable = client.list_purchasable_offers(request={
        "customer": customer.name, "create_entitlement_purchase": {"sku": STANDARD}})
    assert selected.name in [p.offer.name for p in purchasable]

    request = channel_v1.CreateEntitlementRequest(
        parent=customer.name,
        entitlement={
            "offer": selected.name,
            "parameters": [{"name": "num_units", "value": {"int64_value": 5}}],
            "commitment_settings": {"renewal_settings": {
                "enable_renewal": True, "payment_plan": "COMMITMENT",
                "payment_cycle": {"period_type": "YEAR", "duration": 1}}},
            "purchase_order_id": "A codelab test",
        })
    lro = client.create_entitlement(request)
    entitlement = lro.result(timeout=30)
    assert lro.metadata.operation_type == channel_v1.OperationMetadata.OperationType.CREATE_ENTITLEMENT
    assert entitlement.provisioning_state == channel_v1.Entitlement.ProvisioningState.ACTIVE
    assert entitlement.purchase_order_id == "A codelab test"
    assert client.get_entitlement(request={"name": entitlement.name}) == entitlement

    changed = client.change_parameters(request={
        "name": entitlement.name,
        "parameters": [{"name": "num_units", "value": {"int64_value": 10}}]}).result(timeout=30)
    assert [p.value.int64_value for p in changed.parameters if p.name == "num_units"] == [10]
    with pytest.raises(gexc.InvalidArgument) as e:
        client.change_parameters(request={
            "name": entitlement.name, "parameters": [{"name": "num_units", "value": {"int64_value": 3}}]})
    assert "num_units = 3" in e.value.message

    renewal = client.change_renewal_settings(request={
        "name": entitlement.name, "renewal_settings": {"enable_renewal": False}}).result(timeout=30)
    assert not renewal.commitment_settings.renewal_settings.enable_renewal

    suspended = client.suspend_entitlement(request={"name": entitlement.name}).result(timeout=30)
    assert suspended.provisioning_state == channel_v1.Entitlement.ProvisioningState.SUSPENDED
    assert list(suspended.suspension_reasons) == [channel_v1.Entitlement.SuspensionReason.RESELLER_INITIATED]
    with pytest.raises(gexc.FailedPrecondition) as e:
        client.suspend_entitlement(request={"name": entitlement.name})
    assert e.value.reason == "NOT_ACTIVE"
    active = client.activate_entitlement(request={"name": entitlement.name}).result(timeout=30)
    assert active.provisioning_state == channel_v1.Entitlement.ProvisioningState.ACTIVE

    flexible = client.change_offer(request={
        "name": entitlement.name, "offer": f"{ACCOUNT}/offers/WS-STANDARD-FLEX",
        "parameters": [{"name": "max_units", "value": {"int64_value": 10}}]}).result(timeout=30)
    assert flexible.offer == f"{ACCOUNT}/offers/WS-STANDARD-FLEX"
    assert client.lookup_offer(request={"entitlement": entitlement.name}).plan.payment_plan == channel_v1.PaymentPlan.FLEXIBLE
    history = [c.change_type for c in client.list_entitlement_changes(request={"parent": entitlement.name})]
    T = channel_v1.EntitlementChange.ChangeType
    assert history == [T.CREATED, T.COMMITMENT_CHANGED, T.RENEWAL_SETTING_CHANGED, T.SUSPENDED, T.ACTIVATED,
                       T.PRICE_PLAN_SWITCHED]

    with pytest.raises(gexc.FailedPrecondition):
        client.delete_customer(request={"name": customer.name})
    client.cancel_entitlement(request={"name": entitlement.name}).result(timeout=30)
    with pytest.raises(gexc.NotFound):
        client.get_entitlement(request={"name": entitlement.name})
    client.delete_customer(request={"name": customer.name})


def test_grpc_errors_carry_codes_and_reasons(client):
    with pytest.raises(gexc.FailedPrecondition) as e:
        client.create_entitlement(request={"parent": UNPROVISIONED,
                                           "entitlement": {"offer": f"{ACCOUNT}/offers/CI-FREE"}})
    assert "Cloud Identity" in e.value.message
    client.provision_cloud_identity(request={
        "customer": UNPROVISIONED, "user": {"email": "admin@example.org"}}).result(timeout=30)
    with pytest.raises(gexc.NotFound) as e:
        client.create_entitlement(request={"parent": UNPROVISIONED,
                                           "entitlement": {"offer": f"{ACCOUNT}/offers/NOPE"}})
    assert e.value.reason == "OFFER_NOT_FOUND"
    with pytest.raises(gexc.InvalidArgument):
        client.create_entitlement(request={"parent": UNPROVISIONED, "entitlement": {
            "offer": f"{ACCOUNT}/offers/WS-STARTER-ANNUAL",
            "parameters": [{"name": "num_units", "value": {"int64_value": 0}}]}})
    client.create_entitlement(request={"parent": UNPROVISIONED, "entitlement": {
        "offer": f"{ACCOUNT}/offers/CI-FREE"}}).result(timeout=30)
    with pytest.raises(gexc.AlreadyExists):
        client.create_entitlement(request={"parent": UNPROVISIONED,
                                           "entitlement": {"offer": f"{ACCOUNT}/offers/CI-FREE"}})


def test_grpc_transfer_flow_import_transferable_skus_and_offers_transfer(client):
    customer = client.import_customer(request={"parent": ACCOUNT, "domain": "altostrat.com"})
    skus = list(client.list_transferable_skus(request={"parent": ACCOUNT, "customer_name": customer.name}))
    assert [s.sku.name for s in skus] == [STANDARD]
    assert skus[0].transfer_eligibility.is_eligible
    offers = list(client.list_transferable_offers(request={
        "parent": ACCOUNT, "customer_name": customer.name, "sku": STANDARD}))
    annual = next(o.offer for o in offers if o.offer.plan.payment_plan == channel_v1.PaymentPlan.COMMITMENT)
    lro = client.transfer_entitlements(request={"parent": customer.name, "entitlements": [{
        "offer": annual.name, "parameters": [{"name": "num_units", "value": {"int64_value": 20}}]}]})
    moved = lro.result(timeout=30)
    assert lro.metadata.operation_type == channel_v1.OperationMetadata.OperationType.TRANSFER_ENTITLEMENTS
    assert [e.provisioned_service.sku_id for e in moved.entitlements] == ["1010020028"]
    listed = list(client.list_entitlements(request={"parent": customer.name}))
    assert listed == list(moved.entitlements)
    # Transferring the same SKU again is ALREADY_EXISTS.
    with pytest.raises(gexc.AlreadyExists):
        client.transfer_entitlements(request={"parent": customer.name, "entitlements": [{
            "offer": annual.name, "parameters": [{"name": "num_units", "value": {"int64_value": 20}}]}]})
    # And back to Google.
    client.transfer_entitlements_to_google(request={
        "parent": customer.name, "entitlements": [{"name": moved.entitlements[0].name}]}).result(timeout=30)
    assert list(client.list_entitlements(request={"parent": customer.name})) == []
    again = list(client.list_transferable_skus(request={"parent": ACCOUNT, "cloud_identity_id": "C00000000"}))
    assert [s.sku.name for s in again] == [STANDARD]


def test_grpc_partner_links_and_catalog(client):
    links = list(client.list_channel_partner_links(request={"parent": ACCOUNT}))
    assert [l.name for l in links] == ["accounts/C01234567/channelPartnerLinks/L1"]
    created = client.create_channel_partner_link(request={"parent": ACCOUNT, "channel_partner_link": {
        "reseller_cloud_identity_id": "C0EXAMPL1", "link_state": "INVITED"}})
    assert created.link_state == channel_v1.ChannelPartnerLinkState.INVITED
    revoked = client.update_channel_partner_link(request={
        "name": created.name, "channel_partner_link": {"link_state": "REVOKED"},
        "update_mask": field_mask_pb2.FieldMask(paths=["channel_partner_link.link_state"])})
    assert revoked.link_state == channel_v1.ChannelPartnerLinkState.REVOKED
    products = [p.name for p in client.list_products(request={"account": ACCOUNT})]
    assert "products/CLOUD_IDENTITY" in products
    skus = [s.name for s in client.list_skus(request={"parent": "products/-", "account": ACCOUNT})]
    assert len(skus) == 6
    groups = client.query_eligible_billing_accounts(request={"customer": UNPROVISIONED, "skus": [STANDARD]})
    assert groups.sku_purchase_groups[0].billing_account_purchase_infos[0].billing_account.currency_code == "USD"


def test_strict_auth_applies_to_orders(strict):
    channel = grpc.insecure_channel(f"127.0.0.1:{strict.port}")
    try:
        client = channel_v1.CloudChannelServiceClient(transport=CloudChannelServiceGrpcTransport(channel=channel))
        one = [("authorization", "Bearer reseller-one-token")]
        two = [("authorization", "Bearer reseller-two-token")]
        with pytest.raises(gexc.PermissionDenied):
            list(client.list_offers(request={"parent": ACCOUNT}, metadata=two))
        assert list(client.list_offers(request={"parent": ACCOUNT}, metadata=one))
        assert list(client.list_offers(request={"parent": OTHER_ACCOUNT}, metadata=two))
        with pytest.raises(gexc.Unauthenticated):
            client.list_entitlements(request={"parent": UNPROVISIONED})
        with pytest.raises(gexc.PermissionDenied):
            client.list_entitlements(request={"parent": UNPROVISIONED}, metadata=two)
    finally:
        channel.close()
