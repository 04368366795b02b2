// GET /fhir/r4/metadata: what this server serves, so a client can tell
// before it asks. MedicationRequest is listed only while the prescriptions
// plugin is loaded.

#include <Poco/JSON/Array.h>

#include "FhirApi.h"
#include "FhirSupport.h"
#include "clinic/Json.h"
#include "clinic/Time.h"

namespace fhir {

namespace {

struct SearchParam {
    const char* name;
    const char* type;
};

struct Served {
    const char* type;
    bool create;
    std::vector<SearchParam> params;
};

const std::vector<Served>& served()
{
    static const std::vector<Served> list = {
        {"Patient", false,
            {{"_id", "token"}, {"identifier", "token"}, {"name", "string"}, {"birthdate", "date"}}},
        {"Practitioner", false, {{"_id", "token"}, {"name", "string"}}},
        {"Location", false, {{"_id", "token"}, {"name", "string"}, {"address-city", "string"}}},
        {"HealthcareService", false, {{"_id", "token"}, {"name", "string"}}},
        {"Schedule", false, {{"_id", "token"}, {"actor", "reference"}}},
        {"Slot", false, {{"schedule", "reference"}, {"start", "date"}, {"status", "token"}}},
        {"Appointment", true,
            {{"_id", "token"}, {"date", "date"}, {"patient", "reference"}, {"practitioner", "reference"},
                {"location", "reference"}, {"actor", "reference"}, {"status", "token"}}},
        {"MedicationRequest", false,
            {{"_id", "token"}, {"patient", "reference"}, {"subject", "reference"}, {"status", "token"}}},
    };
    return list;
}

Poco::JSON::Object::Ptr code(const std::string& value)
{
    auto o = clinic::makeObject();
    o->set("code", value);
    return o;
}

} // namespace

clinic::Response FhirApi::metadata(clinic::Request& req)
{
    Poco::JSON::Array::Ptr resources = new Poco::JSON::Array;
    for (const auto& s : served()) {
        if (std::string(s.type) == "MedicationRequest" && !prescriptionsLoaded())
            continue;
        Poco::JSON::Array::Ptr interactions = new Poco::JSON::Array;
        interactions->add(code("read"));
        interactions->add(code("search-type"));
        if (s.create)
            interactions->add(code("create"));
        Poco::JSON::Array::Ptr params = new Poco::JSON::Array;
        for (const auto& p : s.params) {
            auto param = clinic::makeObject();
            param->set("name", p.name);
            param->set("type", p.type);
            params->add(param);
        }
        auto r = clinic::makeObject();
        r->set("type", s.type);
        r->set("interaction", interactions);
        r->set("searchParam", params);
        resources->add(r);
    }
    auto security = clinic::makeObject();
    security->set("description",
        "OAuth-style bearer tokens from POST /api/v1/auth/login; the roles and the"
        " patient ownership rules of the JSON API apply");
    auto rest = clinic::makeObject();
    rest->set("mode", "server");
    rest->set("security", security);
    rest->set("resource", resources);
    Poco::JSON::Array::Ptr rests = new Poco::JSON::Array;
    rests->add(rest);
    auto software = clinic::makeObject();
    software->set("name", "clinicd");
    auto implementation = clinic::makeObject();
    implementation->set("description", "clinicd FHIR R4 interface");
    implementation->set("url", base(req));
    Poco::JSON::Array::Ptr formats = new Poco::JSON::Array;
    formats->add("json");
    formats->add(kFhirJson);
    auto out = clinic::makeObject();
    out->set("resourceType", "CapabilityStatement");
    out->set("status", "active");
    out->set("date", clinic::formatRfc3339(clinic::nowSeconds(_host.clock())));
    out->set("kind", "instance");
    out->set("software", software);
    out->set("implementation", implementation);
    out->set("fhirVersion", "4.0.1");
    out->set("format", formats);
    out->set("rest", rests);
    return resourceAnswer(out);
}

} // namespace fhir
