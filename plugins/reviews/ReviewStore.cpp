#include "ReviewStore.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Tuple.h>

#include "clinic/IdCursorPage.h"
#include "clinic/Json.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace reviews {

const char* const kReviewColumns
    = "id, appointment_id, patient_id, doctor_id, rating, comment, comment_status, created_at";

namespace {

using ReviewRow = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, std::string,
    std::string, Poco::Int64>;

Review fromRow(const ReviewRow& r)
{
    return Review {
        r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>(), r.get<7>()};
}

class RatingsService : public clinic::reviews::Ratings {
public:
    explicit RatingsService(clinic::Host& host)
        : _host(host)
    {
    }

    std::map<std::int64_t, clinic::reviews::DoctorRating> ofDoctors(
        const std::vector<std::int64_t>& doctorIds) override
    {
        std::map<std::int64_t, clinic::reviews::DoctorRating> out;
        if (doctorIds.empty())
            return out;
        std::string sql = "SELECT doctor_id, COUNT(*), SUM(rating) FROM reviews_entries WHERE doctor_id IN (";
        std::vector<Poco::Int64> ids(doctorIds.begin(), doctorIds.end());
        for (std::size_t i = 0; i < ids.size(); ++i)
            sql += i ? ", ?" : "?";
        sql += ") GROUP BY doctor_id";
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64>> rows;
        auto s = _host.database().session();
        Poco::Data::Statement st(s);
        st << sql;
        for (auto& id : ids)
            st, use(id);
        st, into(rows);
        st.execute();
        for (const auto& r : rows)
            out[r.get<0>()] = {r.get<1>(), r.get<1>() ? static_cast<double>(r.get<2>()) / r.get<1>() : 0.0};
        return out;
    }

    Poco::JSON::Object::Ptr doctorReviews(const clinic::Request& req, std::int64_t doctorId) override
    {
        const clinic::PageRequest page = clinic::readPage(req);
        auto s = _host.database().session();
        // Everyone sees the approved comments and every rating; the
        // moderation queue is the admin's, and a patient sees their own.
        auto rows = reviewsWhere(s, "doctor_id = ?", {doctorId}, page.cursor, page.limit + 1);
        _host.audit().record(
            req, clinic::AuditEvent {"review.list", "doctor", std::to_string(doctorId), 0, "ok", ""});
        auto out = clinic::idCursorPage(
            page, rows, [&](const Review& r) { return r.toJson(req.caller); },
            [](const Review& r) { return r.id; });
        const auto rating = ofDoctors({doctorId});
        const auto found = rating.find(doctorId);
        out->set("rating_count", found == rating.end() ? Poco::Int64(0) : Poco::Int64(found->second.count));
        if (found != rating.end())
            out->set("rating_avg", found->second.average);
        return out;
    }

private:
    clinic::Host& _host;
};

} // namespace

Poco::JSON::Object::Ptr Review::toJson(const clinic::Caller& caller) const
{
    const bool admin = caller.role == "admin";
    const bool author = caller.role == "patient" && caller.patientId > 0 && caller.patientId == patientId;
    auto out = clinic::makeObject();
    out->set("id", id);
    out->set("doctor_id", doctorId);
    out->set("rating", rating);
    out->set("comment_status", commentStatus);
    if (!comment.empty() && (commentStatus == "approved" || admin || author))
        out->set("comment", comment);
    if (admin || author) {
        out->set("appointment_id", appointmentId);
        out->set("patient_id", patientId);
    }
    out->set("created_at", clinic::formatRfc3339(createdAt));
    return out;
}

std::optional<Review> findReview(Poco::Data::Session& s, std::int64_t id)
{
    auto rows = reviewsWhere(s, "id = ?", {id}, 0, 1);
    if (rows.empty())
        return std::nullopt;
    return rows.front();
}

std::vector<Review> reviewsWhere(Poco::Data::Session& s, const std::string& where,
    std::vector<Poco::Int64> ids, std::int64_t cursor, std::size_t limit, std::vector<std::string> texts)
{
    ids.push_back(cursor);
    std::vector<ReviewRow> rows;
    Poco::Data::Statement st(s);
    st << std::string("SELECT ") + kReviewColumns + " FROM reviews_entries WHERE " + where
            + " AND id > ? ORDER BY id";
    for (auto& text : texts)
        st, use(text);
    for (auto& id : ids)
        st, use(id);
    st, into(rows), Poco::Data::Keywords::limit(limit);
    st.execute();
    std::vector<Review> out;
    out.reserve(rows.size());
    for (const auto& r : rows)
        out.push_back(fromRow(r));
    return out;
}

std::shared_ptr<clinic::reviews::Ratings> makeRatings(clinic::Host& host)
{
    return std::make_shared<RatingsService>(host);
}

} // namespace reviews
