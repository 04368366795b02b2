// AccessRules, the kernel's AccessPolicy: who may see which patient's data,
// from the access.* settings, without a daemon.

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include "auth/AccessRules.h"
#include "host/ServiceTable.h"

using namespace clinic;

namespace {

Caller caller(const std::string& role, std::int64_t patientId = 0, std::int64_t doctorId = 0)
{
    Caller c;
    c.authenticated = true;
    c.userId = 1;
    c.username = "u";
    c.role = role;
    c.patientId = patientId;
    c.doctorId = doctorId;
    return c;
}

class Treats : public CareRelationships {
public:
    bool isPatientOf(std::int64_t doctorId, std::int64_t patientId) const override
    {
        return doctorId == 7 && patientId == 42;
    }
};

int statusOf(const AccessRules& rules, const Caller& c, std::int64_t patientId, PatientData kind)
{
    Request r;
    r.caller = c;
    try {
        rules.require(r, patientId, kind);
        return 200;
    } catch (const HttpError& e) {
        return e.status();
    }
}

} // namespace

class AccessPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AccessPolicyTest);
    CPPUNIT_TEST(aPatientSeesOnlyTheirOwnRecordAndAnotherIs404);
    CPPUNIT_TEST(staffSeeByRoleWithTheDocumentedDefaults);
    CPPUNIT_TEST(rolesAreConfigurable);
    CPPUNIT_TEST(doctorsOwnPatientsOnlyUsesTheCareServiceAndFailsClosed);
    CPPUNIT_TEST(anUnknownRoleInTheConfigIsRefused);
    CPPUNIT_TEST(nobodyUnauthenticatedSeesAnything);
    CPPUNIT_TEST_SUITE_END();

public:
    void aPatientSeesOnlyTheirOwnRecordAndAnotherIs404()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        ServiceTable services;
        AccessRules rules(*config, services);
        CPPUNIT_ASSERT(rules.maySee(caller("patient", 5), 5, PatientData::Clinical));
        CPPUNIT_ASSERT(!rules.maySee(caller("patient", 5), 6, PatientData::Demographics));
        CPPUNIT_ASSERT_EQUAL(404, statusOf(rules, caller("patient", 5), 6, PatientData::Clinical));
        // A patient account not linked to a record sees nothing.
        CPPUNIT_ASSERT_EQUAL(404, statusOf(rules, caller("patient", 0), 0, PatientData::Demographics));
    }

    void staffSeeByRoleWithTheDocumentedDefaults()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        ServiceTable services;
        AccessRules rules(*config, services);
        for (const std::string role : {"doctor", "nurse", "admin"}) {
            CPPUNIT_ASSERT(rules.maySee(caller(role), 9, PatientData::Clinical));
            CPPUNIT_ASSERT(rules.maySee(caller(role), 9, PatientData::Demographics));
        }
        CPPUNIT_ASSERT(rules.maySee(caller("receptionist"), 9, PatientData::Demographics));
        CPPUNIT_ASSERT(!rules.maySee(caller("receptionist"), 9, PatientData::Clinical));
        CPPUNIT_ASSERT_EQUAL(403, statusOf(rules, caller("receptionist"), 9, PatientData::Clinical));
    }

    void rolesAreConfigurable()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("access.clinical_roles", "doctor");
        config->setString("access.demographics_roles", "doctor, receptionist");
        ServiceTable services;
        AccessRules rules(*config, services);
        CPPUNIT_ASSERT(!rules.maySee(caller("nurse"), 9, PatientData::Clinical));
        CPPUNIT_ASSERT(!rules.maySee(caller("admin"), 9, PatientData::Demographics));
        CPPUNIT_ASSERT(rules.maySee(caller("doctor"), 9, PatientData::Clinical));
    }

    void doctorsOwnPatientsOnlyUsesTheCareServiceAndFailsClosed()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("access.doctors_own_patients_only", "true");
        ServiceTable services;
        AccessRules rules(*config, services);
        // No plugin says who treats whom: doctors see no patient.
        CPPUNIT_ASSERT(!rules.maySee(caller("doctor", 0, 7), 42, PatientData::Clinical));
        CPPUNIT_ASSERT(rules.maySee(caller("nurse"), 42, PatientData::Clinical));
        services.publish<CareRelationships>(kCareRelationshipService, std::make_shared<Treats>());
        CPPUNIT_ASSERT(rules.maySee(caller("doctor", 0, 7), 42, PatientData::Clinical));
        CPPUNIT_ASSERT(!rules.maySee(caller("doctor", 0, 7), 43, PatientData::Clinical));
        CPPUNIT_ASSERT(!rules.maySee(caller("doctor", 0, 0), 42, PatientData::Clinical));
        CPPUNIT_ASSERT_EQUAL(403, statusOf(rules, caller("doctor", 0, 7), 43, PatientData::Demographics));
    }

    void anUnknownRoleInTheConfigIsRefused()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("access.clinical_roles", "doctor,nurses");
        ServiceTable services;
        CPPUNIT_ASSERT_THROW(AccessRules(*config, services), std::invalid_argument);
    }

    void nobodyUnauthenticatedSeesAnything()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        ServiceTable services;
        AccessRules rules(*config, services);
        Caller anonymous;
        CPPUNIT_ASSERT(!rules.maySee(anonymous, 1, PatientData::Demographics));
        CPPUNIT_ASSERT_EQUAL(401, statusOf(rules, anonymous, 1, PatientData::Demographics));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AccessPolicyTest);
