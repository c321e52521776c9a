# What `cmake --install` puts where (included from the top CMakeLists.txt).
# Three components, which are also the three Debian packages (cmake/package.cmake):
#   bin  -> seatledger         the command, man page, systemd units, cron file, docs
#   lib  -> libseatledger0     the shared library (SONAME libseatledger.so.0)
#   dev  -> libseatledger-dev  header, static archive, .so link, pkg-config file
# Paths follow GNUInstallDirs.  SL_DEBIAN_LAYOUT (the .deb build turns it on)
# adds each package's copyright and changelog and puts the units in /lib.
include(GNUInstallDirs)

option(SL_DEBIAN_LAYOUT "Install as a Debian package lays out files" OFF)
if(SL_DEBIAN_LAYOUT)
  set(SL_SYSTEMD_UNITDIR_DEFAULT /lib/systemd/system)
else()
  set(SL_SYSTEMD_UNITDIR_DEFAULT lib/systemd/system)
endif()
set(SL_SYSTEMD_UNITDIR ${SL_SYSTEMD_UNITDIR_DEFAULT} CACHE STRING
    "systemd unit directory (relative to the prefix, or absolute)")

# --- the library, the header, the command ------------------------------------
install(TARGETS seatledger_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bin)
install(TARGETS seatledger_shared
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev)
install(TARGETS seatledger ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(FILES ${CMAKE_SOURCE_DIR}/engine/include/seatledger.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

# --- files that name installed paths: written for the prefix installed to ----
set(SL_TEMPLATES packaging/seatledger.pc.in packaging/systemd/seatledger.service.in
    packaging/systemd/seatledger-refresh.service.in packaging/cron/seatledger.in)
set(SL_INSTALLED ${CMAKE_BINARY_DIR}/installed)
foreach(comp bin dev)
  install(CODE "
    set(SL_SOURCE_DIR \"${CMAKE_SOURCE_DIR}\")
    set(SL_OUT \"${SL_INSTALLED}\")
    set(SL_VERSION \"${PROJECT_VERSION}\")
    set(SL_REL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(SL_REL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
    set(SL_REL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
    set(SL_REL_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
    set(SL_TEMPLATES \"${SL_TEMPLATES}\")
    include(\"${CMAKE_SOURCE_DIR}/cmake/installed_files.cmake\")" COMPONENT ${comp})
endforeach()
install(FILES ${SL_INSTALLED}/seatledger.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
install(FILES ${SL_INSTALLED}/seatledger.service ${SL_INSTALLED}/seatledger-refresh.service
              ${CMAKE_SOURCE_DIR}/packaging/systemd/seatledger-refresh.timer
        DESTINATION ${SL_SYSTEMD_UNITDIR} COMPONENT bin)
# file names in /etc/cron.d must not contain a dot
install(FILES ${SL_INSTALLED}/seatledger
        DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/cron.d COMPONENT bin)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/default/seatledger
        DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/default COMPONENT bin)

# --- the man page: hand-written roff, installed compressed ------------------
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(SL_MAN_SRC ${CMAKE_SOURCE_DIR}/docs/man/seatledger.1)
set(SL_MAN_GZ ${CMAKE_BINARY_DIR}/man/seatledger.1.gz)
add_custom_command(OUTPUT ${SL_MAN_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
  COMMAND ${GZIP_EXECUTABLE} -9n -c ${SL_MAN_SRC} > ${SL_MAN_GZ}
  DEPENDS ${SL_MAN_SRC} COMMENT "Compressing seatledger.1")
add_custom_target(manpages ALL DEPENDS ${SL_MAN_GZ})
install(FILES ${SL_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT bin)

# --- docs -------------------------------------------------------------------
set(SL_DOCS ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/prometheus-rules.yml)
file(GLOB SL_DOC_PAGES ${CMAKE_SOURCE_DIR}/docs/*.md ${CMAKE_SOURCE_DIR}/docs/*.png)
install(FILES ${SL_DOCS} ${SL_DOC_PAGES} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/seatledger
        COMPONENT bin)
if(SL_DEBIAN_LAYOUT)
  set(SL_EXAMPLES_DIR ${CMAKE_INSTALL_DATADIR}/doc/libseatledger-dev/examples)
else()
  set(SL_EXAMPLES_DIR ${CMAKE_INSTALL_DATADIR}/doc/seatledger/examples)
endif()
install(FILES ${CMAKE_SOURCE_DIR}/examples/embed.c DESTINATION ${SL_EXAMPLES_DIR} COMPONENT dev)

if(SL_DEBIAN_LAYOUT)
  # every package carries its own copyright and changelog (Debian policy 12.5, 12.7)
  set(SL_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/debian/changelog.Debian.gz)
  add_custom_command(OUTPUT ${SL_CHANGELOG_GZ}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/debian
    COMMAND ${GZIP_EXECUTABLE} -9n -c ${CMAKE_SOURCE_DIR}/packaging/debian/changelog > ${SL_CHANGELOG_GZ}
    DEPENDS ${CMAKE_SOURCE_DIR}/packaging/debian/changelog)
  add_custom_target(debian_changelog ALL DEPENDS ${SL_CHANGELOG_GZ})
  foreach(pair "bin;seatledger" "lib;libseatledger${SL_SOVERSION}" "dev;libseatledger-dev")
    list(GET pair 0 comp)
    list(GET pair 1 pkg)
    install(FILES ${CMAKE_SOURCE_DIR}/packaging/debian/copyright ${SL_CHANGELOG_GZ}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${pkg} COMPONENT ${comp})
  endforeach()
endif()
