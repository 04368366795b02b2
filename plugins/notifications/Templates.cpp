#include "Templates.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <Poco/String.h>

#include "clinic/Html.h"

namespace notifications {

MessageTemplates::MessageTemplates(std::string overrideDir, std::string shippedDir)
    : _overrideDir(std::move(overrideDir))
    , _shippedDir(std::move(shippedDir))
{
}

std::optional<std::string> MessageTemplates::read(const std::string& language, const std::string& file) const
{
    // Read on every message, not cached: a clinic edits a template and the
    // next message uses it, without a reload.
    for (const std::string* dir : {&_overrideDir, &_shippedDir}) {
        if (dir->empty())
            continue;
        std::ifstream in(*dir + "/" + language + "/" + file, std::ios::binary);
        if (!in)
            continue;
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }
    return std::nullopt;
}

std::string MessageTemplates::part(
    const std::string& kind, const std::string& language, const std::string& suffix) const
{
    if (language.find('/') != std::string::npos || kind.find('/') != std::string::npos)
        throw std::runtime_error("bad template name");
    if (auto text = read(language, kind + "." + suffix))
        return *text;
    if (language != "en")
        if (auto text = read("en", kind + "." + suffix))
            return *text;
    throw std::runtime_error("no template " + kind + "." + suffix + " for language " + language);
}

RenderedMessage MessageTemplates::email(const std::string& kind, const std::string& language,
    const std::map<std::string, std::string>& fields) const
{
    RenderedMessage m;
    // A subject is one line: a trailing line break in the file is not part of it.
    m.subject = Poco::trim(render(part(kind, language, "subject"), fields, false));
    m.text = render(part(kind, language, "txt"), fields, false);
    m.html = render(part(kind, language, "html"), fields, true);
    return m;
}

RenderedMessage MessageTemplates::sms(const std::string& kind, const std::string& language,
    const std::map<std::string, std::string>& fields) const
{
    RenderedMessage m;
    m.subject = Poco::trim(render(part(kind, language, "subject"), fields, false));
    m.text = Poco::trim(render(part(kind, language, "sms"), fields, false));
    return m;
}

std::string MessageTemplates::render(
    const std::string& source, const std::map<std::string, std::string>& fields, bool html)
{
    std::string out;
    for (std::size_t pos = 0;;) {
        const auto open = source.find("{{", pos);
        const auto close = open == std::string::npos ? open : source.find("}}", open);
        if (close == std::string::npos) {
            out += source.substr(pos);
            return out;
        }
        out += source.substr(pos, open - pos);
        const std::string key = Poco::trim(source.substr(open + 2, close - open - 2));
        auto found = fields.find(key);
        if (found != fields.end())
            out += html ? clinic::escapeHtml(found->second) : found->second;
        pos = close + 2;
    }
}

} // namespace notifications
