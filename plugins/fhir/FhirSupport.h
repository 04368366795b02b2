#pragma once

// What every FHIR R4 route shares: the media type, OperationOutcome for
// errors, search parameters (prefixes, references, _count and the cursor)
// and searchset Bundles with their self and next links.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "clinic/Http.h"

namespace fhir {

inline constexpr const char* kFhirJson = "application/fhir+json";
inline constexpr const char* kBasePath = "/fhir/r4";
/// The identifier system of a patient's national id.
inline constexpr const char* kNationalIdSystem = "urn:clinicd:national-id";

/// A FHIR resource or Bundle as the answer.
clinic::Response resourceAnswer(const Poco::JSON::Object::Ptr& resource, int status = 200);

/// The OperationOutcome for an error: one issue per bad field of a
/// VALIDATION_FAILED, the API's code in issue.details.text.
Poco::JSON::Object::Ptr operationOutcome(const clinic::HttpError& error);
/// The kernel's error renderer for /fhir/r4 (Router::renderErrors).
clinic::Response renderError(const clinic::HttpError& error, const clinic::Request& request);

/// 400 with code INVALID_PARAMETER (an unknown or malformed search parameter,
/// a malformed resource): FHIR's "invalid" issue.
clinic::HttpError badRequest(const std::string& code, const std::string& message);

/// A closed-open range of seconds since the epoch; either end may be open.
struct InstantRange {
    std::optional<std::int64_t> from; ///< >= from
    std::optional<std::int64_t> to; ///< < to
    void narrow(const InstantRange& other);
};

/// One date search value ("ge2026-12-01", "lt2026-12-01T10:00:00Z", "2026",
/// "2026-12"): its prefix applied to the value's own precision (a day,
/// month or year without a time is that whole period in UTC). 400 on an
/// unknown prefix or an impossible date.
InstantRange dateSearch(const std::string& name, const std::string& value);

/// Days since 1970-01-01 as YYYY-MM-DD.
std::string dateOfDay(std::int64_t days);

/// The same for dates only (birthdate): as inclusive YYYY-MM-DD bounds.
struct DateBounds {
    std::optional<std::string> from, to;
};
DateBounds birthDateSearch(const std::string& value);

/// The search parameters of one request, checked against what the type
/// supports: an unknown parameter is 400 (strict handling).
class SearchParameters {
public:
    SearchParameters(const clinic::Request& request, const std::set<std::string>& supported);

    /// Every value of a parameter, in the order sent.
    std::vector<std::string> all(const std::string& name) const;
    /// The one value of a parameter; 400 if it is given twice.
    std::optional<std::string> one(const std::string& name) const;
    /// A positive integer id, or a reference "Type/id" of that type.
    std::optional<std::int64_t> reference(const std::string& name, const std::string& type) const;
    /// _count: 1 to 500, default 50.
    std::size_t count() const { return _count; }
    /// _cursor, as the previous page's next link gave it.
    std::optional<std::string> cursor() const { return one("_cursor"); }

private:
    const clinic::Request& _request;
    std::size_t _count = 50;
};

/// "Type/12" or "12" as 12, else nothing.
std::optional<std::int64_t> referenceId(const std::string& text, const std::string& type);
/// A positive decimal id, else nothing.
std::optional<std::int64_t> positiveId(const std::string& text);

/// The absolute base the links and fullUrls name: fhir.base_url if
/// configured, else http://<Host header>/fhir/r4.
std::string baseUrl(const clinic::Request& request, const std::string& configured);

/// A searchset Bundle of resources, with a self link and, when nextCursor
/// is set, a next link: the same query with _cursor replaced.
Poco::JSON::Object::Ptr searchset(const clinic::Request& request, const std::string& base,
    const std::string& type, const std::vector<Poco::JSON::Object::Ptr>& resources,
    const std::optional<std::string>& nextCursor);

/// The query string of a request (decoded pairs re-encoded), without _cursor.
std::string queryWithout(const clinic::Request& request, const std::string& skip);

} // namespace fhir
