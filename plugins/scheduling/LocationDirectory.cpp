#include "LocationDirectory.h"

#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

std::optional<clinic::scheduling::LocationCard> readLocation(Poco::Data::Session& s, std::int64_t locationId)
{
    Poco::Int64 id = locationId;
    std::vector<Poco::Tuple<std::string, std::string>> rows;
    s << "SELECT name, timezone FROM scheduling_locations WHERE id = ?", use(id), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return clinic::scheduling::LocationCard {locationId, rows.front().get<0>(), rows.front().get<1>()};
}

class LocationCards : public clinic::scheduling::LocationDirectory {
public:
    explicit LocationCards(clinic::Database& db)
        : _db(db)
    {
    }

    std::optional<clinic::scheduling::LocationCard> location(std::int64_t locationId) override
    {
        Poco::Data::Session s = _db.session();
        return readLocation(s, locationId);
    }
    std::optional<clinic::scheduling::LocationCard> location(
        clinic::Transaction& tx, std::int64_t locationId) override
    {
        return readLocation(tx.session(), locationId);
    }

private:
    clinic::Database& _db;
};

} // namespace

std::shared_ptr<clinic::scheduling::LocationDirectory> makeLocationDirectory(clinic::Database& db)
{
    return std::make_shared<LocationCards>(db);
}

} // namespace scheduling
