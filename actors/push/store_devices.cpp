// Device tokens and room rosters for the push dispatcher from the store,
// off the actor thread.
#include "actors/push/store_devices.hpp"

#include <spdlog/spdlog.h>

#include "persistence/store.hpp"

namespace h2h {

namespace {

class store_devices final : public push_devices {
public:
  explicit store_devices(store_runner& runner)
    : runner_(runner) {
  }

  void lookup(std::int64_t member_id,
              std::function<void(std::vector<std::string>)> done) override {
    auto work = [member_id](store& db) {
      std::vector<std::string> tokens;
      for (auto& d : db.devices_of(member_id))
        tokens.push_back(std::move(d.token));
      return tokens;
    };
    auto report = [member_id, done](store_result<std::vector<std::string>> r) {
      if (!r) {
        spdlog::warn("push: devices of member {}: {}", member_id,
                     r.error().detail);
        done({});
        return;
      }
      done(std::move(*r));
    };
    if (!runner_.try_run<std::vector<std::string>>(work, report)) {
      spdlog::warn("push: store busy, devices of member {} not read",
                   member_id);
      done({});
    }
  }

  void lookup_for(std::int64_t member_id, std::int64_t sender_id,
                  std::function<void(std::vector<std::string>)> done) override {
    // One store job: the block check costs no extra hop.
    auto work = [member_id, sender_id](store& db) {
      std::vector<std::string> tokens;
      if (sender_id != 0 && db.blocks(member_id, sender_id))
        return tokens;
      for (auto& d : db.devices_of(member_id))
        tokens.push_back(std::move(d.token));
      return tokens;
    };
    auto report = [member_id, done](store_result<std::vector<std::string>> r) {
      if (!r) {
        spdlog::warn("push: devices of member {}: {}", member_id,
                     r.error().detail);
        done({});
        return;
      }
      done(std::move(*r));
    };
    if (!runner_.try_run<std::vector<std::string>>(work, report)) {
      spdlog::warn("push: store busy, devices of member {} not read",
                   member_id);
      done({});
    }
  }

  void remove(std::int64_t member_id, const std::string& token) override {
    auto work = [member_id, token](store& db) {
      return db.delete_device(member_id, token);
    };
    auto report = [member_id](store_result<bool> r) {
      if (!r)
        spdlog::warn("push: removing a gone token of member {}: {}", member_id,
                     r.error().detail);
      else
        spdlog::info("push: removed a device token of member {} that FCM "
                     "reported gone",
                     member_id);
    };
    runner_.run<bool>(work, report);
  }

  void roster(const std::string& room_id,
              std::function<void(std::optional<push_roster>)> done) override {
    auto work = [room_id](store& db) {
      std::optional<push_roster> r;
      if (auto rec = db.room_by_id(room_id, true))
        r = push_roster{std::move(rec->name), std::move(rec->members)};
      return r;
    };
    auto report = [room_id, done](store_result<std::optional<push_roster>> r) {
      if (!r) {
        spdlog::warn("push: members of room {}: {}", room_id, r.error().detail);
        done(std::nullopt);
        return;
      }
      done(std::move(*r));
    };
    if (!runner_.try_run<std::optional<push_roster>>(work, report)) {
      spdlog::warn("push: store busy, members of room {} not read", room_id);
      done(std::nullopt);
    }
  }

private:
  store_runner& runner_;
};

} // namespace

std::shared_ptr<push_devices> make_store_devices(store_runner& runner) {
  return std::make_shared<store_devices>(runner);
}

} // namespace h2h
