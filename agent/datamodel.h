/* datamodel: Panther-style data models as YAML data. Each maps unified field names
 * (username, sourceIPs, ...) to where a log type keeps them, so one rule reads EKS, AKS, GKE
 * and native audit events alike. See README "Data models" for the mapping language. */
#ifndef KAA_DATAMODEL_H
#define KAA_DATAMODEL_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "event.h"
#include "expr.h"
#include "template.h"

enum dm_source { DM_NONE, DM_PATH, DM_KEYPATH, DM_COALESCE, DM_VALUE, DM_TEMPLATE };

struct dm_spec {
	enum dm_source src;
	struct keypath path; /* DM_PATH: from the model's root, case-sensitive (JSONPath) */
	struct ref ref;      /* DM_KEYPATH: from the event, Panther lookup */
	struct dm_spec *alts; /* DM_COALESCE: first truthy */
	size_t nalts;
	cJSON *value;        /* DM_VALUE */
	struct tmpl *tmpl;   /* DM_TEMPLATE */
	char *split;         /* split str(value) on this separator into a list */
	bool has_index;
	long index;          /* then take this element */
	bool as_list;        /* [value] when truthy, else [] */
	cJSON *dflt;         /* when the result is absent or null */
};

struct dm_case {
	struct expr *when;
	struct dm_spec spec;
};

struct dm_mapping {
	char *name;
	int id;
	struct dm_case *cases;
	size_t ncases;
	struct dm_spec spec; /* when no case applies */
};

struct datamodel {
	char *id;
	char *file;
	bool enabled;
	char **log_types;
	size_t nlog_types;
	/* Root: fields live in a JSON string inside the event (AKS: properties.log) */
	bool has_root;
	struct ref root_ref;
	struct expr *root_when;
	struct dm_mapping *maps;
	size_t nmaps;
	int *by_id; /* udm id -> index in maps, or -1; built by datamodel_index() */
	size_t nby_id;
};

/* Load a data model from an already parsed YAML document. Returns 0 or -EINVAL (err set). */
int datamodel_load(struct datamodel **out, struct compile_ctx *cx);
void datamodel_free(struct datamodel *dm);
/* Build the id index once every name is known. Returns 0 or -ENOMEM. */
int datamodel_index(struct datamodel *dm, size_t n_names);

/* Compute field id for ev (called by event_udm). Result borrowed from ev. */
const cJSON *datamodel_eval(const struct datamodel *dm, int id, struct event *ev);
/* The root for Path mappings (the event, or its decoded inner JSON). */
const cJSON *datamodel_root(const struct datamodel *dm, struct event *ev);

#endif
