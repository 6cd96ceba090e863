// A store that forwards every call to another one; tests override the
// calls they want to break.
#pragma once

#include <memory>

#include "persistence/store.hpp"

namespace h2h::test {

struct forwarding_store : store {
  std::unique_ptr<store> inner;

  void migrate() override {
    inner->migrate();
  }
  std::vector<append_outcome>
  append(const std::vector<room_event>& batch) override {
    return inner->append(batch);
  }
  room_snapshot load_room(const std::string& room_id,
                          std::size_t recent) override {
    return inner->load_room(room_id, recent);
  }
  std::optional<room_snapshot> find_room(const std::string& room_id,
                                         std::size_t recent) override {
    return inner->find_room(room_id, recent);
  }
  bool room_exists(const std::string& room_id) override {
    return inner->room_exists(room_id);
  }
  std::vector<room_event> after(const std::string& room_id, std::uint64_t seq,
                                std::size_t limit) override {
    return inner->after(room_id, seq, limit);
  }
  std::vector<room_event> before(const std::string& room_id, std::uint64_t seq,
                                 std::size_t limit) override {
    return inner->before(room_id, seq, limit);
  }
  std::vector<room_event> page(const std::string& room_id, std::size_t page,
                               std::size_t size) override {
    return inner->page(room_id, page, size);
  }
  void ping() override {
    inner->ping();
  }
  std::optional<std::int64_t> create_member(const member_record& m) override {
    return inner->create_member(m);
  }
  std::optional<member_record> member_by_email(const std::string& e) override {
    return inner->member_by_email(e);
  }
  std::optional<member_record> member_by_id(std::int64_t id) override {
    return inner->member_by_id(id);
  }
  bool update_member(std::int64_t id, const std::optional<std::string>& name,
                     const std::optional<std::string>& nickname) override {
    return inner->update_member(id, name, nickname);
  }
  bool delete_member(std::int64_t id) override {
    return inner->delete_member(id);
  }
  void create_session(const session_record& s) override {
    inner->create_session(s);
  }
  bool session_active(const std::string& session_id,
                      std::int64_t member_id) override {
    return inner->session_active(session_id, member_id);
  }
  void revoke_session(const std::string& session_id) override {
    inner->revoke_session(session_id);
  }
  void put_refresh(const refresh_record& r) override {
    inner->put_refresh(r);
  }
  std::optional<refresh_record> refresh_by_hash(const std::string& h) override {
    return inner->refresh_by_hash(h);
  }
  bool use_refresh(const std::string& token_hash,
                   std::int64_t now_ms) override {
    return inner->use_refresh(token_hash, now_ms);
  }
  void put_code(const code_record& c) override {
    inner->put_code(c);
  }
  std::optional<code_record> code_for(const std::string& email) override {
    return inner->code_for(email);
  }
  bool count_code_attempt(const std::string& email,
                          const std::string& code_hash,
                          int max_attempts) override {
    return inner->count_code_attempt(email, code_hash, max_attempts);
  }
  void confirm_code(const std::string& email, const std::string& code_hash,
                    std::int64_t when_ms) override {
    inner->confirm_code(email, code_hash, when_ms);
  }
  void put_device(const device_record& d) override {
    inner->put_device(d);
  }
  bool delete_device(std::int64_t member_id,
                     const std::string& token) override {
    return inner->delete_device(member_id, token);
  }
  std::vector<device_record> devices_of(std::int64_t member_id) override {
    return inner->devices_of(member_id);
  }
  bool create_room(const room_record& r) override {
    return inner->create_room(r);
  }
  std::optional<room_record> room_by_id(const std::string& id,
                                        bool with_members) override {
    return inner->room_by_id(id, with_members);
  }
  std::vector<room_record> rooms_visible_to(std::int64_t member_id,
                                            std::size_t page,
                                            std::size_t size) override {
    return inner->rooms_visible_to(member_id, page, size);
  }
  bool delete_room(const std::string& id) override {
    return inner->delete_room(id);
  }
  bool add_room_member(const std::string& room_id,
                       std::int64_t member_id) override {
    return inner->add_room_member(room_id, member_id);
  }
  std::size_t
  add_room_members(const std::vector<std::string>& rooms,
                   const std::vector<std::int64_t>& members) override {
    return inner->add_room_members(rooms, members);
  }
  bool remove_room_member(const std::string& room_id,
                          std::int64_t member_id) override {
    return inner->remove_room_member(room_id, member_id);
  }
  bool is_room_member(const std::string& room_id,
                      std::int64_t member_id) override {
    return inner->is_room_member(room_id, member_id);
  }
  purge_counts purge_expired(const purge_cutoffs& c) override {
    return inner->purge_expired(c);
  }
  bool put_avatar(const avatar_record& a) override {
    return inner->put_avatar(a);
  }
  std::optional<avatar_record> current_avatar(std::int64_t member_id) override {
    return inner->current_avatar(member_id);
  }
  std::optional<avatar_record> avatar(std::int64_t member_id,
                                      const std::string& hash) override {
    return inner->avatar(member_id, hash);
  }
  bool delete_avatar(std::int64_t member_id) override {
    return inner->delete_avatar(member_id);
  }
  std::int64_t put_report(const report_record& r) override {
    return inner->put_report(r);
  }
  std::vector<report_record> reports(std::int64_t target_id,
                                     std::size_t limit) override {
    return inner->reports(target_id, limit);
  }
  std::vector<room_event> shared_messages(std::int64_t member,
                                          std::int64_t target,
                                          std::size_t limit,
                                          std::size_t rooms_max) override {
    return inner->shared_messages(member, target, limit, rooms_max);
  }
  std::uint64_t anonymize_sender(std::int64_t member_id,
                                 const std::string& name,
                                 std::size_t batch) override {
    return inner->anonymize_sender(member_id, name, batch);
  }
  block_outcome block(std::int64_t member, std::int64_t target,
                      std::int64_t when_ms, std::size_t max) override {
    return inner->block(member, target, when_ms, max);
  }
  bool unblock(std::int64_t member, std::int64_t target) override {
    return inner->unblock(member, target);
  }
  std::vector<std::int64_t> blocked_by(std::int64_t member) override {
    return inner->blocked_by(member);
  }
  std::vector<blocked_member> blocked_members(std::int64_t member,
                                              std::size_t limit) override {
    return inner->blocked_members(member, limit);
  }
  bool blocks(std::int64_t member, std::int64_t target) override {
    return inner->blocks(member, target);
  }
};

} // namespace h2h::test
