#pragma once

// Where other plugins add their part of the records plugin's patient export
// (GET /api/v1/patients/{id}/export), so the export holds everything the
// clinic keeps about a patient while records reads only its own tables.

#include <cstdint>
#include <memory>
#include <string>

#include <Poco/Dynamic/Var.h>

#include "clinic/ServiceInterface.h"

namespace clinic::records {

/// One plugin's part of a patient's export.
class CLINIC_SERVICE_INTERFACE ExportSection {
public:
    virtual ~ExportSection() = default;

    /// Everything this plugin holds about the patient, as JSON (an array or
    /// an object). Throwing fails the export (500): a partial export would
    /// claim to be complete.
    virtual Poco::Dynamic::Var exportFor(std::int64_t patientId) = 0;
};

/// Published by the records plugin as kExportSectionsService. A plugin adds
/// its section in start() (declare records in dependencies()) and removes it
/// in stop(); the export then carries the section under its name.
class CLINIC_SERVICE_INTERFACE ExportSections {
public:
    virtual ~ExportSections() = default;

    /// name: [a-z_]+, not one of the export's own keys (patient, encounters,
    /// vitals, lab_results, documents, exported_at). Throws
    /// std::invalid_argument on such a name or one already added.
    virtual void add(const std::string& name, std::shared_ptr<ExportSection> section) = 0;
    virtual void remove(const std::string& name) = 0;
};

/// The ServiceRegistry name of ExportSections, version 1 of its interface.
inline constexpr const char* kExportSectionsService = "records.export_sections.v1";

} // namespace clinic::records
