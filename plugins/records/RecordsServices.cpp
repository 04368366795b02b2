#include "RecordsServices.h"

#include <set>
#include <stdexcept>

#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace records {

std::optional<clinic::records::WeightReading> VitalsSummary::latestWeight(std::int64_t patientId)
{
    Poco::Data::Session s = _db.session();
    Poco::Int64 pid = patientId;
    std::vector<Poco::Tuple<double, Poco::Int64>> rows;
    s << "SELECT weight_kg, taken_at FROM records_vitals WHERE patient_id = ? AND weight_kg IS NOT NULL"
         " ORDER BY taken_at DESC, id DESC LIMIT 1",
        use(pid), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return clinic::records::WeightReading {rows.front().get<0>(), rows.front().get<1>()};
}

void ExportSectionTable::add(const std::string& name, std::shared_ptr<clinic::records::ExportSection> section)
{
    static const std::set<std::string> own
        = {"exported_at", "patient", "encounters", "vitals", "lab_results", "documents"};
    const bool wellFormed = !name.empty() && name.size() <= 64
        && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (!wellFormed || own.count(name) || !section)
        throw std::invalid_argument("export section \"" + name + "\": not a name a section may take");
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_sections.emplace(name, std::move(section)).second)
        throw std::invalid_argument("export section \"" + name + "\" was already added");
}

void ExportSectionTable::remove(const std::string& name)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _sections.erase(name);
}

std::vector<std::pair<std::string, std::shared_ptr<clinic::records::ExportSection>>>
ExportSectionTable::sections() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return {_sections.begin(), _sections.end()};
}

} // namespace records
