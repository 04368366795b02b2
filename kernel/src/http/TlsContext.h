#pragma once

#include <string>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace clinic {

/// The server side of HTTPS: TLS 1.2 or newer, forward-secret AEAD ciphers
/// only, a server-side session cache. The reactor drives each connection's
/// handshake and records without blocking.
class TlsContext {
public:
    /// Loads the certificate chain and key; throws std::runtime_error with
    /// OpenSSL's reason if either is unreadable or they do not match.
    TlsContext(const std::string& certFile, const std::string& keyFile);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    /// A new server-side SSL for an accepted socket, or null.
    SSL* accept(int fd) const;

private:
    SSL_CTX* _ctx = nullptr;
};

} // namespace clinic
