#include "event.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datamodel.h"
#include "udm.h"

int ref_from_keypath(struct ref *r, struct keypath *kp, struct udm_names *names)
{
	r->kp = *kp;
	memset(kp, 0, sizeof(*kp));
	r->udm = -1;
	if (r->kp.n >= 2 && r->kp.segs[0].key && strcmp(r->kp.segs[0].key, "p_udm") == 0 &&
	    r->kp.segs[1].key) {
		int id = udm_intern(names, r->kp.segs[1].key);
		if (id < 0) {
			ref_free(r);
			return id;
		}
		r->udm = id;
	}
	return 0;
}

int ref_compile(struct ref *r, const char *keypath, struct udm_names *names, char *err,
		size_t errsz)
{
	struct keypath kp;
	memset(r, 0, sizeof(*r));
	r->udm = -1;
	int rc = keypath_parse(&kp, keypath, err, errsz);
	if (rc)
		return rc;
	return ref_from_keypath(r, &kp, names);
}

void ref_free(struct ref *r)
{
	keypath_free(&r->kp);
	r->udm = -1;
}

int event_init(struct event *ev, cJSON *root, const char *log_type, const struct datamodel *dm,
	       size_t n_udm)
{
	memset(ev, 0, sizeof(*ev));
	ev->root = root;
	ev->log_type = log_type;
	ev->dm = dm;
	ev->n_udm = n_udm;
	if (n_udm) {
		ev->udm = calloc(n_udm, sizeof(*ev->udm));
		ev->udm_state = calloc(n_udm, 1);
		if (!ev->udm || !ev->udm_state) {
			free(ev->udm);
			free(ev->udm_state);
			ev->udm = NULL;
			ev->udm_state = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

void event_free(struct event *ev)
{
	cJSON_Delete(ev->root);
	cJSON_Delete(ev->scratch);
	free(ev->udm);
	free(ev->udm_state);
	memset(ev, 0, sizeof(*ev));
}

const cJSON *event_keep(struct event *ev, cJSON *v)
{
	if (!v)
		return NULL;
	if (!ev->scratch) {
		ev->scratch = cJSON_CreateArray();
		if (!ev->scratch) {
			cJSON_Delete(v);
			return NULL;
		}
	}
	cJSON_AddItemToArray(ev->scratch, v);
	return v;
}

const cJSON *event_udm(struct event *ev, int id)
{
	if (!ev->dm || id < 0 || (size_t)id >= ev->n_udm)
		return NULL;
	switch (ev->udm_state[id]) {
	case 2:
		return ev->udm[id];
	case 1:
		return NULL; /* a mapping that refers to itself: absent, not a loop */
	default:
		break;
	}
	ev->udm_state[id] = 1;
	ev->udm[id] = datamodel_eval(ev->dm, id, ev);
	ev->udm_state[id] = 2;
	return ev->udm[id];
}

const cJSON *event_ref(struct event *ev, const struct ref *r, const cJSON *elem)
{
	if (elem)
		return keypath_walk(&r->kp, 0, elem, true);
	if (r->udm >= 0)
		return keypath_walk(&r->kp, 2, event_udm(ev, r->udm), true);
	return keypath_walk(&r->kp, 0, ev->root, true);
}
