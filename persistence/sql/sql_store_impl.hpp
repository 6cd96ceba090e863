// The store over an SQL connection: the class shared by sql_store.cpp
// (history) and sql_accounts.cpp (accounts and rooms). Private header.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "persistence/sql/sql.hpp"
#include "persistence/store.hpp"

namespace h2h::detail {

inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

class sql_store final : public store {
public:
  explicit sql_store(std::unique_ptr<sql::connection> conn)
    : conn_(std::move(conn)) {
  }

  // -- appends (sql_append.cpp) -----------------------------------------------
  std::vector<append_outcome>
  append(const std::vector<room_event>& batch) override;

  // -- history (sql_store.cpp) ------------------------------------------------
  void migrate() override;
  room_snapshot load_room(const std::string& room_id,
                          std::size_t recent) override;
  std::optional<room_snapshot> find_room(const std::string& room_id,
                                         std::size_t recent) override;
  bool room_exists(const std::string& room_id) override;
  std::vector<room_event> after(const std::string& room_id, std::uint64_t seq,
                                std::size_t limit) override;
  std::vector<room_event> before(const std::string& room_id, std::uint64_t seq,
                                 std::size_t limit) override;
  std::vector<room_event> page(const std::string& room_id, std::size_t page,
                               std::size_t size) override;
  void ping() override;

  // -- accounts and rooms (sql_accounts.cpp)
  // ------------------------------------
  std::optional<std::int64_t> create_member(const member_record& m) override;
  std::optional<member_record> member_by_email(const std::string& e) override;
  std::optional<member_record> member_by_id(std::int64_t id) override;
  bool update_member(std::int64_t id, const std::optional<std::string>& name,
                     const std::optional<std::string>& nickname) override;
  bool delete_member(std::int64_t id) override;
  void create_session(const session_record& s) override;
  bool session_active(const std::string& session_id,
                      std::int64_t member_id) override;
  void revoke_session(const std::string& session_id) override;
  void put_refresh(const refresh_record& r) override;
  std::optional<refresh_record> refresh_by_hash(const std::string& h) override;
  bool use_refresh(const std::string& token_hash, std::int64_t now_ms) override;
  void put_code(const code_record& c) override;
  std::optional<code_record> code_for(const std::string& email) override;
  bool count_code_attempt(const std::string& email,
                          const std::string& code_hash,
                          int max_attempts) override;
  void confirm_code(const std::string& email, const std::string& code_hash,
                    std::int64_t when_ms) override;
  void put_device(const device_record& d) override;
  bool delete_device(std::int64_t member_id, const std::string& token) override;
  std::vector<device_record> devices_of(std::int64_t member_id) override;
  bool create_room(const room_record& r) override;
  std::optional<room_record> room_by_id(const std::string& id,
                                        bool with_members) override;
  std::vector<room_record> rooms_visible_to(std::int64_t member_id,
                                            std::size_t page,
                                            std::size_t size) override;
  bool delete_room(const std::string& id) override;
  bool add_room_member(const std::string& room_id,
                       std::int64_t member_id) override;
  std::size_t
  add_room_members(const std::vector<std::string>& rooms,
                   const std::vector<std::int64_t>& members) override;
  bool remove_room_member(const std::string& room_id,
                          std::int64_t member_id) override;
  bool is_room_member(const std::string& room_id,
                      std::int64_t member_id) override;
  purge_counts purge_expired(const purge_cutoffs& c) override;
  bool put_avatar(const avatar_record& a) override;
  std::optional<avatar_record> current_avatar(std::int64_t member_id) override;
  std::optional<avatar_record> avatar(std::int64_t member_id,
                                      const std::string& hash) override;
  bool delete_avatar(std::int64_t member_id) override;

  // -- reports and deleted members' history (sql_reports.cpp) -----------------
  std::int64_t put_report(const report_record& r) override;
  std::vector<report_record> reports(std::int64_t target_id,
                                     std::size_t limit) override;
  std::vector<room_event> shared_messages(std::int64_t member,
                                          std::int64_t target,
                                          std::size_t limit,
                                          std::size_t rooms_max) override;
  std::uint64_t anonymize_sender(std::int64_t member_id,
                                 const std::string& name,
                                 std::size_t batch) override;
  // -- blocks (sql_blocks.cpp) ------------------------------------------------
  block_outcome block(std::int64_t member, std::int64_t target,
                      std::int64_t when_ms, std::size_t max) override;
  bool unblock(std::int64_t member, std::int64_t target) override;
  std::vector<std::int64_t> blocked_by(std::int64_t member) override;
  std::vector<blocked_member> blocked_members(std::int64_t member,
                                              std::size_t limit) override;
  bool blocks(std::int64_t member, std::int64_t target) override;

private:
  bool mysql() const {
    return conn_->dialect() == sql::dialect::mysql;
  }
  std::string insert_ignore() const {
    return mysql() ? "INSERT IGNORE" : "INSERT OR IGNORE";
  }
  // Appends (sql_append.cpp): `rows` are indices into the batch.
  void append_isolating(const std::vector<room_event>& batch, std::size_t first,
                        std::size_t last, std::vector<append_outcome>& out);
  void append_range(const std::vector<room_event>& batch, std::size_t first,
                    std::size_t last, std::vector<append_outcome>& out);
  std::unordered_set<std::string>
  deleted_rooms(const std::vector<room_event>& batch, std::size_t first,
                std::size_t last);
  std::size_t insert_chunked(const std::vector<room_event>& batch,
                             const std::vector<std::size_t>& rows);
  std::string insert_sql(std::size_t rows) const;
  void explain_skipped(const std::vector<room_event>& batch,
                       const std::vector<std::size_t>& rows,
                       std::vector<append_outcome>& out);
  std::vector<std::int64_t> room_members(const std::string& room_id);
  /// Runs `f` in one transaction.
  template <class F>
  auto in_transaction(F f) -> decltype(f()) {
    conn_->begin();
    try {
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        conn_->commit();
      } else {
        auto result = f();
        conn_->commit();
        return result;
      }
    } catch (...) {
      conn_->rollback();
      throw;
    }
  }

  std::unique_ptr<sql::connection> conn_;
};

} // namespace h2h::detail
