/* Helpers the libFuzzer harnesses in tests/fuzz/ share: a private scratch directory for the
 * parsers that read a file by name, and the shipped rule set. Each harness is one
 * fuzz_TARGET.c defining LLVMFuzzerTestOneInput; tests/fuzz/run.sh runs them. */
#ifndef KAA_FUZZ_H
#define KAA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct ruleset;

/* A private directory (created on first use, removed at exit): the files below live in it. */
const char *fuzz_dir(void);
/* Write data to fuzz_dir()/name, replacing it; returns its path (static buffer) or aborts. */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);
/* Remove everything in fuzz_dir(), keeping the directory. */
void fuzz_clean(void);
/* The shipped rules (KAA_FUZZ_RULES, else the rules/ directory the agent was built with),
 * loaded once; aborts when they do not load (a broken tree is not a fuzzing finding). */
const struct ruleset *fuzz_rules(void);
/* The rules directory fuzz_rules() loads. */
const char *fuzz_rules_dir(void);

#endif
