# Turns every file of the admin console's asset folder into a C array, and
# a table of them by file name, so the binary carries the console (HTML,
# CSS, JavaScript modules, icons: server/console/assets/).  Run at build time
# with -DDIR=<folder> -DOUT=<file.c>: defines sl_console_assets[] and
# sl_console_asset_count (server/console/console_internal.h).  Files are
# listed in name order, so the output does not depend on the file system.
file(GLOB files RELATIVE "${DIR}" "${DIR}/*")
list(SORT files)
set(arrays "")
set(table "")
set(i 0)
foreach(name ${files})
  if(IS_DIRECTORY "${DIR}/${name}")
    continue()
  endif()
  if(NOT name MATCHES "^[A-Za-z0-9_-]+\\.[a-z]+$")
    message(FATAL_ERROR "console asset '${name}': names are [A-Za-z0-9_-]+.ext")
  endif()
  file(READ "${DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND arrays "static const unsigned char asset_${i}[] = {${hex}0x00};\n")
  string(APPEND table "    {\"${name}\", asset_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "/* generated from ${DIR} by cmake/embed_assets.cmake */
#include \"console/console_internal.h\"
${arrays}
const sl_console_asset sl_console_assets[] = {
${table}};
const size_t sl_console_asset_count = ${i};
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
