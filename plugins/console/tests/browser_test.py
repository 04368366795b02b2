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
  - the administrator creates and edits a location, a service and a doctor,
    and sets the doctor's weekly hours (a refusal shows the server's message);
  - a waitlist entry is booked from the waitlist;
  - a doctor writes a prescription in the console; the administrator sees
    the outbox, the inbox and the notification preferences;
  - the day grid on Bucharest's autumn DST day labels the repeated hour and
    puts an appointment in its right row;
  - the live stream dropped by a daemon restart resumes with Last-Event-ID
    and shows a booking made while it was down;
  - screenshots of the main screens land in BUILD/artifacts/console/<backend>/.

--backend mariadb runs the same on a MariaDB server started for the run
(ctest: console_browser_test_mariadb); the checks beyond the first round are
in browser_checks.py, the daemon, browser and axe plumbing in
browser_support.py.

Exit 77 (skipped) only when chromium, chromedriver or python3-selenium is not
installed or npm cannot reach its registry; anything else that goes wrong is
a failure.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_support import (  # noqa: E402
    ACCESS_TTL_S, LIVE_DEADLINE_S, PASSWORD, MariaDb, Daemon, Screens, By, Keys, Select, browser, check_accessibility,
    check_served_html, choose_patient, click, console_errors, css, install_axe, log, rendered, sign_in, skip, slot,
    texts, wait, wait_slots)
import browser_checks  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--backend", choices=("sqlite", "mariadb"), default="sqlite")
    args = parser.parse_args()
    build, source = os.path.abspath(args.build_dir), os.path.abspath(args.source_dir)
    for program in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(program):
            skip(f"{program} is not installed (packaging/deps.sh installs chromium and chromium-driver)")
    axe_source = open(install_axe(build, source)).read()
    mariadb = None
    if args.backend == "mariadb":
        mariadb = MariaDb.start()
        if mariadb is None:
            skip("mariadb-server is not installed (packaging/deps.sh installs it)")
    started = time.time()
    drivers = []
    daemon = None
    screens = Screens(build, args.backend)
    try:
        daemon = Daemon(build, source, mariadb)
        run(daemon, drivers, screens, axe_source)
    except BaseException:
        for i, d in enumerate(drivers):
            try:
                screens.save(d, f"failure-{i}")
                for line in console_errors(d):
                    log(f"  browser {i}: {line}")
            except Exception:
                pass
        if daemon:
            log("---- clinicd log (tail) ----\n" + daemon.log())
        raise
    finally:
        for d in drivers:
            d.quit()
        if daemon:
            daemon.stop()
        if mariadb:
            mariadb.stop()
    log(f"all browser checks passed on {args.backend} in {time.time() - started:.1f} s")


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

    browser_checks.run_more(daemon, one, two, screens, axe_source, {
        "patient": ioana, "other": other, "doctor": doctor, "service": service, "day_url": day_url, "date": date,
        "moved": mine})

    for i, d in enumerate(drivers):
        errors = [e for e in console_errors(d) if "Content Security Policy" in e or "Refused" in e]
        assert not errors, f"browser {i} reported CSP violations: {errors}"


if __name__ == "__main__":
    main()
