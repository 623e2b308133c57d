# Compares the named constants of the Fortran module with the C header:
#   cmake -DHEADER=firecrest_auth.h -DMODULE=firecrest_auth.f90 -P this
# Every F7T_STATUS_* enumerator and every numeric F7T_* macro (client
# authentication, log levels) must appear in the module with the same
# value, and the module must have no F7T_* constant the header lacks.
# The version macros are left out: Fortran reads f7t_version() instead.

foreach(var HEADER MODULE)
  if(NOT EXISTS "${${var}}")
    message(FATAL_ERROR "${var}=${${var}} does not exist")
  endif()
endforeach()

function(collect file regex out)
  file(STRINGS "${file}" lines REGEX "${regex}")
  set(pairs "")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "${regex}" match "${line}")
    list(APPEND pairs "${CMAKE_MATCH_1}=${CMAKE_MATCH_2}")
  endforeach()
  list(SORT pairs)
  set(${out} "${pairs}" PARENT_SCOPE)
endfunction()

collect("${HEADER}" "^ +(F7T_STATUS_[A-Z0-9_]+) = (-?[0-9]+),$" statuses)
collect("${HEADER}" "^#define (F7T_[A-Z0-9_]+) (-?[0-9]+)$" macros)
list(FILTER macros EXCLUDE REGEX "^F7T_VERSION_")
set(expected ${statuses} ${macros})
list(SORT expected)
collect("${MODULE}" "^ +(F7T_[A-Z0-9_]+) = (-?[0-9]+)(, &)?$" actual)

list(LENGTH expected count)
if(count LESS 40)
  message(FATAL_ERROR "found only ${count} constants in ${HEADER}: has its "
                      "layout changed? Update the patterns in this script.")
endif()
set(missing ${expected})
list(REMOVE_ITEM missing ${actual})
set(extra ${actual})
list(REMOVE_ITEM extra ${expected})
if(missing OR extra)
  list(JOIN missing "\n  " missing_text)
  list(JOIN extra "\n  " extra_text)
  message(FATAL_ERROR "the Fortran module's constants differ from the "
                      "header's.\nIn the header, not in the module:\n  "
                      "${missing_text}\nIn the module, not in the header:\n  "
                      "${extra_text}\nEdit ${MODULE} to match.")
endif()
message(STATUS "${count} constants of the Fortran module match the header")
