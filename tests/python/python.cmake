# SPDX-License-Identifier: MIT
# What the Python package's tests (python/tests, the `python` stage of
# scripts/check.sh) need from the build besides libshmseq.so and the
# examples: a C writer running flat out. Built here, run by pytest.
if(TARGET shmseq_shared)
  add_executable(flat_writer python/flat_writer.c)
  shmseq_c11(flat_writer)
  target_link_libraries(flat_writer PRIVATE shmseq::shmseq)
endif()
