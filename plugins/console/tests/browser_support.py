#!/usr/bin/python3
"""What the console's browser tests stand on: the real clinicd (on SQLite or
on a MariaDB server started for the run), restartable on its port; chromium
headless through chromedriver; waits that survive the agenda's redraws;
screenshots; axe-core; the served HTML's CSP and inline-script check."""

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


STARTED = time.time()


def log(message):
    print(f"{time.time() - STARTED:5.1f}s {message}", flush=True)


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


class MariaDb:
    """A throwaway MariaDB server on a free loopback port, as tests/support
    starts one for the C++ suites; None from start() where none is installed."""

    @staticmethod
    def start():
        server = shutil.which("mariadbd") or shutil.which("mysqld") or (
            "/usr/sbin/mariadbd" if os.path.exists("/usr/sbin/mariadbd") else None)
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        if not server or not install:
            return None
        return MariaDb(server, install)

    def __init__(self, server, install):
        self.dir = tempfile.mkdtemp(prefix="clinicd-console-mariadb-")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.port = free_port()
        os.makedirs(os.path.join(self.dir, "tmp"))
        root = os.geteuid() == 0
        if root:
            subprocess.run(["chown", "-R", "mysql:mysql", self.dir], check=True)
        user = ["--user=mysql"] if root else []
        subprocess.run([install, "--no-defaults", f"--datadir={self.dir}/data", f"--tmpdir={self.dir}/tmp",
                        "--auth-root-authentication-method=socket", "--skip-test-db", *user],
                       check=True, capture_output=True, timeout=180)
        self.process = subprocess.Popen(
            [server, "--no-defaults", f"--datadir={self.dir}/data", f"--socket={self.socket}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--pid-file={self.dir}/mariadbd.pid", f"--tmpdir={self.dir}/tmp",
             f"--log-error={self.dir}/error.log", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
             "--skip-name-resolve", *user], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-uroot", "ping"],
                             capture_output=True).returncode != 0:
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError("mariadbd did not start: " + open(f"{self.dir}/error.log").read()[-3000:])
            time.sleep(0.1)

    def sql(self, statements):
        r = subprocess.run(["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", "--batch",
                            "--skip-column-names"], input=statements, text=True, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"SQL failed: {r.stderr}")
        return r.stdout

    def database(self, name):
        self.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
                 f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY 'console-pw';"
                 f"GRANT ALL ON `{name}`.* TO '{name}'@'127.0.0.1';")
        return f"mysql://{name}:console-pw@127.0.0.1:{self.port}/{name}"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """clinicd with every product plugin and the demo clinic, on SQLite or on
    the MariaDB database db_url names; restart() keeps its port and data."""

    def __init__(self, build, source, mariadb=None):
        self.build = build
        self.mariadb, self.mariadb_name = mariadb, "console_browser"
        db_url = mariadb.database(self.mariadb_name) if mariadb else None
        self.dir = tempfile.mkdtemp(prefix="clinicd-console-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        plugins = sorted(
            name for name in os.listdir(os.path.join(source, "plugins"))
            if name != "example" and os.path.exists(os.path.join(build, "lib", "plugins", f"clinic_{name}.so")))
        self.config = os.path.join(self.dir, "clinicd.properties")
        self.sqlite = None if db_url else f"{self.dir}/data/clinicd.db"
        with open(self.config, "w") as f:
            f.write("\n".join([
                "http.address = 127.0.0.1",
                f"http.port = {self.port}",
                f"data.dir = {self.dir}/data",
                f"db.url = {db_url or 'sqlite:' + self.sqlite}",
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
                "http.drain_seconds = 1",
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
        self.log_file = open(os.path.join(self.dir, "clinicd.log"), "a")
        self.start()

    def start(self):
        self.process = subprocess.Popen([os.path.join(self.build, "bin", "clinicd"), f"--config={self.config}"],
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

    def restart(self):
        """Stops the daemon (every open stream drops) and starts it again."""
        self.process.terminate()
        self.process.wait(30)
        self.start()

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

    def change_id(self, type_, key, value):
        """The change-log id of the newest row of type whose data has key: value."""
        like = f'%"{key}":{value},%'
        query = f"SELECT MAX(id) FROM change_log WHERE type = '{type_}' AND data LIKE '{like}'"
        if self.sqlite:
            import sqlite3
            with sqlite3.connect(self.sqlite) as db:
                return db.execute(query).fetchone()[0]
        return int(self.mariadb.sql(f"USE `{self.mariadb_name}`; {query};").strip())

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
    def __init__(self, build, backend="sqlite"):
        self.dir = os.path.join(build, "artifacts", "console", backend)
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

