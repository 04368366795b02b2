// The scheduling tables, in the order they were added: the directory
// (locations, services, doctors, hours, time off, holidays) and then the
// appointments, their occupancy cells and the waitlist.

#include <utility>
#include <vector>

#include "Appointments.h"
#include "SchedulingPlugin.h"
#include "clinic/Database.h"
#include "clinic/Migration.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

std::vector<clinic::Migration> SchedulingPlugin::migrations() const
{
    std::vector<clinic::Migration> all {
        {1, "locations",
            {"CREATE TABLE scheduling_locations (id ${PK}, name VARCHAR(200) NOT NULL,"
             " address VARCHAR(300) NOT NULL, city VARCHAR(100) NOT NULL, county VARCHAR(100) NOT NULL,"
             " timezone VARCHAR(64) NOT NULL, phone VARCHAR(40) NOT NULL, opening_hours TEXT NOT NULL,"
             " demo_key VARCHAR(64) NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT "
             "NULL)${TABLE}",
                "CREATE UNIQUE INDEX scheduling_locations_demo ON scheduling_locations (demo_key)",
                "CREATE INDEX scheduling_locations_city ON scheduling_locations (city)",
                "CREATE INDEX scheduling_locations_county ON scheduling_locations (county)"}},
        {2, "services",
            {"CREATE TABLE scheduling_services (id ${PK}, name VARCHAR(200) NOT NULL,"
             " department VARCHAR(100) NOT NULL, duration_min BIGINT NOT NULL, price_minor BIGINT NOT "
             "NULL,"
             " currency VARCHAR(3) NOT NULL, demo_key VARCHAR(64) NULL, created_at BIGINT NOT NULL,"
             " updated_at BIGINT NOT NULL)${TABLE}",
                "CREATE UNIQUE INDEX scheduling_services_demo ON scheduling_services (demo_key)"}},
        {3, "doctors",
            {"CREATE TABLE scheduling_doctors (id ${PK}, name VARCHAR(200) NOT NULL,"
             " name_key VARCHAR(191) NOT NULL, specialty VARCHAR(100) NOT NULL, location_id BIGINT NOT "
             "NULL,"
             " user_id BIGINT NULL, demo_key VARCHAR(64) NULL, created_at BIGINT NOT NULL,"
             " updated_at BIGINT NOT NULL)${TABLE}",
                "CREATE UNIQUE INDEX scheduling_doctors_demo ON scheduling_doctors (demo_key)",
                "CREATE INDEX scheduling_doctors_specialty ON scheduling_doctors (specialty, id)",
                "CREATE INDEX scheduling_doctors_location ON scheduling_doctors (location_id, id)",
                "CREATE INDEX scheduling_doctors_name ON scheduling_doctors (name_key)"}},
        {4, "doctor services",
            {"CREATE TABLE scheduling_doctor_services (doctor_id BIGINT NOT NULL, service_id BIGINT NOT "
             "NULL,"
             " PRIMARY KEY (doctor_id, service_id))${TABLE}",
                "CREATE INDEX scheduling_doctor_services_service ON scheduling_doctor_services "
                "(service_id, "
                "doctor_id)"}},
        {5, "working hours",
            {"CREATE TABLE scheduling_working_hours (id ${PK}, doctor_id BIGINT NOT NULL,"
             " location_id BIGINT NOT NULL, weekday BIGINT NOT NULL, start_min BIGINT NOT NULL,"
             " end_min BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX scheduling_working_hours_doctor ON scheduling_working_hours (doctor_id, "
                "weekday)"}},
        {6, "time off",
            {"CREATE TABLE scheduling_time_off (id ${PK}, doctor_id BIGINT NOT NULL, start_utc BIGINT "
             "NOT NULL,"
             " end_utc BIGINT NOT NULL, reason VARCHAR(200) NOT NULL, created_at BIGINT NOT NULL,"
             " created_by BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX scheduling_time_off_start ON scheduling_time_off (doctor_id, start_utc)",
                "CREATE INDEX scheduling_time_off_end ON scheduling_time_off (doctor_id, end_utc)"}},
        {7, "location holidays",
            {"CREATE TABLE scheduling_location_holidays (location_id BIGINT NOT NULL, day BIGINT NOT "
             "NULL,"
             " name VARCHAR(200) NOT NULL, PRIMARY KEY (location_id, day))${TABLE}"}},
    };
    for (auto& m : AppointmentBook::migrations())
        all.push_back(std::move(m));
    return all;
}

std::vector<clinic::Migration> AppointmentBook::migrations()
{
    return {
        {8, "appointments",
            {"CREATE TABLE scheduling_series (id ${PK}, freq VARCHAR(16) NOT NULL, created_at BIGINT NOT "
             "NULL,"
             " created_by BIGINT NOT NULL)${TABLE}",
                "CREATE TABLE scheduling_appointments (id ${PK}, series_id BIGINT NOT NULL, patient_id "
                "BIGINT NOT NULL,"
                " doctor_id BIGINT NOT NULL, service_id BIGINT NOT NULL, location_id BIGINT NOT NULL,"
                " start_utc BIGINT NOT NULL, end_utc BIGINT NOT NULL, status VARCHAR(16) NOT NULL,"
                " notes VARCHAR(2000) NOT NULL, sequence BIGINT NOT NULL, price_minor BIGINT NOT NULL,"
                " currency VARCHAR(3) NOT NULL, fee_minor BIGINT NOT NULL, cancel_reason VARCHAR(500) NOT "
                "NULL,"
                " created_at BIGINT NOT NULL, created_by BIGINT NOT NULL, updated_at BIGINT NOT "
                "NULL)${TABLE}",
                "CREATE INDEX scheduling_appointments_doctor ON scheduling_appointments (doctor_id, "
                "start_utc)",
                "CREATE INDEX scheduling_appointments_patient ON scheduling_appointments (patient_id, "
                "start_utc)",
                "CREATE INDEX scheduling_appointments_start ON scheduling_appointments (start_utc)",
                "CREATE INDEX scheduling_appointments_series ON scheduling_appointments (series_id, "
                "start_utc)"}},
        {9, "occupancy",
            {"CREATE TABLE scheduling_occupancy (doctor_id BIGINT NOT NULL, cell BIGINT NOT NULL,"
             " appointment_id BIGINT NOT NULL, PRIMARY KEY (doctor_id, cell))${TABLE}",
                "CREATE INDEX scheduling_occupancy_appointment ON scheduling_occupancy (appointment_id)"}},
        {10, "waitlist",
            {"CREATE TABLE scheduling_waitlist (id ${PK}, patient_id BIGINT NOT NULL, doctor_id BIGINT NOT "
             "NULL,"
             " specialty VARCHAR(100) NOT NULL, service_id BIGINT NOT NULL, earliest BIGINT NOT NULL,"
             " latest BIGINT NOT NULL, status VARCHAR(16) NOT NULL, offered_doctor_id BIGINT NOT NULL,"
             " offered_start BIGINT NOT NULL, offered_at BIGINT NOT NULL, created_at BIGINT NOT NULL,"
             " created_by BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX scheduling_waitlist_match ON scheduling_waitlist (status, service_id, id)",
                "CREATE INDEX scheduling_waitlist_patient ON scheduling_waitlist (patient_id, id)"}},
        // Raised with every change to doctors, their services and hours,
        // services, locations and holidays: DirectoryCache drops what it
        // keeps when it moves, in every daemon on the database.
        {11, "directory version",
            {"CREATE TABLE scheduling_directory_version (id BIGINT NOT NULL PRIMARY KEY,"
             " version BIGINT NOT NULL)${TABLE}",
                "INSERT INTO scheduling_directory_version (id, version) VALUES (1, 0)"}},
        // When an open appointment becomes a no-show by itself (NoShow.cpp):
        // NULL for those booked before this existed (planned at start), 0
        // for never.
        {12, "automatic no-show", {"ALTER TABLE scheduling_appointments ADD COLUMN no_show_at BIGINT NULL"}},
        // Departments as a resource (Departments.cpp), one DDL statement per
        // step (MariaDB commits DDL by itself), then the services' free text
        // turned into departments.
        {13, "departments",
            {"CREATE TABLE scheduling_departments (id ${PK}, name VARCHAR(100) NOT NULL,"
             " location_id BIGINT NULL, head_doctor_id BIGINT NULL, created_at BIGINT NOT NULL,"
             " updated_at BIGINT NOT NULL)${TABLE}"}},
        {14, "service departments", {"ALTER TABLE scheduling_services ADD COLUMN department_id BIGINT NULL"}},
        {15, "doctor departments", {"ALTER TABLE scheduling_doctors ADD COLUMN department_id BIGINT NULL"}},
        {16, "departments from the services' text",
            {"CREATE INDEX scheduling_services_department ON scheduling_services (department_id)"},
            [](clinic::Transaction& tx) {
                // One department per distinct text, without a location (a
                // service has none); its services point at it.
                std::vector<std::string> names;
                tx.session() << "SELECT DISTINCT department FROM scheduling_services WHERE department <> ''"
                                " ORDER BY department",
                    into(names), now;
                for (auto& name : names) {
                    Poco::Int64 at = 0;
                    tx.session() << "SELECT COALESCE(MIN(created_at), 0) FROM scheduling_services WHERE "
                                    "department = ?",
                        use(name), into(at), now;
                    tx.session() << "INSERT INTO scheduling_departments (name, location_id, head_doctor_id,"
                                    " created_at, updated_at) VALUES (?, NULL, NULL, ?, ?)",
                        use(name), use(at), use(at), now;
                    Poco::Int64 id = tx.lastInsertId();
                    tx.session() << "UPDATE scheduling_services SET department_id = ? WHERE department = ?",
                        use(id), use(name), now;
                }
            }},
        {17, "doctor department index",
            {"CREATE INDEX scheduling_doctors_department ON scheduling_doctors (department_id, id)"}},
    };
}

} // namespace scheduling
