# Compiler settings for our own targets: warnings as errors, optional sanitizers.
add_library(h2h_warnings INTERFACE)
target_compile_options(h2h_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wno-unused-parameter)
# A missing type id for a message type must fail at compile time.
target_compile_definitions(h2h_warnings INTERFACE CAF_ENABLE_TYPE_ID_CHECKS)

if(H2H_SANITIZERS)
  string(REPLACE "," ";" _h2h_san_list "${H2H_SANITIZERS}")
  string(REPLACE ";" "," _h2h_san "${_h2h_san_list}")
  # GCC 12 reports false maybe-uninitialized warnings inside libstdc++'s
  # <regex> once sanitizers change inlining.
  target_compile_options(h2h_warnings INTERFACE
    -fsanitize=${_h2h_san} -fno-omit-frame-pointer -fno-sanitize-recover=all
    -Wno-maybe-uninitialized)
  target_link_options(h2h_warnings INTERFACE -fsanitize=${_h2h_san})
endif()
