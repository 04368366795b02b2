#pragma once

// iCalendar read back by a real parser (Debian's python3-icalendar), the
// example Lua scripts of lua/examples proved through HTTP, and the reports.
//
// Every daemon's clock starts on Monday 2027-03-01 at 06:00 UTC, 08:00 in
// Bucharest, so "today" is 2027-03-01 there and a booking at 10:00 local has
// two hours' notice. Each rules variant gets its own daemon whose rules.dir
// holds lua/rules/default.lua and the example under a later-sorting name, as
// lua/README.md tells a clinic to install it.

#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>
#include <tuple>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

inline const char* const kClockStart = "2027-03-01T06:00:00Z";

/// The python3 that can import icalendar (Debian's python3-icalendar lives
/// under /usr/bin/python3 even where another python3 comes first on PATH).
inline std::string icalendarPython()
{
    for (const char* candidate : {"/usr/bin/python3", "python3"}) {
        const std::string probe = std::string(candidate) + " -c 'import icalendar' >/dev/null 2>&1";
        if (std::system(probe.c_str()) == 0)
            return candidate;
    }
    return "";
}

/// Checked before any test runs: without the parser the iCalendar tests
/// prove nothing, so the suite is skipped (77) with the reason.
inline const std::string kPython = [] {
    std::string python = icalendarPython();
    if (python.empty()) {
        std::cout << "SKIPPED: python3-icalendar is not installed (apt-get install -y python3-icalendar); "
                     "the iCalendar output was not read by a real parser"
                  << std::endl;
        std::exit(77);
    }
    return python;
}();

/// Reads an iCalendar file with icalendar.Calendar.from_ical and prints
/// what it understood as JSON.
inline const char* const kParseScript = R"PY(
import icalendar, json, sys
from datetime import timezone
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
def utc(ev, key):
    return ev.decoded(key).astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
out = {'name': str(cal.get('X-WR-CALNAME', '')), 'kind': cal.name,
       'errors': [str(e) for e in cal.errors], 'events': []}
for ev in cal.walk('VEVENT'):
    out['events'].append({
        'uid': str(ev.get('UID')), 'sequence': int(ev.decoded('SEQUENCE')),
        'status': str(ev.get('STATUS')), 'dtstart': utc(ev, 'DTSTART'), 'dtend': utc(ev, 'DTEND'),
        'summary': str(ev.get('SUMMARY')), 'location': str(ev.get('LOCATION', '')),
        'errors': [str(e) for e in ev.errors]})
print(json.dumps(out))
)PY";

struct ParsedEvent {
    std::string uid, status, dtstart, dtend, summary, location;
    long sequence = -1;
};

struct ParsedCalendar {
    std::string name;
    std::vector<ParsedEvent> events;
    const ParsedEvent* byUid(const std::string& uid) const
    {
        for (const auto& e : events)
            if (e.uid == uid)
                return &e;
        return nullptr;
    }
};

/// The raw text must be RFC 5545 folded: no line longer than 75 octets, and
/// CRLF line ends.
inline void assertFolded(const std::string& ics)
{
    std::size_t start = 0;
    while (start < ics.size()) {
        auto end = ics.find("\r\n", start);
        CPPUNIT_ASSERT_MESSAGE("a line does not end in CRLF:\n" + ics, end != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(
            "a line is longer than 75 octets: " + ics.substr(start, end - start), end - start <= 75);
        start = end + 2;
    }
}

/// Writes the text to a file and has python3-icalendar parse it.
inline ParsedCalendar parseIcs(const std::string& ics)
{
    assertFolded(ics);
    TempDir dir;
    writeFile(dir.file("calendar.ics"), ics);
    auto r = runProcess(kPython, {"-c", kParseScript, dir.file("calendar.ics")}, {}, "", 60);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err + "\n--- ics ---\n" + ics, 0, r.exitCode);
    Poco::JSON::Parser parser;
    auto o = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
    CPPUNIT_ASSERT_EQUAL(std::string("VCALENDAR"), o->getValue<std::string>("kind"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out, std::size_t(0), o->getArray("errors")->size());
    ParsedCalendar cal;
    cal.name = o->getValue<std::string>("name");
    auto events = o->getArray("events");
    for (std::size_t i = 0; i < events->size(); ++i) {
        auto e = events->getObject(static_cast<unsigned>(i));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out, std::size_t(0), e->getArray("errors")->size());
        ParsedEvent p;
        p.uid = e->getValue<std::string>("uid");
        p.sequence = e->getValue<long>("sequence");
        p.status = e->getValue<std::string>("status");
        p.dtstart = e->getValue<std::string>("dtstart");
        p.dtend = e->getValue<std::string>("dtend");
        p.summary = e->getValue<std::string>("summary");
        p.location = e->getValue<std::string>("location");
        cal.events.push_back(p);
    }
    return cal;
}

/// RFC 4180: rows of fields, quoted fields may hold commas, quotes ("") and
/// line breaks.
inline std::vector<std::vector<std::string>> parseCsv(const std::string& text)
{
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            row.push_back(field);
            rows.push_back(row);
            row.clear();
            field.clear();
            ++i;
        } else {
            field += c;
        }
    }
    CPPUNIT_ASSERT_MESSAGE("an unterminated quoted field", !quoted);
    if (!field.empty() || !row.empty()) {
        row.push_back(field);
        rows.push_back(row);
    }
    return rows;
}

/// One clinicd with its own rules.dir, accounts and directory helpers.
class Site {
public:
    /// example: a file of lua/examples ("" for the default rules alone).
    explicit Site(const std::string& example, Daemon::Options o = {})
    {
        writeFile(_rules.file("default.lua"), readFile(sourceDir() + "/lua/rules/default.lua"));
        if (!example.empty())
            writeFile(_rules.file("site-" + example + ".lua"),
                readFile(sourceDir() + "/lua/examples/" + example + ".lua"));
        o.config["plugins.load"] = "records,scheduling";
        o.config["auth.rate_limit_per_minute"] = "0";
        o.config["log.level"] = "information";
        o.config["rules.dir"] = _rules.path();
        if (!o.config.count("clock.start"))
            o.config["clock.start"] = kClockStart;
        daemon = std::make_unique<Daemon>(o);
        CPPUNIT_ASSERT_MESSAGE(
            daemon->log(), daemon->log().find("started plugin scheduling") != std::string::npos);
        client = std::make_unique<HttpClient>("127.0.0.1", daemon->port());
    }

    /// The first admin and the staff accounts (a fresh database only).
    void signInStaff()
    {
        admin = firstAdmin(*daemon, *client);
        receptionist
            = createAndSignIn(*client, admin, "desk." + std::to_string(daemon->port()), "receptionist");
    }

    std::map<std::string, std::string> asAdmin() const { return bearer(admin.accessToken); }
    std::map<std::string, std::string> asDesk() const { return bearer(receptionist.accessToken); }

    static std::int64_t created(const HttpResult& r)
    {
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        return r.json()->getValue<Poco::Int64>("id");
    }

    std::int64_t location(const std::string& name, const std::string& address = "Strada 1",
        const std::string& city = "București")
    {
        Poco::JSON::Object body;
        body.set("name", name);
        body.set("address", address);
        body.set("city", city);
        body.set("county", "București");
        body.set("timezone", "Europe/Bucharest");
        std::ostringstream text;
        body.stringify(text);
        return created(client->post("/api/v1/locations", text.str(), asAdmin()));
    }

    std::int64_t service(const std::string& name, int minutes, int priceMinor)
    {
        Poco::JSON::Object body;
        body.set("name", name);
        body.set("department", "general");
        body.set("duration_min", minutes);
        body.set("price_minor", priceMinor);
        body.set("currency", "RON");
        std::ostringstream text;
        body.stringify(text);
        return created(client->post("/api/v1/services", text.str(), asAdmin()));
    }

    /// A doctor who works every day 08:00-20:00 at the location.
    std::int64_t doctor(
        const std::string& name, const std::string& specialty, std::int64_t location, std::int64_t service)
    {
        Poco::JSON::Object body;
        body.set("name", name);
        body.set("specialty", specialty);
        body.set("location_id", location);
        Poco::JSON::Array::Ptr services = new Poco::JSON::Array;
        services->add(service);
        body.set("service_ids", services);
        std::ostringstream text;
        body.stringify(text);
        const auto id = created(client->post("/api/v1/doctors", text.str(), asAdmin()));
        std::string hours;
        for (int day = 1; day <= 7; ++day)
            hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
                + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
        auto r = client->request(
            "PUT", "/api/v1/doctors/" + std::to_string(id) + "/hours", "[" + hours + "]", asAdmin());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        return id;
    }

    std::int64_t patient(const std::string& last, const std::string& birthDate)
    {
        return created(client->post("/api/v1/patients",
            R"({"first_name":"Pacient","last_name":")" + last + R"(","birth_date":")" + birthDate
                + R"(","sex":"female","phone":"+40 700 000 )" + std::to_string(100 + ++_phones)
                + R"(","force":true})",
            asAdmin()));
    }

    /// A patient account signed in, for that patient.
    Account patientLogin(std::int64_t patient)
    {
        return createAndSignIn(*client, admin, "patient." + std::to_string(patient), "patient",
            "\"patient_id\":" + std::to_string(patient));
    }

    static std::string booking(
        std::int64_t patient, std::int64_t doctor, std::int64_t service, const std::string& start)
    {
        return R"({"patient_id":)" + std::to_string(patient) + R"(,"doctor_id":)" + std::to_string(doctor)
            + R"(,"service_id":)" + std::to_string(service) + R"(,"start":")" + start + R"("})";
    }

    HttpResult book(const std::map<std::string, std::string>& as, std::int64_t patient, std::int64_t doctor,
        std::int64_t service, const std::string& start)
    {
        return client->post("/api/v1/appointments", booking(patient, doctor, service, start), as);
    }

    /// Books and expects 201; the appointment.
    Poco::JSON::Object::Ptr booked(const std::map<std::string, std::string>& as, std::int64_t patient,
        std::int64_t doctor, std::int64_t service, const std::string& start)
    {
        auto r = book(as, patient, doctor, service, start);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(start + ": " + r.body, 201, r.status);
        return r.json();
    }

    HttpResult act(const std::map<std::string, std::string>& as, std::int64_t appointment,
        const std::string& action, const std::string& body = "{}")
    {
        return client->post("/api/v1/appointments/" + std::to_string(appointment) + "/" + action, body, as);
    }

    Poco::JSON::Object::Ptr acted(const std::map<std::string, std::string>& as, std::int64_t appointment,
        const std::string& action, const std::string& body = "{}")
    {
        auto r = act(as, appointment, action, body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(action + ": " + r.body, 200, r.status);
        return r.json();
    }

    std::string sql(const std::string& statement) { return sqlOutput(*daemon, statement); }

    long count(const std::string& table, const std::string& where = "1=1")
    {
        return countRows(*daemon, table, where);
    }

    /// The reminder jobs of an appointment's first sequence, as sorted
    /// "offset:channel@run_at" words.
    std::string reminders(std::int64_t appointment)
    {
        const std::string out = sql("SELECT idempotency_key || '@' || run_at FROM jobs WHERE kind = "
                                    "'appointment.reminder' AND idempotency_key LIKE 'reminder:appointment:"
            + std::to_string(appointment) + ":%';");
        std::set<std::string> lines;
        std::istringstream in(out);
        const std::string prefix = "reminder:appointment:" + std::to_string(appointment) + ":0:";
        for (std::string line; std::getline(in, line);) {
            CPPUNIT_ASSERT_MESSAGE(line, line.compare(0, prefix.size(), prefix) == 0);
            lines.insert(line.substr(prefix.size()));
        }
        std::string words;
        for (const auto& l : lines)
            words += (words.empty() ? "" : " ") + l;
        return words;
    }

    std::unique_ptr<Daemon> daemon;
    std::unique_ptr<HttpClient> client;
    Account admin, receptionist;

private:
    TempDir _rules;
    int _phones = 0;
};

/// The 422 RULE_REJECTED answer's details.reason (fails on anything else).
inline std::string ruleRejected(const HttpResult& r, const std::string& rule)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::string("RULE_REJECTED"), r.errorCode());
    auto details = r.json()->getObject("error")->getObject("details");
    CPPUNIT_ASSERT_EQUAL(rule, details->getValue<std::string>("rule"));
    return details->getValue<std::string>("reason");
}

inline std::int64_t idOf(const Poco::JSON::Object::Ptr& o)
{
    return o->getValue<Poco::Int64>("id");
}

/// The slots of an availability answer, as "start-end" local times (HH:MM).
inline std::vector<std::string> slotTimes(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    auto items = r.json()->getArray("items");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto o = items->getObject(static_cast<unsigned>(i));
        out.push_back(o->getValue<std::string>("start").substr(11, 5) + "-"
            + o->getValue<std::string>("end").substr(11, 5));
    }
    return out;
}

/// Milliseconds since the epoch (the jobs table's run_at) of 2027-03-DAY at
/// HOUR:MINUTE UTC.
inline std::string epoch(int day, int hourUtc, int minute = 0)
{
    const long long base = 1803859200LL; // 2027-03-01T00:00:00Z
    return std::to_string((base + (day - 1) * 86400LL + hourUtc * 3600LL + minute * 60LL) * 1000);
}
