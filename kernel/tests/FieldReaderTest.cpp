// FieldReader: JSON type rules without coercion, string hygiene, length in
// characters, and every problem collected into one 422.

#include <cstdint>
#include <limits>
#include <map>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include "clinic/Http.h"
#include "clinic/Json.h"

using clinic::FieldReader;
using clinic::HttpError;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& json)
{
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

/// An object with one string field holding raw bytes (JSON text cannot carry
/// invalid UTF-8, but a parser may let it through).
Poco::JSON::Object::Ptr withRawString(const std::string& bytes)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("name", bytes);
    return o;
}

/// The fields and reasons finish() reports; empty if it does not throw.
std::map<std::string, std::string> failures(const FieldReader& in)
{
    std::map<std::string, std::string> out;
    try {
        in.finish();
    } catch (const HttpError& e) {
        CPPUNIT_ASSERT_EQUAL(422, e.status());
        CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), e.code());
        auto fields = e.details()->getObject("fields");
        for (const auto& name : fields->getNames())
            out[name] = fields->getValue<std::string>(name);
    }
    return out;
}

std::string reasonFor(const FieldReader& in, const std::string& field)
{
    auto f = failures(in);
    auto it = f.find(field);
    return it == f.end() ? std::string("(no failure)") : it->second;
}

} // namespace

class FieldReaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FieldReaderTest);
    CPPUNIT_TEST(integerAcceptsAJsonInteger);
    CPPUNIT_TEST(integerRejectsAStringOfDigits);
    CPPUNIT_TEST(integerRejectsAFraction);
    CPPUNIT_TEST(integerRejectsABoolean);
    CPPUNIT_TEST(integerOutsideItsRangeNamesTheRange);
    CPPUNIT_TEST(requiredFieldMissingOrNullIsRequired);
    CPPUNIT_TEST(optionalFieldMissingOrNullIsAbsentNotAnError);
    CPPUNIT_TEST(numberAcceptsIntegersAndFractions);
    CPPUNIT_TEST(numberRejectsBooleansAndStrings);
    CPPUNIT_TEST(boolAcceptsOnlyTrueOrFalse);
    CPPUNIT_TEST(stringRejectsNumbers);
    CPPUNIT_TEST(stringRejectsControlCharactersButKeepsNewlinesAndTabs);
    CPPUNIT_TEST(stringRejectsInvalidUtf8);
    CPPUNIT_TEST(stringLengthCountsCharactersNotBytes);
    CPPUNIT_TEST(emptyRequiredStringIsRefused);
    CPPUNIT_TEST(stringListChecksEveryItem);
    CPPUNIT_TEST(everyBadFieldIsReportedInOne422);
    CPPUNIT_TEST(firstReasonForAFieldWins);
    CPPUNIT_TEST(cleanInputFinishesQuietly);
    CPPUNIT_TEST(pagesFollowTheListConvention);
    CPPUNIT_TEST_SUITE_END();

public:
    void integerAcceptsAJsonInteger()
    {
        FieldReader in(parse(R"({"age": 42, "big": 9223372036854775807, "neg": -5})"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(42), in.requiredInt("age", 0, 150));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(9223372036854775807LL),
            in.requiredInt("big", 0, std::numeric_limits<std::int64_t>::max()));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-5), *in.optionalInt("neg", -10, 10));
        CPPUNIT_ASSERT(in.ok());
    }

    void integerRejectsAStringOfDigits()
    {
        FieldReader in(parse(R"({"age": "12"})"));
        in.requiredInt("age", 0, 150);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a whole number"), reasonFor(in, "age"));
    }

    void integerRejectsAFraction()
    {
        FieldReader in(parse(R"({"age": 12.5, "round": 12.0})"));
        in.requiredInt("age", 0, 150);
        in.requiredInt("round", 0, 150);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a whole number"), reasonFor(in, "age"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be a whole number"), reasonFor(in, "round"));
    }

    void integerRejectsABoolean()
    {
        FieldReader in(parse(R"({"age": true})"));
        in.optionalInt("age", 0, 150);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a whole number"), reasonFor(in, "age"));
    }

    void integerOutsideItsRangeNamesTheRange()
    {
        FieldReader in(parse(R"({"age": 151, "floor": -1})"));
        in.requiredInt("age", 0, 150);
        in.requiredInt("floor", 0, 150);
        CPPUNIT_ASSERT_EQUAL(std::string("must be from 0 to 150"), reasonFor(in, "age"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be from 0 to 150"), reasonFor(in, "floor"));
    }

    void requiredFieldMissingOrNullIsRequired()
    {
        FieldReader in(parse(R"({"name": null})"));
        in.requiredString("name");
        in.requiredInt("age", 0, 150);
        in.requiredNumber("weight", 0, 500);
        CPPUNIT_ASSERT_EQUAL(std::string("is required"), reasonFor(in, "name"));
        CPPUNIT_ASSERT_EQUAL(std::string("is required"), reasonFor(in, "age"));
        CPPUNIT_ASSERT_EQUAL(std::string("is required"), reasonFor(in, "weight"));
    }

    void optionalFieldMissingOrNullIsAbsentNotAnError()
    {
        FieldReader in(parse(R"({"note": null})"));
        CPPUNIT_ASSERT(!in.optionalString("note"));
        CPPUNIT_ASSERT(!in.optionalInt("age", 0, 150));
        CPPUNIT_ASSERT(!in.optionalNumber("weight", 0, 500));
        CPPUNIT_ASSERT(!in.optionalBool("active"));
        CPPUNIT_ASSERT(!in.optionalStringList("tags"));
        CPPUNIT_ASSERT(!in.has("note"));
        CPPUNIT_ASSERT(in.ok());
    }

    void numberAcceptsIntegersAndFractions()
    {
        FieldReader in(parse(R"({"weight": 72.5, "height": 180})"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(72.5, in.requiredNumber("weight", 0, 500), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(180.0, *in.optionalNumber("height", 0, 300), 1e-9);
        CPPUNIT_ASSERT(in.ok());
    }

    void numberRejectsBooleansAndStrings()
    {
        FieldReader in(parse(R"({"a": true, "b": "1.5", "c": 600.5})"));
        in.requiredNumber("a", 0, 500);
        in.requiredNumber("b", 0, 500);
        in.requiredNumber("c", 0, 500);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a number"), reasonFor(in, "a"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be a number"), reasonFor(in, "b"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be from 0 to 500"), reasonFor(in, "c"));
    }

    void boolAcceptsOnlyTrueOrFalse()
    {
        FieldReader in(parse(R"({"yes": true, "no": false, "one": 1, "text": "true"})"));
        CPPUNIT_ASSERT_EQUAL(true, *in.optionalBool("yes"));
        CPPUNIT_ASSERT_EQUAL(false, *in.optionalBool("no"));
        CPPUNIT_ASSERT(!in.optionalBool("one"));
        CPPUNIT_ASSERT(!in.optionalBool("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be true or false"), reasonFor(in, "one"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be true or false"), reasonFor(in, "text"));
    }

    void stringRejectsNumbers()
    {
        FieldReader in(parse(R"({"name": 12, "tag": false})"));
        in.requiredString("name");
        in.optionalString("tag");
        CPPUNIT_ASSERT_EQUAL(std::string("must be a string"), reasonFor(in, "name"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be a string"), reasonFor(in, "tag"));
    }

    void stringRejectsControlCharactersButKeepsNewlinesAndTabs()
    {
        FieldReader bad(parse(R"({"name": "Ana\u0007Pop", "esc": "a\u001bb"})"));
        bad.requiredString("name");
        bad.requiredString("esc");
        CPPUNIT_ASSERT_EQUAL(std::string("must not contain control characters"), reasonFor(bad, "name"));
        CPPUNIT_ASSERT_EQUAL(std::string("must not contain control characters"), reasonFor(bad, "esc"));
        FieldReader good(parse(R"({"note": "line one\nline two\twith a tab\r\n"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("line one\nline two\twith a tab\r\n"), good.requiredString("note"));
        CPPUNIT_ASSERT(good.ok());
    }

    void stringRejectsInvalidUtf8()
    {
        for (const std::string& bytes :
            {std::string("\xff\xfe"), std::string("Ana \xc3"), std::string("\xc0\xaf"),
                std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"), std::string("\xe0\x80\xaf")}) {
            FieldReader in(withRawString(bytes));
            CPPUNIT_ASSERT(!in.optionalString("name"));
            CPPUNIT_ASSERT_EQUAL(std::string("must be valid UTF-8"), reasonFor(in, "name"));
        }
        FieldReader ok(withRawString("Ștefan 😀"));
        CPPUNIT_ASSERT_EQUAL(std::string("Ștefan 😀"), ok.requiredString("name"));
    }

    void stringLengthCountsCharactersNotBytes()
    {
        // "Ășîțâ" is 5 characters in 10 bytes; "😀😀" 2 characters in 8 bytes.
        FieldReader in(parse(R"({"a": "Ășîțâ", "b": "Ășîțâx", "c": "😀😀", "d": "é"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("Ășîțâ"), in.requiredString("a", 1, 5));
        in.requiredString("b", 1, 5);
        CPPUNIT_ASSERT_EQUAL(std::string("😀😀"), in.requiredString("c", 2, 2));
        in.requiredString("d", 2, 10);
        CPPUNIT_ASSERT_EQUAL(std::string("must be at most 5 characters"), reasonFor(in, "b"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be at least 2 characters"), reasonFor(in, "d"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), failures(in).size());
    }

    void emptyRequiredStringIsRefused()
    {
        FieldReader in(parse(R"({"name": ""})"));
        in.requiredString("name");
        CPPUNIT_ASSERT_EQUAL(std::string("must not be empty"), reasonFor(in, "name"));
    }

    void stringListChecksEveryItem()
    {
        FieldReader in(parse(R"({"ok": ["a", "ș"], "notList": "a", "mixed": ["a", 1], "empty": ["a", ""],
            "long": ["abcd"], "many": ["a", "b", "c"]})"));
        auto ok = in.optionalStringList("ok", 5, 3);
        CPPUNIT_ASSERT(ok && ok->size() == 2 && (*ok)[1] == "ș");
        in.optionalStringList("notList", 5, 3);
        in.optionalStringList("mixed", 5, 3);
        in.optionalStringList("empty", 5, 3);
        in.optionalStringList("long", 5, 3);
        in.optionalStringList("many", 2, 3);
        auto f = failures(in);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a list of strings"), f["notList"]);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a list of strings"), f["mixed"]);
        CPPUNIT_ASSERT(f["empty"].find("non-empty") != std::string::npos);
        CPPUNIT_ASSERT(f["long"].find("at most 3 characters") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("must have at most 2 items"), f["many"]);
        CPPUNIT_ASSERT(!f.count("ok"));
    }

    void everyBadFieldIsReportedInOne422()
    {
        FieldReader in(parse(R"({"age": "12", "weight": true, "name": "", "active": "yes", "fine": "ok"})"));
        in.requiredInt("age", 0, 150);
        in.requiredNumber("weight", 0, 500);
        in.requiredString("name");
        in.optionalBool("active");
        in.requiredString("fine");
        in.requiredString("missing");
        CPPUNIT_ASSERT(!in.ok());
        try {
            in.finish();
            CPPUNIT_FAIL("finish() should throw");
        } catch (const HttpError& e) {
            CPPUNIT_ASSERT_EQUAL(422, e.status());
            CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), e.code());
            auto fields = e.details()->getObject("fields");
            CPPUNIT_ASSERT_EQUAL(std::size_t(5), fields->size());
            for (const char* name : {"age", "weight", "name", "active", "missing"})
                CPPUNIT_ASSERT_MESSAGE(name, fields->has(name));
            CPPUNIT_ASSERT(!fields->has("fine"));
            CPPUNIT_ASSERT(std::string(e.what()).find("age") != std::string::npos);
        }
    }

    void firstReasonForAFieldWins()
    {
        FieldReader in(parse(R"({"age": "12"})"));
        in.requiredInt("age", 0, 150);
        in.fail("age", "a later reason");
        in.fail("start", "must be before end");
        CPPUNIT_ASSERT_EQUAL(std::string("must be a whole number"), reasonFor(in, "age"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be before end"), reasonFor(in, "start"));
    }

    void cleanInputFinishesQuietly()
    {
        FieldReader in(parse(R"({"name": "Ana", "age": 30})"));
        in.requiredString("name");
        in.requiredInt("age", 0, 150);
        CPPUNIT_ASSERT(in.ok());
        in.finish();
    }

    void pagesFollowTheListConvention()
    {
        clinic::Request none;
        auto page = clinic::readPage(none);
        CPPUNIT_ASSERT_EQUAL(std::size_t(50), page.limit);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), page.cursor);

        clinic::Request good;
        good.queryParams = {{"limit", "500"}, {"cursor", "42"}};
        page = clinic::readPage(good);
        CPPUNIT_ASSERT_EQUAL(std::size_t(500), page.limit);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(42), page.cursor);

        clinic::Request bad;
        bad.queryParams = {{"limit", "501"}, {"cursor", "-1"}};
        std::map<std::string, std::string> errors;
        clinic::readPage(bad, errors);
        CPPUNIT_ASSERT(errors.count("limit") && errors.count("cursor"));
        try {
            clinic::readPage(bad);
            CPPUNIT_FAIL("a bad page was accepted");
        } catch (const clinic::HttpError& e) {
            CPPUNIT_ASSERT_EQUAL(422, e.status());
        }

        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        CPPUNIT_ASSERT(clinic::listPage(items, std::optional<std::int64_t>())->isNull("next_cursor"));
        CPPUNIT_ASSERT_EQUAL(std::string("7"),
            clinic::listPage(items, std::optional<std::int64_t>(7))->getValue<std::string>("next_cursor"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FieldReaderTest);
