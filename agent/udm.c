#include "udm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int udm_find(const struct udm_names *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return (int)i;
	return -1;
}

int udm_intern(struct udm_names *t, const char *name)
{
	int id = udm_find(t, name);
	if (id >= 0)
		return id;
	char **nn = realloc(t->names, (t->n + 1) * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	t->names = nn;
	t->names[t->n] = strdup(name);
	if (!t->names[t->n])
		return -ENOMEM;
	return (int)t->n++;
}

void udm_names_free(struct udm_names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	t->names = NULL;
	t->n = 0;
}
