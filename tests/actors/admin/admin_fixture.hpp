// A node with its admin actor under the deterministic coordinator, and a
// helper that asks it.
#pragma once

#include "fixture.hpp"

#include "actors/admin/admin_actor.hpp"
#include "actors/admin/admin_results.hpp"

namespace h2h::test {

/// The identity of a member's connection over `protocol`.
inline session_identity member_on(std::int64_t id, std::string name,
                                  std::string protocol) {
  auto who = member(id, std::move(name));
  who.protocol = protocol_name(protocol);
  return who;
}

inline admin_request cmd(std::string command) {
  admin_request req;
  req.command = std::move(command);
  return req;
}

struct admin_fixture : node_fixture {
  admin_actor admin;

  admin_fixture() {
    admin = sys.spawn(node_admin, settings_for("solo", dir, env->metrics));
    consume_messages();
    senv.admin = admin;
  }

  ~admin_fixture() override {
    caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
    consume_messages();
  }

  admin_settings settings_for(std::string id, directory_actor d,
                              std::shared_ptr<node_metrics> metrics) {
    admin_settings s;
    s.node_id = std::move(id);
    s.address = [] { return std::string{"127.0.0.1:0"}; };
    s.started_ms = 1'600'000'000'000;
    s.directory = std::move(d);
    s.metrics = std::move(metrics);
    s.now_ms = [this] { return fake_now; };
    s.max_message_chars = 20;
    return s;
  }

  /// Asks `who` (the admin port's question) and runs until it answered.
  admin_reply ask(const admin_actor& who, const admin_request& req) {
    admin_reply out;
    bool got = false;
    auto h = self->request(who, caf::infinite, admin_atom_v, req);
    consume_messages();
    h.receive(
      [&](admin_reply& r) {
        out = std::move(r);
        got = true;
      },
      [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
    CAF_REQUIRE(got);
    return out;
  }

  admin_reply ask(const admin_request& req) {
    return ask(admin, req);
  }

  /// Sends a message as `c` (member's name) and lets everything settle.
  void say(const client& c, const std::string& room, const std::string& who,
           const std::string& text) {
    frame(c, cmd_message(room, who, text));
  }
};

} // namespace h2h::test
