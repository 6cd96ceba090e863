// The store over an SQL connection: members' avatars (table `avatars`, one
// row per member), their bytes kept base64 since the SQL layer binds text.
#include "persistence/sql/sql_store_impl.hpp"

#include <array>

namespace h2h::detail {

namespace {

constexpr const char* alphabet
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16)
             | (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8)
             | std::uint32_t{static_cast<unsigned char>(in[i + 2])};
    for (int s = 18; s >= 0; s -= 6)
      out.push_back(alphabet[(n >> s) & 63]);
  }
  auto rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (rest == 2)
      n |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string decode(const std::string& in) {
  std::array<int, 256> value;
  value.fill(-1);
  for (int k = 0; k < 64; ++k)
    value[static_cast<unsigned char>(alphabet[k])] = k;
  if (in.size() % 4 != 0)
    throw store_error(store_failure::fatal, "an avatar's bytes are corrupt");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      auto c = static_cast<unsigned char>(in[i + k]);
      int v = 0;
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        ++pad;
      } else if (pad > 0 || (v = value[c]) < 0) {
        throw store_error(store_failure::fatal,
                          "an avatar's bytes are corrupt");
      }
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2)
      out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1)
      out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

} // namespace

bool sql_store::put_avatar(const avatar_record& a) {
  // One statement: the row goes in only while the member exists.
  auto n
    = conn_
        ->prepare("REPLACE INTO avatars"
                  " (member_id, hash, mime, bytes, created_ms)"
                  " SELECT id, ?, ?, ?, ? FROM members WHERE id = ?")
        .execute({a.hash, a.mime, encode(a.bytes), a.created_ms, a.member_id});
  return n > 0;
}

std::optional<avatar_record> sql_store::current_avatar(std::int64_t member_id) {
  auto r = conn_
             ->prepare("SELECT hash, mime, created_ms FROM avatars"
                       " WHERE member_id = ?")
             .query({member_id});
  if (!r->next())
    return std::nullopt;
  avatar_record a;
  a.member_id = member_id;
  a.hash = r->get_text(0);
  a.mime = r->get_text(1);
  a.created_ms = r->get_int(2);
  return a;
}

std::optional<avatar_record> sql_store::avatar(std::int64_t member_id,
                                               const std::string& hash) {
  auto r = conn_
             ->prepare("SELECT mime, bytes, created_ms FROM avatars"
                       " WHERE member_id = ? AND hash = ?")
             .query({member_id, hash});
  if (!r->next())
    return std::nullopt;
  avatar_record a;
  a.member_id = member_id;
  a.hash = hash;
  a.mime = r->get_text(0);
  a.bytes = decode(r->get_text(1));
  a.created_ms = r->get_int(2);
  return a;
}

bool sql_store::delete_avatar(std::int64_t member_id) {
  return conn_->prepare("DELETE FROM avatars WHERE member_id = ?")
           .execute({member_id})
         > 0;
}

} // namespace h2h::detail
