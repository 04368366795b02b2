// Reviews: a patient rates a completed visit of theirs, once, 1 to 5 with an
// optional comment; comments wait for an admin's approval before anyone
// else reads them; the clinic's Lua may refuse a comment (before_review).
// Appointments are read through scheduling.appointments.v1, never its
// tables; doctors' ratings reach the directory through reviews.ratings.v1.

#include <Poco/Data/Session.h>

#include "ReviewStore.h"
#include "clinic/Host.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"
#include "clinic/Roles.h"
#include "clinic/RouteTable.h"
#include "clinic/Rules.h"
#include "clinic/Time.h"
#include "clinic/scheduling/Appointments.h"

using namespace Poco::Data::Keywords;
using clinic::HttpError;
using clinic::Request;
using clinic::Response;
using clinic::Schema;

namespace {

constexpr std::size_t kMaxComment = 2000;

/// Text-direction controls, the byte-order mark and line/paragraph
/// separators: what lets a comment show as other text on a staff screen.
/// Line breaks are fine in a comment.
bool hasDirectionControls(const std::string& s)
{
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]);
        if (c == 0xD8 && b1 == 0x9C)
            return true; // U+061C
        if (i + 2 >= s.size())
            continue;
        const auto b2 = static_cast<unsigned char>(s[i + 2]);
        if (c == 0xE2 && b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xA8 && b2 <= 0xAE)))
            return true; // U+200E, U+200F, U+2028..U+202E
        if (c == 0xE2 && b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)
            return true; // U+2066..U+2069
        if (c == 0xEF && b1 == 0xBB && b2 == 0xBF)
            return true; // U+FEFF
    }
    return false;
}

Poco::Int64 characters(const std::string& text)
{
    Poco::Int64 n = 0;
    for (unsigned char c : text)
        n += (c & 0xC0) != 0x80;
    return n;
}

class ReviewsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "reviews"; }
    std::string version() const override { return "1.0.0"; }
    /// A review is of an appointment: without scheduling there is nothing to review.
    std::vector<std::string> dependencies() const override { return {"scheduling"}; }

    std::vector<clinic::Migration> migrations() const override
    {
        // The unique key on appointment_id makes "once per visit" hold across
        // racing requests and daemons, not just in this process.
        return {{1, "reviews",
            {"CREATE TABLE reviews_entries (id ${PK}, appointment_id BIGINT NOT NULL, patient_id BIGINT NOT "
             "NULL,"
             " doctor_id BIGINT NOT NULL, rating INTEGER NOT NULL, comment VARCHAR(2000) NOT NULL DEFAULT '',"
             " comment_status VARCHAR(16) NOT NULL, created_at BIGINT NOT NULL, moderated_at BIGINT NULL,"
             " moderated_by BIGINT NULL)${TABLE}",
                "CREATE UNIQUE INDEX reviews_entries_appointment ON reviews_entries (appointment_id)",
                "CREATE INDEX reviews_entries_doctor ON reviews_entries (doctor_id, id)"}}};
    }

    void declareRuleHooks(clinic::RuleEngine& rules) override
    {
        // A script error refuses the comment: the patient may try again, and
        // nothing the clinic meant to keep out slips in while its rule is broken.
        rules.declare({"before_review",
            "{appointment_id, doctor_id, rating, comment, length} -> true | false, \"reason\"",
            clinic::RuleFailure::FailClosed});
    }

    void start(clinic::Host& host) override
    {
        _host = &host;
        _appointments = host.services().find<clinic::scheduling::AppointmentLookup>(
            clinic::scheduling::kAppointmentLookupService);
        if (!_appointments)
            throw std::runtime_error("scheduling.appointments.v1 is not published");

        const auto review = clinic::reviews::reviewSchema();
        clinic::RouteTable<ReviewsPlugin> routes(host.router(), *this);
        routes.add("POST", "/api/v1/reviews", std::set<std::string> {"patient"}, &ReviewsPlugin::submit,
            "reviews: rate a completed visit of yours, once (comment held for moderation)",
            clinic::Contract()
                .accepts(Schema::object()
                             .required("appointment_id", Schema::id())
                             .required("rating", Schema::integer(1, 5))
                             .optional("comment", Schema::string(1, kMaxComment)))
                .returns(201, "the review", review));
        routes.add("GET", "/api/v1/reviews", std::set<std::string> {"admin", "patient"}, &ReviewsPlugin::list,
            "reviews: the moderation queue (admin, ?comment_status=) or your own (patient)",
            clinic::Contract()
                .page()
                .param("comment_status", Schema::enumOf({"none", "pending", "approved", "rejected"}),
                    "only reviews whose comment is in this state")
                .returns(200, "reviews", clinic::listOf(review)));
        routes.add("POST", "/api/v1/reviews/{id}/approve", clinic::roles::admin, &ReviewsPlugin::approve,
            "reviews: publish a pending comment",
            clinic::Contract()
                .accepts(Schema::object().describe("nothing to send: {} or no body"))
                .returns(200, "the review", review));
        routes.add("POST", "/api/v1/reviews/{id}/reject", clinic::roles::admin, &ReviewsPlugin::reject,
            "reviews: keep a pending comment from being shown (the rating still counts)",
            clinic::Contract()
                .accepts(Schema::object().optional("reason", Schema::string(1, 500)))
                .returns(200, "the review", review));

        host.events().declare("review.submitted",
            {clinic::EventAudience::Patient, {"review_id", "patient_id", "comment_status"}});
        host.events().declare("review.approved",
            {clinic::EventAudience::Patient, {"review_id", "patient_id", "comment_status"}});
        host.events().declare("review.rejected",
            {clinic::EventAudience::Patient, {"review_id", "patient_id", "comment_status"}});
        host.services().publish<clinic::reviews::Ratings>(
            clinic::reviews::kRatingsService, reviews::makeRatings(host));
    }

private:
    Response submit(Request& req)
    {
        clinic::FieldReader in(req.jsonObject());
        const auto appointmentId = in.requiredInt("appointment_id", 1, INT64_MAX);
        const auto rating = in.requiredInt("rating", 1, 5);
        const auto comment = in.optionalString("comment", 1, kMaxComment).value_or("");
        if (hasDirectionControls(comment))
            in.fail("comment", "must not contain byte-order marks or text-direction controls");
        in.finish();

        // Another patient's visit is answered as one that does not exist.
        auto visit = _appointments->byId(appointmentId);
        if (!visit || visit->patientId != req.caller.patientId) {
            _host->audit().record(req,
                clinic::AuditEvent {"review.create", "appointment", std::to_string(appointmentId),
                    req.caller.patientId, "denied", "not this patient's appointment"});
            throw HttpError::notFound("no such appointment");
        }
        if (visit->status != "completed")
            throw HttpError::conflict(
                "only a completed visit can be reviewed", detailsOf("status", visit->status));

        if (!comment.empty()) {
            auto ctx = clinic::makeObject();
            ctx->set("appointment_id", visit->id);
            ctx->set("doctor_id", visit->doctorId);
            ctx->set("rating", rating);
            ctx->set("comment", comment);
            ctx->set("length", characters(comment));
            const auto decision = clinic::decide(_host->rules(), "before_review", ctx);
            if (decision.failed())
                _host->logger().error("before_review rule failed: " + decision.error);
            if (!decision.allowed) {
                auto details = detailsOf("rule", "before_review");
                details->set("reason", decision.reason);
                throw HttpError(422, "RULE_REJECTED", decision.reason, details);
            }
        }

        reviews::Review r;
        r.appointmentId = visit->id;
        r.patientId = visit->patientId;
        r.doctorId = visit->doctorId;
        r.rating = rating;
        r.comment = comment;
        r.commentStatus = comment.empty() ? "none" : "pending";
        r.createdAt = clinic::nowSeconds(_host->clock());
        try {
            _host->database().transact([&](clinic::Transaction& tx) {
                Poco::Int64 taken = 0, appointment = r.appointmentId;
                tx.session() << "SELECT COUNT(*) FROM reviews_entries WHERE appointment_id = ?",
                    use(appointment), into(taken), now;
                if (taken)
                    throw HttpError::conflict("this visit has been reviewed already");
                tx.session() << "INSERT INTO reviews_entries (appointment_id, patient_id, doctor_id, rating,"
                                " comment, comment_status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    use(r.appointmentId), use(r.patientId), use(r.doctorId), use(r.rating), use(r.comment),
                    use(r.commentStatus), use(r.createdAt), now;
                r.id = tx.lastInsertId();
                _host->audit().record(tx, req,
                    clinic::AuditEvent {
                        "review.create", "review", std::to_string(r.id), r.patientId, "ok", ""});
                publish(tx, "review.submitted", r);
            });
        } catch (const HttpError&) {
            throw;
        } catch (const std::exception& e) {
            // The unique key caught a second review racing this one.
            if (_host->database().isUniqueViolation(e))
                throw HttpError::conflict("this visit has been reviewed already");
            throw;
        }
        Response out = Response::json(r.toJson(req.caller), 201);
        out.headers.emplace_back("Location", "/api/v1/reviews/" + std::to_string(r.id));
        return out;
    }

    Response list(Request& req)
    {
        std::map<std::string, std::string> errors;
        const clinic::PageRequest page = clinic::readPage(req, errors);
        const auto status = req.query("comment_status");
        if (status && *status != "none" && *status != "pending" && *status != "approved"
            && *status != "rejected")
            errors.emplace("comment_status", "must be none, pending, approved or rejected");
        if (!errors.empty())
            throw HttpError::validation(errors);
        // Text conditions first: reviewsWhere binds texts before ids.
        std::string where = "1 = 1";
        std::vector<std::string> texts;
        std::vector<Poco::Int64> ids;
        if (status) {
            where += " AND comment_status = ?";
            texts.push_back(*status);
        }
        if (req.caller.role == "patient") {
            where += " AND patient_id = ?";
            ids.push_back(req.caller.patientId);
        }
        auto s = _host->database().session();
        auto rows = reviews::reviewsWhere(s, where, ids, page.cursor, page.limit + 1, texts);
        _host->audit().record(req,
            clinic::AuditEvent {"review.list", "review", "",
                req.caller.role == "patient" ? req.caller.patientId : 0, "ok", ""});
        return Response::json(clinic::idCursorPage(
            page, rows, [&](const reviews::Review& r) { return r.toJson(req.caller); },
            [](const reviews::Review& r) { return r.id; }));
    }

    Response approve(Request& req)
    {
        if (!req.body.empty())
            req.jsonObject(); // a body, if any, is still well-formed JSON: 400 or 422 otherwise
        return moderate(req, "approved", "review.approved", "");
    }

    Response reject(Request& req)
    {
        std::string reason;
        if (!req.body.empty()) {
            clinic::FieldReader in(req.jsonObject());
            reason = in.optionalString("reason", 1, 500).value_or("");
            in.finish();
        }
        return moderate(req, "rejected", "review.rejected", reason);
    }

    /// pending -> approved | rejected, once: a review without a comment or
    /// one already decided is 409 and stays as it was.
    Response moderate(
        Request& req, const std::string& to, const std::string& event, const std::string& reason)
    {
        Poco::Int64 id = req.idParam("id");
        reviews::Review r;
        _host->database().transact([&](clinic::Transaction& tx) {
            auto found = reviews::findReview(tx.session(), id);
            if (!found)
                throw HttpError::notFound("no such review");
            r = *found;
            if (r.commentStatus != "pending")
                throw HttpError::conflict(
                    "only a pending comment can be " + to, detailsOf("comment_status", r.commentStatus));
            Poco::Int64 at = clinic::nowSeconds(_host->clock()), by = req.caller.userId;
            std::string status = to;
            Poco::Data::Statement update(tx.session());
            update << "UPDATE reviews_entries SET comment_status = ?, moderated_at = ?, moderated_by = ?"
                      " WHERE id = ? AND comment_status = 'pending'",
                use(status), use(at), use(by), use(id);
            if (update.execute() != 1)
                throw HttpError::conflict("the comment was moderated meanwhile");
            r.commentStatus = to;
            _host->audit().record(tx, req,
                clinic::AuditEvent {"review." + to.substr(0, to.size() - 1), "review", std::to_string(id),
                    r.patientId, "ok", reason});
            publish(tx, event, r);
        });
        return Response::json(r.toJson(req.caller));
    }

    void publish(clinic::Transaction& tx, const std::string& type, const reviews::Review& r)
    {
        auto payload = clinic::makeObject();
        payload->set("review_id", r.id);
        payload->set("appointment_id", r.appointmentId);
        payload->set("patient_id", r.patientId);
        payload->set("doctor_id", r.doctorId);
        payload->set("rating", r.rating);
        payload->set("comment_status", r.commentStatus);
        _host->events().publish(tx, {type, payload});
    }

    static Poco::JSON::Object::Ptr detailsOf(const std::string& key, const std::string& value)
    {
        auto details = clinic::makeObject();
        details->set(key, value);
        return details;
    }

    clinic::Host* _host = nullptr;
    std::shared_ptr<clinic::scheduling::AppointmentLookup> _appointments;
};

} // namespace

CLINIC_PLUGIN(ReviewsPlugin)
