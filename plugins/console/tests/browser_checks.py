"""The console's second round in the browser (see browser_test.py): the
administrator's directory forms, booking a waitlist entry, a prescription
written by a doctor, the notifications screens, Bucharest's autumn DST day in
the grid, and the live stream resuming with Last-Event-ID after a daemon
restart."""

import datetime
import time

from selenium.webdriver.support.ui import Select

from browser_support import By, Keys, check_accessibility, click, css, log, sign_in, texts, wait


def set_value(driver, element, value):
    """For date and time inputs, whose typed form depends on the locale."""
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        element, value)


def fill(dialog, values):
    for element_id, value in values.items():
        box = dialog.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(value)


def open_dialog(driver, opener, form_id):
    """Opens a dialog with the keyboard (Enter on its button)."""
    wait(driver, lambda d: css(d, opener) and (css(d, opener)[0].send_keys(Keys.ENTER) or True), 10, f"Enter on {opener}")
    return wait(driver, lambda d: css(d, f"dialog[open] #{form_id}"), 10, f"the {form_id} dialog")[0]


def closed(driver):
    wait(driver, lambda d: not css(d, "dialog[open]"), 10, "the dialog closes")


def last_sunday_of_october():
    today = datetime.date.today()
    for year in (today.year, today.year + 1):
        day = datetime.date(year, 10, 31)
        day -= datetime.timedelta(days=(day.weekday() + 1) % 7)
        if day > today + datetime.timedelta(days=1):
            return day.isoformat()
    raise AssertionError("no autumn DST day ahead")


def check_directory(daemon, admin, screens, axe_source):
    """Creates and edits a location, a service and a doctor, and sets the
    doctor's hours, through the forms; returns the new doctor."""
    admin.get(daemon.base + "/console/#/extras")
    dialog = open_dialog(admin, "#new-location", "location-form")
    assert admin.switch_to.active_element.get_attribute("id") == "location-name", "focus did not move into the form"
    # No county: the server's refusal, naming the field, stays in the dialog.
    fill(dialog, {"location-name": "Clinica Cotroceni", "location-address": "Bd. Eroilor 1", "location-city": "București"})
    dialog.find_element(By.ID, "location-phone").send_keys(Keys.ENTER)
    shown = wait(admin, lambda d: d.find_element(By.ID, "location-form-error").text.strip(), 10, "the refusal")
    assert "county" in shown, f"the refusal does not name the field: {shown!r}"
    screens.save(admin, "13-location-refused")
    fill(dialog, {"location-county": "Sector 5"})
    dialog.find_element(By.ID, "location-form-submit").click()
    closed(admin)
    location = wait(admin, lambda d: [x for x in daemon.json("GET", "/api/v1/locations?limit=500", token=daemon.admin())["items"]
                                      if x["name"] == "Clinica Cotroceni"], 10, "the new location")[0]
    assert location["timezone"] == "Europe/Bucharest" and location["county"] == "Sector 5", location
    dialog = open_dialog(admin, f"#edit-location-{location['id']}", "location-form")
    fill(dialog, {"location-city": "Bucharest"})
    dialog.find_element(By.ID, "location-form-submit").click()
    closed(admin)
    wait(admin, lambda d: daemon.json("GET", f"/api/v1/locations/{location['id']}", token=daemon.admin())["city"] == "Bucharest",
         10, "the edited location")
    log("ok: a location created (after the server's refusal) and edited")

    dialog = open_dialog(admin, "#new-service", "service-form")
    fill(dialog, {"service-name": "Consult DST", "service-department": "cardiology", "service-duration_min": "30",
                  "service-price": "150,50", "service-currency": "ron"})
    dialog.find_element(By.ID, "service-form-submit").click()
    closed(admin)
    service = [s for s in daemon.json("GET", "/api/v1/services?limit=500", token=daemon.admin())["items"] if s["name"] == "Consult DST"][0]
    assert (service["duration_min"], service["price_minor"], service["currency"]) == (30, 15050, "RON"), service
    dialog = open_dialog(admin, f"#edit-service-{service['id']}", "service-form")
    fill(dialog, {"service-price": "160"})
    dialog.find_element(By.ID, "service-form-submit").click()
    closed(admin)
    wait(admin, lambda d: daemon.json("GET", f"/api/v1/services/{service['id']}", token=daemon.admin())["price_minor"] == 16000,
         10, "the edited price")
    log("ok: a service created and edited")

    dialog = open_dialog(admin, "#new-doctor", "doctor-form")
    fill(dialog, {"doctor-name": "Dr. Ora Schimbată", "doctor-specialty": "cardiology"})
    Select(dialog.find_element(By.ID, "doctor-location")).select_by_value(str(location["id"]))
    dialog.find_element(By.ID, f"doctor-service-{service['id']}").send_keys(Keys.SPACE)
    dialog.find_element(By.ID, "doctor-form-submit").click()
    closed(admin)
    doctor = [d for d in daemon.json("GET", "/api/v1/doctors?limit=500", token=daemon.admin())["items"] if d["name"] == "Dr. Ora Schimbată"][0]
    assert doctor["location_id"] == location["id"] and doctor["service_ids"] == [service["id"]], doctor

    # Sunday 01:00-06:00, and Monday 09:00-13:00 removed again before saving.
    dialog = open_dialog(admin, f"#edit-hours-{doctor['id']}", "hours-form")
    for _ in range(2):
        dialog.find_element(By.ID, "hours-add").click()
    rows = dialog.find_elements(By.CSS_SELECTOR, "tr.hours-row")
    Select(rows[0].find_element(By.TAG_NAME, "select")).select_by_value("7")
    set_value(admin, rows[0].find_elements(By.CSS_SELECTOR, "input[type=time]")[0], "01:00")
    set_value(admin, rows[0].find_elements(By.CSS_SELECTOR, "input[type=time]")[1], "06:00")
    Select(rows[0].find_elements(By.TAG_NAME, "select")[1]).select_by_value(str(location["id"]))
    screens.save(admin, "14-doctor-hours")
    check_accessibility(admin, axe_source, "doctor's hours dialog")
    rows[1].find_element(By.CSS_SELECTOR, "button.danger").click()
    dialog.find_element(By.ID, "hours-form-submit").click()
    closed(admin)
    hours = daemon.json("GET", f"/api/v1/doctors/{doctor['id']}", token=daemon.admin())["hours"]
    assert hours == [{"weekday": 7, "start": "01:00", "end": "06:00", "location_id": location["id"]}], hours
    wait(admin, lambda d: "01:00–06:00" in d.find_element(By.ID, "directory").text, 10, "the hours in the directory")
    screens.save(admin, "15-directory")
    check_accessibility(admin, axe_source, "directory")
    log("ok: a doctor created with their service and weekly hours")
    return location, service, doctor


def check_dst_day(daemon, admin, screens, patient, location, service, doctor):
    """The grid of Bucharest's autumn DST day: 03:30 happens twice (a free
    slot at +03:00, an appointment at +02:00), each row labelled with its
    offset, and the appointment sits in the second."""
    date = last_sunday_of_october()
    second = f"{date}T03:30:00+02:00"
    booked = daemon.json("POST", "/api/v1/appointments", {"patient_id": patient["id"], "doctor_id": doctor["id"],
                                                          "service_id": service["id"], "start": second}, daemon.admin())
    admin.get(f"{daemon.base}/console/#/day?location={location['id']}&doctor={doctor['id']}"
              f"&service={service['id']}&date={date}")
    card = f'.appt[data-appointment-id="{booked["id"]}"]'
    wait(admin, lambda d: css(d, card), 15, "the DST day's appointment")
    # Which slots the scheduler offers in the repeated hour is its business;
    # the grid's is that a wall-clock time shown twice says which it is.
    labels = texts(admin, "#agenda tbody th")
    assert len(set(labels)) == len(labels), f"two rows with one label: {labels}"
    assert "03:30" not in labels and labels.index("03:30 (GMT+3)") < labels.index("03:30 (GMT+2)"), labels
    assert labels[0] == "01:00" and labels[-1] == "05:30", labels
    # Found and read in one step: the grid redraws on the booking's own live
    # event, which can replace an element between a lookup and its use.
    row = admin.execute_script(
        "const c = document.querySelector(arguments[0]); return c && c.closest('tr').querySelector('th').innerText;",
        card)
    assert row == "03:30 (GMT+2)", f"the appointment at {second} is in row {row!r}"
    assert "03:30–04:00" in texts(admin, card)[0], texts(admin, card)
    screens.save(admin, "16-dst-day")
    log(f"ok: {date} in Bucharest labels the repeated 03:30 with its offsets, the appointment in the second: {labels}")


def check_waitlist(daemon, admin, screens, axe_source, patient, other, doctor, service):
    """A freed slot offered to a waiting patient is booked from the waitlist."""
    day = None
    for offset in range(2, 20):
        date = time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))
        found = daemon.json("GET", f"/api/v1/availability?doctor_id={doctor['id']}&service_id={service['id']}"
                            f"&from={date}&to={date}", token=daemon.admin())["items"]
        if len(found) >= 4:
            day = found
            break
    assert day, "no free day for the waitlist"
    freed = day[3]["start"]
    taken = daemon.json("POST", "/api/v1/appointments", {"patient_id": other["id"], "doctor_id": doctor["id"],
                                                         "service_id": service["id"], "start": freed}, daemon.admin())
    entry = daemon.json("POST", "/api/v1/waitlist", {
        "patient_id": patient["id"], "doctor_id": doctor["id"], "service_id": service["id"],
        "earliest": day[0]["start"], "latest": day[-1]["end"]}, daemon.admin())
    daemon.json("POST", f"/api/v1/appointments/{taken['id']}/cancel", {"reason": "moved abroad"}, daemon.admin())
    offered = daemon.json("GET", "/api/v1/waitlist?limit=500", token=daemon.admin())["items"]
    assert [w for w in offered if w["id"] == entry["id"]][0]["status"] == "offered", offered
    admin.get(daemon.base + "/console/#/extras")
    opener = f'[data-waitlist-id="{entry["id"]}"] button[data-action="book-waitlist"]'
    wait(admin, lambda d: css(d, opener), 15, "the waitlist entry")
    click(admin, opener)
    first = wait(admin, lambda d: css(d, "dialog[open] #waitlist-slots button"), 10, "the entry's slots")[0]
    instant = lambda text: datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert instant(first.get_attribute("data-start")) == instant(freed), \
        f"the offered slot is not first: {first.get_attribute('data-start')}, freed {freed}"
    screens.save(admin, "17-waitlist-book")
    check_accessibility(admin, axe_source, "waitlist booking")
    first.send_keys(Keys.ENTER)
    closed(admin)
    wait(admin, lambda d: not css(d, f'[data-waitlist-id="{entry["id"]}"]'), 10, "the entry leaves the waitlist")
    mine = daemon.json("GET", f"/api/v1/appointments?patient_id={patient['id']}&limit=500", token=daemon.admin())["items"]
    assert [a for a in mine if instant(a["start"]) == instant(freed) and a["status"] == "pending"], f"no booking at {freed}"
    log("ok: the waitlist entry's offered slot booked from the waitlist")


def check_prescription(daemon, doctor_browser, screens, axe_source, patient):
    """A doctor writes a prescription in the patient's record."""
    d = doctor_browser
    d.get(daemon.base + "/console/#/patients")
    box = wait(d, lambda x: css(x, "#patients-query"), 10)[0]
    box.clear()
    box.send_keys(patient["last_name"] + Keys.ENTER)
    click(d, "#patient-list button[data-patient-id]")
    wait(d, lambda x: css(x, "#rx-new"), 15, "the write-a-prescription button")
    click(d, "#rx-new")
    dialog = wait(d, lambda x: css(x, "dialog[open] #rx-form"), 10, "the prescription dialog")[0]
    dialog.find_element(By.ID, "rx-query").send_keys("Paracetamol" + Keys.ENTER)
    wait(d, lambda x: x.find_elements(By.CSS_SELECTOR, "#rx-drug option"), 10, "the catalogue's answer")
    fill(dialog, {"rx-dose": "500 mg", "rx-frequency": "every 8 hours", "rx-duration-days": "5", "rx-quantity": "1"})
    screens.save(d, "18-prescribe")
    check_accessibility(d, axe_source, "prescription dialog")
    dialog.find_element(By.ID, "rx-submit").click()
    closed(d)
    wait(d, lambda x: "Paracetamol" in x.find_element(By.ID, "record-prescriptions").text, 10, "the prescription listed")
    written = daemon.json("GET", f"/api/v1/prescriptions?patient_id={patient['id']}&limit=50", token=daemon.admin())["items"]
    assert [p for p in written if p["status"] == "active" and p["items"][0]["drug"].startswith("Paracetamol")
            and p["items"][0]["dose"] == "500 mg" and p["items"][0]["frequency"] == "every 8 hours"], written
    log("ok: a doctor wrote a prescription in the console")

    # The patient asks for a renewal; the doctor approves it in the record.
    original = [p for p in written if p["status"] == "active"][0]
    daemon.json("POST", f"/api/v1/prescriptions/{original['id']}/renewal-requests", {"note": "running out"},
                daemon.sign_in("ioana.patient"))
    click(d, "#patient-list button[data-patient-id]")
    click(d, '#record-prescriptions button[data-action="approve-renewal"]', 15)
    wait(d, lambda x: len(css(x, "#record-prescriptions tr[data-prescription-id]")) == 2, 10, "the renewal listed")
    renewed = daemon.json("GET", f"/api/v1/prescriptions?patient_id={patient['id']}&limit=50", token=daemon.admin())["items"]
    assert [p for p in renewed if p["renewal_of"] == original["id"]], renewed
    screens.save(d, "19-record-prescriptions")
    log("ok: the doctor approved the patient's renewal request in the console")


def check_notifications(daemon, admin, screens, axe_source):
    """The administrator's outbox (the bookings' messages), inbox and preferences."""
    admin.get(daemon.base + "/console/#/extras")
    wait(admin, lambda d: css(d, "#outbox-list tr[data-outbox-id]"), 15, "messages in the outbox")
    shown = admin.execute_script(
        "return [...document.querySelectorAll('#outbox-list tr[data-outbox-id]')].map(r => Number(r.dataset.outboxId));")
    # Read after the page: messages may have been queued since, never fewer.
    outbox = {m["id"]: m for m in daemon.json("GET", "/api/v1/outbox?limit=500", token=daemon.admin())["items"]}
    assert shown and set(shown) <= set(outbox), f"the outbox shows {shown}, the API has {sorted(outbox)}"
    first = outbox[shown[0]]
    row = texts(admin, f'#outbox-list tr[data-outbox-id="{first["id"]}"]')[0]
    assert first["recipient"] in row and first["subject"] in row, f"{row!r} against {first}"
    assert css(admin, "#notifications") and css(admin, "#preferences-form"), "no inbox or preferences"
    wait(admin, lambda d: d.find_element(By.ID, "pref-sms").is_selected(), 10, "the preferences loaded")
    admin.find_element(By.ID, "pref-sms").send_keys(Keys.SPACE)
    admin.find_element(By.ID, "pref-save").click()
    wait(admin, lambda d: daemon.json("GET", "/api/v1/notification-preferences", token=daemon.admin())["sms"] is False
         or None, 5, "the preference saved")
    screens.save(admin, "20-notifications")
    check_accessibility(admin, axe_source, "notifications")
    log(f"ok: the administrator sees the outbox ({len(shown)} messages), the inbox and the preferences")


def check_reconnect(daemon, admin, screens, patient, doctor, service, day_url, date):
    """The daemon restarts (the stream drops); a booking is made while the
    console cannot reconnect; once it can, it resumes with Last-Event-ID."""
    free_start = daemon.json("GET", f"/api/v1/availability?doctor_id={doctor['id']}&service_id={service['id']}"
                             f"&from={date}&to={date}", token=daemon.admin())["items"][0]["start"]
    admin.get(day_url)
    wait(admin, lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live", 10, "live")
    admin.execute_cdp_cmd("Network.enable", {})
    admin.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/v1/events/stream*"]})
    try:
        daemon.restart()
        wait(admin, lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") != "live", 10,
             "the stream dropped")
        booked = daemon.json("POST", "/api/v1/appointments", {"patient_id": patient["id"], "doctor_id": doctor["id"],
                                                              "service_id": service["id"], "start": free_start},
                             daemon.sign_in("desk.admin"))
        change = daemon.change_id("appointment.booked", "appointment_id", booked["id"])
        assert admin.find_element(By.ID, "live-state").get_attribute("data-state") != "live"
    finally:
        admin.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait(admin, lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live", 20, "live again")
    wait(admin, lambda d: css(d, f'.appt[data-appointment-id="{booked["id"]}"]'), 10, "the booking after the reconnect")
    # The new stream started after that booking's row: only a resume from the
    # old Last-Event-ID carries it.
    wait(admin, lambda d: d.find_element(By.ID, "live-state").get_attribute("data-last-event-id") == str(change), 10,
         f"change {change} replayed on the resumed stream")
    screens.save(admin, "21-after-reconnect")
    log(f"ok: after a daemon restart the console resumed from Last-Event-ID and got change {change}")


def check_series_and_reschedule(daemon, admin, screens, patient, day_url, moved):
    """A weekly series booked from a free slot, and an appointment moved to
    another slot chosen in the reschedule dialog."""
    from browser_support import choose_patient, wait_slots
    admin.get(day_url)
    wait_slots(admin)
    start = css(admin, "button.slot")[0].get_attribute("data-start")
    click(admin, f'button.slot[data-start="{start}"]')
    dialog = choose_patient(admin, patient["last_name"])
    Select(dialog.find_element(By.ID, "book-repeat")).select_by_value("weekly")
    count = dialog.find_element(By.ID, "book-count")
    count.clear()
    count.send_keys("3")
    dialog.find_element(By.ID, "book-submit").click()
    closed(admin)
    series = [a for a in daemon.json("GET", f"/api/v1/appointments?patient_id={patient['id']}&limit=500", token=daemon.admin())["items"]
              if a["series_id"] and a["start"] >= start]
    assert len(series) == 3 and len({a["series_id"] for a in series}) == 1, f"the weekly series: {series}"
    log(f"ok: a weekly series of {len(series)} booked from a free slot")

    click(admin, f'.appt[data-appointment-id="{moved["id"]}"] button[data-action="reschedule"]')
    target = wait(admin, lambda d: css(d, "dialog[open] #reschedule-slots button"), 10, "the other free slots")[-1]
    new_start = target.get_attribute("data-start")
    screens.save(admin, "22-reschedule")
    target.send_keys(Keys.ENTER)
    closed(admin)
    after = daemon.json("GET", f"/api/v1/appointments/{moved['id']}", token=daemon.admin())
    assert after["start"] == new_start, f"moved to {after['start']}, chosen {new_start}"
    wait(admin, lambda d: css(d, f'.appt[data-appointment-id="{moved["id"]}"]') and
         d.find_element(By.CSS_SELECTOR, f'.appt[data-appointment-id="{moved["id"]}"]').get_attribute("data-status")
         == after["status"], 10, "the moved appointment in the grid")
    log(f"ok: rescheduled by choosing another slot ({moved['start']} -> {new_start})")


def run_more(daemon, one, two, screens, axe_source, people):
    """one: a reception terminal, to be signed in as the administrator; two:
    signed in as the doctor."""
    one.find_element(By.ID, "signout").click()
    wait(one, lambda d: d.find_element(By.ID, "username").is_displayed(), 10, "signed out")
    Select(one.find_element(By.ID, "lang")).select_by_value("en")
    sign_in(one, daemon.base, "desk.admin")
    location, service, doctor = check_directory(daemon, one, screens, axe_source)
    check_dst_day(daemon, one, screens, people["patient"], location, service, doctor)
    check_waitlist(daemon, one, screens, axe_source, people["patient"], people["other"], people["doctor"],
                   people["service"])
    check_prescription(daemon, two, screens, axe_source, people["patient"])
    check_notifications(daemon, one, screens, axe_source)
    check_series_and_reschedule(daemon, one, screens, people["patient"], people["day_url"], people["moved"])
    check_reconnect(daemon, one, screens, people["patient"], people["doctor"], people["service"], people["day_url"],
                    people["date"])
