"""Cloud Identity user invitations driven through the real discovery client (googleapiclient, static discovery).

The client expands `{+name}` without escaping, so `@` and `+` reach provmock literally; list_next() re-sends the
URL with pageToken. Accept/decline (what the invited user does) and the mail log go through the control plane.

The server is conftest.py's `fresh` (the plugin's session provmock, reset between tests); the client is the plugin's
`cloudidentity_rest()`.
"""

import json
import urllib.request

import pytest
from googleapiclient.errors import HttpError

CUSTOMER = "customers/C00000000"


def inv_name(email):
    return f"{CUSTOMER}/userinvitations/{email}"


@pytest.fixture
def base_url(fresh):
    return fresh.url


@pytest.fixture
def invitations(fresh):
    return fresh.cloudidentity_rest().customers().userinvitations()


def control(base_url, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"{}")


def emails(page):
    return [i["name"].rsplit("/", 1)[1] for i in page.get("userInvitations", [])]


def test_list_with_filter_order_and_paging(invitations):
    all_emails = emails(invitations.list(parent=CUSTOMER).execute())
    assert "writer@altostrat.com" in all_emails
    assert all_emails == sorted(all_emails)

    request = invitations.list(parent=CUSTOMER, pageSize=2, filter="state!='accepted'", orderBy="email desc")
    seen, pages = [], 0
    while request is not None:
        page = request.execute()
        assert len(page.get("userInvitations", [])) <= 2
        seen += emails(page)
        pages += 1
        request = invitations.list_next(request, page)
    assert pages > 1
    assert seen == sorted(all_emails, reverse=True)


def test_guide_sample_filter_and_order(invitations):
    invitations.send(name=inv_name("bob@altostrat.com"), body={}).execute()
    page = invitations.list(parent=CUSTOMER, filter="state!='accepted'", orderBy="'updateTime desc'").execute()
    assert emails(page)[0] == "bob@altostrat.com"
    invited = invitations.list(parent=CUSTOMER, filter="state=='invited'||state=='declined'").execute()
    assert emails(invited) == ["bob@altostrat.com"]


def test_get(invitations):
    inv = invitations.get(name=inv_name("writer@altostrat.com")).execute()
    assert inv["name"] == "customers/C00000000/userinvitations/writer@altostrat.com"
    assert inv["state"] == "NOT_YET_SENT"
    assert inv["mailsSentCount"] == "0"
    assert inv["updateTime"].endswith("Z")


def test_is_invitable_user(invitations):
    assert invitations.isInvitableUser(name=inv_name("writer@altostrat.com")).execute() == {"isInvitableUser": True}
    assert invitations.isInvitableUser(name=inv_name("managed@altostrat.com")).execute() == {
        "isInvitableUser": False
    }
    assert invitations.isInvitableUser(name=inv_name("lee@gmail.com")).execute() == {"isInvitableUser": False}


def test_send_twice_counts_two_mails(invitations, base_url):
    op = invitations.send(name=inv_name("writer@altostrat.com"), body={}).execute()
    assert op["done"] is True
    assert op["name"].startswith("operations/")
    assert op["response"]["@type"] == (
        "type.googleapis.com/google.apps.cloudidentity.userinvitations.v1.UserInvitation"
    )
    assert op["response"]["state"] == "INVITED"
    op = invitations.send(name=inv_name("writer@altostrat.com"), body={}).execute()
    assert op["response"]["mailsSentCount"] == "2"
    mail = control(base_url, "GET", "/_mock/mail")["mail"]
    assert [(m["to"], m["customer"], m["count"]) for m in mail] == [
        ("writer@altostrat.com", "C00000000", 1),
        ("writer@altostrat.com", "C00000000", 2),
    ]


def test_cancel(invitations):
    invitations.send(name=inv_name("alice@altostrat.com"), body={}).execute()
    op = invitations.cancel(name=inv_name("alice@altostrat.com"), body={}).execute()
    assert op["response"]["state"] == "NOT_YET_SENT"
    assert invitations.get(name=inv_name("alice@altostrat.com")).execute()["state"] == "NOT_YET_SENT"


def test_accept_and_decline_through_the_control_plane(invitations, base_url):
    for email in ("carol@altostrat.com", "dave@altostrat.com"):
        invitations.send(name=inv_name(email), body={}).execute()
    accepted = control(
        base_url, "POST", "/_mock/invitations/customers/C00000000/userinvitations/carol@altostrat.com:accept", {}
    )
    assert accepted["state"] == "ACCEPTED"
    declined = control(
        base_url, "POST", "/_mock/invitations/customers/C00000000/userinvitations/dave@altostrat.com:decline", {}
    )
    assert declined["state"] == "DECLINED"
    assert invitations.get(name=inv_name("carol@altostrat.com")).execute()["state"] == "ACCEPTED"
    assert invitations.isInvitableUser(name=inv_name("carol@altostrat.com")).execute() == {"isInvitableUser": False}
    # A declined invitation can be sent again.
    op = invitations.send(name=inv_name("dave@altostrat.com"), body={}).execute()
    assert op["response"]["state"] == "INVITED"


def test_failed_precondition_and_not_found_are_http_errors(invitations):
    with pytest.raises(HttpError) as e:
        invitations.cancel(name=inv_name("erin@altostrat.com"), body={}).execute()
    assert e.value.resp.status == 400
    assert json.loads(e.value.content)["error"]["status"] == "FAILED_PRECONDITION"
    assert "NOT_YET_SENT" in json.loads(e.value.content)["error"]["message"]

    with pytest.raises(HttpError) as e:
        invitations.get(name=inv_name("nobody@altostrat.com")).execute()
    assert e.value.resp.status == 404
    assert json.loads(e.value.content)["error"]["status"] == "NOT_FOUND"

    with pytest.raises(HttpError) as e:
        invitations.send(name=inv_name("nobody@altostrat.com"), body={}).execute()
    assert e.value.resp.status == 404


def test_email_with_plus(invitations):
    name = inv_name("sam+news@altostrat.com")
    assert invitations.get(name=name).execute()["name"] == name
    op = invitations.send(name=name, body={}).execute()
    assert op["response"]["name"] == name
    assert op["response"]["state"] == "INVITED"
    assert invitations.isInvitableUser(name=name).execute() == {"isInvitableUser": True}
