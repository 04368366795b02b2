#pragma once

#include <map>
#include <optional>
#include <string>

namespace notifications {

/// A message rendered for one channel: what goes into the outbox row.
struct RenderedMessage {
    std::string subject;
    std::string text;
    std::string html; ///< empty for channels without an HTML part (SMS, in-app)
};

/// The message templates, per kind (e.g. "appointment.reminder") and language,
/// read from <dir>/<language>/<kind>.{subject,txt,html,sms}. The clinic's
/// override directory is searched first, file by file, then the shipped one,
/// so a clinic may replace a single part. Fields are written {{name}}; in the
/// HTML part they are escaped, so a patient's name cannot inject markup.
class MessageTemplates {
public:
    MessageTemplates(std::string overrideDir, std::string shippedDir);

    /// The e-mail parts (subject, text, html). Falls back to "en" when the
    /// language has no template; throws std::runtime_error when neither has.
    RenderedMessage email(const std::string& kind, const std::string& language,
        const std::map<std::string, std::string>& fields) const;
    /// The SMS text (its .sms file) in the text member; subject is the e-mail subject.
    RenderedMessage sms(const std::string& kind, const std::string& language,
        const std::map<std::string, std::string>& fields) const;

    /// {{name}} replaced by fields[name] (escaped for HTML when html); an
    /// unknown field renders empty.
    static std::string render(
        const std::string& source, const std::map<std::string, std::string>& fields, bool html);

private:
    std::optional<std::string> read(const std::string& language, const std::string& file) const;
    std::string part(const std::string& kind, const std::string& language, const std::string& suffix) const;

    std::string _overrideDir;
    std::string _shippedDir;
};

} // namespace notifications
