/* udm: the table of unified data model field names (p_udm.NAME in rules) shared by every
 * rule and data model of a rule set, so a lookup is an array index, not a string search. */
#ifndef KAA_UDM_H
#define KAA_UDM_H

#include <stddef.h>

struct udm_names {
	char **names;
	size_t n;
};

/* Id of name, adding it when new. Returns the id or -ENOMEM. */
int udm_intern(struct udm_names *t, const char *name);
/* Id of name, or -1. */
int udm_find(const struct udm_names *t, const char *name);
void udm_names_free(struct udm_names *t);

#endif
