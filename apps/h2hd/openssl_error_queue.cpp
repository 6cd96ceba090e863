// SSL_read and SSL_write as h2hd sees them: OpenSSL's own, with the
// calling thread's error queue emptied first, as OpenSSL asks of every
// caller ("the current thread's error queue must be empty before the TLS/
// SSL I/O operation is attempted, or SSL_get_error() will not work
// reliably", SSL_get_error(3)).
//
// Why h2hd needs this: CAF 0.17.6's OpenSSL module (the cluster port over
// TLS) never empties the queue. Each of its connections runs on the
// middleman's one I/O thread, so the error one connection leaves behind
// (a peer that closed without close_notify: "unexpected eof while reading";
// a failed handshake) makes SSL_get_error report SSL_ERROR_SSL for the
// next connection's ordinary "would block", and CAF closes that healthy
// connection too. Measured: two TLS nodes lost their connection within
// 1 ms of every redundant connect CAF closes, every 2 s, for as long as
// they ran; with the queue emptied they stayed connected. Anybody who
// could reach the cluster port could have cut every connection of a node
// with one failed handshake.
//
// The definitions below take the place of libssl's for the whole process
// (h2hd exports them: apps/CMakeLists.txt), so libcurl's calls get the
// same treatment, which is what its own code does before each call
// anyway; each forwards to libssl's definition.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class F>
F libssl_function(const char* name) {
  auto* f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (f == nullptr) {
    std::fprintf(stderr, "h2hd: cannot find libssl's %s: %s\n", name,
                 dlerror());
    std::abort();
  }
  return f;
}

} // namespace

extern "C" int SSL_read(SSL* ssl, void* buf, int num) {
  using fn = int (*)(SSL*, void*, int);
  static const fn real = libssl_function<fn>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

extern "C" int SSL_write(SSL* ssl, const void* buf, int num) {
  using fn = int (*)(SSL*, const void*, int);
  static const fn real = libssl_function<fn>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}
