/* expr: Panther match expressions (Detection, InlineFilters, DynamicSeverities Conditions,
 * data-model When) compiled from YAML and evaluated against an event. */
#ifndef KAA_EXPR_H
#define KAA_EXPR_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "ydoc.h"

struct event;
struct expr;
struct udm_names;

/* What a compiler needs: where errors go, and the table that gives p_udm names their ids. */
struct compile_ctx {
	struct ydoc *doc;
	struct udm_names *names;
	char *err;
	size_t errsz;
};

/* Report "file:line: message" into cx->err; returns -EINVAL for convenience. */
int compile_error(struct compile_ctx *cx, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Compile a YAML sequence of match expressions; the list means All. Returns 0 or -EINVAL. */
int expr_compile_list(struct expr **out, struct compile_ctx *cx, yaml_node_t *seq);
void expr_free(struct expr *e);

struct ref;
/* A key specifier: kind_n is the key (Key, KeyPath or DeepKey), v its value. Returns 0 or
 * -EINVAL with cx->err set. */
int keyspec_compile(struct compile_ctx *cx, yaml_node_t *kind_n, yaml_node_t *v, struct ref *r);

/* Evaluate against ev; elem is the current list element inside Expressions (else NULL). */
bool expr_eval(const struct expr *e, struct event *ev, const cJSON *elem);

struct pf_env;
struct pf_set;
/* The literal cover of e for the prefilter (see prefilter.c): a set of byte strings one of
 * which every line that makes e true holds, or any_line when none is known. */
void expr_cover(const struct expr *e, const struct pf_env *env, struct pf_set *out);

#endif
