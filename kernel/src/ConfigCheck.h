#pragma once

#include <ostream>
#include <string>

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>

namespace clinic {

/// What `clinicd --check-config` and `clinicctl check-config` both do: check
/// every configured value, open the database without changing it, load the
/// plugins, and report pending migrations. One implementation, so the two
/// commands can never disagree about a configuration.
class ConfigCheck {
public:
    /// Writes one line per finding to out and returns the process exit code:
    /// 0 when everything is usable, Application::EXIT_CONFIG (78) otherwise.
    /// configFile is only named in the report ("" means built-in defaults).
    static int run(Poco::AutoPtr<Poco::Util::LayeredConfiguration> config, const std::string& configFile,
        std::ostream& out);
};

} // namespace clinic
