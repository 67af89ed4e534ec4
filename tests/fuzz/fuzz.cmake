# SPDX-License-Identifier: MIT
# libFuzzer over the attach/check/read path (tests/fuzz/fuzz_attach.c), in
# clang builds only (libFuzzer ships with clang). The target compiles
# core/ring.c itself with -fsanitize=fuzzer,address,undefined so the fuzzer
# sees coverage inside core. ctest runs a short campaign from the committed
# seed corpus (tests/fuzz/corpus, made by make_seeds.c); new inputs go to a
# scratch corpus in the build tree.
#
#   SHMSEQ_FUZZ_RUNS  executions of the ctest run (default 10^6)
#   SHMSEQ_FUZZ_TIME  its time guard in seconds (default 600); a run that
#                     hits it stops early and says so in its last line
# A longer campaign: build/clang/tests/fuzz_attach -max_total_time=3600 \
#   build/clang/tests/fuzz-corpus tests/fuzz/corpus
set(SHMSEQ_FUZZ_RUNS 1000000 CACHE STRING "libFuzzer executions in ctest")
set(SHMSEQ_FUZZ_TIME 600 CACHE STRING "libFuzzer time guard (s) in ctest")

if(CMAKE_C_COMPILER_ID STREQUAL "Clang" AND NOT CMAKE_CROSSCOMPILING AND
   NOT SHMSEQ_SANITIZE MATCHES "thread")
  add_executable(fuzz_attach fuzz/fuzz_attach.c ${PROJECT_SOURCE_DIR}/core/ring.c)
  shmseq_c11(fuzz_attach)
  target_include_directories(fuzz_attach PRIVATE
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/core)
  target_compile_options(fuzz_attach PRIVATE
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(fuzz_attach PRIVATE -fsanitize=fuzzer,address,undefined)

  add_executable(fuzz_make_seeds fuzz/make_seeds.c ${PROJECT_SOURCE_DIR}/core/ring.c)
  shmseq_c11(fuzz_make_seeds)
  target_include_directories(fuzz_make_seeds PRIVATE
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/core)

  set(_fuzz_corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus)
  file(MAKE_DIRECTORY ${_fuzz_corpus})
  add_test(NAME fuzz_attach
    COMMAND fuzz_attach -runs=${SHMSEQ_FUZZ_RUNS}
      -max_total_time=${SHMSEQ_FUZZ_TIME} -timeout=10 -max_len=8192
      -print_final_stats=1 ${_fuzz_corpus}
      ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus)
  set_tests_properties(fuzz_attach PROPERTIES LABELS fuzz
    TIMEOUT 900
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
    # libFuzzer exits 0 also when the time guard stops it early: demand
    # that every requested run happened.
    PASS_REGULAR_EXPRESSION "Done ${SHMSEQ_FUZZ_RUNS} runs"
    FAIL_REGULAR_EXPRESSION "ERROR: (libFuzzer|AddressSanitizer)|runtime error|SUMMARY:")
endif()
