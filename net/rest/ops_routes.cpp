/// Registers /healthz and /readyz on `r` (/metrics is not on the public
/// port: see metrics_listener.hpp).
#include "net/rest/ops_routes.hpp"

#include <sstream>

namespace h2h::net {

namespace http = boost::beast::http;

namespace {

void metric(std::ostringstream& out, const char* name, const char* type,
            const char* help, long double value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type
      << '\n'
      << name << ' ' << static_cast<long long>(value) << '\n';
}

} // namespace

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
  return out.str();
}

void add_ops_routes(router& r, ops_sources sources) {
  auto src = std::make_shared<ops_sources>(std::move(sources));
  r.add(http::verb::get, "/healthz",
        [](http_request& req, const path_params&, const request_meta&,
           http_responder respond) {
          respond(json_response(req, 200, R"({"status":"ok"})"));
        });
  r.add(
    http::verb::get, "/readyz",
    [src](http_request& req, const path_params&, const request_meta&,
          http_responder respond) {
      if (src->draining && src->draining()) {
        respond(json_response(req, 503,
                              R"({"status":"draining","store":"unknown"})"));
        return;
      }
      if (!src->check_store) {
        respond(json_response(req, 200, R"({"status":"ready"})"));
        return;
      }
      http_request shape{http::verb::get, "/", req.version()};
      shape.keep_alive(req.keep_alive());
      src->check_store([shape, respond](bool ok) {
        if (ok)
          respond(
            json_response(shape, 200, R"({"status":"ready","store":"ok"})"));
        else
          respond(json_response(
            shape, 503, R"({"status":"unavailable","store":"unreachable"})"));
      });
    });
}

} // namespace h2h::net
