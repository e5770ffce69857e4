/* Common includes for the cmocka unit tests: one test file per agent module, named
 * tests/unit/test_MODULE.c, each test named for the behaviour it pins down. */
#ifndef KAA_UNIT_H
#define KAA_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#endif
