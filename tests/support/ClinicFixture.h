#pragma once

// A clinic for integration suites: the real clinicd with the clinic's
// plugins, its first admin (through clinicctl, as on a fresh install), a
// patient record, and a signed-in account for each other role. Suites keep
// one for their whole run (accounts cost a scrypt hash each) and make their
// own locations, services, doctors and patients through it, so their tests
// do not depend on each other's order.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "IdentityTestSupport.h"
#include "TestSupport.h"

namespace clinic::test {

/// The records and scheduling plugins (or these), no login throttling.
Daemon::Options clinicDaemonOptions(const std::string& plugins = "records,scheduling");

/// What a ClinicFixture starts and which accounts it makes.
struct ClinicOptions {
    /// The daemon's options; clinicDaemonOptions() fills the clinic's defaults.
    Daemon::Options daemon = clinicDaemonOptions();
    /// Usernames are PREFIX.ROLE ("clinic.nurse").
    std::string accountPrefix = "clinic";
    /// The roles that get an account besides the admin.
    std::vector<std::string> roles = {"doctor", "nurse", "receptionist", "patient"};
    /// The doctor account's doctor_id (0: the account has none).
    std::int64_t doctorId = 1;
    /// The patient record behind the "patient" account (POST /api/v1/patients body).
    std::string patientJson = R"({"first_name":"Ana","last_name":"Slot","birth_date":"1980-01-01",)"
                              R"("sex":"female","phone":"+40 700 000 001","force":true})";
    std::string adminUsername = "root.admin";
    /// false: make no account at all (a daemon restarted on a database that
    /// has them, or a suite that makes its own with signInFirstAdmin).
    bool accounts = true;
};

class ClinicFixture {
public:
    using Options = ClinicOptions;

    /// Starts the daemon and makes the accounts; a failure carries the tail
    /// of the daemon's log, which says why a plugin did not start.
    explicit ClinicFixture(const Options& options = Options());
    ClinicFixture(const ClinicFixture&) = delete;
    ClinicFixture& operator=(const ClinicFixture&) = delete;

    Daemon& daemon() { return *_daemon; }
    HttpClient& client() { return *_client; }

    /// The signed-in account for a role ("admin" included), or one added by addAccount.
    const Account& account(const std::string& role) const;
    /// Bearer headers of account(role).
    std::map<std::string, std::string> as(const std::string& role) const;
    /// The patient record behind the "patient" account (0 without one).
    std::int64_t patient() const { return _patient; }

    /// Makes the first admin with clinicctl, as on a fresh install, and signs it in as "admin".
    const Account& signInFirstAdmin(const std::string& username = "root.admin");
    /// Creates an account through the users API, signs it in and keeps it under key.
    const Account& addAccount(const std::string& key, const std::string& username, const std::string& role,
        const std::string& extraJson = "");

    /// POST /api/v1/patients as admin with this body; the new id.
    std::int64_t newPatient(const std::string& json);
    /// A location in this zone, open Mondays 08:00-20:00.
    std::int64_t newLocation(
        const std::string& zone = "Europe/Bucharest", const std::string& city = "București");
    /// A service of this length.
    std::int64_t newService(int minutes, const std::string& name = "Consult", std::int64_t priceMinor = 35000,
        const std::string& department = "cardiology");
    /// A doctor at the location offering the services.
    std::int64_t newDoctor(std::int64_t location, const std::vector<std::int64_t>& services,
        const std::string& specialty = "cardiology", const std::string& name = "Dr. Test");

    /// SQL on the daemon's database; its output without the trailing line break.
    std::string sql(const std::string& statement) const;
    /// SELECT COUNT(*) FROM table WHERE where.
    long count(const std::string& table, const std::string& where = "1=1") const;

private:
    std::unique_ptr<Daemon> _daemon;
    std::unique_ptr<HttpClient> _client;
    std::map<std::string, Account> _accounts;
    std::int64_t _patient = 0;
};

/// The id of a 201 answer; fails the test on any other status.
std::int64_t createdId(const HttpResult& r);
/// The body of a 201 answer; fails the test on any other status.
Poco::JSON::Object::Ptr createdJson(const HttpResult& r);

/// The last bytes of a daemon's log, for failure messages.
std::string logTail(const Daemon& daemon, std::size_t bytes = 4000);

} // namespace clinic::test
