#pragma once

#include <set>
#include <string>

#include <Poco/Util/AbstractConfiguration.h>

#include "clinic/Access.h"
#include "clinic/Host.h"

namespace clinic {

/// The AccessPolicy read once from access.demographics_roles,
/// access.clinical_roles and access.doctors_own_patients_only.
class AccessRules : public AccessPolicy {
public:
    AccessRules(const Poco::Util::AbstractConfiguration& config, const ServiceRegistry& services);

    bool maySee(const Caller& caller, std::int64_t patientId, PatientData kind) const override;
    void require(const Request& request, std::int64_t patientId, PatientData kind) const override;

private:
    std::set<std::string> _demographics;
    std::set<std::string> _clinical;
    bool _doctorsOwnPatientsOnly = false;
    const ServiceRegistry& _services;
};

} // namespace clinic
