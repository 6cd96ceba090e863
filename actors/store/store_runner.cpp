// Where blocking store jobs run: the part every runner shares.
#include "actors/store/store_runner.hpp"

namespace h2h {

std::optional<store_fault> run_job_on(store_job& job, store& db) {
  auto fault = attempt_void([&] { job.compute(db); });
  if (fault)
    job.fail(*fault);
  else
    job.deliver();
  return fault;
}

bool inline_store_runner::enqueue(std::unique_ptr<store_job>& job) {
  auto mine = std::move(job);
  run_job_on(*mine, db_);
  return true;
}

} // namespace h2h
