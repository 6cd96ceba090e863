// Versioned schema migrations, applied at start-up and recorded in
// schema_migrations. Never edit a released migration: add a new one.
#include "persistence/sql/migrations.hpp"

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace h2h::sql {

namespace {

struct migration {
  int version;
  std::vector<std::string> sqlite;
  std::vector<std::string> mysql;
};

const std::vector<migration>& all() {
  static const std::vector<migration> list{
    {1,
     {
       "CREATE TABLE rooms ("
       " id TEXT PRIMARY KEY,"
       " name TEXT NOT NULL,"
       " owner_id INTEGER,"
       " is_private INTEGER NOT NULL DEFAULT 0,"
       " created_ms INTEGER NOT NULL)",
       "CREATE TABLE room_members ("
       " room_id TEXT NOT NULL,"
       " member_id INTEGER NOT NULL,"
       " joined_ms INTEGER NOT NULL,"
       " PRIMARY KEY (room_id, member_id)) WITHOUT ROWID",
       "CREATE INDEX room_members_by_member ON room_members (member_id)",
       // (room_id, seq) is the clustered key: "latest N before S" and
       // "everything after S" are range scans of it.
       "CREATE TABLE messages ("
       " room_id TEXT NOT NULL,"
       " seq INTEGER NOT NULL,"
       " kind INTEGER NOT NULL,"
       " sender TEXT NOT NULL,"
       " sender_id INTEGER NOT NULL,"
       " body TEXT NOT NULL,"
       " ts_ms INTEGER NOT NULL,"
       " client_msg_id TEXT,"
       " PRIMARY KEY (room_id, seq)) WITHOUT ROWID",
       "CREATE UNIQUE INDEX messages_client_id"
       " ON messages (room_id, sender, client_msg_id)",
     },
     {
       "CREATE TABLE rooms ("
       " id VARCHAR(64) NOT NULL PRIMARY KEY,"
       " name VARCHAR(255) NOT NULL,"
       " owner_id BIGINT NULL,"
       " is_private TINYINT NOT NULL DEFAULT 0,"
       " created_ms BIGINT NOT NULL"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       "CREATE TABLE room_members ("
       " room_id VARCHAR(64) NOT NULL,"
       " member_id BIGINT NOT NULL,"
       " joined_ms BIGINT NOT NULL,"
       " PRIMARY KEY (room_id, member_id),"
       " KEY room_members_by_member (member_id)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       "CREATE TABLE messages ("
       " room_id VARCHAR(64) NOT NULL,"
       " seq BIGINT UNSIGNED NOT NULL,"
       " kind TINYINT NOT NULL,"
       " sender VARCHAR(64) NOT NULL,"
       " sender_id BIGINT NOT NULL,"
       " body TEXT NOT NULL,"
       " ts_ms BIGINT NOT NULL,"
       " client_msg_id VARCHAR(64) NULL,"
       " PRIMARY KEY (room_id, seq),"
       " UNIQUE KEY messages_client_id (room_id, sender, client_msg_id)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
     }},
    {2,
     {
       "CREATE TABLE members ("
       " id INTEGER PRIMARY KEY AUTOINCREMENT,"
       " email TEXT NOT NULL UNIQUE,"
       " name TEXT NOT NULL,"
       " nickname TEXT NOT NULL,"
       " password_hash TEXT NOT NULL,"
       " avatar_url TEXT NOT NULL DEFAULT '',"
       " created_ms INTEGER NOT NULL)",
       "CREATE TABLE sessions ("
       " id TEXT PRIMARY KEY,"
       " member_id INTEGER NOT NULL,"
       " created_ms INTEGER NOT NULL,"
       " revoked INTEGER NOT NULL DEFAULT 0)",
       "CREATE INDEX sessions_by_member ON sessions (member_id)",
       "CREATE TABLE refresh_tokens ("
       " token_hash TEXT PRIMARY KEY,"
       " member_id INTEGER NOT NULL,"
       " session_id TEXT NOT NULL,"
       " expires_ms INTEGER NOT NULL,"
       " used INTEGER NOT NULL DEFAULT 0)",
       "CREATE INDEX refresh_by_session ON refresh_tokens (session_id)",
       "CREATE TABLE verification_codes ("
       " email TEXT PRIMARY KEY,"
       " code_hash TEXT NOT NULL,"
       " expires_ms INTEGER NOT NULL,"
       " attempts INTEGER NOT NULL DEFAULT 0,"
       " confirmed_ms INTEGER NOT NULL DEFAULT 0)",
       "CREATE TABLE devices ("
       " token TEXT PRIMARY KEY,"
       " member_id INTEGER NOT NULL,"
       " platform TEXT NOT NULL,"
       " created_ms INTEGER NOT NULL)",
       "CREATE INDEX devices_by_member ON devices (member_id)",
     },
     {
       "CREATE TABLE members ("
       " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
       " email VARCHAR(255) NOT NULL,"
       " name VARCHAR(255) NOT NULL,"
       " nickname VARCHAR(255) NOT NULL,"
       " password_hash VARCHAR(255) NOT NULL,"
       " avatar_url VARCHAR(1024) NOT NULL DEFAULT '',"
       " created_ms BIGINT NOT NULL,"
       " UNIQUE KEY members_email (email)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       "CREATE TABLE sessions ("
       " id VARCHAR(64) NOT NULL PRIMARY KEY,"
       " member_id BIGINT NOT NULL,"
       " created_ms BIGINT NOT NULL,"
       " revoked TINYINT NOT NULL DEFAULT 0,"
       " KEY sessions_by_member (member_id)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       "CREATE TABLE refresh_tokens ("
       " token_hash VARCHAR(128) NOT NULL PRIMARY KEY,"
       " member_id BIGINT NOT NULL,"
       " session_id VARCHAR(64) NOT NULL,"
       " expires_ms BIGINT NOT NULL,"
       " used TINYINT NOT NULL DEFAULT 0,"
       " KEY refresh_by_session (session_id)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       "CREATE TABLE verification_codes ("
       " email VARCHAR(255) NOT NULL PRIMARY KEY,"
       " code_hash VARCHAR(128) NOT NULL,"
       " expires_ms BIGINT NOT NULL,"
       " attempts INT NOT NULL DEFAULT 0,"
       " confirmed_ms BIGINT NOT NULL DEFAULT 0"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       "CREATE TABLE devices ("
       " token VARCHAR(512) NOT NULL PRIMARY KEY,"
       " member_id BIGINT NOT NULL,"
       " platform VARCHAR(32) NOT NULL,"
       " created_ms BIGINT NOT NULL,"
       " KEY devices_by_member (member_id)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
     }},
    // 3: a clientMsgId belongs to the member id, the name counts only
    // without one (trusted mode): display names are not unique. sender_key
    // is the name when sender_id = 0, else ''. Rows stored before whose
    // (member, clientMsgId) repeats (a member renamed itself) keep their id
    // under the key 'dup:<seq>'; the oldest keeps the plain key. Deleted
    // rooms keep their row as a tombstone (deleted_ms). SQLite checks the
    // lengths MySQL's columns enforce, so that both refuse the same events.
    {3,
     {
       "ALTER TABLE messages ADD COLUMN sender_key TEXT NOT NULL DEFAULT ''",
       "UPDATE messages SET sender_key = sender WHERE sender_id = 0",
       "CREATE INDEX messages_v3_repeats"
       " ON messages (room_id, sender_id, client_msg_id, seq)",
       "UPDATE messages SET sender_key = 'dup:' || seq"
       " WHERE sender_id <> 0 AND client_msg_id IS NOT NULL AND EXISTS"
       " (SELECT 1 FROM messages o WHERE o.room_id = messages.room_id"
       " AND o.sender_id = messages.sender_id"
       " AND o.client_msg_id = messages.client_msg_id"
       " AND o.seq < messages.seq)",
       "DROP INDEX messages_v3_repeats",
       "DROP INDEX messages_client_id",
       "CREATE UNIQUE INDEX messages_client_key"
       " ON messages (room_id, sender_id, sender_key, client_msg_id)",
       "ALTER TABLE rooms ADD COLUMN deleted_ms INTEGER",
       "CREATE TRIGGER messages_fit BEFORE INSERT ON messages"
       " WHEN length(NEW.room_id) > 64 OR length(NEW.sender) > 64"
       " OR length(NEW.sender_key) > 64 OR length(NEW.client_msg_id) > 64"
       " OR length(CAST(NEW.body AS BLOB)) > 65535"
       " BEGIN SELECT RAISE(ABORT, 'a value is too long for its column'); END",
     },
     {
       "ALTER TABLE messages"
       " ADD COLUMN sender_key VARCHAR(64) NOT NULL DEFAULT '' AFTER sender_id",
       "UPDATE messages SET sender_key = sender WHERE sender_id = 0",
       // The derived table is materialized (GROUP BY), so MySQL lets the
       // UPDATE read the table it changes.
       "UPDATE messages m JOIN"
       " (SELECT room_id, sender_id, client_msg_id, MIN(seq) AS first_seq"
       " FROM messages WHERE sender_id <> 0 AND client_msg_id IS NOT NULL"
       " GROUP BY room_id, sender_id, client_msg_id HAVING COUNT(*) > 1) d"
       " ON m.room_id = d.room_id AND m.sender_id = d.sender_id"
       " AND m.client_msg_id = d.client_msg_id"
       " SET m.sender_key = CONCAT('dup:', m.seq) WHERE m.seq > d.first_seq",
       "ALTER TABLE messages DROP INDEX messages_client_id,"
       " ADD UNIQUE KEY messages_client_key"
       " (room_id, sender_id, sender_key, client_msg_id)",
       "ALTER TABLE rooms ADD COLUMN deleted_ms BIGINT NULL",
     }},
    // 4: the store checks the column lengths itself before it inserts
    // (sql_append.cpp); SQLite's trigger for them copied every new row
    // once more and made an insert ~65% dearer.
    {4, {"DROP TRIGGER IF EXISTS messages_fit"}, {}},
    // 5: avatars, one row per member (the current one), in the database so
    // that any node of a cluster serves them. The bytes are stored base64
    // (sql_avatars.cpp): the SQL layer binds text only.
    {5,
     {
       "CREATE TABLE avatars ("
       " member_id INTEGER PRIMARY KEY,"
       " hash TEXT NOT NULL,"
       " mime TEXT NOT NULL,"
       " bytes TEXT NOT NULL,"
       " created_ms INTEGER NOT NULL)",
     },
     {
       "CREATE TABLE avatars ("
       " member_id BIGINT NOT NULL PRIMARY KEY,"
       " hash CHAR(64) NOT NULL,"
       " mime VARCHAR(32) NOT NULL,"
       " bytes MEDIUMTEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
       " created_ms BIGINT NOT NULL"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
     }},
    // 6: blocks (member_id blocks target_id). The key serves "whom does a
    // member block" (sessions, history, the list route); the index serves
    // the deletion of a member, who may be the target of many blocks.
    {6,
     {
       "CREATE TABLE blocks ("
       " member_id INTEGER NOT NULL,"
       " target_id INTEGER NOT NULL,"
       " created_ms INTEGER NOT NULL,"
       " PRIMARY KEY (member_id, target_id)) WITHOUT ROWID",
       "CREATE INDEX blocks_by_target ON blocks (target_id)",
     },
     {
       "CREATE TABLE blocks ("
       " member_id BIGINT NOT NULL,"
       " target_id BIGINT NOT NULL,"
       " created_ms BIGINT NOT NULL,"
       " PRIMARY KEY (member_id, target_id),"
       " KEY blocks_by_target (target_id)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
     }},
    // 7: members' reports of other members, with the context copied at
    // report time (a JSON array the REST layer made); purged by age. And
    // when a refresh token was used: a client that rotates twice at once
    // with one token is forgiven for a moment (auth_routes.cpp).
    {7,
     {
       "CREATE TABLE reports ("
       " id INTEGER PRIMARY KEY AUTOINCREMENT,"
       " reporter_id INTEGER NOT NULL,"
       " target_id INTEGER NOT NULL,"
       " reason TEXT NOT NULL,"
       " context TEXT NOT NULL,"
       " created_ms INTEGER NOT NULL)",
       "CREATE INDEX reports_by_target ON reports (target_id, id)",
       "CREATE INDEX reports_by_time ON reports (created_ms)",
       "ALTER TABLE refresh_tokens"
       " ADD COLUMN used_ms INTEGER NOT NULL DEFAULT 0",
     },
     {
       "CREATE TABLE reports ("
       " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
       " reporter_id BIGINT NOT NULL,"
       " target_id BIGINT NOT NULL,"
       " reason VARCHAR(500) NOT NULL,"
       " context MEDIUMTEXT NOT NULL,"
       " created_ms BIGINT NOT NULL,"
       " KEY reports_by_target (target_id, id),"
       " KEY reports_by_time (created_ms)"
       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       "ALTER TABLE refresh_tokens ADD COLUMN used_ms BIGINT NOT NULL DEFAULT "
       "0",
     }},
  };
  return list;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

int current_version(connection& conn) {
  auto r = conn.prepare("SELECT MAX(version) FROM schema_migrations").query({});
  if (r->next() && !r->is_null(0))
    return static_cast<int>(r->get_int(0));
  return 0;
}

/// The versions applied: a version missing below the newest one (two
/// branches numbered their migrations apart) is applied still.
std::set<int> applied_versions(connection& conn) {
  std::set<int> out;
  auto r = conn.prepare("SELECT version FROM schema_migrations").query({});
  while (r->next())
    out.insert(static_cast<int>(r->get_int(0)));
  return out;
}

} // namespace

int schema_version() {
  return all().back().version;
}

int migrate(connection& conn) {
  return migrate(conn, schema_version());
}

int migrate(connection& conn, int target) {
  bool mysql = conn.dialect() == dialect::mysql;
  conn.exec(mysql ? "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INT NOT NULL PRIMARY KEY,"
                    " applied_ms BIGINT NOT NULL) ENGINE=InnoDB"
                  : "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY,"
                    " applied_ms INTEGER NOT NULL)");
  // Several nodes may start at once: one migrates, the others wait.
  if (mysql) {
    auto r = conn.prepare("SELECT GET_LOCK('h2h_migrate', 60)").query({});
    if (!r->next() || r->is_null(0) || r->get_int(0) != 1)
      throw store_error(store_failure::unavailable,
                        "could not take the migration lock");
  }
  int ran = 0;
  try {
    auto have = applied_versions(conn);
    for (auto& m : all()) {
      if (have.count(m.version) > 0 || m.version > target)
        continue;
      conn.begin();
      for (auto& stmt : mysql ? m.mysql : m.sqlite)
        conn.exec(stmt);
      conn
        .prepare("INSERT INTO schema_migrations (version, applied_ms)"
                 " VALUES (?, ?)")
        .execute({std::int64_t{m.version}, now_ms()});
      conn.commit();
      ++ran;
    }
    if (current_version(conn) > schema_version())
      throw store_error(store_failure::fatal,
                        "the database schema is newer than this build");
  } catch (...) {
    conn.rollback();
    if (mysql)
      conn.exec("DO RELEASE_LOCK('h2h_migrate')");
    throw;
  }
  if (mysql)
    conn.exec("DO RELEASE_LOCK('h2h_migrate')");
  return ran;
}

} // namespace h2h::sql
