#include "http/Connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace clinic {

Connection::Connection(std::uint64_t id, int fd, SSL* ssl, std::string client)
    : id(id)
    , fd(fd)
    , client(std::move(client))
    , ssl(ssl)
{
}

Connection::~Connection()
{
    if (ssl)
        SSL_free(ssl);
    ::close(fd);
}

Connection::Io Connection::tlsResult(int rc, bool& wantRead, bool& wantWrite)
{
    wantRead = wantWrite = false;
    switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        wantRead = true;
        return Io::WouldBlock;
    case SSL_ERROR_WANT_WRITE:
        wantWrite = true;
        return Io::WouldBlock;
    case SSL_ERROR_ZERO_RETURN:
        return Io::Eof;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        return rc == 0 ? Io::Eof : Io::Error;
    default:
        ERR_clear_error();
        return Io::Error;
    }
}

Connection::Io Connection::handshake()
{
    if (!ssl)
        return Io::Done;
    const int rc = SSL_do_handshake(ssl);
    if (rc == 1) {
        tlsWantsRead = tlsWantsWrite = false;
        return Io::Done;
    }
    return tlsResult(rc, tlsWantsRead, tlsWantsWrite);
}

Connection::Io Connection::read(std::string& buffer, std::size_t maxBytes)
{
    char chunk[16384];
    const std::size_t want = std::min(maxBytes, sizeof chunk);
    if (ssl) {
        const int rc = SSL_read(ssl, chunk, static_cast<int>(want));
        if (rc > 0) {
            tlsWantsRead = tlsWantsWrite = false;
            buffer.append(chunk, static_cast<std::size_t>(rc));
            return Io::Done;
        }
        return tlsResult(rc, tlsWantsRead, tlsWantsWrite);
    }
    for (;;) {
        const ssize_t n = ::recv(fd, chunk, want, 0);
        if (n > 0) {
            buffer.append(chunk, static_cast<std::size_t>(n));
            return Io::Done;
        }
        if (n == 0)
            return Io::Eof;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? Io::WouldBlock : Io::Error;
    }
}

Connection::Io Connection::flush()
{
    while (_outSent < _out.size()) {
        const std::size_t left = _out.size() - _outSent;
        if (ssl) {
            const int rc = SSL_write(
                ssl, _out.data() + _outSent, static_cast<int>(std::min<std::size_t>(left, 1 << 20)));
            if (rc <= 0)
                return tlsResult(rc, tlsWantsRead, tlsWantsWrite);
            tlsWantsRead = tlsWantsWrite = false;
            _outSent += static_cast<std::size_t>(rc);
            continue;
        }
        const ssize_t n = ::send(fd, _out.data() + _outSent, left, MSG_NOSIGNAL);
        if (n >= 0) {
            _outSent += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? Io::WouldBlock : Io::Error;
    }
    _out.clear();
    _outSent = 0;
    return Io::Done;
}

void Connection::shutdownWrite()
{
    if (ssl) {
        // Best effort: a close_notify that does not fit now is not waited for.
        SSL_shutdown(ssl);
        ERR_clear_error();
    }
    ::shutdown(fd, SHUT_WR);
}

long Connection::discard()
{
    char chunk[16384];
    for (;;) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n > 0)
            return static_cast<long>(n);
        if (n == 0)
            return -1;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

} // namespace clinic
