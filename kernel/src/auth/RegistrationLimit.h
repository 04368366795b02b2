#pragma once

#include <string>

#include <Poco/Types.h>

#include "clinic/Database.h"
#include "clinic/Host.h"

namespace clinic {

/// Self-registrations allowed per client address per hour. Each one makes
/// an account and a patient record, so an unlimited open door lets anyone
/// fill the patient list. Counted in login_failures (under a hashed
/// "register:" key), shared by every daemon on the database, and counted
/// before the password is hashed so parallel requests see each other.
class RegistrationLimit {
public:
    RegistrationLimit(const Clock& clock, int perHour);

    /// Counts a registration attempt from address; the seconds to wait if it
    /// is over the limit (then it is not counted), else 0.
    Poco::Int64 take(Database& db, const std::string& address);

private:
    const Clock& _clock;
    int _perHour;
};

} // namespace clinic
