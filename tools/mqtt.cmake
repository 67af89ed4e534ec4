# SPDX-License-Identifier: MIT
# shmseq-mqtt (docs/fleet.md): the fleet bridge over MQTT. Built only when
# pkg-config finds libmosquitto (Debian: libmosquitto-dev, also :arm64 and
# :armhf); without it the tool is left out and this says what to install.
#
#   shmseq_fleet  the wire formats and the spool: C library,
#                 shmseq_logfmt and shmseq_util only (no MQTT), so the unit
#                 tests check every byte of them without a broker
#   shmseq-mqtt   pub (board end) and sub (fleet end, over shmseq_sink)
add_library(shmseq_fleet STATIC mqtt/wire.c mqtt/spool.c)
shmseq_c11(shmseq_fleet)
target_link_libraries(shmseq_fleet PUBLIC shmseq_logfmt PRIVATE shmseq_util)
target_include_directories(shmseq_fleet PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/mqtt>)

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(MOSQUITTO QUIET IMPORTED_TARGET GLOBAL libmosquitto)
endif()
if(MOSQUITTO_FOUND)
  add_executable(shmseq-mqtt mqtt/main.c mqtt/conn.c mqtt/pub.c mqtt/sub.c)
  shmseq_c11(shmseq-mqtt)
  target_link_libraries(shmseq-mqtt PRIVATE shmseq::shmseq shmseq_fleet
    shmseq_sink shmseq_util PkgConfig::MOSQUITTO)
  set(SHMSEQ_HAVE_MQTT ON CACHE INTERNAL "shmseq-mqtt is built")
  message(STATUS "shmseq-mqtt: libmosquitto ${MOSQUITTO_VERSION}")
  if(SHMSEQ_INSTALL)
    install(TARGETS shmseq-mqtt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
else()
  set(SHMSEQ_HAVE_MQTT OFF CACHE INTERNAL "shmseq-mqtt is built")
  message(STATUS "shmseq-mqtt: NOT built: libmosquitto not found by "
    "pkg-config (on Debian: apt-get install libmosquitto-dev, or "
    "libmosquitto-dev:arm64 / :armhf for a cross build)")
endif()
