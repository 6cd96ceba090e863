# Find module for GNU readline as Debian ships it (libreadline-dev), for
# h2h-admin's line editing. Creates Readline::Readline.
find_path(READLINE_INCLUDE_DIR readline/readline.h)
find_library(READLINE_LIBRARY readline)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Readline
  REQUIRED_VARS READLINE_INCLUDE_DIR READLINE_LIBRARY)

if(Readline_FOUND AND NOT TARGET Readline::Readline)
  add_library(Readline::Readline SHARED IMPORTED)
  set_target_properties(Readline::Readline PROPERTIES
    IMPORTED_LOCATION "${READLINE_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${READLINE_INCLUDE_DIR}")
endif()
mark_as_advanced(READLINE_INCLUDE_DIR READLINE_LIBRARY)
