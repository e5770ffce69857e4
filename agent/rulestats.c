#include "rulestats.h"

#include <stdlib.h>
#include <string.h>

struct rule_counts *rulestats_get(struct rulestats *s, const char *rule_id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].rule_id, rule_id))
			return &s->v[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct rule_counts *nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		s->v = nv;
		s->cap = cap;
	}
	struct rule_counts *c = &s->v[s->n];
	memset(c, 0, sizeof(*c));
	if (!(c->rule_id = strdup(rule_id)))
		return NULL;
	s->n++;
	return c;
}

void rulestats_free(struct rulestats *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].rule_id);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
