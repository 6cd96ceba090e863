# Compiler settings for our own targets: warnings as errors, optional sanitizers.
add_library(h2h_warnings INTERFACE)
target_compile_options(h2h_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wno-unused-parameter)
# A missing type id for a message type must fail at compile time.
target_compile_definitions(h2h_warnings INTERFACE CAF_ENABLE_TYPE_ID_CHECKS)
# GCC 12 at -O3 (Release) reports false maybe-uninitialized warnings in
# moves of std::variant alternatives that hold strings (stomp_protocol.cpp
# broke scripts/run-server.sh's build). The warning stays on at -O2
# (RelWithDebInfo, the default for a developer's build directory, and the
# ThreadSanitizer stage of CI), where it still reports real cases.
target_compile_options(h2h_warnings INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<CONFIG:Release>>:-Wno-maybe-uninitialized>)

# In a unity build (H2H_UNITY_BUILD) a source is no longer its unit's main
# file, and GCC's -Wsubobject-linkage, meant for headers, fires on every
# test fixture in an anonymous namespace. Builds of one file per unit
# (-DH2H_UNITY_BUILD=OFF) keep it for the headers it is meant for.
if(H2H_UNITY_BUILD)
  target_compile_options(h2h_warnings INTERFACE
    $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
endif()

if(H2H_SANITIZERS)
  string(REPLACE "," ";" _h2h_san_list "${H2H_SANITIZERS}")
  string(REPLACE ";" "," _h2h_san "${_h2h_san_list}")
  # GCC 12 reports false maybe-uninitialized warnings inside libstdc++'s
  # <regex> once sanitizers change inlining.
  target_compile_options(h2h_warnings INTERFACE
    -fsanitize=${_h2h_san} -fno-omit-frame-pointer -fno-sanitize-recover=all
    -Wno-maybe-uninitialized)
  target_link_options(h2h_warnings INTERFACE -fsanitize=${_h2h_san})
  # ThreadSanitizer does not model atomic_thread_fence (GCC refuses it with
  # -Wtsan). Asio's fenced blocks only order a handler's memory around its
  # call; the hand-over itself is under the scheduler's mutex, which TSan
  # sees, so the TSan build uses Asio's fence-free blocks.
  if("thread" IN_LIST _h2h_san_list)
    target_compile_definitions(h2h_warnings INTERFACE
      BOOST_ASIO_DISABLE_FENCED_BLOCK)
  endif()
endif()

# libFuzzer builds (tests/fuzz): every library of ours gets coverage
# instrumentation and ASan/UBSan; the harnesses add -fsanitize=fuzzer, which
# brings libFuzzer's main. UB aborts so that libFuzzer records the input.
if(H2H_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "H2H_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(H2H_SANITIZERS)
    message(FATAL_ERROR "H2H_FUZZ brings its own sanitizers; leave H2H_SANITIZERS empty")
  endif()
  target_compile_options(h2h_warnings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(h2h_warnings INTERFACE -fsanitize=address,undefined)
endif()
