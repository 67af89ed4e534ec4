# SPDX-License-Identifier: MIT
# The real sensor drivers (iio, thermal, replay): CMocka units on fake sysfs
# trees and recordings each test builds in a temporary directory, plus an
# end-to-end run of sensor_reader on a fake IIO tree with a logger reading.
foreach(drv iio thermal replay)
  shmseq_add_test(NAME test_${drv} SOURCES unit/test_${drv}.c
    LIBS shmseq_bsp LABELS unit CMOCKA TIMEOUT 60)
endforeach()
# The iio driver's buffered mode on a fake device (fake tree + a FIFO).
shmseq_add_test(NAME test_iio_buffered SOURCES unit/test_iio_buffered.c
  LIBS shmseq_bsp LABELS unit CMOCKA TIMEOUT 60)
if(TARGET test_iio_buffered AND NOT SHMSEQ_SANITIZE)
  # Reads must not allocate: the malloc family counted (plain builds only,
  # as the sanitizers replace malloc themselves).
  target_compile_definitions(test_iio_buffered PRIVATE SHMSEQ_TRAP_MALLOC)
  target_link_options(test_iio_buffered PRIVATE
    -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=free
    -Wl,--wrap=aligned_alloc -Wl,--wrap=posix_memalign)
endif()

if(TARGET sensor_reader AND TARGET logger)
  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " SHMSEQ_DRV_EMULATOR)
  add_test(NAME e2e_drivers
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/e2e/drivers_e2e.sh
            $<TARGET_FILE:sensor_reader> $<TARGET_FILE:logger>)
  set_tests_properties(e2e_drivers PROPERTIES LABELS e2e TIMEOUT 120
    ENVIRONMENT "SHMSEQ_EMULATOR=${SHMSEQ_DRV_EMULATOR}")
endif()
