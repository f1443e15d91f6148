"""The web interface in a real browser (Debian's Chromium through Playwright, headless).

Run by tests/web.rs against the real binary: python3 test_browser.py BASE_URL ADMIN_KEY [SHOTS_DIR]
Sets up a small world through the API (projects, a viewer, statuses), then, as a person would:
logs in, creates a contact through the form, finds it with the search box (htmx), opens it,
adds a note (inline), edits it, sees Redmine's message for a bad e-mail, imports a vCard file
(the report names the refused card), exports the filtered list as CSV (the file is read),
logs out; a user without permission sees neither the contact in the list nor its page. With SHOTS_DIR, saves
screenshots of the main pages at desktop and phone width.
"""

import csv
import io
import json
import re
import shutil
import sys
import time
import urllib.request

from playwright.sync_api import expect, sync_playwright

BASE, KEY = sys.argv[1], sys.argv[2]
SHOTS = sys.argv[3] if len(sys.argv) > 3 else None
ADMIN_PASSWORD = "browser-admin-2026"
VIEWER_PASSWORD = "viewer-pass-2026"
# Two cards to import and a third with a bad e-mail (refused, reported with its card number).
CARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Johnson;Katherine;;;\r\nFN:Katherine Johnson\r\n"
    "EMAIL:katherine@nasa.example\r\nTITLE:Mathematician\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Vaughan;Dorothy;;;\r\nFN:Dorothy Vaughan\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Card;Bad;;;\r\nFN:Bad Card\r\nEMAIL:not-an-email\r\nEND:VCARD\r\n"
)
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-gpu"]


def api(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("X-Redmine-API-Key", KEY)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        text = r.read().decode()
        return json.loads(text) if text else None


def set_up():
    api("PUT", "/users/1.json", {"user": {"password": ADMIN_PASSWORD}})
    sales = api("POST", "/projects.json", {"project": {"name": "Sales", "identifier": "sales",
                                                        "enabled_module_names": ["contacts", "deals"]}})["project"]["id"]
    api("POST", "/projects.json", {"project": {"name": "Research", "identifier": "research", "is_public": False,
                                                "enabled_module_names": ["contacts", "deals"]}})
    viewer = api("POST", "/users.json", {"user": {"login": "viewer", "firstname": "Vera", "lastname": "Viewer",
                                                   "mail": "viewer@example.net", "password": VIEWER_PASSWORD}})["user"]["id"]
    role = api("POST", "/roles.json", {"role": {"name": "Viewer", "permissions": ["view_contacts", "view_deals"]}})["role"]["id"]
    api("POST", f"/projects/{sales}/memberships.json", {"membership": {"user_id": viewer, "role_ids": [role]}})
    for name, kind, default in [("Pending", 0, True), ("Won", 1, False), ("Lost", 2, False)]:
        api("POST", "/deal_statuses.json", {"deal_status": {"name": name, "status_type": kind, "is_default": default}})
    company = api("POST", "/contacts.json", {"contact": {"project_id": "sales", "first_name": "Acme Corp", "is_company": True,
                                                          "email": "info@acme.example", "tag_list": "customer"}})["contact"]["id"]
    for first, last in [("Ada", "Lovelace"), ("Alan", "Turing"), ("Edsger", "Dijkstra")]:
        api("POST", "/contacts.json", {"contact": {"project_id": "sales", "first_name": first, "last_name": last,
                                                    "company": "Acme Corp", "tag_list": "vip"}})
    for name, price, status in [("Website redesign", "12000", 1), ("Support contract", "3000.5", 2), ("Training", "800", 3)]:
        api("POST", "/deals.json", {"deal": {"project_id": "sales", "name": name, "price": price, "currency": "EUR",
                                              "contact_id": company, "status_id": status}})


passed, failed = [], []


def step(name):
    def run(f):
        started = time.time()
        try:
            f()
            passed.append(name)
            print(f"ok   {name} ({time.time() - started:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the run fails
            failed.append(name)
            print(f"FAIL {name}: {e!r}", flush=True)
            raise
        return f
    return run


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=False)


def log_in(page, login, password):
    page.goto(BASE + "/login")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/contacts")


def main():
    set_up()
    state = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        errors = []
        # Refusals and validation failures are 4xx pages on purpose; anything else logged as an
        # error (a CSP violation, a script error) fails the run.
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        @step("log in with login and password")
        def _():
            page.goto(BASE + "/")
            expect(page).to_have_url(BASE + "/login")
            shot(page, "login-desktop")
            page.get_by_label("Login", exact=True).fill("admin")
            page.get_by_label("Password", exact=True).fill("wrong password")
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("alert")).to_contain_text("Invalid user or password")
            log_in(page, "admin", ADMIN_PASSWORD)
            expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
            expect(page.get_by_text("1–4 of 4 contacts")).to_be_visible()

        @step("create a contact through the form")
        def _():
            page.get_by_role("link", name="New contact").click()
            page.get_by_label("First name", exact=True).fill("Grace")
            page.get_by_label("Last name", exact=True).fill("Hopper")
            page.get_by_label("Company", exact=True).fill("Acme Corp")
            page.get_by_label("Job title", exact=True).fill("Rear admiral")
            page.get_by_label("Email", exact=True).fill("grace@navy.example")
            page.get_by_label("Phone", exact=True).fill("+1 555 0100")
            page.get_by_label("Tags", exact=True).fill("vip, pioneer")
            page.get_by_label("City", exact=True).fill("Arlington")
            page.get_by_label("Country", exact=True).select_option("US")
            page.get_by_label("Project", exact=True).select_option(label="Research")
            page.get_by_label("Visibility", exact=True).select_option(label="Project")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
            expect(page.get_by_text("Successful creation.")).to_be_visible()
            expect(page.get_by_text("Arlington, United States")).to_be_visible()
            state["contact"] = page.url.rsplit("/", 1)[1]
            expect(page.locator("#duplicates-list")).to_contain_text("None found.")  # loaded after the page

        @step("find it with the search box as you type")
        def _():
            page.get_by_role("link", name="Contacts", exact=True).click()
            page.evaluate("window.__same_page = true")
            search = page.get_by_role("searchbox", name="Search")
            search.press_sequentially("hopp", delay=40)
            expect(page.get_by_text("1–1 of 1 contacts")).to_be_visible()
            expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
            assert page.evaluate("window.__same_page === true"), "the results came without a page load"
            expect(page).to_have_url(BASE + "/contacts?search=hopp")
            search.fill("")
            search.press_sequentially("acme", delay=40)
            expect(page.get_by_text("of 5 contacts")).to_be_visible()
            search.fill("")
            expect(page.get_by_text("1–5 of 5 contacts")).to_be_visible()
            shot(page, "contacts-desktop")
            page.get_by_role("searchbox", name="Search").fill("grace")
            expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
            page.get_by_role("link", name="Grace Hopper").click()
            expect(page).to_have_url(BASE + "/contacts/" + state["contact"])

        @step("add a note inline")
        def _():
            page.evaluate("window.__same_page = true")
            page.get_by_label("Note", exact=True).fill("Met at the COBOL committee.")
            page.get_by_label("Type", exact=True).select_option(label="Meeting")
            page.get_by_role("button", name="Add note").click()
            expect(page.locator("#notes .timeline")).to_contain_text("Met at the COBOL committee.")
            expect(page.locator("#notes .timeline")).to_contain_text("Meeting")
            assert page.evaluate("window.__same_page === true"), "the note was added without a page load"
            expect(page.get_by_label("Note", exact=True)).to_have_value("")
            shot(page, "contact-desktop")

        @step("edit it")
        def _():
            page.get_by_role("link", name="Edit").click()
            page.get_by_label("Job title", exact=True).fill("Computer scientist")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_text("Successful update.")).to_be_visible()
            expect(page.get_by_text("Computer scientist at Acme Corp")).to_be_visible()

        @step("see Redmine's message for a bad e-mail next to the field")
        def _():
            page.get_by_role("link", name="Edit").click()
            page.get_by_label("Email", exact=True).fill("not-an-email")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#email-error")).to_have_text("Email have incorrect format")
            expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
            expect(page.get_by_label("Email", exact=True)).to_have_value("not-an-email")
            shot(page, "contact-edit-error-desktop")
            page.get_by_role("link", name="Cancel").click()
            expect(page.get_by_text("grace@navy.example")).to_be_visible()

        @step("import a vCard file and read the report")
        def _():
            page.get_by_role("link", name="Contacts", exact=True).click()
            page.get_by_role("link", name="Import contacts").click()
            expect(page.get_by_role("heading", name="Import contacts")).to_be_visible()
            page.get_by_label("File", exact=True).set_input_files(
                {"name": "cards.vcf", "mimeType": "text/vcard", "buffer": CARDS.encode()})
            page.get_by_label("Project", exact=True).select_option(label="Research")
            page.get_by_label("Skip invalid records (import the others)").check()
            page.get_by_role("button", name="Import").click()
            report = page.locator("#report")
            expect(report.get_by_role("status")).to_have_text("The import was written.")
            expect(report.locator("dl")).to_contain_text("Created2")
            expect(report.locator("dl")).to_contain_text("Refused1")
            row = report.locator("tbody tr")
            expect(row).to_have_count(1)
            expect(row.locator("td").nth(1)).to_have_text("3")  # the third card
            expect(row.locator("td").nth(2)).to_have_text("Email")
            expect(row.locator("td").nth(3)).to_have_text("have incorrect format")
            shot(page, "import-report-desktop")
            page.get_by_role("link", name="Back to the contacts").click()
            page.get_by_role("searchbox", name="Search").fill("katherine")
            expect(page.get_by_role("link", name="Katherine Johnson")).to_be_visible()

        @step("export the filtered list as CSV")
        def _():
            search = page.get_by_role("searchbox", name="Search")
            search.fill("hopper")
            expect(page).to_have_url(BASE + "/contacts?search=hopper")
            expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
            expect(page.get_by_role("link", name="Export CSV")).to_have_attribute("href", re.compile("search=hopper"))
            with page.expect_download() as info:
                page.get_by_role("link", name="Export CSV").click()
            download = info.value
            assert download.suggested_filename == "contacts.csv", download.suggested_filename
            text = open(download.path(), encoding="utf-8-sig").read()
            rows = list(csv.DictReader(io.StringIO(text)))
            assert len(rows) == 1, text
            values = set(rows[0].values())
            assert {"Grace", "Hopper", "grace@navy.example", "Computer scientist"} <= values, rows[0]
            search.fill("")

        @step("pages without JavaScript, and the keyboard")
        def _():
            plain = browser.new_context(java_script_enabled=False)
            other = plain.new_page()
            log_in(other, "admin", ADMIN_PASSWORD)
            other.get_by_role("searchbox", name="Search").fill("lovelace")
            other.get_by_role("button", name="Filter").click()
            expect(other.get_by_text("1–1 of 1 contacts")).to_be_visible()
            other.keyboard.press("Tab")
            focused = other.evaluate("document.activeElement.textContent")
            assert focused == "Skip to content", focused
            plain.close()

        @step("the deal board and list")
        def _():
            page.get_by_role("link", name="Board").click()
            expect(page.get_by_role("heading", name="Deal board")).to_be_visible()
            expect(page.locator(".column").nth(0)).to_contain_text("12,000.00 EUR")
            expect(page.locator(".column").nth(1)).to_contain_text("3,000.50 EUR")
            shot(page, "board-desktop")
            page.get_by_role("link", name="Deals", exact=True).click()
            page.get_by_label("Status", exact=True).select_option(label="Any status")
            page.get_by_role("button", name="Filter").click()
            expect(page.get_by_text("1–3 of 3 deals")).to_be_visible()

        @step("my account shows the API key")
        def _():
            page.get_by_role("link", name="Redmine Admin").click()
            expect(page.locator("#api-key")).to_have_text(KEY)
            shot(page, "account-desktop")

        @step("log out")
        def _():
            page.get_by_role("button", name="Log out").click()
            expect(page).to_have_url(BASE + "/login")
            page.goto(BASE + "/contacts/" + state["contact"])
            expect(page).to_have_url(BASE + "/login?back=%2Fcontacts%2F" + state["contact"])

        @step("a user without permission sees neither the contact nor its page")
        def _():
            log_in(page, "viewer", VIEWER_PASSWORD)
            expect(page.get_by_text("1–4 of 4 contacts")).to_be_visible()
            expect(page.get_by_role("link", name="Grace Hopper")).to_have_count(0)
            expect(page.get_by_role("link", name="New contact")).to_have_count(0)
            response = page.goto(BASE + "/contacts/" + state["contact"])
            assert response.status == 403, response.status
            expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
            page.goto(BASE + "/contacts?search=hopper")
            expect(page.get_by_text("No contacts found")).to_be_visible()

        if SHOTS:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
            mobile = phone.new_page()
            mobile.goto(BASE + "/login")
            shot(mobile, "login-phone")
            log_in(mobile, "admin", ADMIN_PASSWORD)
            shot(mobile, "contacts-phone")
            mobile.goto(BASE + "/contacts/" + state["contact"])
            shot(mobile, "contact-phone")
            mobile.goto(BASE + "/deals/board")
            shot(mobile, "board-phone")
            mobile.goto(BASE + "/contacts/import")
            shot(mobile, "import-phone")
            phone.close()

        assert not errors, f"errors in the browser console: {errors}"
        browser.close()


if __name__ == "__main__":
    try:
        main()
    finally:
        print(f"{len(passed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)
