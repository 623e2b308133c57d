/*
 * Compiled, never run, by the header_c99 and header_cxx17 ctest tests:
 * the public header must compile on its own, with nothing included before
 * it, under strict warnings in C and in C++, and a second inclusion must be
 * harmless (the include guard), since real programs include it from
 * several of their own headers.
 */

#include "firecrest_auth.h"
#include "firecrest_auth.h"
