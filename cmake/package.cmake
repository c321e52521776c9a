# `cpack -G DEB` (included from the top CMakeLists.txt): one package per
# install component (cmake/install.cmake).  Build them from a tree configured
# with -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc
# -DSL_DEBIAN_LAYOUT=ON (scripts/package.sh does), so files land where a
# Debian package puts them.
set(CPACK_PACKAGE_NAME seatledger)
set(CPACK_PACKAGE_VENDOR "seatledger")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "seatledger maintainers <maintainers@users.noreply.h-seed-5daa6354.example>")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL bin lib dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)

set(SL_DEB_PACKAGE_VERSION "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
set(SL_DEB_DIR ${CMAKE_BINARY_DIR}/debian)

# seatledger: the command and everything an admin runs
set(CPACK_DEBIAN_BIN_PACKAGE_NAME seatledger)
set(CPACK_DEBIAN_BIN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_BIN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_BIN_PACKAGE_SUGGESTS "default-mta | mail-transport-agent, prometheus")
set(CPACK_COMPONENT_BIN_DESCRIPTION
"license-key and billable-user accounting engine
seatledger reads and writes license keys in the GitLab license format,
checks them against trusted vendor keys, keeps an append-only ledger of
billable-user snapshots in SQLite and answers GitLab's License API.

This package holds the seatledger command, the API server with its
Prometheus /metrics endpoint and notifications, the systemd units (a daily
refresh timer and the server) and a cron file.")
# files in /etc are conffiles; the maintainer scripts create the user
configure_file(${CMAKE_SOURCE_DIR}/packaging/debian/conffiles.in ${SL_DEB_DIR}/bin/conffiles @ONLY)
foreach(script postinst prerm postrm)
  file(COPY ${CMAKE_SOURCE_DIR}/packaging/debian/${script} DESTINATION ${SL_DEB_DIR}/bin
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                        WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_BIN_PACKAGE_CONTROL_EXTRA
    ${SL_DEB_DIR}/bin/conffiles ${SL_DEB_DIR}/bin/postinst ${SL_DEB_DIR}/bin/prerm
    ${SL_DEB_DIR}/bin/postrm)
set(CPACK_DEBIAN_BIN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# libseatledger0: the shared library
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libseatledger${SL_SOVERSION})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# the shlibs file (Debian policy 8.6: later versions keep the ABI of SL_SOVERSION),
# the ldconfig trigger (8.1.1), and maintainer scripts that leave ldconfig to
# the trigger (CPack would otherwise write ones that call it)
file(WRITE ${SL_DEB_DIR}/lib/shlibs
     "libseatledger ${SL_SOVERSION} libseatledger${SL_SOVERSION} (>= ${PROJECT_VERSION})\n")
file(WRITE ${SL_DEB_DIR}/lib/triggers "activate-noawait ldconfig\n")
foreach(script postinst postrm)
  file(WRITE ${SL_DEB_DIR}/lib/${script}
       "#!/bin/sh\n# ${script} of libseatledger${SL_SOVERSION}: the ldconfig trigger does the work.\nset -e\nexit 0\n")
  file(CHMOD ${SL_DEB_DIR}/lib/${script} FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
       GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${SL_DEB_DIR}/lib/shlibs ${SL_DEB_DIR}/lib/triggers
    ${SL_DEB_DIR}/lib/postinst ${SL_DEB_DIR}/lib/postrm)
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_LIB_DESCRIPTION
"license-key and billable-user accounting engine (shared library)
libseatledger is the engine behind the seatledger command: GitLab license
keys, trusted vendor keys, the billable-user ledger in SQLite, usage CSV
and API tokens, behind one C header.

This package holds the shared library.")

# libseatledger-dev: what an embedder compiles and links with
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libseatledger-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libseatledger${SL_SOVERSION} (= ${SL_DEB_PACKAGE_VERSION}), libsqlite3-dev, libssl-dev (>= 3.0), libjansson-dev, libjwt-dev, libcsv-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION
"license-key and billable-user accounting engine (development files)
libseatledger is the engine behind the seatledger command: GitLab license
keys, trusted vendor keys, the billable-user ledger in SQLite, usage CSV
and API tokens, behind one C header.

This package holds the header seatledger.h, the static archive, the
pkg-config file and an embedding example.")

include(CPack)
