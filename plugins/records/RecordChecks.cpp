
#include "RecordChecks.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>
#include <Poco/UTF8String.h>

namespace records {

namespace {

bool allDigits(const std::string& s, std::size_t from, std::size_t count)
{
    if (from + count > s.size())
        return false;
    for (std::size_t i = from; i < from + count; ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i])))
            return false;
    return true;
}

int daysInMonth(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/// The ASCII letters a Latin code point folds to, or nullptr to keep it.
const char* foldLatin(int cp)
{
    switch (cp) {
    case 0xE0:
    case 0xE1:
    case 0xE2:
    case 0xE3:
    case 0xE4:
    case 0xE5:
    case 0x101:
    case 0x103:
    case 0x105:
        return "a";
    case 0xE6:
        return "ae";
    case 0xE7:
    case 0x107:
    case 0x109:
    case 0x10D:
        return "c";
    case 0x10F:
    case 0x111:
        return "d";
    case 0xE8:
    case 0xE9:
    case 0xEA:
    case 0xEB:
    case 0x113:
    case 0x117:
    case 0x119:
    case 0x11B:
        return "e";
    case 0x11F:
    case 0x123:
        return "g";
    case 0xEC:
    case 0xED:
    case 0xEE:
    case 0xEF:
    case 0x12B:
    case 0x12F:
    case 0x131:
        return "i";
    case 0x137:
        return "k";
    case 0x13C:
    case 0x13E:
    case 0x142:
        return "l";
    case 0xF1:
    case 0x144:
    case 0x146:
    case 0x148:
        return "n";
    case 0xF2:
    case 0xF3:
    case 0xF4:
    case 0xF5:
    case 0xF6:
    case 0xF8:
    case 0x14D:
    case 0x151:
        return "o";
    case 0x153:
        return "oe";
    case 0x155:
    case 0x159:
        return "r";
    case 0x15B:
    case 0x15F:
    case 0x161:
    case 0x219:
        return "s";
    case 0xDF:
        return "ss";
    case 0x163:
    case 0x165:
    case 0x21B:
        return "t";
    case 0xF9:
    case 0xFA:
    case 0xFB:
    case 0xFC:
    case 0x16B:
    case 0x16F:
    case 0x171:
    case 0x173:
        return "u";
    case 0xFD:
    case 0xFF:
        return "y";
    case 0x17A:
    case 0x17C:
    case 0x17E:
        return "z";
    default:
        return nullptr;
    }
}

} // namespace

bool isCalendarDate(const std::string& date)
{
    if (date.size() != 10 || date[4] != '-' || date[7] != '-' || !allDigits(date, 0, 4)
        || !allDigits(date, 5, 2) || !allDigits(date, 8, 2))
        return false;
    const int year = std::stoi(date.substr(0, 4));
    const int month = std::stoi(date.substr(5, 2));
    const int day = std::stoi(date.substr(8, 2));
    return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

std::string birthDateProblem(const std::string& date, const std::string& today)
{
    if (!isCalendarDate(date))
        return "is not a calendar date YYYY-MM-DD";
    // Plain string order is date order for YYYY-MM-DD.
    if (date < "1900-01-01")
        return "is before 1900-01-01";
    if (date > today)
        return "is in the future";
    return {};
}

bool isEmail(const std::string& email)
{
    if (email.size() < 3 || email.size() > 254)
        return false;
    const auto at = email.find('@');
    if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos)
        return false;
    for (unsigned char c : email)
        if (c <= ' ' || c == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' || c == '"')
            return false;
    const std::string domain = email.substr(at + 1);
    const auto dot = domain.find('.');
    return dot != std::string::npos && dot > 0 && domain.back() != '.'
        && domain.find("..") == std::string::npos;
}

bool isRomanianCnp(const std::string& cnp)
{
    if (cnp.size() != 13 || !allDigits(cnp, 0, 13) || cnp[0] == '0')
        return false;
    const int month = std::stoi(cnp.substr(3, 2));
    const int day = std::stoi(cnp.substr(5, 2));
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    static const char weights[] = "279146358279";
    int sum = 0;
    for (int i = 0; i < 12; ++i)
        sum += (cnp[i] - '0') * (weights[i] - '0');
    int check = sum % 11;
    if (check == 10)
        check = 1;
    return check == cnp[12] - '0';
}

bool isIcd10Code(const std::string& code)
{
    if (code.size() < 3 || code.size() > 8)
        return false;
    if (!std::isupper(static_cast<unsigned char>(code[0])) || !allDigits(code, 1, 1))
        return false;
    // The third character is a digit, except in a few chapters (e.g. C4A, D3A).
    if (!std::isdigit(static_cast<unsigned char>(code[2]))
        && !std::isupper(static_cast<unsigned char>(code[2])))
        return false;
    if (code.size() == 3)
        return true;
    if (code[3] != '.' || code.size() < 5)
        return false;
    for (std::size_t i = 4; i < code.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(code[i]))
            && !std::isupper(static_cast<unsigned char>(code[i])))
            return false;
    return true;
}

std::string nameKey(const std::string& name)
{
    Poco::UTF8Encoding utf8;
    Poco::TextIterator it(name, utf8), end(name);
    std::string out;
    bool space = false;
    for (; it != end; ++it) {
        int cp = *it;
        if (cp < 0)
            continue;
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
            space = !out.empty();
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        if (cp < 0x80) {
            out += static_cast<char>(std::tolower(cp));
            continue;
        }
        // Upper-case Latin letters first become lower-case, then fold.
        std::string one;
        unsigned char buf[4];
        int n = utf8.convert(cp, buf, 4);
        one.assign(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
        one = Poco::UTF8::toLower(one);
        Poco::TextIterator li(one, utf8);
        const int lower = *li;
        if (const char* folded = foldLatin(lower))
            out += folded;
        else
            out += one;
    }
    return out;
}

std::string phoneKey(const std::string& phone)
{
    std::string out;
    for (char c : phone)
        if (std::isdigit(static_cast<unsigned char>(c)))
            out += c;
    return out;
}

std::string safeFilename(const std::string& name)
{
    std::string base = name;
    const auto slash = base.find_last_of("/\\");
    if (slash != std::string::npos)
        base = base.substr(slash + 1);
    std::string out;
    for (unsigned char c : base) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_')
            out += static_cast<char>(c);
        else if (c >= 0x80 && !out.empty() && out.back() == '_')
            continue; // one '_' per multi-byte character, not one per byte
        else
            out += '_';
    }
    while (!out.empty() && out.front() == '.')
        out.erase(0, 1);
    if (out.size() > 120)
        out = out.substr(out.size() - 120);
    if (out.empty() || out.find_first_not_of("._-") == std::string::npos)
        return "document";
    return out;
}

std::string sniffDocumentType(const std::string& content)
{
    if (content.compare(0, 5, "%PDF-") == 0)
        return "application/pdf";
    if (content.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) == 0)
        return "image/png";
    if (content.compare(0, 3, "\xFF\xD8\xFF") == 0)
        return "image/jpeg";
    return {};
}

std::string sha256Hex(const std::string& data)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace records
