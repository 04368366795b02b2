#pragma once

// The reviews plugin's public service: doctors' ratings for the directory and
// the page of a doctor's reviews, so the scheduling plugin (which owns
// /api/v1/doctors/...) can show them without reading the reviews' tables.
// Include this header and nothing else of the reviews plugin
// (CMake: clinic_plugin_uses(<your plugin> reviews)). Absent when the
// reviews plugin is not loaded: find() answers nullptr, and the directory
// then shows no ratings.

#include <cstdint>
#include <map>
#include <vector>

#include <Poco/JSON/Object.h>

#include "clinic/Http.h"
#include "clinic/Schema.h"
#include "clinic/ServiceInterface.h"

namespace clinic::reviews {

/// Every rating a doctor's visits received (moderation concerns comments,
/// not the 1..5 rating).
struct DoctorRating {
    std::int64_t count = 0;
    double average = 0; ///< 0 when count is 0
};

/// One review as GET /api/v1/doctors/{id}/reviews shows it: the comment only
/// once approved, except to an admin and to its author.
inline Schema reviewSchema()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("doctor_id", Schema::id())
        .required("rating", Schema::integer(1, 5))
        .required(
            "comment_status", Schema::string().describe("none (no comment), pending, approved or rejected"))
        .optional(
            "comment", Schema::string(1, 2000).describe("shown once approved; to admin and author always"))
        .optional("appointment_id", Schema::id().describe("admin and author only"))
        .optional("patient_id", Schema::id().describe("admin and author only"))
        .required("created_at", Schema::dateTime());
}

/// Published by the reviews plugin as kRatingsService.
class CLINIC_SERVICE_INTERFACE Ratings {
public:
    virtual ~Ratings() = default;

    /// The ratings of these doctors; a doctor without any is absent.
    virtual std::map<std::int64_t, DoctorRating> ofDoctors(const std::vector<std::int64_t>& doctorIds) = 0;

    /// A page (?limit=&cursor=) of the doctor's reviews as request's caller
    /// may see them: {"items", "next_cursor", "rating_avg", "rating_count"}.
    /// Audits the read; throws HttpError on a bad page parameter.
    virtual Poco::JSON::Object::Ptr doctorReviews(const Request& request, std::int64_t doctorId) = 0;
};

/// The ServiceRegistry name of Ratings, version 1 of its interface.
inline constexpr const char* kRatingsService = "reviews.ratings.v1";

} // namespace clinic::reviews
