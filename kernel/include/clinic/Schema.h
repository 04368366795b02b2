#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Object.h>

namespace clinic {

/// The shape of a JSON value, written beside a route so the OpenAPI document
/// tells a terminal's developer which fields a request takes and an answer
/// carries. A small vocabulary of JSON Schema (as OpenAPI 3.0 reads it):
///
///     Schema::object()
///         .required("username", Schema::string(1, 256))
///         .optional("patient_id", Schema::id().describe("role patient: their record"))
///
/// Setters return the schema itself, so a declaration reads as one expression.
class Schema {
public:
    /// Any JSON value (no type constraint).
    Schema() = default;

    /// A string; a maxLength of 0 sets no upper bound.
    static Schema string(std::size_t minLength = 0, std::size_t maxLength = 0);
    /// A string that is one of the given values.
    static Schema enumOf(std::vector<std::string> values);
    /// A value of exactly one of these shapes (e.g. one appointment, or a series).
    static Schema oneOf(std::vector<Schema> alternatives);
    /// A calendar date, YYYY-MM-DD.
    static Schema date();
    /// An RFC 3339 time with an offset.
    static Schema dateTime();
    static Schema integer();
    static Schema integer(std::int64_t minimum, std::int64_t maximum);
    /// A positive integer id.
    static Schema id();
    static Schema number();
    static Schema number(double minimum, double maximum);
    static Schema boolean();
    static Schema array(const Schema& items);
    /// An object; declare its fields with required() and optional().
    static Schema object();
    /// Bytes as they are (a raw upload or download), not JSON.
    static Schema binary();

    Schema& describe(std::string description);
    Schema& format(std::string format);
    Schema& minLength(std::size_t n);
    Schema& maxLength(std::size_t n);
    Schema& minimum(double n);
    Schema& maximum(double n);
    Schema& maxItems(std::size_t n);
    /// null is a valid value too.
    Schema& nullable();
    /// A field the object must carry.
    Schema& required(const std::string& name, const Schema& field);
    /// A field the object may carry.
    Schema& optional(const std::string& name, const Schema& field);
    /// Objects only: fields other than the declared ones are allowed, each of
    /// this shape (a free-form map such as readiness checks by name).
    Schema& additional(const Schema& values);

    /// The JSON Schema object, as OpenAPI 3.0.3 spells it.
    Poco::JSON::Object::Ptr toJson() const;

    const std::string& type() const { return _type; }
    /// The declared fields of an object, in declaration order.
    const std::vector<std::pair<std::string, Schema>>& fields() const { return _fields; }
    const std::vector<std::string>& requiredFields() const { return _required; }

private:
    std::string _type; ///< empty: any value
    std::string _format;
    std::string _description;
    std::vector<std::string> _enum;
    std::optional<double> _minimum;
    std::optional<double> _maximum;
    std::optional<std::size_t> _minLength;
    std::optional<std::size_t> _maxLength;
    std::optional<std::size_t> _maxItems;
    bool _nullable = false;
    std::shared_ptr<const Schema> _items; ///< arrays
    std::shared_ptr<const Schema> _additional; ///< objects: the shape of undeclared fields
    std::vector<std::pair<std::string, Schema>> _fields; ///< objects
    std::vector<std::string> _required; ///< objects
    std::vector<Schema> _alternatives; ///< oneOf
};

/// The API's one list answer, {"items": [item, ...], "next_cursor": string|null}:
/// next_cursor is null on the last page and otherwise the ?cursor= value for
/// the next one.
Schema listOf(const Schema& item);

} // namespace clinic
