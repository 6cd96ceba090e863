# Find module for liburing as Debian ships it (liburing-dev). Creates
# Liburing::liburing; sources include <liburing.h> (one translation unit:
# net/transport/uring_batch.cpp).
find_path(LIBURING_INCLUDE_DIR liburing.h)
find_library(LIBURING_LIBRARY uring)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Liburing
  REQUIRED_VARS LIBURING_INCLUDE_DIR LIBURING_LIBRARY)

if(Liburing_FOUND AND NOT TARGET Liburing::liburing)
  add_library(Liburing::liburing SHARED IMPORTED)
  set_target_properties(Liburing::liburing PROPERTIES
    IMPORTED_LOCATION "${LIBURING_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${LIBURING_INCLUDE_DIR}")
endif()
mark_as_advanced(LIBURING_INCLUDE_DIR LIBURING_LIBRARY)
