#pragma once

#include <string>
#include <utility>
#include <vector>

#include "clinic/Http.h"

namespace clinic::console {

/// The console's files: one directory served read-only under a URL prefix.
/// A request names a file by its path below the prefix; the answer is that
/// file with its content type, validators (ETag, Last-Modified) and the
/// console's security headers, a 304 when the browser's copy is current, and
/// the error envelope's 404 for anything else: a name with a dot segment or a
/// hidden part, a directory, a type the console does not serve, or a file
/// that resolves (through a symbolic link) outside the directory.
class AssetDirectory {
public:
    /// root must name an existing directory; throws std::runtime_error naming
    /// it otherwise.
    AssetDirectory(const std::string& root, std::string urlPrefix);

    const std::string& root() const { return _root; }

    /// Answers GET (and HEAD) of req.path.
    Response serve(const Request& req) const;

    /// The headers every console answer carries, errors included.
    static const std::vector<std::pair<std::string, std::string>>& securityHeaders();

private:
    std::string _root; ///< canonical, without a trailing slash
    std::string _prefix; ///< "/console"
};

} // namespace clinic::console
