// /healthz and /readyz on the public port, and the Prometheus text the
// metrics port serves; in cluster mode both tell the node's cluster view.
#include "net/rest/ops_routes.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

namespace h2h::net {

namespace http = boost::beast::http;

namespace {

void metric(std::ostringstream& out, const char* name, const char* type,
            const char* help, long double value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type
      << '\n'
      << name << ' ' << static_cast<long long>(value) << '\n';
}

/// The push dispatcher's counters; failures by reason as one labelled
/// counter.
void push_metrics_text(std::ostringstream& out, const push_metrics& p) {
  metric(out, "h2h_push_sent_total", "counter",
         "Push notifications FCM accepted.", p.sent.load());
  out << "# HELP h2h_push_failed_total Push notifications that failed for "
         "good, by reason.\n# TYPE h2h_push_failed_total counter\n";
  out << "h2h_push_failed_total{reason=\"auth\"} " << p.failed_auth.load()
      << "\nh2h_push_failed_total{reason=\"rejected\"} "
      << p.failed_rejected.load()
      << "\nh2h_push_failed_total{reason=\"retries\"} "
      << p.failed_retries.load() << '\n';
  metric(out, "h2h_push_retried_total", "counter",
         "Push requests tried again after 429, 5xx or a network failure.",
         p.retried.load());
  metric(out, "h2h_push_coalesced_total", "counter",
         "Messages folded into a push already due for the member and room.",
         p.coalesced.load());
  metric(out, "h2h_push_dropped_total", "counter",
         "Pushes dropped because the push queue was full.", p.dropped.load());
  metric(out, "h2h_push_tokens_removed_total", "counter",
         "Device tokens removed because FCM reported them gone.",
         p.tokens_removed.load());
  metric(out, "h2h_push_queue", "gauge",
         "Push requests queued or waiting to be retried.",
         p.queue_length.load());
}

std::optional<ops_sources::cluster_status> cluster_of(const ops_sources& src) {
  if (!src.cluster)
    return std::nullopt;
  return src.cluster();
}

} // namespace

std::string readyz_body(const std::string& status, const std::string& store,
                        const std::optional<ops_sources::cluster_status>& c) {
  std::string out = R"({"status":")" + status + '"';
  if (!store.empty())
    out += R"(,"store":")" + store + '"';
  if (c) {
    // The node id is validated plain, but an id made elsewhere must not
    // break the JSON.
    out += R"(,"cluster":{"node":)"
           + nlohmann::json(c->node_id)
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
           + R"(,"nodes":)" + std::to_string(c->nodes) + R"(,"registry":")"
           + (c->registry_ok ? "ok" : "unreachable") + "\"}";
  }
  out += '}';
  return out;
}

std::string metrics_text(const ops_sources& src) {
  std::ostringstream out;
  if (src.open_connections)
    metric(out, "h2h_connections_open", "gauge",
           "Open connections on the public port.",
           static_cast<long double>(src.open_connections()));
  if (auto* n = src.network) {
    metric(out, "h2h_ws_opened_total", "counter",
           "WebSocket connections opened.", n->ws_opened.load());
    metric(out, "h2h_ws_closed_total", "counter",
           "WebSocket connections closed.", n->ws_closed.load());
    metric(out, "h2h_frames_in_total", "counter",
           "Text frames received from clients.", n->frames_in.load());
    metric(out, "h2h_frames_out_total", "counter", "Frames written to clients.",
           n->frames_out.load());
    metric(out, "h2h_bytes_out_total", "counter",
           "Bytes written to WebSocket clients.", n->bytes_out.load());
    metric(out, "h2h_slow_consumers_total", "counter",
           "Connections closed with 4008 (slow consumer).",
           n->slow_consumers.load());
    metric(out, "h2h_http_requests_total", "counter",
           "HTTP requests read on the public port.", n->http_requests.load());
    metric(out, "h2h_refused_connections_total", "counter",
           "Connections refused by limits.connections.",
           n->refused_connections.load());
    metric(out, "h2h_refused_per_address_total", "counter",
           "Connections refused by limits.connections_per_address.",
           n->refused_per_address.load());
    metric(out, "h2h_session_ends_total", "counter",
           "WebSockets closed because their login session ended.",
           n->sessions_ended.load());
  }
  if (auto& a = src.actors) {
    metric(out, "h2h_rooms_active", "gauge", "Room actors running.",
           a->rooms_active.load());
    metric(out, "h2h_rooms_started_total", "counter", "Room actors started.",
           a->rooms_started.load());
    metric(out, "h2h_sessions_active", "gauge", "Session actors running.",
           a->sessions_active.load());
    metric(out, "h2h_room_events_total", "counter",
           "Room events committed (messages and notices).", a->events.load());
    metric(out, "h2h_messages_in_total", "counter",
           "Chat messages accepted from clients.", a->messages_in.load());
    metric(out, "h2h_fanout_deliveries_total", "counter",
           "Events handed to sessions (one per receiver).",
           a->deliveries.load());
    metric(out, "h2h_duplicate_messages_total", "counter",
           "Retried messages answered with their original seq.",
           a->duplicates.load());
    metric(out, "h2h_store_up", "gauge",
           "1 while the last commit succeeded, else 0.",
           a->store_ok.load() ? 1 : 0);
    metric(out, "h2h_persistence_queue", "gauge",
           "Messages accepted and not yet committed.", a->persist_queue.load());
    metric(out, "h2h_persistence_batches_total", "counter",
           "Transactions committed.", a->batches.load());
    metric(out, "h2h_persistence_batched_messages_total", "counter",
           "Messages committed in those transactions.",
           a->batched_messages.load());
    metric(out, "h2h_persistence_commit_microseconds_total", "counter",
           "Time spent committing, in microseconds.",
           a->commit_us_total.load());
    metric(out, "h2h_persistence_retries_total", "counter",
           "Commits retried after a store failure.", a->commit_retries.load());
    metric(out, "h2h_publishes_refused_total", "counter",
           "Publishes answered CHAT_006 because the store queue was full.",
           a->refused_full.load());
  }
  if (auto c = cluster_of(src)) {
    metric(out, "h2h_cluster_nodes", "gauge",
           "Live cluster nodes this node knows, itself included.",
           static_cast<long double>(c->nodes));
    metric(out, "h2h_cluster_registry_up", "gauge",
           "1 while the cluster registry (Redis) answers, else 0.",
           c->registry_ok ? 1 : 0);
  }
  if (src.push)
    push_metrics_text(out, *src.push);
  return out.str();
}

void add_ops_routes(router& r, ops_sources sources) {
  auto src = std::make_shared<ops_sources>(std::move(sources));
  r.add(http::verb::get, "/healthz",
        [](http_request& req, const path_params&, const request_meta&,
           http_responder respond) {
          respond(json_response(req, 200, R"({"status":"ok"})"));
        });
  r.add(http::verb::get, "/readyz",
        [src](http_request& req, const path_params&, const request_meta&,
              http_responder respond) {
          if (src->draining && src->draining()) {
            respond(json_response(
              req, 503, readyz_body("draining", "unknown", cluster_of(*src))));
            return;
          }
          if (!src->check_store) {
            respond(json_response(req, 200,
                                  readyz_body("ready", "", cluster_of(*src))));
            return;
          }
          http_request shape{http::verb::get, "/", req.version()};
          shape.keep_alive(req.keep_alive());
          // Only the store decides readiness: a node that lost Redis serves on
          // with the last known node set and says so under "cluster".
          src->check_store([src, shape, respond](bool ok) {
            if (ok)
              respond(json_response(
                shape, 200, readyz_body("ready", "ok", cluster_of(*src))));
            else
              respond(json_response(
                shape, 503,
                readyz_body("unavailable", "unreachable", cluster_of(*src))));
          });
        });
}

} // namespace h2h::net
