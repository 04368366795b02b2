#pragma once

// The reviews table and the reviews.ratings.v1 service over it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "clinic/Host.h"
#include "clinic/reviews/Ratings.h"

namespace reviews {

/// One patient's review of one completed visit.
struct Review {
    std::int64_t id = 0;
    std::int64_t appointmentId = 0;
    std::int64_t patientId = 0;
    std::int64_t doctorId = 0;
    std::int64_t rating = 0;
    std::string comment; ///< empty: none
    std::string commentStatus; ///< none, pending, approved, rejected
    std::int64_t createdAt = 0;

    /// As the caller may see it: the comment once approved, or always for an
    /// admin and for its author; who wrote it only to those two.
    Poco::JSON::Object::Ptr toJson(const clinic::Caller& caller) const;
};

/// The columns Review::from reads, in its order.
extern const char* const kReviewColumns;

std::optional<Review> findReview(Poco::Data::Session& s, std::int64_t id);

/// A page of reviews matching where (a SQL condition over reviews_entries
/// whose ? are bound to texts, then ids, in order), id ascending after cursor.
std::vector<Review> reviewsWhere(Poco::Data::Session& s, const std::string& where,
    std::vector<Poco::Int64> ids, std::int64_t cursor, std::size_t limit,
    std::vector<std::string> texts = {});

std::shared_ptr<clinic::reviews::Ratings> makeRatings(clinic::Host& host);

} // namespace reviews
