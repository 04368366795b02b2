// Reminder texts are rendered from clinic-edited templates with patients'
// names in them, then counted in SMS parts for the gateway's bill. For any
// template and field value: rendering puts the value in verbatim (escaped
// in HTML, never expanded again), and the part count is 0 only for empty
// text, never falls when the text grows, and for plain ASCII letters and
// digits is GSM-7's 160 in one part, 153 per part beyond.

#include <cstdint>
#include <map>
#include <string>

#include "SmsGateway.h"
#include "Templates.h"

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

bool validUtf8(const std::string& s)
{
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using notifications::MessageTemplates;
    const std::string input(reinterpret_cast<const char*>(data), size);
    // A template, then after the first NUL the patient's name.
    const auto split = input.find('\0');
    const std::string source = input.substr(0, split);
    const std::string name = split == std::string::npos ? "" : input.substr(split + 1);
    const std::map<std::string, std::string> fields {{"patient_name", name}};

    const std::string text = MessageTemplates::render(source, fields, false);
    if (source.find("{{") == std::string::npos)
        check(text == source);
    check(MessageTemplates::render("Dear {{ patient_name }},", fields, false) == "Dear " + name + ",");
    const std::string html = MessageTemplates::render("<p>{{patient_name}}</p>", fields, true);
    check(html.size() >= 7 && html.find_first_of("<>\"", 3) == html.size() - 4);

    const int parts = notifications::smsSegments(text);
    check(parts >= 0 && (parts == 0) == text.empty());
    if (validUtf8(text)) {
        check(notifications::smsSegments(text + "a") >= parts);
        // A text of parts*160 characters cannot need more parts than that (UCS-2: 4 bytes per character at
        // most).
        check(parts <= 1 || static_cast<std::size_t>(parts - 1) * 67 < text.size());
        bool plain = true;
        for (char c : text)
            plain = plain
                && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ');
        if (plain && !text.empty())
            check(parts == (text.size() <= 160 ? 1 : static_cast<int>((text.size() + 152) / 153)));
    }
    return 0;
}
