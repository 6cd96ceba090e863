// The CAF test runner's main() for the multi-node (io_dsl) suites.
#define CAF_SUITE h2h_cluster_belt
#define FAIL(msg) CAF_FAIL(msg)
#include <caf/test/io_dsl.hpp>
#include <caf/test/unit_test_impl.hpp>
