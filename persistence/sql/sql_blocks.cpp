// The store over an SQL connection: blocks (table `blocks`, one row per
// member and member they block), bounded per member.
#include "persistence/sql/sql_store_impl.hpp"

namespace h2h::detail {

block_outcome sql_store::block(std::int64_t member, std::int64_t target,
                               std::int64_t when_ms, std::size_t max) {
  return in_transaction([&] {
    if (!conn_->prepare("SELECT 1 FROM members WHERE id = ?")
           .query({target})
           ->next())
      return block_outcome::no_target;
    if (blocks(member, target))
      return block_outcome::already;
    auto r = conn_->prepare("SELECT COUNT(*) FROM blocks WHERE member_id = ?")
               .query({member});
    auto count = r->next() ? r->get_int(0) : 0;
    r.reset();
    if (count >= static_cast<std::int64_t>(max))
      return block_outcome::full;
    // A parallel block of the same pair may have gone in meanwhile.
    auto n = conn_
               ->prepare(insert_ignore()
                         + " INTO blocks (member_id, target_id, created_ms)"
                           " VALUES (?, ?, ?)")
               .execute({member, target, when_ms});
    return n > 0 ? block_outcome::blocked : block_outcome::already;
  });
}

bool sql_store::unblock(std::int64_t member, std::int64_t target) {
  return conn_
           ->prepare("DELETE FROM blocks WHERE member_id = ? AND target_id = ?")
           .execute({member, target})
         > 0;
}

std::vector<std::int64_t> sql_store::blocked_by(std::int64_t member) {
  auto r = conn_
             ->prepare("SELECT target_id FROM blocks WHERE member_id = ?"
                       " ORDER BY target_id")
             .query({member});
  std::vector<std::int64_t> out;
  while (r->next())
    out.push_back(r->get_int(0));
  return out;
}

std::vector<blocked_member> sql_store::blocked_members(std::int64_t member,
                                                       std::size_t limit) {
  auto r = conn_
             ->prepare("SELECT m.id, m.email, m.name, m.nickname,"
                       " COALESCE(m.avatar_url, ''), a.hash, a.mime,"
                       " a.created_ms"
                       " FROM blocks b JOIN members m ON m.id = b.target_id"
                       " LEFT JOIN avatars a ON a.member_id = m.id"
                       " WHERE b.member_id = ?"
                       " ORDER BY b.created_ms, b.target_id LIMIT ?")
             .query({member, static_cast<std::int64_t>(limit)});
  std::vector<blocked_member> out;
  while (r->next()) {
    blocked_member b;
    b.member.id = r->get_int(0);
    b.member.email = r->get_text(1);
    b.member.name = r->get_text(2);
    b.member.nickname = r->get_text(3);
    b.member.avatar_url = r->get_text(4);
    if (!r->is_null(5)) {
      avatar_record a;
      a.member_id = b.member.id;
      a.hash = r->get_text(5);
      a.mime = r->get_text(6);
      a.created_ms = r->get_int(7);
      b.avatar = std::move(a);
    }
    out.push_back(std::move(b));
  }
  return out;
}

bool sql_store::blocks(std::int64_t member, std::int64_t target) {
  return conn_
    ->prepare("SELECT 1 FROM blocks WHERE member_id = ? AND target_id = ?")
    .query({member, target})
    ->next();
}

} // namespace h2h::detail
