// Request bodies are the least trusted input clinicd reads: parse any bytes
// as a JSON object and read typed fields from it. Anything but a clean
// HttpError (400/422) is a bug.

#include <cstdint>
#include <string>

#include "clinic/Http.h"
#include "clinic/Json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    clinic::Request request;
    request.body.assign(reinterpret_cast<const char*>(data), size);
    try {
        auto object = request.jsonObject();
        clinic::FieldReader in(object);
        in.requiredString("name", 1, 200);
        in.optionalString("notes", 0, 2000);
        in.optionalInt("age", 0, 150);
        in.optionalNumber("weight_kg", 0.5, 500);
        in.optionalBool("active");
        in.optionalStringList("allergies", 50, 100);
        in.finish();
        clinic::toJson(object);
    } catch (const clinic::HttpError& e) {
        if (e.status() != 400 && e.status() != 422)
            __builtin_trap();
    }
    return 0;
}
