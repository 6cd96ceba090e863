// The push dispatcher: coalescing, a bounded queue, back-off, token removal.
#include "actors/push/push_dispatcher.hpp"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

namespace h2h {

namespace {

push_request request_for(const room_event& ev, const std::string& room_name) {
  push_request r;
  r.room_id = ev.room_id;
  r.room_name = room_name;
  r.seq = ev.seq;
  r.sender_id = ev.sender_id;
  r.sender = ev.sender;
  r.text = ev.text;
  return r;
}

void update_queue_metric(push_state& st) {
  st.metrics->queue_length.store(
    static_cast<std::int64_t>(st.queue.size() + st.waiting.size()),
    std::memory_order_relaxed);
}

/// Everything waiting that counts against queue_max.
std::size_t backlog(const push_state& st) {
  return st.windows.size() + st.lookups.size() + st.queue.size()
         + st.waiting.size() + st.roster_waiting;
}

/// The callback a sender or store calls on its own thread: a message to
/// the dispatcher if it still lives (a weak handle: a slow provider never
/// keeps a stopped node alive).
template <class... Ts>
auto tell_self(push_pointer self) {
  return [weak = caf::weak_actor_ptr{self->ctrl()}](Ts... xs) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<push_dispatcher_actor>(strong),
                     std::move(xs)...);
  };
}

/// Hands queued requests to the sender while fewer than max_in_flight are
/// out.
void pump(push_pointer self) {
  auto& st = self->state;
  while (st.in_flight.size() < st.cfg.max_in_flight && !st.queue.empty()) {
    auto [id, j] = std::move(st.queue.front());
    st.queue.pop_front();
    auto req = j.req;
    st.in_flight.emplace(id, std::move(j));
    auto tell = tell_self<pdone_atom, std::uint64_t, push_outcome>(self);
    st.sender->send(std::move(req), [tell, id](push_outcome o) {
      tell(pdone_atom_v, id, std::move(o));
    });
  }
  update_queue_metric(st);
}

/// Queues a request; past the bound the oldest queued one is dropped.
void enqueue(push_state& st, std::uint64_t id, push_state::job j, bool front) {
  if (front)
    st.queue.emplace_front(id, std::move(j));
  else
    st.queue.emplace_back(id, std::move(j));
  while (backlog(st) > st.cfg.queue_max && !st.queue.empty()) {
    st.queue.pop_front();
    st.metrics->dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

void on_notice(push_pointer self, push_notice& n) {
  auto& st = self->state;
  if (n.event.kind != event_kind::message)
    return;
  for (auto member : n.members) {
    if (member == n.event.sender_id)
      continue; // never the sender
    push_state::key k{member, n.event.room_id};
    auto req = request_for(n.event, n.room_name);
    if (auto it = st.windows.find(k); it != st.windows.end()) {
      if (req.seq >= it->second.seq)
        it->second = std::move(req);
      st.metrics->coalesced.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (backlog(st) >= st.cfg.queue_max) {
      st.metrics->dropped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    st.windows.emplace(k, std::move(req));
    self->delayed_send(self, st.cfg.coalesce, pflush_atom_v, member,
                       n.event.room_id);
  }
}

/// Notifies the members of `r` that are neither present nor the sender;
/// members seen present join the roster (entering a room makes a member).
void notify_absent(push_pointer self, push_state::roster& r,
                   const push_commit& c) {
  const auto& ev = c.event->data();
  auto present = c.present;
  std::sort(present.begin(), present.end());
  for (auto id : present) {
    auto at = std::lower_bound(r.members.begin(), r.members.end(), id);
    if (at == r.members.end() || *at != id)
      r.members.insert(at, id);
  }
  push_notice n;
  n.event = ev;
  n.room_name = r.name;
  n.members.reserve(r.members.size());
  std::set_difference(r.members.begin(), r.members.end(), present.begin(),
                      present.end(), std::back_inserter(n.members));
  n.members.erase(std::remove(n.members.begin(), n.members.end(), ev.sender_id),
                  n.members.end());
  if (!n.members.empty())
    on_notice(self, n);
}

void on_commit(push_pointer self, push_commit& c) {
  auto& st = self->state;
  if (!c.event || c.event->data().kind != event_kind::message)
    return;
  const auto& room = c.event->data().room_id;
  if (auto it = st.rosters.find(room); it != st.rosters.end()) {
    if (self->clock().now() - it->second.loaded < st.cfg.roster_ttl) {
      notify_absent(self, it->second, c);
      return;
    }
    st.rosters.erase(it);
  }
  if (backlog(st) >= st.cfg.queue_max) {
    st.metrics->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto [wait, fresh] = st.roster_waits.try_emplace(room);
  wait->second.commits.push_back(std::move(c));
  ++st.roster_waiting;
  if (!fresh)
    return;
  auto tell = tell_self<proster_atom, std::string, bool, std::string,
                        std::vector<std::int64_t>>(self);
  st.devices->roster(room, [tell, room](std::optional<push_roster> r) {
    if (r)
      tell(proster_atom_v, room, true, std::move(r->name),
           std::move(r->members));
    else
      tell(proster_atom_v, room, false, std::string{},
           std::vector<std::int64_t>{});
  });
}

void on_roster(push_pointer self, const std::string& room, bool ok,
               std::string& name, std::vector<std::int64_t>& members) {
  auto& st = self->state;
  auto it = st.roster_waits.find(room);
  if (it == st.roster_waits.end())
    return;
  auto wait = std::move(it->second);
  st.roster_waits.erase(it);
  st.roster_waiting -= wait.commits.size();
  if (!ok) {
    // The store said why (logged there); these pushes are lost.
    st.metrics->dropped.fetch_add(wait.commits.size(),
                                  std::memory_order_relaxed);
    return;
  }
  push_state::roster r{std::move(name), std::move(members),
                       self->clock().now()};
  std::sort(r.members.begin(), r.members.end());
  r.members.erase(std::unique(r.members.begin(), r.members.end()),
                  r.members.end());
  for (auto& c : wait.commits)
    notify_absent(self, r, c);
  if (wait.stale || st.cfg.roster_cache_max == 0)
    return;
  if (st.rosters.size() >= st.cfg.roster_cache_max)
    st.rosters.erase(st.rosters.begin());
  st.rosters.insert_or_assign(room, std::move(r));
}

void on_forget(push_pointer self, const std::string& room) {
  auto& st = self->state;
  st.rosters.erase(room);
  if (auto it = st.roster_waits.find(room); it != st.roster_waits.end())
    it->second.stale = true;
}

void on_flush(push_pointer self, std::int64_t member, const std::string& room) {
  auto& st = self->state;
  auto it = st.windows.find({member, room});
  if (it == st.windows.end())
    return;
  auto id = st.next_id++;
  auto sender = it->second.sender_id;
  st.lookups.emplace(id, std::make_pair(member, std::move(it->second)));
  st.windows.erase(it);
  auto tell
    = tell_self<pdevices_atom, std::uint64_t, std::vector<std::string>>(self);
  st.devices->lookup_for(member, sender,
                         [tell, id](std::vector<std::string> tokens) {
                           tell(pdevices_atom_v, id, std::move(tokens));
                         });
}

void on_devices(push_pointer self, std::uint64_t id,
                std::vector<std::string>& tokens) {
  auto& st = self->state;
  auto it = st.lookups.find(id);
  if (it == st.lookups.end())
    return;
  auto [member, req] = std::move(it->second);
  st.lookups.erase(it);
  for (auto& token : tokens) {
    push_state::job j{member, req, 0};
    j.req.token = std::move(token);
    enqueue(st, st.next_id++, std::move(j), false);
  }
  pump(self);
}

void on_outcome(push_pointer self, std::uint64_t id, push_outcome& o) {
  auto& st = self->state;
  auto it = st.in_flight.find(id);
  if (it == st.in_flight.end())
    return;
  auto j = std::move(it->second);
  st.in_flight.erase(it);
  auto& m = *st.metrics;
  switch (o.result) {
    case push_result::ok:
      m.sent.fetch_add(1, std::memory_order_relaxed);
      break;
    case push_result::retry:
      if (j.attempt >= st.cfg.max_retries) {
        m.failed_retries.fetch_add(1, std::memory_order_relaxed);
        spdlog::info("push: gave up on member {} room {} after {} tries: {}",
                     j.member, j.req.room_id, j.attempt + 1, o.detail);
      } else if (backlog(st) >= st.cfg.queue_max) {
        m.dropped.fetch_add(1, std::memory_order_relaxed);
      } else {
        ++j.attempt;
        m.retried.fetch_add(1, std::memory_order_relaxed);
        std::uniform_real_distribution<double> unit{0.0, 1.0};
        auto delay = backoff_delay(st.cfg.backoff, j.attempt, unit(st.rng),
                                   o.retry_after_ms);
        st.waiting.emplace(id, std::move(j));
        self->delayed_send(self, delay, pretry_atom_v, id);
      }
      break;
    case push_result::token_gone:
      m.tokens_removed.fetch_add(1, std::memory_order_relaxed);
      st.devices->remove(j.member, j.req.token);
      break;
    case push_result::auth:
      m.failed_auth.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("push: FCM refused our credentials: {}", o.detail);
      break;
    case push_result::failed:
      m.failed_rejected.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("push: FCM refused a push for member {}: {}", j.member,
                   o.detail);
      break;
  }
  pump(self);
}

void on_retry(push_pointer self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.waiting.find(id);
  if (it == st.waiting.end())
    return;
  auto j = std::move(it->second);
  st.waiting.erase(it);
  // A retry is older than anything queued: it goes first.
  enqueue(st, id, std::move(j), true);
  pump(self);
}

} // namespace

push_dispatcher_actor::behavior_type
push_dispatcher(push_pointer self, push_dispatch_settings cfg,
                std::shared_ptr<push_sender> sender,
                std::shared_ptr<push_devices> devices,
                std::shared_ptr<push_metrics> metrics) {
  auto& st = self->state;
  st.cfg = cfg;
  st.cfg.max_in_flight = std::max<std::size_t>(st.cfg.max_in_flight, 1);
  st.cfg.queue_max = std::max<std::size_t>(st.cfg.queue_max, 1);
  st.sender = std::move(sender);
  st.devices = std::move(devices);
  st.metrics = metrics ? std::move(metrics) : std::make_shared<push_metrics>();
  st.rng.seed(static_cast<std::minstd_rand::result_type>(
    cfg.seed != 0 ? cfg.seed : std::random_device{}()));
  self->set_error_handler([](caf::error& err) {
    spdlog::warn("push dispatcher: {}", caf::to_string(err));
  });
  self->set_default_handler(
    [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
      spdlog::warn("push dispatcher: unexpected message dropped");
      return caf::message{};
    });
  return {
    [self](push_atom, push_notice& n) { on_notice(self, n); },
    [self](push_atom, push_commit& c) { on_commit(self, c); },
    [self](pforget_atom, const std::string& room) { on_forget(self, room); },
    [self](proster_atom, const std::string& room, bool ok, std::string& name,
           std::vector<std::int64_t>& members) {
      on_roster(self, room, ok, name, members);
    },
    [self](pflush_atom, std::int64_t member, const std::string& room) {
      on_flush(self, member, room);
    },
    [self](pdevices_atom, std::uint64_t id, std::vector<std::string>& tokens) {
      on_devices(self, id, tokens);
    },
    [self](pdone_atom, std::uint64_t id, push_outcome& o) {
      on_outcome(self, id, o);
    },
    [self](pretry_atom, std::uint64_t id) { on_retry(self, id); },
  };
}

} // namespace h2h
