// The cluster port over TLS: the PEM files checked with libcrypto, CAF's
// OpenSSL module configured, the directory published through it.
#include "apps/h2hd/cluster_tls.hpp"

#include <cstdio>
#include <memory>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>

namespace h2h {

namespace {

struct file_closer {
  void operator()(std::FILE* f) const {
    std::fclose(f);
  }
};
struct x509_free {
  void operator()(X509* x) const {
    X509_free(x);
  }
};
struct key_free {
  void operator()(EVP_PKEY* k) const {
    EVP_PKEY_free(k);
  }
};
struct store_free {
  void operator()(X509_STORE* s) const {
    X509_STORE_free(s);
  }
};
struct store_ctx_free {
  void operator()(X509_STORE_CTX* c) const {
    X509_STORE_CTX_free(c);
  }
};

using file_ptr = std::unique_ptr<std::FILE, file_closer>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

/// OpenSSL's last error as text ("" when none), clearing the queue.
std::string ssl_error() {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return std::string{": "} + buf;
}

/// A password callback that refuses: an encrypted key fails to load
/// instead of prompting on a terminal.
int no_password(char*, int, int, void*) {
  return -1;
}

} // namespace

bool cluster_tls_enabled(const config::cluster_section& c) {
  return !c.tls_cert.empty() && !c.tls_key.empty() && !c.tls_ca.empty();
}

std::string check_cluster_tls_files(const config::cluster_section& c) {
  ERR_clear_error();
  file_ptr cert_file{std::fopen(c.tls_cert.c_str(), "r")};
  if (!cert_file)
    return "cluster.tls_cert: cannot read " + c.tls_cert;
  x509_ptr cert{PEM_read_X509(cert_file.get(), nullptr, no_password, nullptr)};
  if (!cert)
    return "cluster.tls_cert: " + c.tls_cert + " holds no PEM certificate"
           + ssl_error();
  file_ptr key_file{std::fopen(c.tls_key.c_str(), "r")};
  if (!key_file)
    return "cluster.tls_key: cannot read " + c.tls_key;
  std::unique_ptr<EVP_PKEY, key_free> key{
    PEM_read_PrivateKey(key_file.get(), nullptr, no_password, nullptr)};
  if (!key)
    return "cluster.tls_key: " + c.tls_key
           + " holds no unencrypted PEM private key" + ssl_error();
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return "cluster.tls_key: " + c.tls_key + " is not the key of " + c.tls_cert
           + ssl_error();
  std::unique_ptr<X509_STORE, store_free> store{X509_STORE_new()};
  if (!store
      || X509_STORE_load_locations(store.get(), c.tls_ca.c_str(), nullptr) != 1)
    return "cluster.tls_ca: " + c.tls_ca + " holds no PEM certificate"
           + ssl_error();
  std::unique_ptr<X509_STORE_CTX, store_ctx_free> ctx{X509_STORE_CTX_new()};
  if (!ctx
      || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1)
    return "cluster.tls_ca: cannot check " + c.tls_cert + ssl_error();
  if (X509_verify_cert(ctx.get()) != 1)
    return "cluster.tls_cert: " + c.tls_cert + " does not pass against "
           + c.tls_ca + ": "
           + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  ERR_clear_error();
  return "";
}

void load_cluster_tls(caf::actor_system_config& cfg,
                      const config::cluster_section& c) {
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = c.tls_cert;
  cfg.openssl_key = c.tls_key;
  cfg.openssl_cafile = c.tls_ca;
}

caf::expected<std::uint16_t> publish_cluster_tls(const directory_actor& dir,
                                                 std::uint16_t port,
                                                 const std::string& host) {
  return caf::openssl::publish(dir, port, host.c_str(), true);
}

caf::io::middleman_actor cluster_tls_connector(caf::actor_system& sys) {
  return sys.openssl_manager().actor_handle();
}

} // namespace h2h
