// Registration of h2h's message types with an actor system configuration.
#include "actors/vocabulary/types.hpp"

#include "actors/vocabulary/push.hpp"
#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::h2h>();
  cfg.add_message_types<caf::id_block::h2h_push>();
}

} // namespace h2h
