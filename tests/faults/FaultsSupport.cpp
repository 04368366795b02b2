#include "FaultsSupport.h"

#include <ctime>
#include <sstream>

#include <cppunit/extensions/HelperMacros.h>

namespace clinic::test {

namespace {

/// 2027-01-04T00:00:00Z, a Monday inside the booking horizon.
constexpr std::int64_t kFirstDay = 1798934400;
/// 07:00Z to 17:00Z in quarter hours: inside 08:00-20:00 Bucharest in
/// winter (+02:00) and summer (+03:00) time.
constexpr int kSlotsPerDay = 40;

std::string rfc3339(std::int64_t seconds)
{
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

BookingDesk openBookingDesk(ClinicFixture& clinic, int patients)
{
    BookingDesk desk;
    const auto location = clinic.newLocation();
    desk.service = clinic.newService(15, "Quarter");
    std::string hours;
    for (int day = 1; day <= 7; ++day)
        hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
    for (int d = 0; d < 2; ++d) {
        const auto doctor
            = clinic.newDoctor(location, {desk.service}, "cardiology", "Dr. Load " + std::to_string(d));
        auto put = clinic.client().request("PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours",
            "[" + hours + "]", clinic.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(put.body, 200, put.status);
        desk.doctors.push_back(doctor);
    }
    for (int p = 0; p < patients; ++p)
        desk.patients.push_back(clinic.newPatient(R"({"first_name":"Load","last_name":"Patient)"
            + std::to_string(p) + R"(","birth_date":"1970-01-01","sex":"female","phone":"+40 700 100 )"
            + std::to_string(100 + p) + R"(","force":true})"));
    return desk;
}

std::pair<std::int64_t, std::string> deskSlot(const BookingDesk& desk, long k)
{
    const long perDoctor = k / static_cast<long>(desk.doctors.size());
    const auto doctor = desk.doctors[static_cast<std::size_t>(k % static_cast<long>(desk.doctors.size()))];
    const std::int64_t day = perDoctor / kSlotsPerDay;
    const std::int64_t slot = perDoctor % kSlotsPerDay;
    return {doctor, rfc3339(kFirstDay + day * 86400 + 7 * 3600 + slot * 900)};
}

std::string LoadTally::summary() const
{
    std::ostringstream out;
    out << "201: " << created << ", 409: " << taken << ", 503 DATABASE_UNAVAILABLE: " << unavailable
        << ", 503 STORAGE_FULL: " << storageFull << ", 503 DATABASE_BUSY: " << busy << ", other: " << other
        << ", no answer: " << noAnswer << ", slowest answer " << slowestSeconds << " s";
    for (const auto& s : otherSamples)
        out << "\n    other: " << s;
    return out.str();
}

BookingLoad::BookingLoad(Daemon& daemon, std::map<std::string, std::string> auth, BookingDesk desk,
    int threads, int clientTimeoutSeconds)
    : _daemon(daemon)
    , _auth(std::move(auth))
    , _desk(std::move(desk))
    , _timeout(clientTimeoutSeconds)
{
    for (int i = 0; i < threads; ++i)
        _threads.emplace_back([this] { run(); });
}

BookingLoad::~BookingLoad()
{
    stop();
}

void BookingLoad::stop()
{
    _stop = true;
    for (auto& t : _threads)
        if (t.joinable())
            t.join();
}

void BookingLoad::run()
{
    HttpClient client = _daemon.client();
    client.setTimeout(_timeout);
    // A slot refused with 503 (or left unanswered) is asked for again, as a
    // receptionist would, after a short pause: the load neither skips
    // through the calendar while the database is gone nor spins on it.
    long k = -1;
    bool retry = false;
    while (!_stop) {
        if (retry)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        else
            k = _next++;
        const auto [doctor, start] = deskSlot(_desk, k);
        const auto patient = _desk.patients[static_cast<std::size_t>(k) % _desk.patients.size()];
        const std::string body = R"({"patient_id":)" + std::to_string(patient) + R"(,"doctor_id":)"
            + std::to_string(doctor) + R"(,"service_id":)" + std::to_string(_desk.service) + R"(,"start":")"
            + start + "\"}";
        const auto began = std::chrono::steady_clock::now();
        HttpResult r;
        bool answered = true;
        try {
            r = client.post("/api/v1/appointments", body, _auth);
        } catch (const std::exception&) {
            answered = false;
        }
        const auto ended = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(ended - began).count();
        std::lock_guard<std::mutex> lock(_mutex);
        _tally.slowestSeconds = std::max(_tally.slowestSeconds, seconds);
        retry = !answered || r.status == 503;
        if (!answered) {
            ++_tally.noAnswer;
            continue;
        }
        const std::string code = r.errorCode();
        if (r.status == 201) {
            ++_tally.created;
            try {
                _tally.createdIds.push_back(r.json()->getValue<Poco::Int64>("id"));
            } catch (const std::exception&) {
                ++_tally.other;
            }
            _createdAt.push_back(ended);
        } else if (r.status == 409 && !code.empty()) {
            ++_tally.taken;
        } else if (r.status == 503 && code == "DATABASE_UNAVAILABLE") {
            ++_tally.unavailable;
        } else if (r.status == 503 && code == "STORAGE_FULL") {
            ++_tally.storageFull;
        } else if (r.status == 503 && code == "DATABASE_BUSY") {
            ++_tally.busy;
        } else {
            ++_tally.other;
            if (_tally.otherSamples.size() < 5)
                _tally.otherSamples.push_back(std::to_string(r.status) + " " + r.body.substr(0, 300));
        }
    }
}

LoadTally BookingLoad::tally() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _tally;
}

bool BookingLoad::awaitCreated(long more, std::chrono::seconds timeout)
{
    const long target = tally().created + more;
    return eventually([&] { return tally().created >= target; }, timeout);
}

std::optional<std::chrono::steady_clock::time_point> BookingLoad::firstCreatedAfter(
    std::chrono::steady_clock::time_point since) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    std::optional<std::chrono::steady_clock::time_point> first;
    for (const auto& t : _createdAt)
        if (t >= since && (!first || t < *first))
            first = t;
    return first;
}

std::set<std::int64_t> storedIds(ClinicFixture& clinic, const std::string& table)
{
    std::set<std::int64_t> ids;
    std::istringstream in(clinic.sql("SELECT id FROM " + table + ";"));
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            ids.insert(std::stoll(line));
    return ids;
}

long assertAllCreatedStored(ClinicFixture& clinic, const LoadTally& tally)
{
    const auto stored = storedIds(clinic, "scheduling_appointments");
    long found = 0;
    std::string missing;
    for (auto id : tally.createdIds) {
        if (stored.count(id))
            ++found;
        else if (missing.size() < 200)
            missing += std::to_string(id) + " ";
    }
    CPPUNIT_ASSERT_MESSAGE("answered 201 but not stored: " + missing, missing.empty());
    return found;
}

} // namespace clinic::test
