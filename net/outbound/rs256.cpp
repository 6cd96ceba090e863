// RS256 signatures for the OAuth2 service-account assertion (OpenSSL).
#include "net/outbound/rs256.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>

namespace h2h::net {

namespace {

using pkey_ptr = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;

std::string openssl_error() {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

pkey_ptr read_key(const std::string& pem, std::string& why) {
  pkey_ptr none{nullptr, EVP_PKEY_free};
  std::unique_ptr<BIO, int (*)(BIO*)> bio{
    BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free};
  if (!bio) {
    why = "out of memory";
    return none;
  }
  // No password callback: a key that asks for one is not usable here.
  auto* key = PEM_read_bio_PrivateKey(
    bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  if (key == nullptr) {
    why = "not a PEM private key (" + openssl_error() + ")";
    return none;
  }
  pkey_ptr out{key, EVP_PKEY_free};
  if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    why = "not an RSA key (RS256 needs one)";
    return none;
  }
  return out;
}

} // namespace

std::optional<std::string> rsa_private_key_problem(const std::string& pem) {
  std::string why;
  if (read_key(pem, why))
    return std::nullopt;
  return why;
}

std::string rs256_sign(const std::string& pem, std::string_view data) {
  std::string why;
  auto key = read_key(pem, why);
  if (!key)
    throw std::runtime_error("private key: " + why);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx{EVP_MD_CTX_new(),
                                                         EVP_MD_CTX_free};
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                            key.get())
           != 1)
    throw std::runtime_error("RS256: " + openssl_error());
  std::size_t len = 0;
  auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1)
    throw std::runtime_error("RS256: " + openssl_error());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len, in, data.size())
      != 1)
    throw std::runtime_error("RS256: " + openssl_error());
  sig.resize(len);
  return sig;
}

} // namespace h2h::net
