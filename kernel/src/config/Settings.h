#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <Poco/Util/LayeredConfiguration.h>

namespace clinic {

/// One documented configuration key with its built-in default and its check.
struct SettingSpec {
    enum class Type { String, Integer, Boolean, Choice };
    std::string key;
    std::string defaultValue;
    Type type = Type::String;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::vector<std::string> choices;
    std::string description;
};

/// The daemon's configuration keys and how their layers stack:
/// built-in defaults < config file < environment CLINICD_* < command line.
class Settings {
public:
    /// Every key the kernel knows, with defaults. conf/clinicd.properties documents them.
    static const std::vector<SettingSpec>& catalogue();

    /// The environment variable for a key: upper case, dots to underscores
    /// (http.port -> CLINICD_HTTP_PORT).
    static std::string envName(const std::string& key);

    /// Builds the layered configuration. configFile may be empty (no file
    /// layer); a named file that cannot be read throws. environ is read from
    /// the process unless env is given (tests).
    static Poco::AutoPtr<Poco::Util::LayeredConfiguration> load(const std::string& configFile,
        const std::map<std::string, std::string>& commandLine,
        const std::map<std::string, std::string>* env = nullptr);

    /// Every problem with the configured values, each naming its key.
    static std::vector<std::string> validate(const Poco::Util::AbstractConfiguration& config);

    /// The config file used when none is named: $CLINICD_CONFIG, else
    /// /etc/clinicd/clinicd.properties if it exists, else none.
    static std::string defaultConfigFile();

    /// Parses "key=value" from the command line; throws std::invalid_argument.
    static std::pair<std::string, std::string> parseDefine(const std::string& text);

    /// The value with anything secret (passwords in URLs) masked: safe to log.
    static std::string redacted(const std::string& key, const std::string& value);
};

} // namespace clinic
