#include "datamodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "udm.h"
#include "value.h"

static void spec_free(struct dm_spec *s)
{
	keypath_free(&s->path);
	ref_free(&s->ref);
	for (size_t i = 0; i < s->nalts; i++)
		spec_free(&s->alts[i]);
	free(s->alts);
	cJSON_Delete(s->value);
	tmpl_free(s->tmpl);
	free(s->split);
	cJSON_Delete(s->dflt);
	memset(s, 0, sizeof(*s));
}

void datamodel_free(struct datamodel *dm)
{
	if (!dm)
		return;
	free(dm->id);
	free(dm->file);
	for (size_t i = 0; i < dm->nlog_types; i++)
		free(dm->log_types[i]);
	free(dm->log_types);
	ref_free(&dm->root_ref);
	expr_free(dm->root_when);
	for (size_t i = 0; i < dm->nmaps; i++) {
		struct dm_mapping *m = &dm->maps[i];
		free(m->name);
		for (size_t c = 0; c < m->ncases; c++) {
			expr_free(m->cases[c].when);
			spec_free(&m->cases[c].spec);
		}
		free(m->cases);
		spec_free(&m->spec);
	}
	free(dm->maps);
	free(dm->by_id);
	free(dm);
}

static bool is_spec_key(const char *k)
{
	static const char *const keys[] = {"Path",  "KeyPath", "Coalesce", "Value",  "Template",
					   "Split", "Index",   "AsList",   "Default"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

static int set_source(struct compile_ctx *cx, struct dm_spec *s, yaml_node_t *at,
		      enum dm_source src)
{
	if (s->src != DM_NONE)
		return compile_error(cx, at,
				     "a mapping takes one of Path, KeyPath, Coalesce, Value, "
				     "Template");
	s->src = src;
	return 0;
}

/* Fill spec from the spec keys of map (other keys are the caller's). */
static int compile_spec(struct compile_ctx *cx, yaml_node_t *map, struct dm_spec *s)
{
	char msg[256];
	int rc;

	YDOC_FOREACH_PAIR(cx->doc, map, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		yaml_node_t *v = ydoc_node(cx->doc, p->value);
		const char *ks = ydoc_str(k);
		if (!ks || !is_spec_key(ks))
			continue;
		if (!strcmp(ks, "Path")) {
			const char *ps = ydoc_str(v);
			if ((rc = set_source(cx, s, k, DM_PATH)))
				return rc;
			if (!ps)
				return compile_error(cx, v, "Path must be a string");
			if (!strncmp(ps, "$.", 2))
				ps += 2;
			if (keypath_parse(&s->path, ps, msg, sizeof(msg)))
				return compile_error(cx, v, "%s", msg);
		} else if (!strcmp(ks, "KeyPath")) {
			const char *ps = ydoc_str(v);
			if ((rc = set_source(cx, s, k, DM_KEYPATH)))
				return rc;
			if (!ps)
				return compile_error(cx, v, "KeyPath must be a string");
			if (ref_compile(&s->ref, ps, cx->names, msg, sizeof(msg)))
				return compile_error(cx, v, "%s", msg);
		} else if (!strcmp(ks, "Coalesce")) {
			if ((rc = set_source(cx, s, k, DM_COALESCE)))
				return rc;
			if (!ydoc_is_seq(v))
				return compile_error(cx, v, "Coalesce must be a list of mappings");
			size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			s->alts = calloc(n ? n : 1, sizeof(*s->alts));
			if (!s->alts)
				return -ENOMEM;
			YDOC_FOREACH_ITEM(cx->doc, v, it)
			{
				yaml_node_t *in = ydoc_node(cx->doc, *it);
				if (!ydoc_is_map(in))
					return compile_error(cx, in, "Coalesce items are mappings");
				YDOC_FOREACH_PAIR(cx->doc, in, ip)
				{
					const char *iks = ydoc_str(ydoc_node(cx->doc, ip->key));
					if (!iks || !is_spec_key(iks))
						return compile_error(cx, ydoc_node(cx->doc, ip->key),
								     "unknown key '%s' in Coalesce",
								     iks ? iks : "?");
				}
				rc = compile_spec(cx, in, &s->alts[s->nalts++]);
				if (rc)
					return rc;
			}
		} else if (!strcmp(ks, "Value")) {
			if ((rc = set_source(cx, s, k, DM_VALUE)))
				return rc;
			s->value = ydoc_to_json(cx->doc, v);
			if (!s->value)
				return -ENOMEM;
		} else if (!strcmp(ks, "Template")) {
			const char *ts = ydoc_str(v);
			if ((rc = set_source(cx, s, k, DM_TEMPLATE)))
				return rc;
			if (!ts)
				return compile_error(cx, v, "Template must be a string");
			if (tmpl_compile(&s->tmpl, ts, cx->names, msg, sizeof(msg)))
				return compile_error(cx, v, "%s", msg);
		} else if (!strcmp(ks, "Split")) {
			const char *ss = ydoc_str(v);
			if (!ss || !*ss)
				return compile_error(cx, v, "Split needs a non-empty separator");
			s->split = strdup(ss);
			if (!s->split)
				return -ENOMEM;
		} else if (!strcmp(ks, "Index")) {
			if (ydoc_long(v, &s->index))
				return compile_error(cx, v, "Index must be an integer");
			s->has_index = true;
		} else if (!strcmp(ks, "AsList")) {
			if (ydoc_bool(v, &s->as_list))
				return compile_error(cx, v, "AsList must be true or false");
		} else if (!strcmp(ks, "Default")) {
			s->dflt = ydoc_to_json(cx->doc, v);
			if (!s->dflt)
				return -ENOMEM;
		}
	}
	return 0;
}

static int compile_mapping(struct compile_ctx *cx, yaml_node_t *n, struct dm_mapping *m)
{
	yaml_node_t *name_n = NULL, *cases_n = NULL;
	int rc;

	if (!ydoc_is_map(n))
		return compile_error(cx, n, "a mapping entry must be a mapping");
	yaml_node_t *dup = ydoc_duplicate_key(cx->doc, n);
	if (dup)
		return compile_error(cx, dup, "duplicate key '%s' in mapping", ydoc_str(dup));
	YDOC_FOREACH_PAIR(cx->doc, n, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		const char *ks = ydoc_str(k);
		if (!ks)
			return compile_error(cx, k, "mapping keys must be strings");
		if (!strcmp(ks, "Name"))
			name_n = ydoc_node(cx->doc, p->value);
		else if (!strcmp(ks, "Cases"))
			cases_n = ydoc_node(cx->doc, p->value);
		else if (!strcmp(ks, "Method"))
			return compile_error(cx, k, "Method (Python) is not supported: express the "
						    "field with Path, KeyPath, Coalesce, Template "
						    "or Cases");
		else if (!is_spec_key(ks))
			return compile_error(cx, k, "unknown key '%s' in mapping", ks);
	}
	if (!ydoc_str(name_n))
		return compile_error(cx, n, "mapping without Name");
	m->name = strdup(ydoc_str(name_n));
	if (!m->name)
		return -ENOMEM;
	m->id = udm_intern(cx->names, m->name);
	if (m->id < 0)
		return -ENOMEM;
	rc = compile_spec(cx, n, &m->spec);
	if (rc)
		return rc;
	if (cases_n) {
		if (!ydoc_is_seq(cases_n))
			return compile_error(cx, cases_n, "Cases must be a list");
		size_t cnt = (size_t)(cases_n->data.sequence.items.top -
				      cases_n->data.sequence.items.start);
		m->cases = calloc(cnt ? cnt : 1, sizeof(*m->cases));
		if (!m->cases)
			return -ENOMEM;
		YDOC_FOREACH_ITEM(cx->doc, cases_n, it)
		{
			yaml_node_t *cn = ydoc_node(cx->doc, *it);
			yaml_node_t *when = NULL;
			if (!ydoc_is_map(cn))
				return compile_error(cx, cn, "a case must be a mapping");
			if ((dup = ydoc_duplicate_key(cx->doc, cn)))
				return compile_error(cx, dup, "duplicate key '%s' in case",
						     ydoc_str(dup));
			YDOC_FOREACH_PAIR(cx->doc, cn, p)
			{
				yaml_node_t *k = ydoc_node(cx->doc, p->key);
				const char *ks = ydoc_str(k);
				if (ks && !strcmp(ks, "When"))
					when = ydoc_node(cx->doc, p->value);
				else if (!ks || !is_spec_key(ks))
					return compile_error(cx, k, "unknown key '%s' in case",
							     ks ? ks : "?");
			}
			if (!when)
				return compile_error(cx, cn, "a case needs When");
			struct dm_case *c = &m->cases[m->ncases++];
			rc = expr_compile_list(&c->when, cx, when);
			if (!rc)
				rc = compile_spec(cx, cn, &c->spec);
			if (rc)
				return rc;
			if (c->spec.src == DM_NONE)
				return compile_error(cx, cn, "a case needs a value (Path, KeyPath, "
							     "Coalesce, Value or Template)");
		}
	}
	if (m->spec.src == DM_NONE && !m->ncases)
		return compile_error(cx, n, "mapping '%s' has no value", m->name);
	return 0;
}

static int string_list(struct compile_ctx *cx, yaml_node_t *n, char ***out, size_t *nout)
{
	if (!ydoc_is_seq(n))
		return compile_error(cx, n, "expected a list of strings");
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*nout = 0;
	YDOC_FOREACH_ITEM(cx->doc, n, it)
	{
		yaml_node_t *in = ydoc_node(cx->doc, *it);
		if (!ydoc_str(in))
			return compile_error(cx, in, "expected a string");
		(*out)[*nout] = strdup(ydoc_str(in));
		if (!(*out)[*nout])
			return -ENOMEM;
		(*nout)++;
	}
	return 0;
}

int datamodel_load(struct datamodel **out, struct compile_ctx *cx)
{
	yaml_node_t *root = ydoc_root(cx->doc);
	yaml_node_t *dup = ydoc_duplicate_key(cx->doc, root);
	struct datamodel *dm = calloc(1, sizeof(*dm));
	int rc = 0;

	*out = NULL;
	if (!dm)
		return -ENOMEM;
	dm->enabled = true;
	dm->root_ref.udm = -1;
	dm->file = strdup(cx->doc->path);
	if (!dm->file) {
		rc = -ENOMEM;
		goto fail;
	}
	YDOC_FOREACH_PAIR(cx->doc, root, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		yaml_node_t *v = ydoc_node(cx->doc, p->value);
		const char *ks = ydoc_str(k);
		if (!ks) {
			rc = compile_error(cx, k, "keys must be strings");
			goto fail;
		}
		if (k == dup) {
			rc = compile_error(cx, k, "duplicate key '%s'", ks);
			goto fail;
		}
		if (!strcmp(ks, "AnalysisType") || !strcmp(ks, "DisplayName") ||
		    !strcmp(ks, "Description")) {
			continue;
		} else if (!strcmp(ks, "DataModelID")) {
			if (!ydoc_str(v)) {
				rc = compile_error(cx, v, "DataModelID must be a string");
				goto fail;
			}
			dm->id = strdup(ydoc_str(v));
			if (!dm->id) {
				rc = -ENOMEM;
				goto fail;
			}
		} else if (!strcmp(ks, "Enabled")) {
			if (ydoc_bool(v, &dm->enabled)) {
				rc = compile_error(cx, v, "Enabled must be true or false");
				goto fail;
			}
		} else if (!strcmp(ks, "LogTypes")) {
			rc = string_list(cx, v, &dm->log_types, &dm->nlog_types);
			if (rc)
				goto fail;
		} else if (!strcmp(ks, "Filename")) {
			rc = compile_error(cx, k, "Filename (a Python data model) is not "
						  "supported: use Mappings");
			goto fail;
		} else if (!strcmp(ks, "Root")) {
			yaml_node_t *rk = NULL, *rw = NULL;
			if (!ydoc_is_map(v)) {
				rc = compile_error(cx, v, "Root must be a mapping");
				goto fail;
			}
			yaml_node_t *rdup = ydoc_duplicate_key(cx->doc, v);
			if (rdup) {
				rc = compile_error(cx, rdup, "duplicate key '%s' in Root",
						   ydoc_str(rdup));
				goto fail;
			}
			YDOC_FOREACH_PAIR(cx->doc, v, rp)
			{
				yaml_node_t *k2 = ydoc_node(cx->doc, rp->key);
				yaml_node_t *v2 = ydoc_node(cx->doc, rp->value);
				const char *k2s = ydoc_str(k2);
				if (k2s && !strcmp(k2s, "KeyPath"))
					rk = v2;
				else if (k2s && !strcmp(k2s, "When"))
					rw = v2;
				else if (k2s && !strcmp(k2s, "Decode")) {
					if (!ydoc_str(v2) || strcmp(ydoc_str(v2), "json")) {
						rc = compile_error(cx, v2, "Decode must be json");
						goto fail;
					}
				} else {
					rc = compile_error(cx, k2, "unknown key '%s' in Root",
							   k2s ? k2s : "?");
					goto fail;
				}
			}
			char msg[256];
			if (!ydoc_str(rk)) {
				rc = compile_error(cx, v, "Root needs KeyPath");
				goto fail;
			}
			if (ref_compile(&dm->root_ref, ydoc_str(rk), cx->names, msg, sizeof(msg))) {
				rc = compile_error(cx, rk, "%s", msg);
				goto fail;
			}
			if (rw && (rc = expr_compile_list(&dm->root_when, cx, rw)))
				goto fail;
			dm->has_root = true;
		} else if (!strcmp(ks, "Mappings")) {
			if (!ydoc_is_seq(v)) {
				rc = compile_error(cx, v, "Mappings must be a list");
				goto fail;
			}
			size_t cnt = (size_t)(v->data.sequence.items.top -
					      v->data.sequence.items.start);
			dm->maps = calloc(cnt ? cnt : 1, sizeof(*dm->maps));
			if (!dm->maps) {
				rc = -ENOMEM;
				goto fail;
			}
			YDOC_FOREACH_ITEM(cx->doc, v, it)
			{
				yaml_node_t *mn = ydoc_node(cx->doc, *it);
				rc = compile_mapping(cx, mn, &dm->maps[dm->nmaps++]);
				if (rc)
					goto fail;
				for (size_t j = 0; j + 1 < dm->nmaps; j++)
					if (dm->maps[j].id == dm->maps[dm->nmaps - 1].id) {
						rc = compile_error(cx, mn, "mapping '%s' is defined "
									   "twice",
								   dm->maps[j].name);
						goto fail;
					}
			}
		} else {
			rc = compile_error(cx, k, "unknown key '%s' in data model", ks);
			goto fail;
		}
	}
	if (!dm->id) {
		rc = compile_error(cx, root, "data model without DataModelID");
		goto fail;
	}
	if (!dm->nlog_types) {
		rc = compile_error(cx, root, "data model without LogTypes");
		goto fail;
	}
	*out = dm;
	return 0;
fail:
	datamodel_free(dm);
	return rc;
}

int datamodel_index(struct datamodel *dm, size_t n_names)
{
	free(dm->by_id);
	dm->by_id = malloc((n_names ? n_names : 1) * sizeof(*dm->by_id));
	if (!dm->by_id)
		return -ENOMEM;
	dm->nby_id = n_names;
	for (size_t i = 0; i < n_names; i++)
		dm->by_id[i] = -1;
	for (size_t i = 0; i < dm->nmaps; i++)
		if ((size_t)dm->maps[i].id < n_names)
			dm->by_id[dm->maps[i].id] = (int)i;
	return 0;
}

const cJSON *datamodel_root(const struct datamodel *dm, struct event *ev)
{
	if (ev->dm_root_done)
		return ev->dm_root;
	ev->dm_root_done = true;
	ev->dm_root = ev->root;
	if (!dm->has_root)
		return ev->dm_root;
	ev->dm_root = NULL;
	if (dm->root_when && !expr_eval(dm->root_when, ev, NULL))
		return NULL;
	const cJSON *s = event_ref(ev, &dm->root_ref, NULL);
	if (!s || !cJSON_IsString(s) || !s->valuestring[0])
		return NULL;
	struct decode_error derr;
	cJSON *inner = decode_line(s->valuestring, strlen(s->valuestring), &derr);
	/* inner JSON that is not an object has no fields: every mapping is absent */
	ev->dm_root = event_keep(ev, inner);
	return ev->dm_root;
}

static const cJSON *spec_eval(const struct dm_spec *s, const struct datamodel *dm,
			      struct event *ev)
{
	const cJSON *v = NULL;

	switch (s->src) {
	case DM_NONE:
		return NULL;
	case DM_PATH:
		v = keypath_walk(&s->path, 0, datamodel_root(dm, ev), false);
		break;
	case DM_KEYPATH:
		v = event_ref(ev, &s->ref, NULL);
		break;
	case DM_COALESCE:
		for (size_t i = 0; i < s->nalts && !v; i++) {
			const cJSON *c = spec_eval(&s->alts[i], dm, ev);
			if (value_truthy(c))
				v = c;
		}
		break;
	case DM_VALUE:
		v = s->value;
		break;
	case DM_TEMPLATE: {
		struct sbuf sb;
		sbuf_init(&sb, 1u << 20);
		if (tmpl_render(s->tmpl, ev, &sb) == 0)
			v = event_keep(ev, cJSON_CreateString(sbuf_cstr(&sb)));
		sbuf_free(&sb);
		break;
	}
	}
	if ((!v || cJSON_IsNull(v)) && s->dflt)
		v = s->dflt;
	if (s->split && v) {
		struct sbuf sb;
		sbuf_init(&sb, 1u << 20);
		cJSON *arr = cJSON_CreateArray();
		if (arr && value_to_text(v, &sb) == 0) {
			const char *p = sbuf_cstr(&sb);
			size_t seplen = strlen(s->split);
			for (;;) {
				const char *q = strstr(p, s->split);
				size_t n = q ? (size_t)(q - p) : strlen(p);
				char *part = strndup(p, n);
				cJSON *item = part ? cJSON_CreateString(part) : NULL;
				free(part);
				if (!item)
					break;
				cJSON_AddItemToArray(arr, item);
				if (!q)
					break;
				p = q + seplen;
			}
		}
		sbuf_free(&sb);
		v = event_keep(ev, arr);
	}
	if (s->has_index)
		v = value_element(v, s->index);
	if (s->as_list) {
		cJSON *arr = cJSON_CreateArray();
		if (arr && value_truthy(v))
			cJSON_AddItemToArray(arr, cJSON_Duplicate(v, 1));
		v = event_keep(ev, arr);
	}
	return v;
}

const cJSON *datamodel_eval(const struct datamodel *dm, int id, struct event *ev)
{
	if (id < 0 || (size_t)id >= dm->nby_id || dm->by_id[id] < 0)
		return NULL;
	const struct dm_mapping *m = &dm->maps[dm->by_id[id]];
	for (size_t i = 0; i < m->ncases; i++)
		if (expr_eval(m->cases[i].when, ev, NULL))
			return spec_eval(&m->cases[i].spec, dm, ev);
	return spec_eval(&m->spec, dm, ev);
}
