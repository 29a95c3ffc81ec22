"""The dashboard (`GET /_mock/ui`) in a real headless Chromium, against the release binary started with
`--control-token`: the page asks for the token, shows the default world, completes a pending operation (the
customer changes in front of us) and adds a fault rule (the next request fails in the live journal).

Screenshots of every step (and of any failure) go to target/ui-screenshots/. Skipped, saying why, only when Chromium
or chromedriver is not installed (`apt-get install chromium chromium-driver`; test.sh installs them on CI).
"""

import contextlib
import os
import shutil
import sys

import pytest
import requests

from conftest import ROOT


def _first(*candidates):
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


CHROMIUM = _first(os.environ.get("CHROMIUM_BIN"), shutil.which("chromium"), shutil.which("chromium-browser"),
                  shutil.which("google-chrome"))
CHROMEDRIVER = _first(os.environ.get("CHROMEDRIVER_BIN"), shutil.which("chromedriver"))
if not (CHROMIUM and CHROMEDRIVER):
    _missing = " and ".join(n for n, p in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not p)
    _reason = (f"browser test of /_mock/ui skipped: {_missing} not installed "
               "(apt-get install chromium chromium-driver, or set CHROMIUM_BIN / CHROMEDRIVER_BIN)")
    print(f"\n{_reason}", file=sys.stderr)
    pytest.skip(_reason, allow_module_level=True)

# Selenium Manager (which could download browsers and drivers) is never needed: both paths are given.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

TOKEN = "ui-test-control-token"
SHOTS = os.path.join(ROOT, "target", "ui-screenshots")
CUSTOMER = "accounts/C01234567/customers/S0NEWCUSTOMER1"
WAIT = 15


@pytest.fixture(scope="module")
def server(request):
    from provmock import ProvmockStartError
    from provmock.plugin import start

    # Everything at debug (one line per request among it), so the last test can look for secrets in what provmock logs.
    try:
        s = start(request.config, "--control-token", TOKEN, env={"PROVMOCK_LOG": "debug"})
    except ProvmockStartError as e:
        pytest.fail(str(e), pytrace=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,1300", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def control(server, method, path, **kw):
    r = requests.request(method, server.base + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5, **kw)
    assert r.ok, f"{method} {path} -> {r.status_code} {r.text}"
    return r.json() if r.content else {}


def shot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, f"{name}.png")
    driver.save_screenshot(path)
    return path


@contextlib.contextmanager
def screenshot_on_failure(driver, name):
    try:
        yield
    except BaseException:
        path = shot(driver, f"FAILED-{name}")
        print(f"\nscreenshot of the failure: {path}", file=sys.stderr)
        raise


def wait(driver, what, cond, timeout=WAIT):
    return WebDriverWait(driver, timeout).until(lambda d: cond(d), message=f"waiting for {what}")


def row(driver, root, key):
    found = driver.find_elements(By.CSS_SELECTOR, f'{root} tr[data-key="{key}"]')
    return found[0] if found else None


def open_dashboard(driver, server):
    """Loads the page; types the control token when it asks (it keeps it for the tab's session)."""
    driver.get(f"{server.base}/_mock/ui")
    wait(driver, "the login card or the dashboard",
         lambda d: d.find_element(By.ID, "login").is_displayed() or d.find_element(By.ID, "app").is_displayed())
    if driver.find_element(By.ID, "login").is_displayed():
        driver.find_element(By.ID, "token-input").send_keys(TOKEN)
        driver.find_element(By.ID, "token-submit").click()
    wait(driver, "the dashboard", lambda d: d.find_element(By.ID, "app").is_displayed())
    wait(driver, "the live event stream", lambda d: d.find_element(By.ID, "live").text == "live")


def browser_errors(driver):
    """Console errors (script errors, CSP violations, failed loads) but the 401s of the token prompt."""
    return [e for e in driver.get_log("browser")
            if e.get("level") == "SEVERE" and "status of 401" not in e.get("message", "")]


def test_the_page_asks_for_the_token_then_shows_the_default_world(server, browser):
    control(server, "POST", "/_mock/reset")
    with screenshot_on_failure(browser, "default-world"):
        r = requests.get(f"{server.base}/_mock/resources", timeout=5)
        assert r.status_code == 401, "the data needs the token; the page itself does not"
        browser.get(f"{server.base}/_mock/ui")
        wait(browser, "the token prompt", lambda d: d.find_element(By.ID, "login").is_displayed())
        shot(browser, "0-token-prompt")
        browser.find_element(By.ID, "token-input").send_keys("not-the-token")
        browser.find_element(By.ID, "token-submit").click()
        wait(browser, "the wrong-token message", lambda d: "not the control token" in d.find_element(By.ID, "login-error").text)
        open_dashboard(browser, server)

        customer = wait(browser, "the default customer", lambda d: row(d, "#channel-customers", CUSTOMER))
        assert "example.org" in customer.text
        assert customer.find_element(By.CSS_SELECTOR, ".ci-cell").text == "none"
        for ci in ("C00000000", "C0EXAMPL1", "C0TEAM001"):
            assert row(browser, "#channel-identities", ci), ci
        assert row(browser, "#channel-accounts", "C01234567") and row(browser, "#channel-accounts", "C07654321")

        browser.find_element(By.CSS_SELECTOR, '#world-tabs [data-tab="cloudidentity"]').click()
        inv = wait(browser, "C00000000's invitations",
                   lambda d: row(d, "#ci-invitations", "customers/C00000000/userinvitations/writer@altostrat.com"))
        assert "NOT_YET_SENT" in inv.text
        browser.find_element(By.CSS_SELECTOR, '#world-tabs [data-tab="scp"]').click()
        wait(browser, "the SCP units", lambda d: row(d, "#scp-units", "ou-b30e9fcc39f84a20bf9e7458e5ec3801"))
        browser.find_element(By.CSS_SELECTOR, '#world-tabs [data-tab="yandex"]').click()
        wait(browser, "the Yandex userpool", lambda d: row(d, "#yandex-pools", "ek0provmockpool00001"))
        browser.find_element(By.CSS_SELECTOR, '#world-tabs [data-tab="channel"]').click()
        shot(browser, "1-default-world")
        assert browser_errors(browser) == []


def test_completing_a_pending_operation_from_the_page_changes_the_customer(server, browser):
    control(server, "POST", "/_mock/reset")
    control(server, "PUT", "/_mock/operations/policy", json={"kind": "channel.provisionCloudIdentity", "policy": "manual"})
    with screenshot_on_failure(browser, "complete-operation"):
        open_dashboard(browser, server)
        op = requests.post(f"{server.base}/v1/{CUSTOMER}:provisionCloudIdentity",
                           json={"user": {"email": "admin@example.org"}}, timeout=5).json()
        assert op.get("done") is not True, op
        pending = wait(browser, "the pending operation", lambda d: row(d, "#operations", op["name"]))
        wait(browser, "the customer provisioning",
             lambda d: "provisioning" in row(d, "#channel-customers", CUSTOMER).find_element(By.CSS_SELECTOR, ".ci-cell").text)
        shot(browser, "2-pending-operation")
        pending.find_element(By.CSS_SELECTOR, 'button[data-act="complete"]').click()

        def identity(d):
            r = row(d, "#channel-customers", CUSTOMER)
            text = r.find_element(By.CSS_SELECTOR, ".ci-cell").text if r else ""
            return text if text.startswith("C0") else None

        ci = wait(browser, "the customer's new Cloud Identity", identity)
        wait(browser, "the operation to leave the pending list", lambda d: row(d, "#operations", op["name"]) is None)
        got = control(server, "GET", f"/_mock/resources?family=channel&kind=customers&q=S0NEWCUSTOMER1")
        assert got["items"][0]["cloud_identity_id"] == ci
        shot(browser, "3-operation-completed")
        assert browser_errors(browser) == []
    control(server, "DELETE", "/_mock/operations/policy")


def test_a_fault_added_from_the_page_fails_the_next_request_in_the_journal(server, browser):
    control(server, "POST", "/_mock/reset")
    control(server, "DELETE", "/_mock/faults")
    control(server, "DELETE", "/_mock/journal")
    with screenshot_on_failure(browser, "fault-journal"):
        open_dashboard(browser, server)
        form = browser.find_element(By.ID, "fault-form")
        Select(form.find_element(By.NAME, "family")).select_by_value("channel")
        form.find_element(By.NAME, "method").send_keys("GetCustomer")
        Select(form.find_element(By.NAME, "code")).select_by_value("UNAVAILABLE")
        form.find_element(By.NAME, "times").send_keys("1")
        form.find_element(By.ID, "fault-add").click()
        rule = wait(browser, "the new rule", lambda d: (d.find_elements(By.CSS_SELECTOR, "#faults tbody tr[data-key]") or [None])[0])
        rule_id = rule.get_attribute("data-key")
        assert "GetCustomer" in rule.text and "UNAVAILABLE" in rule.text
        assert [r["id"] for r in control(server, "GET", "/_mock/faults")["rules"]] == [rule_id]

        failed = requests.get(f"{server.base}/v1/{CUSTOMER}", timeout=5)
        assert failed.status_code == 503, failed.text
        entry = wait(browser, "the failed request in the journal",
                     lambda d: (d.find_elements(By.CSS_SELECTOR, "#journal tbody tr.failed") or [None])[0])
        assert f"/v1/{CUSTOMER}" in entry.text and entry.find_element(By.CSS_SELECTOR, ".status").text.startswith("503")
        wait(browser, "the rule's hit count", lambda d: row(d, "#faults", rule_id).find_element(By.CSS_SELECTOR, ".hits").text == "1 / 1")

        assert requests.get(f"{server.base}/v1/{CUSTOMER}", timeout=5).status_code == 200
        wait(browser, "the next request, answered",
             lambda d: len(d.find_elements(By.CSS_SELECTOR, "#journal tbody tr[data-seq]")) == 2)
        newest = browser.find_elements(By.CSS_SELECTOR, "#journal tbody tr[data-seq]")[0]
        assert newest.find_element(By.CSS_SELECTOR, ".status").text.startswith("200")
        entry = browser.find_elements(By.CSS_SELECTOR, "#journal tbody tr[data-seq]")[1]
        entry.click()
        wait(browser, "the request in the inspector", lambda d: d.find_element(By.ID, "inspector").is_displayed())
        assert '"status": 503' in browser.find_element(By.ID, "inspector-body").text
        shot(browser, "4-fault-in-journal")
        browser.find_element(By.ID, "inspector-close").click()
        assert browser_errors(browser) == []
    control(server, "DELETE", "/_mock/faults")


def test_neither_the_token_nor_the_events_ticket_reaches_the_log(server, browser):
    r = requests.get(f"{server.base}/_mock/events:ticket", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    name = r.json()["cookie"]
    ticket = r.cookies.get(name)
    assert ticket and TOKEN not in ticket and "HttpOnly" in r.headers["set-cookie"]
    with requests.get(f"{server.base}/_mock/events", cookies={name: ticket}, stream=True, timeout=5) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"] == "text/event-stream"
    open_dashboard(browser, server)  # the page's own calls and its event stream, logged too
    log = server.log()
    assert "/_mock/events" in log and "/_mock/resources" in log, "debug request lines are logged"
    assert TOKEN not in log
    assert ticket not in log
