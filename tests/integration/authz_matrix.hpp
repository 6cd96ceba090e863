// The authorization matrix (issue 18): one real h2hd with four members, two
// rooms and the six kinds of credential every protected route and
// real-time action is tried with. The tables of expected refusals are in
// authz_matrix_rest_test.cpp and authz_matrix_live_test.cpp; this is the
// world they run in (docs/security.md, "Authorization matrix").
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accounts.hpp"
#include "process.hpp"
#include "raw_conn.hpp"
#include "ws_client.hpp"

namespace h2h::test::authz {

using json = nlohmann::json;

/// The credentials of the matrix's columns.
enum class cred {
  none,       ///< no token at all
  expired,    ///< alice's session, signed with the server's key, `exp` past
  tampered,   ///< alice's token with `sub` changed to bob, signature kept
  other,      ///< bob's valid token, acting on alice's resources
  non_member, ///< carol's valid token, on alice's private room
  logged_out, ///< a token of alice's second login session, after its logout
};

const std::vector<cred>& all_creds();
std::string name_of(cred k);

/// What a refused cell must answer: "400 GLOBAL_103" for HTTP, "ERROR
/// CHAT_002, open" for a WebSocket, and so on (each table says its form).
using cells = std::map<cred, std::string>;

/// The documented refusal of a protected route for the token kinds that
/// every route treats alike (DESIGN.md §3.1, docs/api.md).
cells token_cells();

/// The text every refused attempt carries in its message or name: no
/// message with it may ever be stored or delivered.
constexpr const char* marker = "forbidden";

/// Alice's world: members, rooms and one h2hd, started once per suite.
struct world {
  temp_dir dir;
  std::unique_ptr<server_process> srv;
  member alice, bob, carol, eve;
  /// Alice's second login session, logged out before any cell runs.
  member alice_gone;
  /// Alice's private room (members alice, bob) and public room.
  std::string priv, pub;
  /// The device token alice registered.
  std::string device = "dev-alice";
  /// The admin token the node runs with (docs/admin.md).
  std::string admin_token = "admin-token-0123456789abcdef";

  std::uint16_t port() const {
    return srv->port();
  }

  /// The access token of a column ("" for none).
  std::string token(cred k) const;
};

class authz_matrix : public ::testing::Test {
public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

protected:
  void SetUp() override;
  static world& w() {
    return *world_;
  }

  /// `{alice}`, `{bob}`, `{carol}`, `{eve}`, `{priv}`, `{pub}`,
  /// `{device}`, `{alice.refresh}`, `{alice_gone.refresh}` replaced.
  static std::string fill(std::string text);
  /// The same in a JSON body; a string that is exactly a member
  /// placeholder becomes the member's id as a number.
  static json fill(const json& body);

  /// Fails the test unless nothing that carries `marker` was delivered to
  /// alice's connection (entered in both rooms since SetUp) or stored in
  /// either room's history.
  void expect_nothing_stored_or_delivered();

  /// Alice's raw /message connection in both rooms (made in SetUp).
  std::unique_ptr<ws_client> watcher_;

private:
  static std::unique_ptr<world> world_;
  /// "sqlite", or "mysql" when H2H_AUTHZ_STORE says so.
  static std::string store_kind_;
};

/// Joins "status code" of an HTTP error answer ("404 GLOBAL_001"); the raw
/// body when it has no code.
std::string http_outcome(int status, const std::string& body);

/// A line of the admin port protocol (docs/admin.md) over raw_conn.
class admin_line : public raw_conn {
public:
  using raw_conn::raw_conn;
  /// The next answer line as JSON; nullopt on timeout or close.
  std::optional<json> answer(ms timeout = ms{5000});
};

} // namespace h2h::test::authz
