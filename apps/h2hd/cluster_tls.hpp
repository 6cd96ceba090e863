// The cluster port over TLS (cluster.tls_cert/tls_key/tls_ca): the files
// checked before the node starts, CAF's OpenSSL module loaded and the
// directory published through it. OpenSSL's and CAF's OpenSSL headers stay
// in cluster_tls.cpp.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman_actor.hpp>

#include "actors/vocabulary/interfaces.hpp"
#include "config/config.hpp"

namespace h2h {

/// Whether the cluster port runs over TLS (all three files set).
bool cluster_tls_enabled(const config::cluster_section& c);

/// Reads the three PEM files and checks that the key is this certificate's
/// and that the cluster CA signed it and it is valid now: "" when all
/// holds, else what is wrong, naming the file. CAF itself reads the files
/// again for every connection and would only fail there, without a word.
std::string check_cluster_tls_files(const config::cluster_section& c);

/// Loads CAF's OpenSSL module with the three files (before the actor
/// system starts): every cluster connection, both ways, then needs a
/// certificate the cluster CA signed (no host name check: the CA is the
/// cluster's own).
void load_cluster_tls(caf::actor_system_config& cfg,
                      const config::cluster_section& c);

/// Publishes `directory` on `port` over TLS, bound to `host`; the port.
caf::expected<std::uint16_t> publish_cluster_tls(const directory_actor& dir,
                                                 std::uint16_t port,
                                                 const std::string& host);

/// The middleman actor that makes TLS connections (connect_atom).
caf::io::middleman_actor cluster_tls_connector(caf::actor_system& sys);

} // namespace h2h
