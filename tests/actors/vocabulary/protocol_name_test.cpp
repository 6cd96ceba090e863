// Wire protocol names kept once per process: one pointer per name, a bound
// on how many, and safe from several threads.
#include "actors/vocabulary/protocol_name.hpp"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace h2h;

TEST(protocol_name, one_copy_per_name_and_the_empty_name_is_empty) {
  std::string a = "raw-json";
  std::string b = "raw-json";
  const char* p = protocol_name(a);
  EXPECT_STREQ(p, "raw-json");
  EXPECT_EQ(protocol_name(b), p);
  EXPECT_NE(protocol_name("stomp"), p);
  EXPECT_STREQ(protocol_name("stomp"), "stomp");
  EXPECT_STREQ(protocol_name(""), "");
  a.assign("gone"); // the kept copy does not depend on the caller's string
  EXPECT_STREQ(p, "raw-json");
}

TEST(protocol_name, names_past_the_bound_read_other) {
  const char* raw = protocol_name("raw-json");
  std::set<const char*> kept;
  for (std::size_t i = 0; i < 2 * max_protocol_names; ++i)
    kept.insert(protocol_name("p" + std::to_string(i)));
  // Earlier tests of this process may have kept names of their own.
  EXPECT_LE(kept.size(), max_protocol_names + 1);
  EXPECT_STREQ(protocol_name("one-too-many"), "other");
  EXPECT_EQ(protocol_name("raw-json"), raw); // kept before the bound
}

TEST(protocol_name, threads_asking_for_one_name_get_one_pointer) {
  std::vector<const char*> got(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&got, i] {
      const char* p = nullptr;
      for (int k = 0; k < 1000; ++k)
        p = protocol_name("sse");
      got[i] = p;
    });
  for (auto& t : threads)
    t.join();
  for (auto* p : got)
    EXPECT_EQ(p, got.front());
}
