#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

namespace clinic {

struct Request;

/// Reads typed fields from a JSON object and collects every problem, so a
/// client hears about all bad fields at once:
///
///     FieldReader in(request.jsonObject());
///     auto name = in.requiredString("name", 1, 200);
///     auto age = in.optionalInt("age", 0, 150);
///     in.finish();  // throws 422 VALIDATION_FAILED naming each bad field
///
/// Wrong types are errors (no "12" for 12, no 12.5 for an integer).
class FieldReader {
public:
    explicit FieldReader(Poco::JSON::Object::Ptr object);

    std::string requiredString(const std::string& field, std::size_t minLen = 1, std::size_t maxLen = 1000);
    std::optional<std::string> optionalString(
        const std::string& field, std::size_t minLen = 0, std::size_t maxLen = 1000);
    /// A string that names someone or something on staff screens and lists:
    /// besides requiredString's checks, no line breaks or tabs, no byte-order
    /// mark and no bidirectional controls (U+200E/F, U+202A..U+202E,
    /// U+2066..U+2069, U+061C), which can make a name display as another
    /// ("Ana\u202Eucsepop" shows reversed) or break a line in a list.
    std::string requiredName(const std::string& field, std::size_t minLen = 1, std::size_t maxLen = 200);
    std::int64_t requiredInt(const std::string& field, std::int64_t min, std::int64_t max);
    std::optional<std::int64_t> optionalInt(const std::string& field, std::int64_t min, std::int64_t max);
    double requiredNumber(const std::string& field, double min, double max);
    std::optional<double> optionalNumber(const std::string& field, double min, double max);
    std::optional<bool> optionalBool(const std::string& field);
    std::optional<std::vector<std::string>> optionalStringList(
        const std::string& field, std::size_t maxItems = 100, std::size_t maxLen = 200);
    bool has(const std::string& field) const;

    /// Records a problem found by the caller's own checks.
    void fail(const std::string& field, const std::string& reason);
    bool ok() const { return _errors.empty(); }
    /// Throws HttpError 422 VALIDATION_FAILED if any field failed.
    void finish() const;

private:
    Poco::JSON::Object::Ptr _object;
    std::map<std::string, std::string> _errors;
};

/// A page of a list, per the API's list convention: ?limit= (default 50,
/// 1 to 500) and ?cursor= (an opaque value the previous page gave out; here
/// a non-negative id).
struct PageRequest {
    std::size_t limit = 50;
    std::int64_t cursor = 0;
};

/// Reads ?limit= and ?cursor=, recording bad values in errors (so a caller
/// can add its own filters' errors and answer one 422).
PageRequest readPage(const Request& request, std::map<std::string, std::string>& errors);
/// Reads ?limit= and ?cursor=; throws 422 VALIDATION_FAILED naming them.
PageRequest readPage(const Request& request);

/// The list answer {"items": [...], "next_cursor": "..." | null}.
Poco::JSON::Object::Ptr listPage(
    const Poco::JSON::Array::Ptr& items, const std::optional<std::string>& nextCursor);
Poco::JSON::Object::Ptr listPage(
    const Poco::JSON::Array::Ptr& items, const std::optional<std::int64_t>& nextCursor);

/// Serialises a JSON value compactly (UTF-8, no unicode escaping).
std::string toJson(const Poco::JSON::Object::Ptr& object);
std::string toJson(const Poco::JSON::Array::Ptr& array);

/// A new object that keeps insertion order in its output.
Poco::JSON::Object::Ptr makeObject();

} // namespace clinic
