#include "StreamWorld.h"

#include <cstdio>
#include <mutex>

#include <cppunit/extensions/HelperMacros.h>

namespace clinic::test {

Daemon::Options streamDaemonOptions()
{
    auto o = clinicDaemonOptions();
    o.config["clock.start"] = "2027-01-01T00:00:00Z";
    return o;
}

StreamWorld::StreamWorld(ClinicFixture::Options options)
{
    _clinic = std::make_unique<ClinicFixture>(options);
    if (options.roles.empty())
        return;
    _otherPatient
        = _clinic->newPatient(R"({"first_name":"Bogdan","last_name":"Other","birth_date":"1975-05-05",)"
                              R"("sex":"male","phone":"+40 700 000 002","force":true})");
    const auto location = _clinic->newLocation("Europe/Bucharest");
    _service = _clinic->newService(15, "Stream consult");
    _doctor = _clinic->newDoctor(location, {_service}, "cardiology", "Dr. Stream");
    std::string hours;
    for (int day = 1; day <= 7; ++day)
        hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
    auto r = _clinic->client().request("PUT", "/api/v1/doctors/" + std::to_string(_doctor) + "/hours",
        "[" + hours + "]", _clinic->as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
}

std::string StreamWorld::nextSlot()
{
    // 48 slots a day from 08:00, days 2 to 28 of January 2027 (UTC+02:00).
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    const int n = _nextSlot++;
    const int day = 2 + n / 48;
    const int minute = 8 * 60 + (n % 48) * 15;
    CPPUNIT_ASSERT_MESSAGE("the test ran out of January slots", day <= 28);
    char text[40];
    std::snprintf(text, sizeof text, "2027-01-%02dT%02d:%02d:00+02:00", day, minute / 60, minute % 60);
    return text;
}

std::int64_t StreamWorld::book(std::int64_t patient, const std::string& notes, HttpClient* via)
{
    std::string body = R"({"patient_id":)" + std::to_string(patient) + R"(,"doctor_id":)"
        + std::to_string(_doctor) + R"(,"service_id":)" + std::to_string(_service) + R"(,"start":")"
        + nextSlot() + "\"";
    if (!notes.empty())
        body += R"(,"notes":")" + notes + "\"";
    body += "}";
    HttpClient& client = via ? *via : _clinic->client();
    return createdId(client.post("/api/v1/appointments", body, _clinic->as("receptionist")));
}

std::int64_t StreamWorld::changeIdOfBooking(std::int64_t appointment)
{
    const std::string out = _clinic->sql(
        "SELECT id FROM change_log WHERE type = 'appointment.booked' AND data LIKE '%\"appointment_id\":"
        + std::to_string(appointment) + ",%'");
    return out.empty() ? 0 : std::stoll(out);
}

std::vector<std::int64_t> idsOf(const std::vector<StreamEvent>& events)
{
    std::vector<std::int64_t> ids;
    for (const auto& e : events)
        if (e.id)
            ids.push_back(*e.id);
    return ids;
}

std::vector<std::int64_t> bookedAppointments(const std::vector<StreamEvent>& events)
{
    std::vector<std::int64_t> out;
    for (const auto& e : events)
        if (e.type == "appointment.booked")
            out.push_back(e.json()->getValue<Poco::Int64>("appointment_id"));
    return out;
}

} // namespace clinic::test
