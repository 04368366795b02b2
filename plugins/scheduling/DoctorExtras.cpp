// What the doctor directory shows from outside scheduling, each only when
// its provider is there: ratings from the reviews plugin
// (reviews.ratings.v1; absent plugin, absent fields) and the doctors a
// location gained through location-scoped role grants (kernel.role_grants.v1).

#include <Poco/JSON/Array.h>

#include "SchedulingPlugin.h"
#include "clinic/RoleGrants.h"
#include "clinic/reviews/Ratings.h"

namespace scheduling {

void SchedulingPlugin::addRatings(const Poco::JSON::Array::Ptr& doctors)
{
    auto ratings = _host->services().find<clinic::reviews::Ratings>(clinic::reviews::kRatingsService);
    if (!ratings || !doctors || doctors->size() == 0)
        return;
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < doctors->size(); ++i)
        ids.push_back(doctors->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id"));
    const auto found = ratings->ofDoctors(ids);
    for (std::size_t i = 0; i < doctors->size(); ++i) {
        auto doctor = doctors->getObject(static_cast<unsigned>(i));
        const auto rating = found.find(doctor->getValue<Poco::Int64>("id"));
        doctor->set(
            "rating_count", rating == found.end() ? Poco::Int64(0) : Poco::Int64(rating->second.count));
        if (rating != found.end())
            doctor->set("rating_avg", rating->second.average);
    }
}

std::vector<Poco::Int64> SchedulingPlugin::grantedDoctorAccounts(std::int64_t locationId)
{
    auto grants = _host->services().find<clinic::RoleGrants>(clinic::kRoleGrantsService);
    if (!grants)
        return {};
    const auto holders = grants->holdersAt("doctor", locationId);
    return {holders.begin(), holders.end()};
}

Response SchedulingPlugin::doctorReviews(Request& req)
{
    const Poco::Int64 id = req.idParam("id");
    auto s = _host->database().session();
    if (!findDoctor(s, id))
        throw HttpError::notFound("no such doctor");
    auto ratings = _host->services().find<clinic::reviews::Ratings>(clinic::reviews::kRatingsService);
    if (!ratings)
        throw HttpError::notFound("reviews are not kept here (the reviews plugin is not loaded)");
    return Response::json(ratings->doctorReviews(req, id));
}

} // namespace scheduling
