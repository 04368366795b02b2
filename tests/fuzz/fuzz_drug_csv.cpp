// The drug catalogue CSV comes from a national register or a spreadsheet an
// admin exported (clinicctl import-drugs). Any bytes either read as drugs
// that keep the catalogue's rules or are refused with lines naming why; the
// drugs read, written back as RFC 4180 CSV, read again to the same drugs.

#include <cstdint>
#include <string>

#include <Poco/UTF8String.h>

#include "DrugCatalogue.h"

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

std::string quoted(const std::string& field)
{
    std::string out = "\"";
    for (char c : field)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace prescriptions;
    const std::string text(reinterpret_cast<const char*>(data), size);
    CatalogueProblems problems;
    const auto drugs = parseCatalogue(text, problems);
    if (!problems.lines.empty()) {
        check(drugs.empty());
        for (const auto& line : problems.lines)
            check(line.rfind("line ", 0) == 0);
        return 0;
    }
    std::string csv = std::string(kCatalogueHeader) + "\r\n";
    for (const auto& d : drugs) {
        check(!d.code.empty() && d.code.size() <= 64 && isAtcCode(d.atc));
        check(!d.name.empty() && d.name.size() <= 191 && !d.substance.empty() && d.substance.size() <= 191);
        // What import and search do with a name: fold it for comparison.
        Poco::UTF8::toLower(d.name);
        csv += quoted(d.code) + "," + quoted(d.name) + "," + quoted(d.substance) + "," + quoted(d.atc) + ","
            + quoted(d.form) + "," + quoted(d.strength) + "," + quoted(d.route) + "\r\n";
    }
    CatalogueProblems again;
    const auto reread = parseCatalogue(csv, again);
    check(again.lines.empty() && reread.size() == drugs.size());
    for (std::size_t i = 0; i < drugs.size(); ++i)
        check(reread[i].sameAs(drugs[i]));
    return 0;
}
