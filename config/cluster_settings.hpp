// The rules of the cluster.* and redis.* keys: validation, and the node id
// and advertised host a node uses when they are left empty.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace h2h::config {

/// True for [A-Za-z0-9._-]{1,max_size} (node ids, Redis key prefixes).
bool is_plain_name(std::string_view text, std::size_t max_size);

/// Appends every problem of the cluster.* and redis.* keys to `errors`.
void validate_cluster(const settings& s, std::vector<std::string>& errors);

/// A node id made from `host_name` and the cluster port: `<host>-<port>`,
/// the host's characters outside [A-Za-z0-9._-] made '-', cut to fit 64.
/// Two live nodes cannot share a host and port, and a restarted node keeps
/// its id; with port 0 (any free port) `<host>-p<pid>` instead.
std::string node_id_from_host(std::string_view host_name, std::uint16_t port,
                              unsigned pid);

/// This machine's host name ("localhost" when it cannot be read).
std::string local_host_name();

/// Fills an empty cluster.advertise_host with `host_name` and an empty
/// cluster.node_id with node_id_from_host(host_name, c.port, pid).
void resolve_cluster_identity(cluster_section& c, std::string_view host_name,
                              unsigned pid);

} // namespace h2h::config
