// The plugin's tables. Long text is TEXT (64 KiB on MariaDB), not
// ${LONGTEXT}: Poco 1.11's MySQL connector crashes extracting LONGTEXT into
// a string; inputs are capped to fit.

#include "PrescriptionsPlugin.h"

namespace prescriptions {

std::vector<clinic::Migration> PrescriptionsPlugin::migrations() const
{
    return {
        {1, "drug catalogue",
            {"CREATE TABLE prescriptions_drugs (id ${PK}, code VARCHAR(64) NOT NULL, name VARCHAR(191) NOT "
             "NULL,"
             " name_key VARCHAR(191) NOT NULL, substance VARCHAR(191) NOT NULL,"
             " substance_key VARCHAR(191) NOT NULL, atc VARCHAR(16) NOT NULL, form VARCHAR(64) NOT NULL,"
             " strength VARCHAR(64) NOT NULL, route VARCHAR(64) NOT NULL, created_at BIGINT NOT NULL,"
             " updated_at BIGINT NOT NULL)${TABLE}",
                "CREATE UNIQUE INDEX prescriptions_drugs_code ON prescriptions_drugs (code)",
                "CREATE INDEX prescriptions_drugs_name ON prescriptions_drugs (name_key)",
                "CREATE INDEX prescriptions_drugs_substance ON prescriptions_drugs (substance_key)"}},
        // ends_at is issued_at plus the longest item's duration: "completed"
        // is computed from it on read.
        {2, "prescriptions",
            {"CREATE TABLE prescriptions_prescriptions (id ${PK}, patient_id BIGINT NOT NULL,"
             " doctor_id BIGINT NOT NULL, prescribed_by BIGINT NOT NULL, status VARCHAR(16) NOT NULL,"
             " issued_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, notes TEXT NOT NULL,"
             " override_reason TEXT NULL, warnings TEXT NULL, renewal_of BIGINT NULL,"
             " cancelled_at BIGINT NULL, cancelled_by BIGINT NULL, cancel_reason TEXT NULL)${TABLE}",
                "CREATE INDEX prescriptions_by_patient ON prescriptions_prescriptions (patient_id, id)",
                "CREATE INDEX prescriptions_by_doctor ON prescriptions_prescriptions (doctor_id, id)"}},
        // Each item keeps the catalogue entry as it was when prescribed: a
        // later import must not change what a printed prescription says.
        {3, "prescription items",
            {"CREATE TABLE prescriptions_items (id ${PK}, prescription_id BIGINT NOT NULL, line_no INT NOT "
             "NULL,"
             " drug_id BIGINT NULL, drug_name VARCHAR(300) NOT NULL, free_text INT NOT NULL,"
             " substance VARCHAR(191) NOT NULL, atc VARCHAR(16) NOT NULL, form VARCHAR(64) NOT NULL,"
             " strength VARCHAR(64) NOT NULL, dose VARCHAR(200) NOT NULL, route VARCHAR(64) NOT NULL,"
             " frequency VARCHAR(200) NOT NULL, duration_days INT NOT NULL, quantity INT NOT NULL,"
             " refills INT NOT NULL, dose_mg DOUBLE NULL, doses_per_day INT NULL)${TABLE}",
                "CREATE UNIQUE INDEX prescriptions_items_line ON prescriptions_items (prescription_id, "
                "line_no)"}},
        // open_key is the prescription id while a request is pending and NULL
        // once decided: the unique key allows one open request per
        // prescription, on every daemon sharing the database.
        {4, "renewal requests",
            {"CREATE TABLE prescriptions_renewal_requests (id ${PK}, prescription_id BIGINT NOT NULL,"
             " patient_id BIGINT NOT NULL, status VARCHAR(16) NOT NULL, note TEXT NOT NULL,"
             " requested_at BIGINT NOT NULL, requested_by BIGINT NOT NULL, decided_at BIGINT NULL,"
             " decided_by BIGINT NULL, reason TEXT NULL, renewal_id BIGINT NULL, open_key BIGINT "
             "NULL)${TABLE}",
                "CREATE UNIQUE INDEX prescriptions_renewal_open ON prescriptions_renewal_requests (open_key)",
                "CREATE INDEX prescriptions_renewal_of ON prescriptions_renewal_requests (prescription_id)"}},
    };
}

} // namespace prescriptions
