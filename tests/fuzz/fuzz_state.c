/* The checkpoint file state.json (a crash, a full disk or a hand may leave anything there):
 * its parser, the dedup windows restored from it against the shipped rules, and a save and
 * load of what was parsed, which must give back the same checkpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "fuzz.h"
#include "ruleset.h"
#include "state.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_state: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ruleset *rs = fuzz_rules();
	struct state st, back;
	struct dedup_table dd;
	char err[512];

	/* exactly size bytes, no terminating NUL: a read past the end is caught */
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	int rc = state_parse(buf, size, &st, err, sizeof(err));
	free(buf);
	if (rc)
		return 0;
	check(dedup_init(&dd, 64) == 0, "dedup_init");
	dedup_restore(&dd, st.dedup, ruleset_rule, (void *)rs);
	cJSON_Delete(st.dedup);
	st.dedup = dedup_save(&dd);
	dedup_free(&dd);
	check(state_save(fuzz_dir(), &st, err, sizeof(err)) == 0, "state_save failed");
	check(state_load(fuzz_dir(), &back, err, sizeof(err)) == 0, "what was saved does not load");
	check(back.nfiles == st.nfiles && back.done.n == st.done.n, "files lost in a round trip");
	for (size_t i = 0; i < st.nfiles; i++) {
		const struct ckpt *a = &st.files[i], *b = &back.files[i];
		check(!strcmp(a->path, b->path) && !strcmp(a->input, b->input) &&
			  a->offset == b->offset && a->id.dev == b->id.dev &&
			  a->id.ino == b->id.ino && a->id.fp == b->id.fp &&
			  a->id.fp_len == b->id.fp_len,
		      "a checkpoint changed in a round trip");
	}
	state_clear(&st);
	state_clear(&back);
	return 0;
}
