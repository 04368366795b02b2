#pragma once

#include <cstdint>

#include "clinic/Database.h"
#include "clinic/ServiceInterface.h"

namespace clinic {

/// What the kernel needs of the doctor directory to link a doctor account
/// (POST/PATCH /api/v1/users with doctor_id): that the doctor exists, so an
/// account never speaks for a doctor id nobody has, or the one created next
/// with it. Published by the plugin that keeps the directory (scheduling).
class CLINIC_SERVICE_INTERFACE DoctorAccounts {
public:
    virtual ~DoctorAccounts() = default;

    /// Whether a doctor with this id exists (read in tx).
    virtual bool exists(Transaction& tx, std::int64_t doctorId) = 0;
};

/// The ServiceRegistry name under which DoctorAccounts is published.
inline constexpr const char* kDoctorAccountsService = "kernel.doctor_accounts.v1";

} // namespace clinic
