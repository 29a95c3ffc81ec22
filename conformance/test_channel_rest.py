"""Cloud Channel v1 over REST, driven by the real discovery client (googleapiclient, static discovery document).

Python's google-cloud-channel has no REST transport, so this is how Python REST users reach the API. Errors arrive
as `googleapiclient.errors.HttpError`; the Google error envelope is in `e.content`. A few raw-HTTP cases (malformed
JSON, unknown custom verb) go through `requests`.
"""

import json
import time

import google.auth.credentials
import pytest
import requests
from googleapiclient import discovery
from googleapiclient.errors import HttpError

pytestmark = pytest.mark.usefixtures("fresh")

ACCOUNT = "accounts/C01234567"
OTHER_ACCOUNT = "accounts/C07654321"
LINK = "accounts/C01234567/channelPartnerLinks/L1"
UNPROVISIONED = "accounts/C01234567/customers/S0NEWCUSTOMER1"
CUSTOMER_TYPE = "type.googleapis.com/google.cloud.channel.v1.Customer"
METADATA_TYPE = "type.googleapis.com/google.cloud.channel.v1.OperationMetadata"
ERROR_DOMAIN = "cloudchannel.googleapis.com"


@pytest.fixture
def svc(fresh):
    return discovery.build(
        "cloudchannel",
        "v1",
        static_discovery=True,
        credentials=google.auth.credentials.AnonymousCredentials(),
        client_options={"api_endpoint": f"http://127.0.0.1:{fresh.port}/"},
    )


@pytest.fixture
def customers(svc):
    return svc.accounts().customers()


def body_of(domain, **extra):
    body = {
        "orgDisplayName": f"{domain} Inc",
        "orgPostalAddress": {"regionCode": "US", "postalCode": "94043", "addressLines": ["1 Main St"]},
        "primaryContactInfo": {"firstName": "Jo", "lastName": "Doe", "email": f"jo@{domain}"},
        "domain": domain,
        "languageCode": "en-US",
    }
    body.update(extra)
    return body


def http_error(request):
    """Executes a discovery request that must fail; returns (HTTP status, the envelope's `error` object)."""
    with pytest.raises(HttpError) as info:
        request.execute()
    e = info.value
    body = json.loads(e.content)
    assert "error" in body, body
    assert body["error"]["code"] == e.resp.status, body
    return e.resp.status, body["error"]


def error_info(err):
    infos = [d for d in err.get("details", []) if d.get("@type") == "type.googleapis.com/google.rpc.ErrorInfo"]
    assert infos, f"no ErrorInfo detail in {err}"
    return infos[0]


def wait_done(svc, name, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        op = svc.operations().get(name=name).execute()
        if op.get("done"):
            return op
        assert time.monotonic() < deadline, f"operation {name} not done after {timeout}s: {op}"
        time.sleep(0.1)


# ---------- create / get / list / patch / delete ----------


def test_create_then_get_returns_the_customer(customers):
    created = customers.create(parent=ACCOUNT, body=body_of("acme-create.com")).execute()
    assert created["name"].startswith(f"{ACCOUNT}/customers/")
    assert created["domain"] == "acme-create.com"
    assert created["orgDisplayName"] == "acme-create.com Inc"
    assert created["orgPostalAddress"]["regionCode"] == "US"
    assert created["primaryContactInfo"]["email"] == "jo@acme-create.com"
    assert created["primaryContactInfo"]["displayName"] == "Jo Doe"
    assert created["createTime"].endswith("Z") and created["updateTime"].endswith("Z")
    assert "cloudIdentityId" not in created and "cloudIdentityInfo" not in created

    got = customers.get(name=created["name"]).execute()
    assert got == created


def test_create_under_a_channel_partner_link(svc):
    link_customers = svc.accounts().channelPartnerLinks().customers()
    created = link_customers.create(parent=LINK, body=body_of("acme-link.com")).execute()
    assert created["name"].startswith(f"{LINK}/customers/")
    assert link_customers.get(name=created["name"]).execute()["domain"] == "acme-link.com"


def test_create_rejects_invalid_customers(customers):
    missing_name = body_of("acme-invalid.com")
    del missing_name["orgDisplayName"]
    status, err = http_error(customers.create(parent=ACCOUNT, body=missing_name))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")

    mismatch = body_of("acme-invalid.com", primaryContactInfo={"firstName": "A", "email": "a@elsewhere.com"})
    status, err = http_error(customers.create(parent=ACCOUNT, body=mismatch))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")

    status, err = http_error(customers.create(parent=ACCOUNT, body=body_of("not_a_domain")))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")


def test_create_duplicate_domain_is_already_exists(customers):
    customers.create(parent=ACCOUNT, body=body_of("acme-dup.com")).execute()
    status, err = http_error(customers.create(parent=ACCOUNT, body=body_of("acme-dup.com")))
    assert (status, err["status"]) == (409, "ALREADY_EXISTS")


def test_list_pages_with_list_next(customers):
    made = {customers.create(parent=ACCOUNT, body=body_of(f"acme-page{i}.com")).execute()["name"] for i in range(5)}
    seen, pages = [], 0
    request = customers.list(parent=ACCOUNT, pageSize=2)
    while request is not None:
        page = request.execute()
        pages += 1
        assert len(page.get("customers", [])) <= 2
        seen += [c["name"] for c in page.get("customers", [])]
        request = customers.list_next(request, page)
    assert pages == 3  # 5 created + S0NEWCUSTOMER1
    assert len(seen) == len(set(seen)) == 6
    assert set(seen) == made | {UNPROVISIONED}


def test_list_with_filter(customers):
    for d in ("acme-f1.com", "acme-f2.com", "other-f3.com"):
        customers.create(parent=ACCOUNT, body=body_of(d)).execute()
    page = customers.list(parent=ACCOUNT, filter='domain = "acme-f2.com"').execute()
    assert [c["domain"] for c in page["customers"]] == ["acme-f2.com"]
    assert not page.get("nextPageToken")

    page = customers.list(parent=ACCOUNT, filter='domain : "acme-*"').execute()
    assert sorted(c["domain"] for c in page["customers"]) == ["acme-f1.com", "acme-f2.com"]

    page = customers.list(parent=ACCOUNT, filter='domain = "nobody.example"').execute()
    assert page.get("customers", []) == []

    status, err = http_error(customers.list(parent=ACCOUNT, filter='domain = "unterminated'))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")


def test_list_other_account_is_separate(customers):
    customers.create(parent=ACCOUNT, body=body_of("acme-sep.com")).execute()
    page = customers.list(parent=OTHER_ACCOUNT).execute()
    assert page.get("customers", []) == []


def test_patch_with_update_mask_changes_only_masked_fields(customers):
    created = customers.create(parent=ACCOUNT, body=body_of("acme-patch.com")).execute()
    time.sleep(0.01)
    patched = customers.patch(
        name=created["name"],
        updateMask="orgDisplayName,orgPostalAddress.postalCode",
        body={
            "orgDisplayName": "Renamed",
            "orgPostalAddress": {"postalCode": "10001", "regionCode": "ZZ"},
            "alternateEmail": "not-in-mask@elsewhere.com",
        },
    ).execute()
    assert patched["orgDisplayName"] == "Renamed"
    assert patched["orgPostalAddress"]["postalCode"] == "10001"
    assert patched["orgPostalAddress"]["regionCode"] == "US"
    assert "alternateEmail" not in patched
    assert patched["domain"] == "acme-patch.com"
    assert patched["createTime"] == created["createTime"]
    assert patched["updateTime"] >= created["updateTime"]
    assert customers.get(name=created["name"]).execute() == patched


def test_patch_errors(customers):
    created = customers.create(parent=ACCOUNT, body=body_of("acme-patcherr.com")).execute()
    status, err = http_error(
        customers.patch(name=created["name"], updateMask="cloudIdentityId", body={"cloudIdentityId": "C0X"})
    )
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")
    status, err = http_error(
        customers.patch(name=f"{ACCOUNT}/customers/S0DOESNOTEXIST", updateMask="orgDisplayName", body={"orgDisplayName": "x"})
    )
    assert (status, err["status"]) == (404, "NOT_FOUND")


def test_delete_then_get_is_not_found(customers):
    created = customers.create(parent=ACCOUNT, body=body_of("acme-delete.com")).execute()
    assert customers.delete(name=created["name"]).execute() == {}
    status, err = http_error(customers.get(name=created["name"]))
    assert (status, err["status"]) == (404, "NOT_FOUND")
    status, err = http_error(customers.delete(name=created["name"]))
    assert (status, err["status"]) == (404, "NOT_FOUND")


def test_get_unknown_customer_envelope(customers):
    with pytest.raises(HttpError) as info:
        customers.get(name=f"{ACCOUNT}/customers/S0DOESNOTEXIST").execute()
    e = info.value
    assert e.resp.status == 404
    assert e.resp["content-type"].startswith("application/json")
    err = json.loads(e.content)["error"]
    assert err["code"] == 404 and err["status"] == "NOT_FOUND" and err["message"]
    assert error_info(err)["domain"] == ERROR_DOMAIN


# ---------- import ----------


def test_import_by_domain(customers):
    c = customers.import_(parent=ACCOUNT, body={"domain": "altostrat.com"}).execute()
    assert c["name"].startswith(f"{ACCOUNT}/customers/")
    assert c["cloudIdentityId"] == "C00000000"
    assert c["domain"] == "altostrat.com"
    assert c["cloudIdentityInfo"]["customerType"] == "DOMAIN"
    assert c["cloudIdentityInfo"]["primaryDomain"] == "altostrat.com"
    assert customers.get(name=c["name"]).execute()["cloudIdentityId"] == "C00000000"


def test_import_by_cloud_identity_id(customers):
    c = customers.import_(parent=ACCOUNT, body={"cloudIdentityId": "C0TEAM001"}).execute()
    assert c["cloudIdentityId"] == "C0TEAM001"
    assert c["domain"] == "cymbalgroup.com"
    assert c["cloudIdentityInfo"]["customerType"] == "TEAM"


def test_import_by_primary_admin_email_with_auth_token(customers):
    c = customers.import_(
        parent=ACCOUNT, body={"primaryAdminEmail": "admin@example.com", "authToken": "example-auth-token"}
    ).execute()
    assert c["cloudIdentityId"] == "C0EXAMPL1"
    assert c["domain"] == "example.com"
    # Once authorised, this reseller needs no token again.
    customers.delete(name=c["name"]).execute()
    again = customers.import_(parent=ACCOUNT, body={"cloudIdentityId": "C0EXAMPL1"}).execute()
    assert again["cloudIdentityId"] == "C0EXAMPL1"


def test_import_conflict_and_overwrite(customers):
    first = customers.import_(parent=ACCOUNT, body={"domain": "altostrat.com"}).execute()
    status, err = http_error(customers.import_(parent=ACCOUNT, body={"domain": "altostrat.com"}))
    assert (status, err["status"]) == (409, "ALREADY_EXISTS")
    assert error_info(err)["domain"] == ERROR_DOMAIN
    status, err = http_error(customers.import_(parent=ACCOUNT, body={"cloudIdentityId": "C00000000"}))
    assert (status, err["status"]) == (409, "ALREADY_EXISTS")

    again = customers.import_(parent=ACCOUNT, body={"domain": "altostrat.com", "overwriteIfExists": True}).execute()
    assert again["name"] == first["name"]
    assert again["cloudIdentityId"] == "C00000000"
    names = [c["name"] for c in customers.list(parent=ACCOUNT).execute()["customers"]]
    assert names.count(first["name"]) == 1


def test_import_auth_token_missing_or_wrong(customers):
    status, err = http_error(customers.import_(parent=ACCOUNT, body={"domain": "example.com"}))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")
    status, err = http_error(customers.import_(parent=ACCOUNT, body={"domain": "example.com", "authToken": "wrong"}))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")


def test_import_unknown_identity_is_not_found(customers):
    for body in ({"domain": "nobody-here.com"}, {"cloudIdentityId": "C0NOSUCH1"}, {"primaryAdminEmail": "x@nobody-here.com"}):
        status, err = http_error(customers.import_(parent=ACCOUNT, body=body))
        assert (status, err["status"]) == (404, "NOT_FOUND"), body


def test_import_without_a_key_is_invalid(customers):
    status, err = http_error(customers.import_(parent=ACCOUNT, body={"overwriteIfExists": True}))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")


# ---------- provisionCloudIdentity and operations ----------


def provision_body(email="admin@example.org"):
    return {
        "cloudIdentityInfo": {"customerType": "DOMAIN", "alternateEmail": "it@elsewhere.com"},
        "user": {"email": email, "givenName": "Pat", "familyName": "Lee"},
    }


def test_provision_cloud_identity_then_poll(svc, customers):
    op = customers.provisionCloudIdentity(customer=UNPROVISIONED, body=provision_body()).execute()
    assert op["name"].startswith("operations/")
    assert op["metadata"]["@type"] == METADATA_TYPE
    assert op["metadata"]["operationType"] == "PROVISION_CLOUD_IDENTITY"
    if not op.get("done"):
        assert "response" not in op and "error" not in op

    done = wait_done(svc, op["name"])
    assert done["name"] == op["name"]
    assert "error" not in done
    assert done["response"]["@type"] == CUSTOMER_TYPE
    assert done["metadata"]["@type"] == METADATA_TYPE
    assert done["metadata"]["operationType"] == "PROVISION_CLOUD_IDENTITY"
    ci_id = done["response"]["cloudIdentityId"]
    assert ci_id
    assert done["response"]["name"] == UNPROVISIONED

    got = customers.get(name=UNPROVISIONED).execute()
    assert got["cloudIdentityId"] == ci_id
    assert got["cloudIdentityInfo"]["primaryDomain"] == "example.org"
    assert got["cloudIdentityInfo"]["customerType"] == "DOMAIN"

    # The operation stays readable once done.
    assert svc.operations().get(name=op["name"]).execute()["done"] is True

    # The new Cloud Identity is visible and importable by the other reseller.
    check = svc.accounts().checkCloudIdentityAccountsExist(
        parent=OTHER_ACCOUNT, body={"domain": "example.org"}
    ).execute()
    assert check["cloudIdentityAccounts"][0]["customerCloudIdentityId"] == ci_id
    imported = customers.import_(parent=OTHER_ACCOUNT, body={"cloudIdentityId": ci_id}).execute()
    assert imported["name"].startswith(f"{OTHER_ACCOUNT}/customers/")
    assert imported["cloudIdentityId"] == ci_id
    assert imported["domain"] == "example.org"


def test_provision_errors(svc, customers):
    status, err = http_error(
        customers.provisionCloudIdentity(customer=f"{ACCOUNT}/customers/S0DOESNOTEXIST", body=provision_body())
    )
    assert (status, err["status"]) == (404, "NOT_FOUND")

    status, err = http_error(customers.provisionCloudIdentity(customer=UNPROVISIONED, body={"cloudIdentityInfo": {}}))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")

    # The admin's primary email already exists (it is altostrat.com's admin).
    team = {"cloudIdentityInfo": {"customerType": "TEAM"}, "user": {"email": "admin@altostrat.com"}}
    status, err = http_error(customers.provisionCloudIdentity(customer=UNPROVISIONED, body=team))
    assert (status, err["status"]) == (409, "ALREADY_EXISTS")

    # A customer that already has a Cloud Identity cannot be provisioned again.
    imported = customers.import_(parent=ACCOUNT, body={"domain": "altostrat.com"}).execute()
    status, err = http_error(
        customers.provisionCloudIdentity(customer=imported["name"], body=provision_body("new@altostrat.com"))
    )
    assert (status, err["status"]) == (409, "ALREADY_EXISTS")


def test_failed_operation_reports_rpc_code(svc, customers, fresh):
    op = customers.provisionCloudIdentity(customer=UNPROVISIONED, body=provision_body()).execute()
    r = requests.post(
        f"{fresh.base}/_mock/operations/{op['name']}:fail", json={"code": "INTERNAL", "message": "backend down"}, timeout=5
    )
    assert r.status_code == 200, r.text
    done = svc.operations().get(name=op["name"]).execute()
    assert done["done"] is True and "response" not in done
    assert done["error"]["code"] == 13
    assert "backend down" in done["error"]["message"]
    # The customer was left unprovisioned and may be provisioned again.
    assert "cloudIdentityId" not in customers.get(name=UNPROVISIONED).execute()
    op2 = customers.provisionCloudIdentity(customer=UNPROVISIONED, body=provision_body()).execute()
    requests.post(f"{fresh.base}/_mock/operations:flush", timeout=5).raise_for_status()
    assert svc.operations().get(name=op2["name"]).execute()["response"]["@type"] == CUSTOMER_TYPE


def test_operations_list_includes_provision(svc, customers):
    op = customers.provisionCloudIdentity(customer=UNPROVISIONED, body=provision_body()).execute()
    listed = svc.operations().list(name="operations").execute()
    assert op["name"] in [o["name"] for o in listed.get("operations", [])]


# ---------- checkCloudIdentityAccountsExist ----------


def test_check_cloud_identity_accounts_exist(svc, customers):
    accounts = svc.accounts()
    res = accounts.checkCloudIdentityAccountsExist(parent=ACCOUNT, body={"domain": "altostrat.com"}).execute()
    (entry,) = res["cloudIdentityAccounts"]
    assert entry["existing"] is True
    assert not entry.get("owned", False)
    assert entry["customerCloudIdentityId"] == "C00000000"
    assert entry["customerType"] == "DOMAIN"

    imported = customers.import_(parent=ACCOUNT, body={"domain": "altostrat.com"}).execute()
    res = accounts.checkCloudIdentityAccountsExist(
        parent=ACCOUNT, body={"domain": "altostrat.com", "primaryAdminEmail": "admin@altostrat.com"}
    ).execute()
    (entry,) = res["cloudIdentityAccounts"]
    assert entry["owned"] is True
    assert entry["customerName"] == imported["name"]

    # v1: nothing found is an empty answer, not an error.
    res = accounts.checkCloudIdentityAccountsExist(parent=ACCOUNT, body={"domain": "nobody-here.com"}).execute()
    assert res.get("cloudIdentityAccounts", []) == []

    status, err = http_error(accounts.checkCloudIdentityAccountsExist(parent=ACCOUNT, body={"domain": "not a domain"}))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")


# ---------- raw HTTP: malformed bodies, unknown fields, unknown verbs ----------


def bad_request_detail(err):
    details = [d for d in err.get("details", []) if d.get("@type") == "type.googleapis.com/google.rpc.BadRequest"]
    assert details and details[0].get("fieldViolations"), f"no BadRequest detail in {err}"
    return details[0]


def test_malformed_json_is_invalid_argument(fresh):
    r = requests.post(
        f"{fresh.base}/v1/{ACCOUNT}/customers?alt=json",
        data=b'{"domain": "acme-bad.com",',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == 400 and err["status"] == "INVALID_ARGUMENT"
    assert "Invalid JSON payload received" in err["message"]
    bad_request_detail(err)


def test_unknown_field_is_invalid_argument_over_raw_http(fresh):
    r = requests.post(
        f"{fresh.base}/v1/{ACCOUNT}/customers:import?alt=json",
        json={"domain": "altostrat.com", "notAField": True},
        timeout=5,
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["status"] == "INVALID_ARGUMENT"
    assert "notAField" in err["message"]
    assert bad_request_detail(err)["fieldViolations"][0]["field"] == "notAField"


def test_unknown_field_in_body_via_discovery_client(customers):
    status, err = http_error(customers.create(parent=ACCOUNT, body=body_of("acme-unknown.com", favouriteColour="red")))
    assert (status, err["status"]) == (400, "INVALID_ARGUMENT")
    assert "favouriteColour" in err["message"]
    # Nothing was created.
    page = customers.list(parent=ACCOUNT, filter='domain = "acme-unknown.com"').execute()
    assert page.get("customers", []) == []


def test_unknown_custom_verb_is_not_found(fresh):
    r = requests.post(f"{fresh.base}/v1/{ACCOUNT}/customers:frobnicate?alt=json", json={}, timeout=5)
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == 404 and err["status"] == "NOT_FOUND"
    r = requests.post(f"{fresh.base}/v1/{UNPROVISIONED}:frobnicate", json={}, timeout=5)
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"


def test_snake_case_input_is_accepted(fresh):
    r = requests.post(
        f"{fresh.base}/v1/{ACCOUNT}/customers:import",
        json={"cloud_identity_id": "C0TEAM001", "overwrite_if_exists": False},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.json()["cloudIdentityId"] == "C0TEAM001"


# ---------- wire details: numeric enums, query parameters, operation routes, v1alpha1, strict auth ----------


def test_enum_encoding_int_and_numeric_enum_input(fresh):
    # GAPIC REST clients send `$alt=json;enum-encoding=int` and expect numeric enums back.
    r = requests.post(
        f"{fresh.base}/v1/{ACCOUNT}/customers:import?%24alt=json%3Benum-encoding%3Dint",
        json={"cloudIdentityId": "C0TEAM001"},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.json()["cloudIdentityInfo"]["customerType"] == 2
    # Enum numbers are accepted on input; without `$alt` the answer uses names.
    r = requests.post(
        f"{fresh.base}/v1/{UNPROVISIONED}:provisionCloudIdentity?alt=json",
        json={"cloudIdentityInfo": {"customerType": 1}, "user": {"email": "admin@example.org"}},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["operationType"] == "PROVISION_CLOUD_IDENTITY"
    r = requests.get(f"{fresh.base}/v1/{r.json()['name']}?%24alt=json%3Benum-encoding%3Dint", timeout=5)
    assert r.json()["metadata"]["operationType"] == 16


def test_unknown_query_parameter_is_invalid_argument(fresh):
    r = requests.get(f"{fresh.base}/v1/{ACCOUNT}/customers?colour=red", timeout=5)
    assert r.status_code == 400
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_filter_keys_are_case_insensitive(customers):
    imported = customers.import_(parent=ACCOUNT, body={"cloudIdentityId": "C0TEAM001"}).execute()
    for f in ('cloud_identity_id = "C0TEAM001"', 'CLOUD_IDENTITY_ID = "C0TEAM001"', 'Domain = "cymbalgroup.com"'):
        page = customers.list(parent=ACCOUNT, filter=f).execute()
        assert [c["name"] for c in page["customers"]] == [imported["name"]], f


def test_cancel_and_delete_operation(svc, customers):
    op = customers.provisionCloudIdentity(customer=UNPROVISIONED, body=provision_body()).execute()
    assert svc.operations().cancel(name=op["name"], body={}).execute() == {}
    cancelled = svc.operations().get(name=op["name"]).execute()
    assert cancelled["done"] is True and "response" not in cancelled
    assert cancelled["error"]["code"] == 1  # CANCELLED, as an rpc code
    assert "cloudIdentityId" not in customers.get(name=UNPROVISIONED).execute()

    assert svc.operations().delete(name=op["name"]).execute() == {}
    status, err = http_error(svc.operations().get(name=op["name"]))
    assert (status, err["status"]) == (404, "NOT_FOUND")
    status, err = http_error(svc.operations().get(name="operations/does-not-exist"))
    assert (status, err["status"]) == (404, "NOT_FOUND")


def test_v1alpha1_check_answers_not_found_when_nothing_matches(fresh):
    r = requests.post(
        f"{fresh.base}/v1alpha1/{ACCOUNT}:checkCloudIdentityAccountsExist", json={"domain": "nobody-here.com"}, timeout=5
    )
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"
    r = requests.post(
        f"{fresh.base}/v1/{ACCOUNT}:checkCloudIdentityAccountsExist", json={"domain": "nobody-here.com"}, timeout=5
    )
    assert r.status_code == 200 and r.json().get("cloudIdentityAccounts", []) == []


def test_strict_rest_tokens(strict):
    import google.oauth2.credentials

    def build(token):
        return discovery.build(
            "cloudchannel",
            "v1",
            static_discovery=True,
            credentials=google.oauth2.credentials.Credentials(token=token),
            client_options={"api_endpoint": f"http://127.0.0.1:{strict.port}/"},
        )

    got = build("reseller-one-token").accounts().customers().get(name=UNPROVISIONED).execute()
    assert got["domain"] == "example.org"
    status, err = http_error(build("reseller-two-token").accounts().customers().get(name=UNPROVISIONED))
    assert (status, err["status"]) == (403, "PERMISSION_DENIED")
    r = requests.get(f"{strict.base}/v1/{UNPROVISIONED}", timeout=5)
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
