# Run at install time (install(CODE) in cmake/install.cmake): writes the files
# that name installed paths (the pkg-config file, the systemd units, the cron
# file) for the prefix actually installed to, so `cmake --install build
# --prefix P` gets files that point into P.  Inputs: SL_SOURCE_DIR, SL_OUT,
# SL_VERSION, SL_REL_BINDIR, SL_REL_LIBDIR, SL_REL_INCLUDEDIR, SL_REL_SYSCONFDIR
# (each relative to the prefix, or absolute), SL_TEMPLATES (source-relative
# paths of the *.in files).
function(sl_full var rel)
  if(IS_ABSOLUTE "${rel}")
    set(${var} "${rel}" PARENT_SCOPE)
  else()
    set(${var} "${CMAKE_INSTALL_PREFIX}/${rel}" PARENT_SCOPE)
  endif()
endfunction()
set(SL_PREFIX "${CMAKE_INSTALL_PREFIX}")
sl_full(SL_BINDIR "${SL_REL_BINDIR}")
sl_full(SL_LIBDIR "${SL_REL_LIBDIR}")
sl_full(SL_INCLUDEDIR "${SL_REL_INCLUDEDIR}")
sl_full(SL_SYSCONFDIR "${SL_REL_SYSCONFDIR}")
foreach(t ${SL_TEMPLATES})
  get_filename_component(name "${t}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  configure_file("${SL_SOURCE_DIR}/${t}" "${SL_OUT}/${name}" @ONLY)
endforeach()
