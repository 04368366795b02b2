// The records tables, in the order they were added.

#include "RecordsPlugin.h"

#include <vector>

namespace records {

std::vector<clinic::Migration> RecordsPlugin::migrations() const
{
    return {
        {1, "patients",
            {"CREATE TABLE records_patients (id ${PK}, first_name VARCHAR(100) NOT NULL,"
             " last_name VARCHAR(100) NOT NULL, first_name_key VARCHAR(100) NOT NULL,"
             " last_name_key VARCHAR(100) NOT NULL, birth_date VARCHAR(10) NOT NULL, sex VARCHAR(8) NOT "
             "NULL,"
             " phone VARCHAR(40) NOT NULL, phone_key VARCHAR(40) NOT NULL,"
             " email VARCHAR(254) NOT NULL DEFAULT '', national_id VARCHAR(32) NOT NULL DEFAULT '',"
             " language VARCHAR(2) NOT NULL, allergies TEXT NOT NULL, created_at BIGINT NOT NULL,"
             " updated_at BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX records_patients_last ON records_patients (last_name_key, first_name_key)",
                "CREATE INDEX records_patients_first ON records_patients (first_name_key)",
                "CREATE INDEX records_patients_birth ON records_patients (birth_date)",
                "CREATE INDEX records_patients_phone ON records_patients (phone_key)",
                "CREATE INDEX records_patients_national ON records_patients (national_id)"}},
        // A correction supersedes exactly one version, and a version is
        // corrected at most once: the unique key keeps each history a
        // single line even with two daemons on one database.
        {2, "encounters",
            {"CREATE TABLE records_encounters (id ${PK}, patient_id BIGINT NOT NULL, root_id BIGINT NOT "
             "NULL,"
             " supersedes BIGINT NULL, version BIGINT NOT NULL, appointment_id BIGINT NULL,"
             " doctor_id BIGINT NOT NULL, summary VARCHAR(500) NOT NULL, diagnoses TEXT NOT NULL,"
             " notes TEXT NOT NULL, created_at BIGINT NOT NULL, created_by BIGINT NOT "
             "NULL)${TABLE}",
                "CREATE INDEX records_encounters_patient ON records_encounters (patient_id, id)",
                "CREATE UNIQUE INDEX records_encounters_supersedes ON records_encounters (supersedes)"}},
        {3, "vitals",
            {"CREATE TABLE records_vitals (id ${PK}, patient_id BIGINT NOT NULL, taken_at BIGINT NOT "
             "NULL,"
             " systolic BIGINT NULL, diastolic BIGINT NULL, pulse BIGINT NULL, temperature_c DOUBLE NULL,"
             " weight_kg DOUBLE NULL, height_cm DOUBLE NULL, spo2 BIGINT NULL, created_at BIGINT NOT "
             "NULL,"
             " created_by BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX records_vitals_patient ON records_vitals (patient_id, id)"}},
        {4, "lab results",
            {"CREATE TABLE records_lab_results (id ${PK}, patient_id BIGINT NOT NULL,"
             " test VARCHAR(200) NOT NULL, result_value VARCHAR(200) NOT NULL, unit VARCHAR(50) NOT NULL,"
             " reference_range VARCHAR(100) NOT NULL, flag VARCHAR(8) NOT NULL, taken_at BIGINT NOT NULL,"
             " created_at BIGINT NOT NULL, created_by BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX records_lab_results_patient ON records_lab_results (patient_id, id)"}},
        {5, "documents",
            {"CREATE TABLE records_documents (id ${PK}, patient_id BIGINT NOT NULL, kind VARCHAR(32) NOT "
             "NULL,"
             " filename VARCHAR(200) NOT NULL, content_type VARCHAR(64) NOT NULL, size_bytes BIGINT NOT "
             "NULL,"
             " sha256 VARCHAR(64) NOT NULL, created_at BIGINT NOT NULL, created_by BIGINT NOT "
             "NULL)${TABLE}",
                "CREATE INDEX records_documents_patient ON records_documents (patient_id, id)"}},
        // One row that every duplicate check locks (FOR UPDATE on MariaDB),
        // so two creates of one person at once cannot both find nobody and
        // both insert. (SQLite serialises writers already.) The row is made
        // in a step of its own: MariaDB commits the CREATE implicitly.
        {6, "patient identity lock",
            {"CREATE TABLE records_identity_lock (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"}},
        {7, "patient identity lock row", {"INSERT INTO records_identity_lock (id) VALUES (1)"}},
    };
}

} // namespace records
