#include "ExpositionText.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <cppunit/TestAssert.h>

namespace clinic::test::metrics {

const char* const kNoteText = "Mrs Popescu prefers mornings";

namespace {

bool isNameChar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

} // namespace

std::vector<Sample> parseExposition(const std::string& text)
{
    std::vector<Sample> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        Sample s;
        std::size_t i = 0;
        while (i < line.size() && isNameChar(line[i]))
            ++i;
        s.name = line.substr(0, i);
        if (s.name.empty())
            throw std::runtime_error("not a sample line: " + line);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                std::size_t eq = line.find('=', i);
                if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"')
                    throw std::runtime_error("bad label in: " + line);
                std::string key = line.substr(i, eq - i);
                std::string value;
                std::size_t j = eq + 2;
                for (; j < line.size() && line[j] != '"'; ++j) {
                    if (line[j] == '\\' && j + 1 < line.size()) {
                        ++j;
                        value += line[j] == 'n' ? '\n' : line[j];
                    } else {
                        value += line[j];
                    }
                }
                if (j >= line.size())
                    throw std::runtime_error("unterminated label value in: " + line);
                s.labels[key] = value;
                i = j + 1;
                if (i < line.size() && line[i] == ',')
                    ++i;
            }
            if (i >= line.size())
                throw std::runtime_error("unterminated label set in: " + line);
            ++i;
        }
        std::istringstream rest(line.substr(i));
        std::string number;
        if (!(rest >> number))
            throw std::runtime_error("no value in: " + line);
        s.value = number == "+Inf" ? 1e308 : number == "-Inf" ? -1e308 : std::stod(number);
        out.push_back(std::move(s));
    }
    return out;
}

double valueOf(const std::vector<Sample>& samples, const std::string& name,
    const std::map<std::string, std::string>& labels)
{
    for (const auto& s : samples)
        if (s.name == name && s.labels == labels)
            return s.value;
    return 0;
}

bool hasMetric(const std::vector<Sample>& samples, const std::string& name)
{
    for (const auto& s : samples)
        if (s.name == name)
            return true;
    return false;
}

std::vector<std::string> familyNames(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string hash, kind, name;
        if (words >> hash >> kind >> name && hash == "#" && kind == "TYPE")
            out.push_back(name);
    }
    return out;
}

std::string findProgram(const std::string& name)
{
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return "";
}

std::string requireProgram(const std::string& program, const std::string& reason)
{
    std::string path = findProgram(program);
    if (path.empty()) {
        std::cout << "SKIPPED: " << reason << std::endl;
        std::exit(77);
    }
    return path;
}

Daemon::Options metricsDaemonOptions()
{
    Daemon::Options o;
    o.config["plugins.load"] = "metrics,example";
    o.config["http.max_body_bytes"] = "4096";
    o.config["log.level"] = "information";
    return o;
}

Traffic driveTraffic(HttpClient& client)
{
    Traffic t;
    auto created = client.post("/api/v1/example/notes", std::string("{\"text\":\"") + kNoteText + "\"}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
    t.noteId = std::to_string(created.json()->getValue<Poco::Int64>("id"));

    auto invalid = client.post("/api/v1/example/notes", "{}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(invalid.body, 422, invalid.status);

    for (const char* path : {"/api/v1/nothing-here", "/api/v1/patients/12345", "/no/such/thing"}) {
        auto r = client.get(path);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 404, r.status);
    }

    auto missing = client.get("/api/v1/example/notes/987654");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(missing.body, 404, missing.status);

    auto found = client.get("/api/v1/example/notes/" + t.noteId);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(found.body, 200, found.status);

    auto tooLarge = client.post("/api/v1/example/notes", "{\"text\":\"" + std::string(5000, 'x') + "\"}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(tooLarge.body, 413, tooLarge.status);
    return t;
}

Daemon::Options bookingDaemonOptions()
{
    Daemon::Options o;
    o.config["plugins.load"] = "metrics,records,scheduling,notifications";
    o.config["log.level"] = "information";
    o.config["auth.rate_limit_per_minute"] = "0";
    o.config["clock.start"] = "2027-03-01T06:00:00Z";
    return o;
}

namespace {

std::int64_t createdId(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json()->getValue<Poco::Int64>("id");
}

/// A location in Bucharest, a 30-minute service, a doctor who works every day
/// 08:00-20:00 there, and a patient; the booking body for a start.
struct Clinic {
    std::int64_t patient = 0, doctor = 0, service = 0;
    std::string booking(const std::string& start) const
    {
        return "{\"patient_id\":" + std::to_string(patient) + ",\"doctor_id\":" + std::to_string(doctor)
            + ",\"service_id\":" + std::to_string(service) + ",\"start\":\"" + start + "\"}";
    }
};

Clinic setUpClinic(HttpClient& admin)
{
    Clinic c;
    const auto location = createdId(admin.post("/api/v1/locations",
        R"({"name":"Clinica Metrics","address":"Strada 1","city":"Bucuresti","county":"Bucuresti",)"
        R"("timezone":"Europe/Bucharest"})"));
    c.service = createdId(admin.post("/api/v1/services",
        R"({"name":"Consult","department":"cardiology","duration_min":30,"price_minor":20000,"currency":"RON"})"));
    c.doctor = createdId(admin.post("/api/v1/doctors",
        R"({"name":"Dr. Metric","specialty":"cardiology","location_id":)" + std::to_string(location)
            + R"(,"service_ids":[)" + std::to_string(c.service) + "]}"));
    std::string hours;
    for (int day = 1; day <= 7; ++day)
        hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
    auto h
        = admin.request("PUT", "/api/v1/doctors/" + std::to_string(c.doctor) + "/hours", "[" + hours + "]");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(h.body, 200, h.status);
    c.patient = createdId(admin.post("/api/v1/patients",
        R"({"first_name":"Ana","last_name":"Metric","birth_date":"1980-01-01","sex":"female",)"
        R"("phone":"+40 700 000 009","force":true})"));
    return c;
}

} // namespace

Bookings driveBookings(Daemon& daemon)
{
    auto admin = daemon.adminClient();
    const Clinic c = setUpClinic(admin);
    Bookings b;
    // The clock starts at 08:00 in Bucharest: 10:00 is two hours ahead.
    const std::string start = "2027-03-01T10:00:00+02:00";
    b.appointmentId = createdId(admin.post("/api/v1/appointments", c.booking(start)));

    auto taken = admin.post("/api/v1/appointments", c.booking(start));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(taken.body, 409, taken.status);
    CPPUNIT_ASSERT_EQUAL(std::string("SLOT_TAKEN"), taken.errorCode());

    auto invalid = admin.post("/api/v1/appointments", c.booking("2027-03-01T11:03:00+02:00"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(invalid.body, 422, invalid.status);
    CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), invalid.errorCode());

    // 08:30 is inside the doctor's hours but within the default rules'
    // 60 minutes' notice.
    auto rejected = admin.post("/api/v1/appointments", c.booking("2027-03-01T08:30:00+02:00"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(rejected.body, 422, rejected.status);
    CPPUNIT_ASSERT_EQUAL(std::string("RULE_REJECTED"), rejected.errorCode());

    auto cancelled = admin.post(
        "/api/v1/appointments/" + std::to_string(b.appointmentId) + "/cancel", R"({"reason":"metrics"})");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(cancelled.body, 200, cancelled.status);

    auto missing = admin.get("/api/v1/appointments/987654");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(missing.body, 404, missing.status);
    return b;
}

std::int64_t bookOnce(Daemon& daemon)
{
    auto admin = daemon.adminClient();
    const Clinic c = setUpClinic(admin);
    return createdId(admin.post("/api/v1/appointments", c.booking("2027-03-01T10:00:00+02:00")));
}

} // namespace clinic::test::metrics
