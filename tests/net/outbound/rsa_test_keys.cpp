// Test RSA key pairs, RS256 verification and service-account JSON.
#include "rsa_test_keys.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace h2h::test {

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  auto len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

} // namespace

rsa_pair make_rsa_pair() {
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key{EVP_RSA_gen(2048),
                                                     EVP_PKEY_free};
  if (!key)
    throw std::runtime_error("EVP_RSA_gen failed");
  rsa_pair out;
  std::unique_ptr<BIO, int (*)(BIO*)> priv{BIO_new(BIO_s_mem()), BIO_free};
  PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr,
                           nullptr);
  out.private_pem = bio_text(priv.get());
  std::unique_ptr<BIO, int (*)(BIO*)> pub{BIO_new(BIO_s_mem()), BIO_free};
  PEM_write_bio_PUBKEY(pub.get(), key.get());
  out.public_pem = bio_text(pub.get());
  return out;
}

bool rs256_verifies(const std::string& public_pem, std::string_view data,
                    std::string_view sig) {
  std::unique_ptr<BIO, int (*)(BIO*)> bio{
    BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())),
    BIO_free};
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key{
    PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free};
  if (!key)
    return false;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx{EVP_MD_CTX_new(),
                                                         EVP_MD_CTX_free};
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get())
      != 1)
    return false;
  return EVP_DigestVerify(
           ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
           sig.size(), reinterpret_cast<const unsigned char*>(data.data()),
           data.size())
         == 1;
}

std::string service_account_json(const std::string& email,
                                 const std::string& private_pem,
                                 const std::string& token_uri,
                                 const std::string& project_id) {
  return nlohmann::json{
    {"type", "service_account"}, {"project_id", project_id},
    {"private_key_id", "k1"},    {"private_key", private_pem},
    {"client_email", email},     {"token_uri", token_uri}}
    .dump(2);
}

} // namespace h2h::test
