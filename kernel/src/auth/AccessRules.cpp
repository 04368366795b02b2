#include "auth/AccessRules.h"

#include <stdexcept>

#include <Poco/StringTokenizer.h>

namespace clinic {

namespace {

std::set<std::string> roleSet(const std::string& key, const std::string& list)
{
    static const std::set<std::string> known = {"admin", "doctor", "nurse", "receptionist", "patient"};
    std::set<std::string> out;
    Poco::StringTokenizer tok(
        list, ", ", Poco::StringTokenizer::TOK_IGNORE_EMPTY | Poco::StringTokenizer::TOK_TRIM);
    for (const auto& t : tok) {
        // A misspelt role would silently lock that role out of patient data.
        if (!known.count(t))
            throw std::invalid_argument(
                key + ": \"" + t + "\" is not a role (admin, doctor, nurse, receptionist)");
        out.insert(t);
    }
    // A patient's access is decided by identity, never by a role list.
    out.erase("patient");
    return out;
}

} // namespace

AccessRules::AccessRules(const Poco::Util::AbstractConfiguration& config, const ServiceRegistry& services)
    : _demographics(roleSet("access.demographics_roles",
        config.getString("access.demographics_roles", "doctor,nurse,receptionist,admin")))
    , _clinical(
          roleSet("access.clinical_roles", config.getString("access.clinical_roles", "doctor,nurse,admin")))
    , _doctorsOwnPatientsOnly(config.getBool("access.doctors_own_patients_only", false))
    , _services(services)
{
}

bool AccessRules::maySee(const Caller& caller, std::int64_t patientId, PatientData kind) const
{
    if (!caller.authenticated || patientId <= 0)
        return false;
    if (caller.role == "patient")
        return caller.patientId > 0 && caller.patientId == patientId;
    const auto& roles = kind == PatientData::Clinical ? _clinical : _demographics;
    if (!roles.count(caller.role))
        return false;
    if (caller.role == "doctor" && _doctorsOwnPatientsOnly) {
        auto care = _services.find<CareRelationships>(kCareRelationshipService);
        return care && caller.doctorId > 0 && care->isPatientOf(caller.doctorId, patientId);
    }
    return true;
}

void AccessRules::require(const Request& request, std::int64_t patientId, PatientData kind) const
{
    if (!request.caller.authenticated)
        throw HttpError(401, "UNAUTHENTICATED", "sign in first");
    if (maySee(request.caller, patientId, kind))
        return;
    // Another patient's data does not exist for a patient.
    if (request.caller.role == "patient")
        throw HttpError::notFound("no such patient");
    throw HttpError::forbidden("your role may not see this patient's data");
}

} // namespace clinic
