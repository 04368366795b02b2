#!/usr/bin/python3
"""The reception console in a real browser, against the real daemon.

Starts clinicd on a free loopback port with every product plugin and the demo
clinic (clinicctl migrate, seed-demo, user add), then drives Debian's chromium
headless through /usr/bin/chromedriver with python3-selenium, in two separate
browser sessions (two reception terminals) and a third for a patient:

  - the console's HTML carries the Content-Security-Policy and no inline
    script or style (parsed, not grepped);
  - sign in; book a free slot from the agenda grid;
  - the second terminal shows the booking without a reload, within a second
    of the first terminal's answer (the live event stream);
  - cancel with a reason, and the second terminal shows it cancelled;
  - a SLOT_TAKEN race between the two terminals shows the server's message;
  - switch to Romanian;
  - a patient account sees its own appointments and no other patient;
  - axe-core (pinned in tests/tools/axe-core, installed into the build tree
    with npm ci like tests/tools/redocly) finds no serious or critical
    violation on the main screens;
  - screenshots of the main screens land in BUILD/artifacts/console/.

Exit 77 (skipped) only when chromium, chromedriver or python3-selenium is not
installed or npm cannot reach its registry; anything else that goes wrong is
a failure.
"""

import argparse
import html.parser
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'")
PASSWORD = "console-browser-test-1"
LIVE_DEADLINE_S = 1.0
ACCESS_TTL_S = 20


def log(message):
    print(message, flush=True)


def skip(reason):
    log(f"SKIPPED: {reason}")
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    skip("python3-selenium is not installed (packaging/deps.sh installs it)")


# ---------------------------------------------------------------- the daemon

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, build, source):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="clinicd-console-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        plugins = sorted(
            name for name in os.listdir(os.path.join(source, "plugins"))
            if name != "example" and os.path.exists(os.path.join(build, "lib", "plugins", f"clinic_{name}.so")))
        self.config = os.path.join(self.dir, "clinicd.properties")
        with open(self.config, "w") as f:
            f.write("\n".join([
                "http.address = 127.0.0.1",
                f"http.port = {self.port}",
                f"data.dir = {self.dir}/data",
                f"db.url = sqlite:{self.dir}/data/clinicd.db",
                f"plugins.dir = {build}/lib/plugins",
                f"plugins.load = {','.join(plugins)}",
                f"rules.dir = {source}/lua/rules",
                f"demo.dir = {source}/data/demo",
                f"console.root = {source}/plugins/console/web",
                "auth.rate_limit_per_minute = 0",
                # Short-lived access tokens: the console must renew its own
                # before they expire, while the test runs.
                f"auth.access_ttl_seconds = {ACCESS_TTL_S}",
                "log.level = information",
                "log.format = plain",
                "http.drain_seconds = 2",
            ]) + "\n")
        os.makedirs(os.path.join(self.dir, "data"))
        self.plugins = plugins
        ctl = os.path.join(build, "bin", "clinicctl")
        for args, stdin in ((["migrate"], None), (["seed-demo"], None),
                            (["user", "add", "--username", "desk.admin", "--role", "admin", "--password-stdin"],
                             PASSWORD + "\n")):
            r = subprocess.run([ctl, f"--config={self.config}", *args], input=stdin, text=True,
                               capture_output=True, timeout=120)
            if r.returncode != 0:
                raise RuntimeError(f"clinicctl {' '.join(args)} failed: {r.stderr}")
        self.log_file = open(os.path.join(self.dir, "clinicd.log"), "w")
        self.process = subprocess.Popen([os.path.join(build, "bin", "clinicd"), f"--config={self.config}"],
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"clinicd exited with {self.process.returncode}:\n{self.log()}")
            try:
                if urllib.request.urlopen(self.base + "/health/live", timeout=2).status == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.time() > deadline:
                raise RuntimeError("clinicd did not come up:\n" + self.log())
            time.sleep(0.05)

    def log(self):
        with open(os.path.join(self.dir, "clinicd.log")) as f:
            return f.read()[-6000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, method, path, body=None, token=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                raw = r.read()
                return r.status, dict(r.headers), raw
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method, path, body=None, token=None, expect=(200, 201)):
        status, _, raw = self.call(method, path, body, token)
        if status not in expect:
            raise AssertionError(f"{method} {path}: {status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def sign_in(self, username):
        return self.json("POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD})["access_token"]

    def admin(self):
        """An administrator's token with life left in it (they live ACCESS_TTL_S)."""
        if not getattr(self, "_admin", None) or time.time() - self._admin_at > ACCESS_TTL_S / 2:
            self._admin, self._admin_at = self.sign_in("desk.admin"), time.time()
        return self._admin


# ---------------------------------------------------------------- the browser

def browser(width=1400, height=1000):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", f"--user-data-dir={tempfile.mkdtemp(prefix='console-chromium-')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(30)
    return driver


def wait(driver, condition, timeout=10, message=""):
    # The agenda redraws on every live event: an element found a moment ago
    # may be gone, and the condition is simply asked again.
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def click(driver, selector, timeout=10):
    """Clicks the first match, finding it again if a redraw replaced it."""
    def go(d):
        found = css(d, selector)
        if not found:
            return False
        found[0].click()
        return True
    wait(driver, go, timeout, f"click {selector}")


def texts(driver, selector):
    """The text of every match, read in one step (a redraw cannot interleave)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText);", selector)


def rendered(driver, selector):
    """How many matches are rendered (not display:none), in one step."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].filter(e => e.getClientRects().length > 0).length;",
        selector)


def sign_in(driver, base, username):
    driver.get(base + "/console/")
    wait(driver, lambda d: d.find_element(By.ID, "username").is_displayed(), message="sign-in form")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "nav").is_displayed(), message=f"{username} signed in")


def console_errors(driver):
    """Errors the page logged (a CSP violation shows here), if any."""
    try:
        return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    except Exception:  # the log is a chromedriver extension; never the test's failure
        return []


class Screens:
    def __init__(self, build):
        self.dir = os.path.join(build, "artifacts", "console")
        # This run's screens only: an old failure's pictures would mislead.
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir, exist_ok=True)

    def save(self, driver, name):
        path = os.path.join(self.dir, f"{name}.png")
        driver.save_screenshot(path)
        log(f"  screenshot {path}")


# ---------------------------------------------------------------- axe-core

def install_axe(build, source):
    """npm ci of tests/tools/axe-core into BUILD/tools/axe-core, unless the
    build tree already holds what the committed lock names."""
    tool_source = os.path.join(source, "tests", "tools", "axe-core")
    tool_dir = os.path.join(build, "tools", "axe-core")
    script = os.path.join(tool_dir, "node_modules", "axe-core", "axe.min.js")
    os.makedirs(tool_dir, exist_ok=True)
    with open(os.path.join(tool_source, "package-lock.json")) as f:
        lock = f.read()
    installed_lock = os.path.join(tool_dir, "package-lock.json")
    if os.path.exists(script) and os.path.exists(installed_lock) and open(installed_lock).read() == lock:
        return script
    shutil.copy(os.path.join(tool_source, "package.json"), tool_dir)
    with open(installed_lock, "w") as f:
        f.write(lock)
    if shutil.which("npm") is None:
        skip("npm is not installed (packaging/deps.sh installs nodejs and npm): no accessibility check")
    ci = subprocess.run(["npm", "--prefix", tool_dir, "ci", "--no-audit", "--no-fund"], capture_output=True,
                        text=True, timeout=540)
    if ci.returncode == 0 and os.path.exists(script):
        return script
    ping = subprocess.run(["npm", "ping"], capture_output=True, text=True, timeout=60)
    if ping.returncode != 0:
        skip("npm cannot reach its registry, so axe-core could not be installed: " + ping.stderr[:300])
    raise RuntimeError("npm ci of tests/tools/axe-core failed although the registry answers:\n"
                       + ci.stdout + ci.stderr)


def check_accessibility(driver, axe_source, screen):
    driver.execute_script(axe_source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))), e => done([{id: 'axe-error',"
        " impact: 'critical', help: String(e), nodes: []}]));")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    for v in result:
        log(f"  axe {screen}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
    assert not bad, f"accessibility on {screen}: {bad}"


# ---------------------------------------------------------------- the checks

class InlineFinder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []
        self.scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            self.scripts += 1
            self._in_script = True
            if not names.get("src"):
                self.problems.append("a script without src")
        if tag == "style":
            self.problems.append("a <style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an inline handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"a style attribute on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: URL on <{tag}>")
            if tag == "link" and name == "href" and value and "://" in value:
                self.problems.append(f"an external resource {value}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("an inline script body")


def check_served_html(daemon):
    for path in ("/console/", "/console/index.html"):
        status, headers, raw = daemon.call("GET", path)
        assert status == 200, f"{path}: {status}"
        lower = {k.lower(): v for k, v in headers.items()}
        assert lower.get("content-security-policy") == CSP, f"{path}: CSP {lower.get('content-security-policy')}"
        assert lower.get("x-content-type-options") == "nosniff"
        assert lower.get("referrer-policy") == "no-referrer"
        finder = InlineFinder()
        finder.feed(raw.decode())
        assert finder.scripts >= 1, f"{path}: no script at all"
        assert not finder.problems, f"{path}: {finder.problems}"
    log("ok: the console's HTML has the CSP header and no inline script or style")


def wait_slots(driver):
    wait(driver, lambda d: css(d, "button.slot"), 15, "free slots in the agenda")


def slot(driver, start):
    found = css(driver, f'button.slot[data-start="{start}"]')
    return found[0] if found else None


def choose_patient(driver, query):
    dialog = wait(driver, lambda d: css(d, "dialog[open]"), 5, "the booking dialog")[0]
    box = dialog.find_element(By.ID, "patient-query")
    box.send_keys(query)
    dialog.find_element(By.ID, "patient-search").click()
    choice = wait(driver, lambda d: css(d, "dialog[open] input.patient-choice"), 10, "a patient found")[0]
    choice.click()
    return dialog


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    build, source = os.path.abspath(args.build_dir), os.path.abspath(args.source_dir)
    for program in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(program):
            skip(f"{program} is not installed (packaging/deps.sh installs chromium and chromium-driver)")
    axe_source = open(install_axe(build, source)).read()
    started = time.time()
    daemon = Daemon(build, source)
    drivers = []
    screens = Screens(build)
    try:
        run(daemon, drivers, screens, axe_source)
    except BaseException:
        for i, d in enumerate(drivers):
            try:
                screens.save(d, f"failure-{i}")
                for line in console_errors(d):
                    log(f"  browser {i}: {line}")
            except Exception:
                pass
        log("---- clinicd log (tail) ----\n" + daemon.log())
        raise
    finally:
        for d in drivers:
            d.quit()
        daemon.stop()
    log(f"all browser checks passed in {time.time() - started:.1f} s")


def run(daemon, drivers, screens, axe_source):
    check_served_html(daemon)
    api = daemon.base + "/api/v1"

    # The clinic: two reception accounts, two patients, the first with an account.
    admin = daemon.admin()
    for name in ("desk.one", "desk.two"):
        daemon.json("POST", "/api/v1/users", {"username": name, "role": "receptionist", "password": PASSWORD}, admin)
    ioana = daemon.json("POST", "/api/v1/patients", {
        "first_name": "Ioana", "last_name": "Vlăduțescu", "birth_date": "1984-03-02", "sex": "female",
        "phone": "0722 100 200", "email": "ioana@example.ro", "language": "ro", "allergies": ["Penicilină"]}, admin)
    other = daemon.json("POST", "/api/v1/patients", {
        "first_name": "Matei", "last_name": "Străinescu", "birth_date": "1979-11-20", "sex": "male",
        "phone": "0733 300 400", "email": "matei@example.ro", "language": "ro", "allergies": []}, admin)
    marinescu = next(d for d in daemon.json("GET", "/api/v1/doctors?limit=500", token=admin)["items"]
                     if d["name"] == "Dr. Ioana Marinescu")
    daemon.json("POST", "/api/v1/users", {"username": "dr.marinescu", "role": "doctor", "password": PASSWORD,
                                          "doctor_id": marinescu["id"]}, admin)
    daemon.json("POST", "/api/v1/users", {"username": "ioana.patient", "role": "patient", "password": PASSWORD,
                                          "patient_id": ioana["id"]}, admin)

    # A working day of Dr. Ioana Marinescu (family medicine, Floreasca) with free slots.
    doctors = daemon.json("GET", "/api/v1/doctors?limit=500", token=admin)["items"]
    doctor = next(d for d in doctors if d["name"] == "Dr. Ioana Marinescu")
    services = daemon.json("GET", "/api/v1/services?limit=500", token=admin)["items"]
    service = next(s for s in services if s["id"] in doctor["service_ids"] and s["duration_min"] == 20)
    day_slots = None
    for offset in range(1, 15):
        date = time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))
        found = daemon.json("GET", f"/api/v1/availability?doctor_id={doctor['id']}&service_id={service['id']}"
                            f"&from={date}&to={date}", token=admin)["items"]
        if len(found) >= 6:
            day_slots = found
            break
    assert day_slots, "no working day with free slots in the next two weeks"
    # Another patient's appointment on the same day: the patient must never see it.
    daemon.json("POST", "/api/v1/appointments", {"patient_id": other["id"], "doctor_id": doctor["id"],
                                                 "service_id": service["id"], "start": day_slots[-1]["start"]}, admin)
    mine = daemon.json("POST", "/api/v1/appointments", {"patient_id": ioana["id"], "doctor_id": doctor["id"],
                                                        "service_id": service["id"], "start": day_slots[-2]["start"]}, admin)
    day_url = (f"{daemon.base}/console/#/day?location={doctor['location_id']}&doctor={doctor['id']}"
               f"&service={service['id']}&date={date}")

    one, two = browser(), browser()
    token_of = lambda d: d.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('clinicd.console.session') || 'null'); return s && s.access;")
    drivers += [one, two]
    one.get(daemon.base + "/console/")
    wait(one, lambda d: d.find_element(By.ID, "username").is_displayed())
    screens.save(one, "01-sign-in")
    check_accessibility(one, axe_source, "sign-in")
    sign_in(one, daemon.base, "desk.one")
    sign_in(two, daemon.base, "desk.two")
    first_token = token_of(one)
    log("ok: two reception terminals signed in")

    for d in (one, two):
        d.get(day_url)
        wait_slots(d)
    # The live stream is open on both before anything changes.
    for d in (one, two):
        wait(d, lambda x: x.find_element(By.ID, "live-state").get_attribute("data-state") == "live", 10,
             "the live stream open")
    screens.save(one, "02-day-view")
    check_accessibility(one, axe_source, "day view")

    # Book from the grid on terminal one.
    first = day_slots[0]["start"]
    two.execute_script("window.__noReload = true;")
    # With the keyboard alone, as at the reception desk: Enter on the slot,
    # type and Enter to search, Space to choose, Enter to book.
    wait(one, lambda d: slot(d, first).send_keys(Keys.ENTER) or True, 10, "Enter on the free slot")
    dialog = wait(one, lambda d: css(d, "dialog[open]"), 5, "the booking dialog")[0]
    assert one.switch_to.active_element.get_attribute("id") == "book-service", "focus did not move into the dialog"
    box = dialog.find_element(By.ID, "patient-query")
    box.send_keys("Vlăduțescu" + Keys.ENTER)
    choice = wait(one, lambda d: css(d, "dialog[open] input.patient-choice"), 10, "a patient found")[0]
    choice.send_keys(Keys.SPACE)
    assert choice.is_selected()
    screens.save(one, "03-booking-dialog")
    check_accessibility(one, axe_source, "booking dialog")
    dialog.find_element(By.ID, "book-notes").send_keys("first visit")
    dialog.find_element(By.ID, "book-notes").send_keys(Keys.TAB, Keys.TAB, Keys.TAB, Keys.TAB, Keys.ENTER)
    wait(one, lambda d: not css(d, "dialog[open]"), 10, "the booking dialog closes")
    booked_at = time.time()
    card = wait(one, lambda d: [c for c in css(d, ".appt") if "Vlăduțescu" in c.text and c.get_attribute("data-status") == "pending"
                                and slot(d, first) is None], 10, "the booking in terminal one's grid")
    log("ok: booked a slot from the grid")

    # Terminal two sees it without a reload, within a second.
    appointment_id = None

    def seen_on_two(d):
        nonlocal appointment_id
        for c in css(d, ".appt"):
            if "Vlăduțescu" in c.text and c.get_attribute("data-appointment-id") != str(mine["id"]):
                appointment_id = c.get_attribute("data-appointment-id")
                return True
        return False

    wait(two, seen_on_two, 10, "the booking on terminal two")
    latency = time.time() - booked_at
    assert two.execute_script("return window.__noReload === true;"), "terminal two reloaded the page"
    log(f"ok: terminal two showed the booking {latency * 1000:.0f} ms after terminal one's answer")
    assert latency <= LIVE_DEADLINE_S, f"terminal two took {latency:.2f} s (more than {LIVE_DEADLINE_S} s)"

    # Cancel with a reason on terminal one; terminal two shows it cancelled.
    target = f'.appt[data-appointment-id="{appointment_id}"]'
    click(one, f'{target} button[data-action="cancel"]')
    wait(one, lambda d: css(d, "dialog[open] #cancel-reason"), 5, "the cancel dialog")
    one.find_element(By.ID, "cancel-reason").send_keys("Patient called: travelling")
    one.find_element(By.ID, "cancel-submit").click()
    for d in (one, two):
        wait(d, lambda x: css(x, target) and x.find_element(By.CSS_SELECTOR, target).get_attribute("data-status") == "cancelled",
             10, "the appointment cancelled")
    assert "Patient called: travelling" in texts(one, target)[0]
    status, _, raw = daemon.call("GET", f"/api/v1/appointments/{appointment_id}", token=daemon.admin())
    assert json.loads(raw)["cancel_reason"] == "Patient called: travelling", raw
    log("ok: cancelled with a reason, seen on both terminals")

    # The SLOT_TAKEN race: both terminals open the same slot, one books first.
    contested = day_slots[2]["start"]
    for d in (one, two):
        wait(d, lambda x: slot(x, contested) is not None, 10, "the contested slot")
        click(d, f'button.slot[data-start="{contested}"]')
        choose_patient(d, "Vlăduțescu")
    one.find_element(By.ID, "book-submit").click()
    wait(one, lambda d: not css(d, "dialog[open]"), 10, "terminal one booked the contested slot")
    two.find_element(By.ID, "book-submit").click()
    shown = wait(two, lambda d: d.find_element(By.ID, "book-error").text.strip(), 10, "terminal two's refusal")
    status, _, raw = daemon.call("POST", "/api/v1/appointments", {"patient_id": ioana["id"], "doctor_id": doctor["id"],
                                                                  "service_id": service["id"], "start": contested}, daemon.admin())
    refusal = json.loads(raw)["error"]
    assert status == 409 and refusal["code"] == "SLOT_TAKEN", raw
    assert shown == refusal["message"], f"terminal two shows {shown!r}, the server says {refusal['message']!r}"
    screens.save(two, "04-slot-taken")
    two.find_element(By.CSS_SELECTOR, "dialog[open] button.dialog-close").click()
    wait(two, lambda d: not css(d, "dialog[open]"), 5, "the dialog closed")
    log(f"ok: the losing terminal shows the server's SLOT_TAKEN message: {shown!r}")

    # Romanian.
    Select(one.find_element(By.ID, "lang")).select_by_value("ro")
    wait(one, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ro", 5)
    wait(one, lambda d: "Zi" in texts(d, "#nav a"), 10, "the Romanian navigation")
    wait_slots(one)
    assert one.find_element(By.ID, "signout").text == "Ieșire"
    wait(one, lambda d: "Anulată" in texts(d, ".badge"), 10, "a Romanian status in the agenda")
    screens.save(one, "05-day-view-ro")
    # The day's list as it prints: no controls, no empty slots, the appointments.
    one.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert rendered(one, ".toolbar") == 0, "the toolbar prints"
        assert rendered(one, "button") == 0, "buttons print"
        assert rendered(one, ".appt") > 0, "the appointments do not print"
        screens.save(one, "05-day-list-print")
    finally:
        one.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    check_accessibility(one, axe_source, "day view (ro)")
    missing = one.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all([import('/console/js/i18n/en.js'), import('/console/js/i18n/ro.js')]).then(([en, ro]) => {"
        " const a = Object.keys(en.default), b = Object.keys(ro.default);"
        " done(a.filter(k => !b.includes(k)).concat(b.filter(k => !a.includes(k)))); }, e => done([String(e)]));")
    assert missing == [], f"keys in only one of en.js and ro.js: {missing}"
    log("ok: switched to Romanian")

    # Week, patients, dashboard (as the front desk), in Romanian.
    one.get(day_url.replace("#/day", "#/week"))
    wait(one, lambda d: css(d, "#week table"), 15, "the week view")
    screens.save(one, "06-week-view-ro")
    check_accessibility(one, axe_source, "week view")
    one.get(daemon.base + "/console/#/patients")
    box = wait(one, lambda d: css(d, "#patients-query"), 10)[0]
    box.send_keys("Vlăduțescu" + Keys.ENTER)
    click(one, "#patient-list button[data-patient-id]")
    wait(one, lambda d: css(d, "#record-title"), 10, "the record summary")
    screens.save(one, "07-patient-ro")
    check_accessibility(one, axe_source, "patients")
    one.get(daemon.base + "/console/#/extras")
    wait(one, lambda d: css(d, "#waitlist form") and css(d, "#waitlist table, #waitlist p.muted"), 15, "the waitlist")
    screens.save(one, "08-waitlist-ro")
    check_accessibility(one, axe_source, "waitlist")
    one.get(daemon.base + "/console/#/dashboard")
    wait(one, lambda d: css(d, "#chart-per-day svg") and css(d, "#monthly-report table"), 15, "the dashboard")
    screens.save(one, "09-dashboard-ro")
    check_accessibility(one, axe_source, "dashboard")
    log("ok: week, patients and dashboard screens")

    # A patient's account: their own appointments, no other patient.
    two.find_element(By.ID, "signout").click()
    wait(two, lambda d: d.find_element(By.ID, "username").is_displayed(), 10, "signed out")
    sign_in(two, daemon.base, "ioana.patient")
    wait(two, lambda d: css(d, f'#mine-list tr[data-appointment-id="{mine["id"]}"]'), 10, "the patient's appointment")
    page = two.find_element(By.TAG_NAME, "body").text
    assert "Străinescu" not in page and "Matei" not in page, "the patient sees another patient"
    shown_ids = set(two.execute_script(
        "return [...document.querySelectorAll('#mine-list tr[data-appointment-id]')].map(r => r.dataset.appointmentId);"))
    own = {str(a["id"]) for a in daemon.json("GET", f"/api/v1/appointments?patient_id={ioana['id']}&limit=500", token=daemon.admin())["items"]}
    assert shown_ids <= own, f"the patient sees appointments {shown_ids - own} that are not theirs"
    assert texts(two, "#nav a") == ["My appointments"], "a patient has staff screens"
    two.get(daemon.base + "/console/#/patients")
    wait(two, lambda d: "#/mine" in d.current_url, 10, "a staff screen refused to a patient")
    probe = two.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const s = JSON.parse(sessionStorage.getItem('clinicd.console.session'));"
        "fetch('/api/v1/patients/" + str(other["id"]) + "', {headers: {Authorization: 'Bearer ' + s.access}})"
        ".then(r => done(r.status), e => done(String(e)));")
    assert probe == 404, f"the patient's token reads another patient: {probe}"
    screens.save(two, "10-patient-account")
    check_accessibility(two, axe_source, "patient's appointments")
    log("ok: a patient account sees its own appointments and no other patient")

    # A doctor's today list and a record summary.
    two.find_element(By.ID, "signout").click()
    wait(two, lambda d: d.find_element(By.ID, "username").is_displayed(), 10, "signed out")
    sign_in(two, daemon.base, "dr.marinescu")
    two.get(daemon.base + "/console/#/today")
    wait(two, lambda d: css(d, "#today-list"), 10, "the doctor's today list")
    two.get(day_url)
    wait(two, lambda d: css(d, ".appt"), 15, "the doctor's day")
    screens.save(two, "11-doctor-day")
    two.get(daemon.base + "/console/#/patients")
    box = wait(two, lambda d: css(d, "#patients-query"), 10)[0]
    box.send_keys("Vlăduțescu" + Keys.ENTER)
    click(two, "#patient-list button[data-patient-id]")
    wait(two, lambda d: css(d, "#record-title") and "Penicilină" in d.find_element(By.ID, "patient-record").text, 10,
         "the record summary with the allergy")
    screens.save(two, "12-doctor-record")
    check_accessibility(two, axe_source, "record summary")
    log("ok: a doctor's today list and record summary")

    # Terminal one has been signed in for longer than an access token lives:
    # it renewed its token by itself and still works.
    wait(one, lambda d: token_of(d) and token_of(d) != first_token, ACCESS_TTL_S, "the access token renewed")
    one.get(day_url)
    wait_slots(one)
    assert one.find_element(By.ID, "signout").is_displayed()
    log("ok: the session renewed its access token before it expired")

    for i, d in enumerate(drivers):
        errors = [e for e in console_errors(d) if "Content Security Policy" in e or "Refused" in e]
        assert not errors, f"browser {i} reported CSP violations: {errors}"


if __name__ == "__main__":
    main()
