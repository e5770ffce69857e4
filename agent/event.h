/* event: one decoded audit event as rules see it: its JSON, its log type, its data model and
 * the data-model fields computed for it so far (each at most once per event). */
#ifndef KAA_EVENT_H
#define KAA_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "keypath.h"

struct datamodel;
struct udm_names;

/* A key specifier as rules write it: a path into the event, or p_udm.FIELD... into the data
 * model's field FIELD and on from there. */
struct ref {
	struct keypath kp;
	int udm; /* id of the p_udm field, or -1 for a raw event path */
};

int ref_compile(struct ref *r, const char *keypath, struct udm_names *names, char *err,
		size_t errsz);
/* Take ownership of an already compiled key path. */
int ref_from_keypath(struct ref *r, struct keypath *kp, struct udm_names *names);
void ref_free(struct ref *r);

struct event {
	cJSON *root;          /* owned */
	const char *log_type; /* borrowed: from root or from the caller */
	const struct datamodel *dm;
	cJSON *scratch;       /* owns values computed for this event */
	const cJSON **udm;    /* per udm id: computed value */
	uint8_t *udm_state;   /* per udm id: 0 not yet, 1 computing, 2 done */
	size_t n_udm;
	const cJSON *dm_root; /* where the data model's Path mappings start */
	bool dm_root_done;
};

/* Set up ev over root (ownership passes to ev). n_udm is the size of the name table. */
int event_init(struct event *ev, cJSON *root, const char *log_type, const struct datamodel *dm,
	       size_t n_udm);
void event_free(struct event *ev);

/* Resolve a key specifier; elem is the current list element (relative paths) or NULL.
 * The result is borrowed from the event and lives until event_free. */
const cJSON *event_ref(struct event *ev, const struct ref *r, const cJSON *elem);
/* The data-model field with this id (NULL when the model has none or it is absent). */
const cJSON *event_udm(struct event *ev, int id);
/* Keep v alive as long as the event (ownership passes); returns v, or NULL when v is NULL. */
const cJSON *event_keep(struct event *ev, cJSON *v);

#endif
