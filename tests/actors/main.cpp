// The one translation unit that defines the CAF test runner's main().
#define CAF_SUITE h2h_actors
#define FAIL(msg) CAF_FAIL(msg)
#include <caf/test/dsl.hpp>
#include <caf/test/unit_test_impl.hpp>
