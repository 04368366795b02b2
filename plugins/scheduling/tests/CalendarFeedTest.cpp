// iCalendar read by a real parser (python3-icalendar) across changes.

#include "CalendarRulesFixture.h"

class CalendarFeedTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CalendarFeedTest);
    CPPUNIT_TEST(appointmentIcsIsReadByARealParserAcrossChanges);
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(CalendarFeedTest);
