#include "http/TlsContext.h"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace clinic {

namespace {

const char* const kCiphers = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!MD5:!RC4:!3DES";

std::string openSslReason()
{
    unsigned long code = ERR_get_error();
    std::string text
        = code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "unknown" : "unknown";
    ERR_clear_error();
    return text;
}

} // namespace

TlsContext::TlsContext(const std::string& certFile, const std::string& keyFile)
{
    _ctx = SSL_CTX_new(TLS_server_method());
    if (!_ctx)
        throw std::runtime_error("cannot set up TLS: " + openSslReason());
    SSL_CTX_set_min_proto_version(_ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(
        _ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_dh_auto(_ctx, 1);
    static const unsigned char sessionContext[] = "clinicd";
    SSL_CTX_set_session_id_context(_ctx, sessionContext, sizeof sessionContext - 1);
    SSL_CTX_set_session_cache_mode(_ctx, SSL_SESS_CACHE_SERVER);
    if (SSL_CTX_set_cipher_list(_ctx, kCiphers) != 1) {
        SSL_CTX_free(_ctx);
        throw std::runtime_error("cannot set up TLS ciphers: " + openSslReason());
    }
    if (SSL_CTX_use_certificate_chain_file(_ctx, certFile.c_str()) != 1) {
        const std::string reason = openSslReason();
        SSL_CTX_free(_ctx);
        throw std::runtime_error("cannot load the TLS certificate " + certFile + ": " + reason);
    }
    if (SSL_CTX_use_PrivateKey_file(_ctx, keyFile.c_str(), SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(_ctx) != 1) {
        const std::string reason = openSslReason();
        SSL_CTX_free(_ctx);
        throw std::runtime_error("cannot load the TLS key " + keyFile + ": " + reason);
    }
}

TlsContext::~TlsContext()
{
    SSL_CTX_free(_ctx);
}

SSL* TlsContext::accept(int fd) const
{
    SSL* ssl = SSL_new(_ctx);
    if (!ssl)
        return nullptr;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return nullptr;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

} // namespace clinic
