#pragma once

// The records plugin's smaller services: the clinical summary other
// plugins' rules read, and the table of export sections other plugins add.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "clinic/Database.h"
#include "clinic/records/ClinicalSummary.h"
#include "clinic/records/ExportSections.h"

namespace records {

/// clinic::records::ClinicalSummary over records_vitals.
class VitalsSummary : public clinic::records::ClinicalSummary {
public:
    explicit VitalsSummary(clinic::Database& db)
        : _db(db)
    {
    }
    std::optional<clinic::records::WeightReading> latestWeight(std::int64_t patientId) override;

private:
    clinic::Database& _db;
};

/// clinic::records::ExportSections: the sections, in name order.
class ExportSectionTable : public clinic::records::ExportSections {
public:
    void add(const std::string& name, std::shared_ptr<clinic::records::ExportSection> section) override;
    void remove(const std::string& name) override;
    /// A copy, so an export runs without the lock.
    std::vector<std::pair<std::string, std::shared_ptr<clinic::records::ExportSection>>> sections() const;

private:
    mutable std::mutex _mutex;
    std::map<std::string, std::shared_ptr<clinic::records::ExportSection>> _sections;
};

} // namespace records
