# Turns a text file into a C array and its length, so the binary carries it
# (the GraphQL schema of server/graphql_api/).  Run at build time with
# -DIN=<file> -DOUT=<file.c> -DNAME=<symbol>: defines NAME[] (NUL-terminated)
# and NAME_len (the text's bytes).
file(READ "${IN}" text HEX)
string(LENGTH "${text}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," text "${text}")
file(WRITE "${OUT}.tmp" "/* generated from ${IN} by cmake/embed_text.cmake */
#include <stddef.h>
extern const char ${NAME}[];
extern const size_t ${NAME}_len;
const char ${NAME}[] = {${text}0x00};
const size_t ${NAME}_len = ${len};
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
