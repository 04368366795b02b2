#pragma once

// The clinic the FHIR suites share: records, scheduling, prescriptions and
// fhir on the real clinicd, its clock at 2027-01-01 (Bucharest: UTC+02:00),
// a doctor who works every day 08:00-20:00, and the helpers that fetch FHIR
// answers and keep every resource fetched for the R4 schema check at the end.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <cppunit/TestAssert.h>

#include "ClinicFixture.h"

namespace fhirtest {

using namespace clinic::test;

struct World {
    std::unique_ptr<TempDir> dir;
    std::unique_ptr<ClinicFixture> clinic;
    std::int64_t location = 0;
    std::int64_t service = 0; ///< 10 minutes
    std::int64_t doctor = 0; ///< works every day 08:00-20:00 at location, offers service
    std::int64_t otherPatient = 0; ///< not the "patient" account's
};

/// The shared clinic, started on first use.
World& world();
ClinicFixture& site();
std::map<std::string, std::string> as(const std::string& role);

/// A doctor offering services at a new Bucharest location, every day 08:00-20:00.
std::int64_t newWorkingDoctor(const std::vector<std::int64_t>& services, const std::string& name);

/// "2027-01-DDTHH:MM:00+02:00" and its UTC seconds.
std::string bucharest(int day, int minuteOfDay);
std::int64_t utcOf(int day, int minuteOfDay);

/// A GET under /fhir/r4 that must answer status with application/fhir+json;
/// the body's resource is kept for the schema check.
Poco::JSON::Object::Ptr fetch(
    const std::string& path, const std::map<std::string, std::string>& headers, int status = 200);
/// Keeps a FHIR answer's body (a resource) for the schema check; checks the media type.
Poco::JSON::Object::Ptr keep(const HttpResult& r);
/// The resources of a searchset Bundle.
std::vector<Poco::JSON::Object::Ptr> entries(const Poco::JSON::Object::Ptr& bundle);
/// The ids of a Bundle's resources.
std::vector<std::string> ids(const Poco::JSON::Object::Ptr& bundle);
/// The Bundle's next link made relative (/fhir/r4/...), or "".
std::string nextLink(const Poco::JSON::Object::Ptr& bundle);
/// The first issue's details.text (the API's error code) of an OperationOutcome.
std::string outcomeCode(const Poco::JSON::Object::Ptr& outcome);

/// Every resource kept so far, as a JSON array text.
std::string keptResources();
std::size_t keptCount();

/// Validates every resource kept since the last call (at least atLeast of
/// them) against the R4 schema, after checking the validator rejects a
/// broken one; then forgets them.
void validateKept(std::size_t atLeast);

/// Runs the pinned validator (tests/tools/fhir-validator) on a JSON array of
/// resources: {exit code, output}. Installed into the build tree before main; the suite is skipped where
/// npm or its registry cannot be reached.
ProcessResult validate(const std::string& resourcesJson);

} // namespace fhirtest

/// Lists of ids compare and print whole in CPPUNIT_ASSERT_EQUAL.
template<> struct CppUnit::assertion_traits<std::vector<std::string>> {
    static bool equal(const std::vector<std::string>& a, const std::vector<std::string>& b) { return a == b; }
    static std::string toString(const std::vector<std::string>& v)
    {
        std::string out = "[";
        for (const auto& x : v)
            out += (out.size() > 1 ? "," : "") + x;
        return out + "]";
    }
};
