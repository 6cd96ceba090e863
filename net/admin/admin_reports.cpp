// The admin port's `reports`: one store job, its rows as admin_report.
#include "net/admin/admin_reports.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "net/admin/admin_json.hpp"

namespace h2h::net {

void answer_reports(store_runner& jobs, const admin_request& req,
                    admin_reply_fn reply) {
  auto limit
    = req.limit == 0 ? default_reports : std::min(req.limit, max_reports);
  std::function<std::vector<report_record>(store&)> work
    = [target = req.member, limit](store& db) {
        return db.reports(target, limit);
      };
  std::function<void(store_result<std::vector<report_record>>)> done
    = [reply](store_result<std::vector<report_record>> r) {
        admin_reply out;
        if (!r) {
          spdlog::warn("admin reports: {}", r.error().detail);
          out.error = admin_code::unavailable;
          out.message = "the store did not answer, retry";
          reply(std::move(out));
          return;
        }
        for (auto& x : *r)
          out.reports.push_back({x.id, x.reporter_id, x.target_id,
                                 std::move(x.reason), x.created_ms,
                                 std::move(x.context)});
        reply(std::move(out));
      };
  jobs.run(std::move(work), std::move(done));
}

} // namespace h2h::net
