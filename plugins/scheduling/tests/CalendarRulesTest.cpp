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

namespace {

const char* const kClockStart = "2027-03-01T06:00:00Z";

/// The python3 that can import icalendar (Debian's python3-icalendar lives
/// under /usr/bin/python3 even where another python3 comes first on PATH).
std::string icalendarPython()
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
const std::string kPython = [] {
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
const char* const kParseScript = R"PY(
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
void assertFolded(const std::string& ics)
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
ParsedCalendar parseIcs(const std::string& ics)
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
std::vector<std::vector<std::string>> parseCsv(const std::string& text)
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
std::string ruleRejected(const HttpResult& r, const std::string& rule)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::string("RULE_REJECTED"), r.errorCode());
    auto details = r.json()->getObject("error")->getObject("details");
    CPPUNIT_ASSERT_EQUAL(rule, details->getValue<std::string>("rule"));
    return details->getValue<std::string>("reason");
}

std::int64_t idOf(const Poco::JSON::Object::Ptr& o)
{
    return o->getValue<Poco::Int64>("id");
}

/// The slots of an availability answer, as "start-end" local times (HH:MM).
std::vector<std::string> slotTimes(const HttpResult& r)
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
std::string epoch(int day, int hourUtc, int minute = 0)
{
    const long long base = 1803859200LL; // 2027-03-01T00:00:00Z
    return std::to_string((base + (day - 1) * 86400LL + hourUtc * 3600LL + minute * 60LL) * 1000);
}

} // namespace

class CalendarRulesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CalendarRulesTest);
    CPPUNIT_TEST(appointmentIcsIsReadByARealParserAcrossChanges);
    CPPUNIT_TEST(defaultRulesNeedNoticeAndKeepPatientsFromLateCancelling);
    CPPUNIT_TEST(dentalFirstVisitIs45MinutesAndNeverSameDay);
    CPPUNIT_TEST(pediatricPracticeSeesChildrenOnlyAndChildrenOnlyThere);
    CPPUNIT_TEST(cancellationFeeIsHalfThePriceWithinADayAndRemindersFollowTheScript);
    CPPUNIT_TEST(dashboardAndMonthlyReportCountWhatWasBooked);
    CPPUNIT_TEST_SUITE_END();

public:
    void appointmentIcsIsReadByARealParserAcrossChanges()
    {
        Site site("");
        site.signInStaff();
        auto& c = *site.client;
        // Commas and semicolons are escaped in iCalendar TEXT; the Romanian
        // letters are two octets each, and the line is far over 75 octets,
        // so it is folded, never inside a letter.
        const std::string name = "Clinica Sfântul Ștefan; Secția Ortopedie, etajul 2, aripa nouă";
        const std::string address = "Strada Mărășești 14; bl. A";
        const std::string city = "Iași";
        const auto location = site.location(name, address, city);
        const auto service = site.service("Consultație", 30, 25000);
        const std::string doctorName = "Dr. Ionuț Șerban";
        const auto doctor = site.doctor(doctorName, "orthopaedics", location, service);
        const auto other = site.doctor("Dr. Alt Medic", "orthopaedics", location, service);
        const auto patient = site.patient("Calendar", "1980-01-01");
        const auto me = bearer(site.patientLogin(patient).accessToken);

        auto appt = site.booked(me, patient, doctor, service, "2027-03-02T10:00:00+02:00");
        const auto id = idOf(appt);
        const std::string path = "/api/v1/appointments/" + std::to_string(id) + ".ics";
        auto fetch = [&] {
            auto r = c.get(path, me);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            CPPUNIT_ASSERT_MESSAGE(
                r.header("Content-Type"), r.header("Content-Type").find("text/calendar") == 0);
            auto cal = parseIcs(r.body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::size_t(1), cal.events.size());
            return std::make_pair(cal.events.front(), r.body);
        };
        auto [first, raw] = fetch();
        CPPUNIT_ASSERT_MESSAGE(
            "the LOCATION line was not folded:\n" + raw, raw.find("\r\n ") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-02T08:00:00Z"), first.dtstart);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-02T08:30:00Z"), first.dtend);
        CPPUNIT_ASSERT_EQUAL(0L, first.sequence);
        CPPUNIT_ASSERT_EQUAL(std::string("TENTATIVE"), first.status);
        CPPUNIT_ASSERT_EQUAL(name + ", " + address + ", " + city, first.location);
        CPPUNIT_ASSERT_EQUAL(std::string("Consultație - ") + doctorName, first.summary);
        CPPUNIT_ASSERT(!first.uid.empty());
        // A second fetch is the same event.
        auto again = fetch().first;
        CPPUNIT_ASSERT_EQUAL(first.uid, again.uid);
        CPPUNIT_ASSERT_EQUAL(first.sequence, again.sequence);

        // Moved: same UID, a higher SEQUENCE, the new UTC instants.
        auto moved = site.acted(site.asDesk(), id, "reschedule", R"({"start":"2027-03-03T11:00:00+02:00"})");
        auto afterMove = fetch().first;
        CPPUNIT_ASSERT_EQUAL(first.uid, afterMove.uid);
        CPPUNIT_ASSERT(afterMove.sequence > first.sequence);
        CPPUNIT_ASSERT_EQUAL(moved->getValue<long>("sequence"), afterMove.sequence);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-03T09:00:00Z"), afterMove.dtstart);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-03T09:30:00Z"), afterMove.dtend);

        // Cancelled: same UID, higher again, STATUS:CANCELLED (so calendars drop it).
        site.acted(site.asDesk(), id, "cancel", R"({"reason":"the patient called"})");
        auto afterCancel = fetch().first;
        CPPUNIT_ASSERT_EQUAL(first.uid, afterCancel.uid);
        CPPUNIT_ASSERT(afterCancel.sequence > afterMove.sequence);
        CPPUNIT_ASSERT_EQUAL(std::string("CANCELLED"), afterCancel.status);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-03T09:00:00Z"), afterCancel.dtstart);

        // The doctor's feed: this doctor's events, the cancelled one too, and
        // not another doctor's.
        const auto patient2 = site.patient("Feed", "1975-05-05");
        const auto a2
            = idOf(site.booked(site.asDesk(), patient2, doctor, service, "2027-03-04T09:30:00+02:00"));
        const auto a3
            = idOf(site.booked(site.asDesk(), patient, doctor, service, "2027-03-05T16:00:00+02:00"));
        const auto a4
            = idOf(site.booked(site.asDesk(), patient2, other, service, "2027-03-04T09:30:00+02:00"));
        site.acted(site.asDesk(), a3, "confirm");
        const std::string feedPath = "/api/v1/doctors/" + std::to_string(doctor) + "/calendar.ics";
        auto feed = c.get(feedPath, site.asDesk());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(feed.body, 200, feed.status);
        auto cal = parseIcs(feed.body);
        CPPUNIT_ASSERT_EQUAL(doctorName, cal.name);
        // An unknown doctor is a 404 in the error envelope, not an empty feed.
        auto unknown = c.get("/api/v1/doctors/987654/calendar.ics", site.asDesk());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(unknown.body, 404, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), unknown.errorCode());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(feed.body, std::size_t(3), cal.events.size());
        std::set<std::string> uids;
        for (const auto& e : cal.events)
            uids.insert(e.uid);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), uids.size());
        const auto* cancelled = cal.byUid(first.uid);
        CPPUNIT_ASSERT_MESSAGE(feed.body, cancelled);
        CPPUNIT_ASSERT_EQUAL(std::string("CANCELLED"), cancelled->status);
        CPPUNIT_ASSERT_EQUAL(afterCancel.sequence, cancelled->sequence);
        // Each appointment's own .ics names the same UID as the feed.
        for (auto [appointment, start, status] :
            std::vector<std::tuple<std::int64_t, std::string, std::string>> {
                {a2, "2027-03-04T07:30:00Z", "TENTATIVE"}, {a3, "2027-03-05T14:00:00Z", "CONFIRMED"}}) {
            auto one = c.get("/api/v1/appointments/" + std::to_string(appointment) + ".ics", site.asDesk());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(one.body, 200, one.status);
            auto own = parseIcs(one.body).events.at(0);
            const auto* inFeed = cal.byUid(own.uid);
            CPPUNIT_ASSERT_MESSAGE(own.uid + " is not in the feed", inFeed);
            CPPUNIT_ASSERT_EQUAL(start, inFeed->dtstart);
            CPPUNIT_ASSERT_EQUAL(status, inFeed->status);
            CPPUNIT_ASSERT_EQUAL(own.sequence, inFeed->sequence);
        }
        auto otherIcs = c.get("/api/v1/appointments/" + std::to_string(a4) + ".ics", site.asDesk());
        CPPUNIT_ASSERT_EQUAL(200, otherIcs.status);
        CPPUNIT_ASSERT_MESSAGE("another doctor's appointment is in the feed",
            !cal.byUid(parseIcs(otherIcs.body).events.at(0).uid));
        // The feed is for staff.
        CPPUNIT_ASSERT_EQUAL(403, c.get(feedPath, me).status);
    }

    void defaultRulesNeedNoticeAndKeepPatientsFromLateCancelling()
    {
        Site site("");
        site.signInStaff();
        const auto location = site.location("Clinica Default");
        const auto service = site.service("Consult", 30, 20000);
        const auto doctor = site.doctor("Dr. Default", "cardiology", location, service);
        const auto patient = site.patient("Default", "1980-01-01");
        const auto me = bearer(site.patientLogin(patient).accessToken);

        // 08:30 is half an hour away: inside the doctor's hours, short of the
        // 60 minutes' notice. Nothing is written.
        const long before = site.count("scheduling_appointments");
        for (const auto& as : {site.asDesk(), me}) {
            auto r = site.book(as, patient, doctor, service, "2027-03-01T08:30:00+02:00");
            CPPUNIT_ASSERT_EQUAL(
                std::string("bookings need at least 60 minutes' notice"), ruleRejected(r, "before_book"));
        }
        CPPUNIT_ASSERT_EQUAL(before, site.count("scheduling_appointments"));
        CPPUNIT_ASSERT_EQUAL(0L, site.count("scheduling_occupancy"));
        // Two hours is enough.
        auto soon = site.booked(me, patient, doctor, service, "2027-03-01T10:00:00+02:00");

        // A patient may not cancel within 24 hours; the desk may.
        auto late = site.act(me, idOf(soon), "cancel", R"({"reason":"cannot come"})");
        CPPUNIT_ASSERT_EQUAL(std::string("appointments can be cancelled up to 24 hours before the start"),
            ruleRejected(late, "cancel_policy"));
        auto still = site.client->get("/api/v1/appointments/" + std::to_string(idOf(soon)), me);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), still.json()->getValue<std::string>("status"));
        auto byDesk = site.acted(site.asDesk(), idOf(soon), "cancel", R"({"reason":"the patient called"})");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), byDesk->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), byDesk->getValue<Poco::Int64>("fee_minor"));

        // Two days ahead the patient cancels themself; the default reminder
        // plan is one e-mail a day before.
        auto later = site.booked(me, patient, doctor, service, "2027-03-03T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL("1440:email@" + epoch(2, 8), site.reminders(idOf(later)));
        auto mine = site.acted(me, idOf(later), "cancel", "{}");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), mine->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), mine->getValue<Poco::Int64>("fee_minor"));
    }

    void dentalFirstVisitIs45MinutesAndNeverSameDay()
    {
        Site site("dental");
        site.signInStaff();
        auto& c = *site.client;
        const auto location = site.location("Clinica Dentară");
        const auto service = site.service("Control", 30, 15000);
        const auto doctor = site.doctor("Dr. Dinte", "dentistry", location, service);
        const auto fresh = site.patient("Nou", "1990-02-02");
        const auto regular = site.patient("Vechi", "1985-03-03");
        const auto me = bearer(site.patientLogin(fresh).accessToken);
        const std::string avail = "/api/v1/availability?doctor_id=" + std::to_string(doctor)
            + "&service_id=" + std::to_string(service) + "&from=2027-03-02&to=2027-03-02";

        // A new patient sees 45-minute slots, by patient_id or signed in;
        // without a patient the service's 30 minutes apply.
        auto forFresh = slotTimes(c.get(avail + "&patient_id=" + std::to_string(fresh), site.asDesk()));
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), forFresh.size()); // 12 hours / 45 minutes
        CPPUNIT_ASSERT_EQUAL(std::string("08:00-08:45"), forFresh.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("08:45-09:30"), forFresh.at(1));
        CPPUNIT_ASSERT(forFresh == slotTimes(c.get(avail, me)));
        auto anyone = slotTimes(c.get(avail, site.asDesk()));
        CPPUNIT_ASSERT_EQUAL(std::size_t(24), anyone.size());
        CPPUNIT_ASSERT_EQUAL(std::string("08:00-08:30"), anyone.at(0));

        // Not the same day for a new patient, whoever books.
        for (const auto& as : {me, site.asDesk()}) {
            auto sameDay = site.book(as, fresh, doctor, service, "2027-03-01T14:00:00+02:00");
            CPPUNIT_ASSERT_EQUAL(std::string("new patients cannot be booked for the same day"),
                ruleRejected(sameDay, "before_book"));
        }
        // The next day it is booked, for 45 minutes.
        auto first = site.booked(me, fresh, doctor, service, "2027-03-02T09:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(45), first->getValue<Poco::Int64>("duration_min"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-02T09:45:00+02:00"), first->getValue<std::string>("end"));
        CPPUNIT_ASSERT_EQUAL(
            9L, site.count("scheduling_occupancy", "appointment_id = " + std::to_string(idOf(first))));

        // A patient with a completed visit is not new: the service's 30
        // minutes, and the same day is fine.
        auto visit = site.booked(site.asDesk(), regular, doctor, service, "2027-03-02T15:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(45), visit->getValue<Poco::Int64>("duration_min"));
        site.acted(site.asDesk(), idOf(visit), "check-in");
        site.acted(site.asAdmin(), idOf(visit), "complete");
        auto forRegular = slotTimes(c.get(avail + "&patient_id=" + std::to_string(regular), site.asDesk()));
        CPPUNIT_ASSERT_EQUAL(std::string("08:00-08:30"), forRegular.at(0));
        auto today = site.booked(site.asDesk(), regular, doctor, service, "2027-03-01T14:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), today->getValue<Poco::Int64>("duration_min"));
        // The example wraps the default before_book: the notice rule still holds.
        auto tooSoon = site.book(site.asDesk(), regular, doctor, service, "2027-03-01T08:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("bookings need at least 60 minutes' notice"), ruleRejected(tooSoon, "before_book"));
    }

    void pediatricPracticeSeesChildrenOnlyAndChildrenOnlyThere()
    {
        Site site("pediatric");
        site.signInStaff();
        const auto location = site.location("Clinica Copiilor");
        const auto service = site.service("Consult", 30, 18000);
        // The script compares the specialty in lower case with "pediatrics".
        const auto pediatrician = site.doctor("Dr. Mic", "Pediatrics", location, service);
        const auto internist = site.doctor("Dr. Mare", "internal medicine", location, service);
        const auto adult = site.patient("Adult", "1980-01-01");
        const auto child = site.patient("Copil", "2020-05-05");
        // 17 on 2027-03-01, 18 from 2027-03-02.
        const auto teen = site.patient("Adolescent", "2009-03-02");

        auto refused = site.book(site.asDesk(), adult, pediatrician, service, "2027-03-02T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("pediatricians see patients under 18 only"), ruleRejected(refused, "before_book"));
        site.booked(site.asDesk(), child, pediatrician, service, "2027-03-02T10:00:00+02:00");
        auto childToInternist
            = site.book(site.asDesk(), child, internist, service, "2027-03-02T11:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(std::string("patients under 18 are seen by a pediatrician"),
            ruleRejected(childToInternist, "before_book"));
        site.booked(site.asDesk(), adult, internist, service, "2027-03-02T11:00:00+02:00");

        // The age is taken on the day of the appointment.
        site.booked(site.asDesk(), teen, pediatrician, service, "2027-03-01T12:00:00+02:00");
        auto teenLater = site.book(site.asDesk(), teen, pediatrician, service, "2027-03-02T12:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("pediatricians see patients under 18 only"), ruleRejected(teenLater, "before_book"));
        site.booked(site.asDesk(), teen, internist, service, "2027-03-02T12:00:00+02:00");
        // The default notice rule still applies under the example.
        auto tooSoon = site.book(site.asDesk(), child, pediatrician, service, "2027-03-01T08:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("bookings need at least 60 minutes' notice"), ruleRejected(tooSoon, "before_book"));
        CPPUNIT_ASSERT_EQUAL(4L, site.count("scheduling_appointments"));
    }

    void cancellationFeeIsHalfThePriceWithinADayAndRemindersFollowTheScript()
    {
        Site site("cancellation_fee");
        site.signInStaff();
        const auto location = site.location("Clinica Taxă");
        const auto service = site.service("Consult", 30, 35000);
        const auto doctor = site.doctor("Dr. Taxă", "cardiology", location, service);
        const auto patient = site.patient("Taxa", "1980-01-01");
        const auto me = bearer(site.patientLogin(patient).accessToken);

        // Six hours ahead: the e-mail reminder a day before is already past,
        // the SMS two hours before is not.
        auto soon = site.booked(me, patient, doctor, service, "2027-03-01T14:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL("120:sms@" + epoch(1, 10), site.reminders(idOf(soon)));
        // Four days ahead: both.
        auto far = site.booked(me, patient, doctor, service, "2027-03-05T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            "120:sms@" + epoch(5, 6) + " 1440:email@" + epoch(4, 8), site.reminders(idOf(far)));

        // The example replaces the default cancel_policy: within 24 hours a
        // patient may cancel, for half the price.
        auto late = site.acted(me, idOf(soon), "cancel", R"({"reason":"cannot come"})");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), late->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(17500), late->getValue<Poco::Int64>("fee_minor"));
        CPPUNIT_ASSERT_EQUAL(1L,
            site.count(
                "scheduling_appointments", "id = " + std::to_string(idOf(soon)) + " AND fee_minor = 17500"));
        // Earlier than that it is free.
        auto early = site.acted(me, idOf(far), "cancel", "{}");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), early->getValue<Poco::Int64>("fee_minor"));
        // The clinic cancelling within 24 hours costs the patient nothing.
        auto again = site.booked(me, patient, doctor, service, "2027-03-01T15:00:00+02:00");
        auto byClinic
            = site.acted(site.asAdmin(), idOf(again), "cancel", R"({"reason":"the doctor is ill"})");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), byClinic->getValue<Poco::Int64>("fee_minor"));

        // The fee is the month's revenue for that doctor.
        auto report = site.client->get("/api/v1/reports/monthly?month=2027-03", site.asAdmin());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(report.body, 200, report.status);
        auto line = report.json()->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), line->getValue<Poco::Int64>("cancelled"));
        auto revenue = line->getArray("revenue");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), revenue->size());
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(17500), revenue->getObject(0)->getValue<Poco::Int64>("amount_minor"));
    }

    void dashboardAndMonthlyReportCountWhatWasBooked()
    {
        TempDir data;
        Daemon::Options o;
        o.dataDir = data.file("data");
        auto site = std::make_unique<Site>("", o);
        site->signInStaff();
        auto& c = *site->client;
        const auto location = site->location("Clinica Rapoarte");
        const auto service = site->service("Consult", 30, 20000);
        const std::string plainName = "Dr. Ana Raport";
        // A name a spreadsheet would run as a formula.
        const std::string formulaName = R"(=HYPERLINK("http://x.example","Dr. Formula"))";
        const auto a = site->doctor(plainName, "cardiology", location, service);
        const auto b = site->doctor(formulaName, "cardiology", location, service);
        const auto patient = site->patient("Raport", "1980-01-01");
        const auto patientLogin = bearer(site->patientLogin(patient).accessToken);
        const auto desk = site->asDesk();

        // Today (2027-03-01 in Bucharest) and later in the month.
        const auto a1 = idOf(site->booked(desk, patient, a, service, "2027-03-01T10:00:00+02:00"));
        const auto a2 = idOf(site->booked(desk, patient, a, service, "2027-03-01T10:30:00+02:00"));
        const auto a3 = idOf(site->booked(desk, patient, a, service, "2027-03-01T11:00:00+02:00"));
        site->booked(desk, patient, a, service, "2027-03-01T11:30:00+02:00");
        const auto b1 = idOf(site->booked(desk, patient, b, service, "2027-03-01T12:00:00+02:00"));
        site->booked(desk, patient, b, service, "2027-03-15T10:00:00+02:00");
        site->booked(desk, patient, a, service, "2027-04-01T10:00:00+02:00"); // not March
        site->acted(desk, a1, "check-in");
        site->acted(site->asAdmin(), a1, "complete");
        site->acted(desk, a2, "confirm");
        site->acted(desk, a3, "cancel", R"({"reason":"moved away"})");

        auto dash = c.get("/api/v1/stats/dashboard", desk);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash.body, 200, dash.status);
        auto d = dash.json();
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-01"), d->getValue<std::string>("date"));
        CPPUNIT_ASSERT_EQUAL(std::string("Europe/Bucharest"), d->getValue<std::string>("timezone"));
        auto byStatus = d->getObject("today_by_status");
        const std::map<std::string, Poco::Int64> expected = {{"pending", 2}, {"confirmed", 1},
            {"checked_in", 0}, {"completed", 1}, {"cancelled", 1}, {"no_show", 0}};
        for (const auto& [status, n] : expected)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                status + ": " + dash.body, n, byStatus->getValue<Poco::Int64>(status));
        auto doctors = d->getArray("today_by_doctor");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash.body, std::size_t(2), doctors->size());
        auto da = doctors->getObject(0), db = doctors->getObject(1);
        CPPUNIT_ASSERT_EQUAL(a, da->getValue<std::int64_t>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(3), da->getValue<Poco::Int64>("appointments")); // not the cancelled one
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(90), da->getValue<Poco::Int64>("booked_minutes"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(720), da->getValue<Poco::Int64>("working_minutes"));
        CPPUNIT_ASSERT_EQUAL(b, db->getValue<std::int64_t>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), db->getValue<Poco::Int64>("appointments"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(120.0 / 1440.0, d->getValue<double>("utilisation"), 1e-9);
        // Pending or confirmed from now on: a2, a4, b1, b2 and April's.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5), d->getValue<Poco::Int64>("upcoming"));
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/stats/dashboard", patientLogin).status);

        // Reports refuse a patient and a month that is not YYYY-MM.
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/reports/monthly?month=2027-03", patientLogin).status);
        for (const std::string bad : {"2027-13", "abc", "2027-00", "2027-3", ""}) {
            auto r = c.get("/api/v1/reports/monthly?month=" + bad, desk);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad + ": " + r.body, 422, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(422, c.get("/api/v1/reports/monthly", desk).status);

        // Later that day (the same database, the clock at 12:30 in Bucharest)
        // b1 at 12:00 is a no-show.
        const std::string dbUrl = site->daemon->dbUrl();
        CPPUNIT_ASSERT_EQUAL(0, site->daemon->stop());
        site.reset();
        Daemon::Options later;
        later.dataDir = data.file("data");
        later.dbUrl = dbUrl;
        later.config["clock.start"] = "2027-03-01T10:30:00Z";
        site = std::make_unique<Site>("", later);
        auto admin = site->daemon->adminClient();
        auto noShow = admin.post("/api/v1/appointments/" + std::to_string(b1) + "/no-show", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(noShow.body, 200, noShow.status);

        auto json = admin.get("/api/v1/reports/monthly?month=2027-03");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(json.body, 200, json.status);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03"), json.json()->getValue<std::string>("month"));
        auto items = json.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(json.body, std::size_t(2), items->size());
        struct Expected {
            std::int64_t doctor;
            std::string name;
            Poco::Int64 booked, completed, cancelled, noShow, revenue;
        };
        const std::vector<Expected> lines
            = {{a, plainName, 4, 1, 1, 0, 20000}, {b, formulaName, 2, 0, 0, 1, 0}};
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto& e = lines[i];
            auto o = items->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT_EQUAL(e.doctor, o->getValue<std::int64_t>("doctor_id"));
            CPPUNIT_ASSERT_EQUAL(e.name, o->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL(e.booked, o->getValue<Poco::Int64>("booked"));
            CPPUNIT_ASSERT_EQUAL(e.completed, o->getValue<Poco::Int64>("completed"));
            CPPUNIT_ASSERT_EQUAL(e.cancelled, o->getValue<Poco::Int64>("cancelled"));
            CPPUNIT_ASSERT_EQUAL(e.noShow, o->getValue<Poco::Int64>("no_show"));
            auto revenue = o->getArray("revenue");
            if (e.revenue == 0) {
                CPPUNIT_ASSERT_EQUAL(std::size_t(0), revenue->size());
            } else {
                CPPUNIT_ASSERT_EQUAL(std::size_t(1), revenue->size());
                CPPUNIT_ASSERT_EQUAL(e.revenue, revenue->getObject(0)->getValue<Poco::Int64>("amount_minor"));
                CPPUNIT_ASSERT_EQUAL(
                    std::string("RON"), revenue->getObject(0)->getValue<std::string>("currency"));
            }
        }

        // The same as CSV: a header and one line per doctor with the same
        // numbers; the formula name is text to a spreadsheet.
        auto csv = admin.get("/api/v1/reports/monthly?month=2027-03", {{"Accept", "text/csv"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(csv.body, 200, csv.status);
        CPPUNIT_ASSERT_MESSAGE(csv.header("Content-Type"), csv.header("Content-Type").find("text/csv") == 0);
        auto rows = parseCsv(csv.body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(csv.body, std::size_t(3), rows.size());
        CPPUNIT_ASSERT(rows[0]
            == (std::vector<std::string> {"doctor_id", "doctor", "booked", "completed", "cancelled",
                "no_show", "revenue_minor", "currency"}));
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto& e = lines[i];
            const auto& row = rows[i + 1];
            CPPUNIT_ASSERT_EQUAL_MESSAGE(csv.body, std::size_t(8), row.size());
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.doctor), row[0]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.booked), row[2]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.completed), row[3]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.cancelled), row[4]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.noShow), row[5]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.revenue), row[6]);
            CPPUNIT_ASSERT_EQUAL(std::string(e.revenue ? "RON" : ""), row[7]);
        }
        CPPUNIT_ASSERT_EQUAL(plainName, rows[1][1]);
        CPPUNIT_ASSERT_MESSAGE(rows[2][1], rows[2][1][0] != '=');
        CPPUNIT_ASSERT_EQUAL("'" + formulaName, rows[2][1]);

        // The no-show counts in the 30-day rate: one of the two that were due.
        auto dash2 = admin.get("/api/v1/stats/dashboard");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash2.body, 200, dash2.status);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, dash2.json()->getValue<double>("no_show_rate_30d"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(1), dash2.json()->getObject("today_by_status")->getValue<Poco::Int64>("no_show"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CalendarRulesTest);
