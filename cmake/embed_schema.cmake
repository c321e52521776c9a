# Turns schema/NNN_*.sql into a C array of migrations, so the binary carries
# its own schema.  Run at build time with -DSCHEMA_DIR= -DOUT=.
file(GLOB files "${SCHEMA_DIR}/[0-9][0-9][0-9]_*.sql")
list(SORT files)
set(head [[
/* generated from schema/NNN_name.sql by cmake/embed_schema.cmake */
#include <stddef.h>
struct sl_migration { const char *name; const char *sql; };
extern const struct sl_migration sl_migrations[];
]])
set(body "")
set(entries "")
set(n 0)
# migration N is the file numbered N: applied in that order, PRAGMA
# user_version counts them, so a number given twice or skipped (two branches
# taking the same one) would apply migrations in an order no ledger saw
foreach(f ${files})
  get_filename_component(name "${f}" NAME)
  string(SUBSTRING "${name}" 0 3 number)
  math(EXPR want "${n} + 1")
  math(EXPR number "${number}")   # "012" -> 12
  if(NOT number EQUAL want)
    message(FATAL_ERROR "schema/${name}: expected migration number ${want} (each number once, none skipped)")
  endif()
  math(EXPR n "${n} + 1")
endforeach()
set(n 0)
foreach(f ${files})
  file(READ "${f}" sql HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," sql "${sql}")
  get_filename_component(name "${f}" NAME)
  string(APPEND body "static const char m${n}[] = {${sql}0x00};\n")
  string(APPEND entries "  {\"${name}\", m${n}},\n")
  math(EXPR n "${n} + 1")
endforeach()
set(tail_open [[const struct sl_migration sl_migrations[] = {]])
set(tail_close [[  {NULL, NULL}
};
]])
file(WRITE "${OUT}.tmp" "${head}${body}${tail_open}\n${entries}${tail_close}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
