#include "rule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "sbuf.h"
#include "value.h"

static const char *const sev_names[] = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL", "DEFAULT"};

const char *severity_name(enum severity s)
{
	return (unsigned)s <= SEV_DEFAULT ? sev_names[s] : "INFO";
}

int severity_parse(const char *s, bool allow_default, enum severity *out)
{
	for (int i = 0; i <= SEV_DEFAULT; i++) {
		if (i == SEV_DEFAULT && !allow_default)
			break;
		if (s && strcasecmp(s, sev_names[i]) == 0) {
			*out = (enum severity)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void dyn_free(struct rule_dynamic *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		expr_free(d[i].when);
		tmpl_free(d[i].title);
	}
	free(d);
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->display_name);
	free(r->file);
	for (size_t i = 0; i < r->nlog_types; i++)
		free(r->log_types[i]);
	free(r->log_types);
	cJSON_Delete(r->meta);
	expr_free(r->detection);
	expr_free(r->inline_filters);
	tmpl_free(r->title);
	dyn_free(r->dyn_titles, r->ndyn_titles);
	dyn_free(r->dyn_sevs, r->ndyn_sevs);
	tmpl_free(r->dedup);
	for (size_t i = 0; i < r->ngroup_by; i++)
		ref_free(&r->group_by[i]);
	free(r->group_by);
	for (size_t i = 0; i < r->ncontext; i++) {
		free(r->context[i].name);
		ref_free(&r->context[i].ref);
	}
	free(r->context);
	for (size_t i = 0; i < r->ntests; i++) {
		struct rule_test *t = &r->tests[i];
		free(t->name);
		cJSON_Delete(t->log);
		free(t->log_type);
		free(t->exp_title);
		free(t->exp_severity);
		free(t->exp_dedup);
	}
	free(r->tests);
	free(r);
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static int need_str(struct compile_ctx *cx, yaml_node_t *v, const char *key, char **out)
{
	if (!ydoc_str(v))
		return compile_error(cx, v, "%s must be a string", key);
	free(*out);
	*out = strdup(ydoc_str(v));
	return *out ? 0 : -ENOMEM;
}

/* A key specifier written as a one-key mapping ({KeyPath: a.b}) into r. */
static int compile_keyspec(struct compile_ctx *cx, yaml_node_t *n, struct ref *r)
{
	if (!ydoc_is_map(n) || n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
		return compile_error(cx, n, "expected one of Key, KeyPath or DeepKey");
	yaml_node_pair_t *p = n->data.mapping.pairs.start;
	return keyspec_compile(cx, ydoc_node(cx->doc, p->key), ydoc_node(cx->doc, p->value), r);
}

static int compile_dynamic(struct compile_ctx *cx, yaml_node_t *seq, bool titles,
			   struct rule_dynamic **out, size_t *nout)
{
	char msg[256];
	if (!ydoc_is_seq(seq))
		return compile_error(cx, seq, "expected a list of {ChangeTo, Conditions}");
	*out = calloc(seq_len(seq) ? seq_len(seq) : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	YDOC_FOREACH_ITEM(cx->doc, seq, it)
	{
		yaml_node_t *n = ydoc_node(cx->doc, *it);
		yaml_node_t *to = NULL, *conds = NULL;
		if (!ydoc_is_map(n))
			return compile_error(cx, n, "expected {ChangeTo, Conditions}");
		YDOC_FOREACH_PAIR(cx->doc, n, p)
		{
			yaml_node_t *k = ydoc_node(cx->doc, p->key);
			const char *ks = ydoc_str(k);
			if (ks && !strcmp(ks, "ChangeTo"))
				to = ydoc_node(cx->doc, p->value);
			else if (ks && !strcmp(ks, "Conditions"))
				conds = ydoc_node(cx->doc, p->value);
			else
				return compile_error(cx, k, "unknown key '%s' (expected ChangeTo, "
							    "Conditions)",
						     ks ? ks : "?");
		}
		if (!to || !conds)
			return compile_error(cx, n, "needs both ChangeTo and Conditions");
		struct rule_dynamic *d = &(*out)[(*nout)++];
		int rc = expr_compile_list(&d->when, cx, conds);
		if (rc)
			return rc;
		if (!ydoc_str(to))
			return compile_error(cx, to, "ChangeTo must be a string");
		if (titles) {
			if (tmpl_compile(&d->title, ydoc_str(to), cx->names, msg, sizeof(msg)))
				return compile_error(cx, to, "%s", msg);
		} else if (severity_parse(ydoc_str(to), true, &d->severity)) {
			return compile_error(cx, to, "unknown severity '%s'", ydoc_str(to));
		}
	}
	return 0;
}

static int compile_tests(struct compile_ctx *cx, yaml_node_t *seq, struct rule *r)
{
	if (!ydoc_is_seq(seq))
		return compile_error(cx, seq, "Tests must be a list");
	r->tests = calloc(seq_len(seq) ? seq_len(seq) : 1, sizeof(*r->tests));
	if (!r->tests)
		return -ENOMEM;
	YDOC_FOREACH_ITEM(cx->doc, seq, it)
	{
		yaml_node_t *n = ydoc_node(cx->doc, *it);
		struct rule_test *t = &r->tests[r->ntests++];
		bool have_expected = false;
		yaml_node_t *log_n = NULL;
		int rc = 0;

		t->line = ydoc_line(n);
		if (!ydoc_is_map(n))
			return compile_error(cx, n, "a test must be a mapping");
		YDOC_FOREACH_PAIR(cx->doc, n, p)
		{
			yaml_node_t *k = ydoc_node(cx->doc, p->key);
			yaml_node_t *v = ydoc_node(cx->doc, p->value);
			const char *ks = ydoc_str(k);
			if (!ks)
				return compile_error(cx, k, "test keys must be strings");
			if (!strcmp(ks, "Name"))
				rc = need_str(cx, v, ks, &t->name);
			else if (!strcmp(ks, "ExpectedResult")) {
				if (ydoc_bool(v, &t->expected))
					return compile_error(cx, v, "ExpectedResult must be true "
								    "or false");
				have_expected = true;
			} else if (!strcmp(ks, "Log"))
				log_n = v;
			else if (!strcmp(ks, "LogType"))
				rc = need_str(cx, v, ks, &t->log_type);
			else if (!strcmp(ks, "ExpectedTitle"))
				rc = need_str(cx, v, ks, &t->exp_title);
			else if (!strcmp(ks, "ExpectedSeverity"))
				rc = need_str(cx, v, ks, &t->exp_severity);
			else if (!strcmp(ks, "ExpectedDedup"))
				rc = need_str(cx, v, ks, &t->exp_dedup);
			else if (!strcmp(ks, "Mocks"))
				return compile_error(cx, k, "Mocks are for Python rules; this agent "
							    "has none to mock");
			else
				return compile_error(cx, k, "unknown key '%s' in test", ks);
			if (rc)
				return rc;
		}
		if (!t->name)
			return compile_error(cx, n, "test without Name");
		if (!have_expected)
			return compile_error(cx, n, "test '%s' without ExpectedResult", t->name);
		if (!log_n)
			return compile_error(cx, n, "test '%s' without Log", t->name);
		if (ydoc_is_scalar(log_n) && !ydoc_is_plain(log_n)) {
			struct decode_error de;
			const char *s = ydoc_str(log_n);
			t->log = decode_line(s, strlen(s), &de);
			if (!t->log)
				return compile_error(cx, log_n, "test '%s': Log: %s at byte %zu",
						     t->name, de.reason, de.offset);
		} else {
			t->log = ydoc_to_json(cx->doc, log_n);
			if (!t->log || !cJSON_IsObject(t->log))
				return compile_error(cx, log_n, "test '%s': Log must be a mapping "
								"or a JSON object string",
						     t->name);
		}
		if (t->exp_severity) {
			enum severity sv;
			if (severity_parse(t->exp_severity, false, &sv))
				return compile_error(cx, n, "test '%s': unknown ExpectedSeverity "
								"'%s'",
						     t->name, t->exp_severity);
		}
		if (!t->log_type) {
			const cJSON *lt = cJSON_GetObjectItemCaseSensitive(t->log, "p_log_type");
			const char *s = cJSON_IsString(lt) ? lt->valuestring
							   : (r->nlog_types ? r->log_types[0] : "");
			t->log_type = strdup(s);
			if (!t->log_type)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Top-level keys Panther defines that the agent accepts without acting on. */
static const char *const ignored_keys[] = {"AnalysisType", "Status",	"SummaryAttributes",
					   "OutputIds",    "CreatedBy", "OnlyUseBaseRiskScore",
					   "CreateAlert"};
/* Keys carried into every alert as rule metadata. */
static const char *const meta_keys[] = {"Description", "Reference", "Runbook", "Tags",
					"Reports"};

static int rule_key(struct compile_ctx *cx, struct rule *r, yaml_node_t *k, yaml_node_t *v,
		    yaml_node_t **detection, yaml_node_t **filters, yaml_node_t **tests)
{
	const char *ks = ydoc_str(k);
	char msg[256];
	long lv;

	for (size_t i = 0; i < sizeof(ignored_keys) / sizeof(*ignored_keys); i++)
		if (!strcmp(ks, ignored_keys[i]))
			return 0;
	for (size_t i = 0; i < sizeof(meta_keys) / sizeof(*meta_keys); i++) {
		if (strcmp(ks, meta_keys[i]))
			continue;
		cJSON *j = ydoc_to_json(cx->doc, v);
		if (!j)
			return -ENOMEM;
		cJSON_AddItemToObject(r->meta, ks, j);
		return 0;
	}
	if (!strcmp(ks, "RuleID"))
		return need_str(cx, v, ks, &r->id);
	if (!strcmp(ks, "DisplayName"))
		return need_str(cx, v, ks, &r->display_name);
	if (!strcmp(ks, "Enabled"))
		return ydoc_bool(v, &r->enabled) ? compile_error(cx, v, "Enabled must be true or "
									"false")
						 : 0;
	if (!strcmp(ks, "Severity"))
		return severity_parse(ydoc_str(v), false, &r->severity)
			       ? compile_error(cx, v, "unknown Severity '%s'",
					       ydoc_str(v) ? ydoc_str(v) : "?")
			       : 0;
	if (!strcmp(ks, "DedupPeriodMinutes")) {
		if (ydoc_long(v, &lv) || lv < 1 || lv > 60 * 24 * 365)
			return compile_error(cx, v, "DedupPeriodMinutes must be a whole number of "
						    "minutes from 1 to 525600");
		r->dedup_minutes = lv;
		return 0;
	}
	if (!strcmp(ks, "Threshold")) {
		if (ydoc_long(v, &lv) || lv < 1 || lv > 1000000000)
			return compile_error(cx, v, "Threshold must be a whole number from 1");
		r->threshold = lv;
		return 0;
	}
	if (!strcmp(ks, "LogTypes")) {
		if (!ydoc_is_seq(v) || seq_len(v) == 0)
			return compile_error(cx, v, "LogTypes must be a non-empty list");
		r->log_types = calloc(seq_len(v), sizeof(*r->log_types));
		if (!r->log_types)
			return -ENOMEM;
		YDOC_FOREACH_ITEM(cx->doc, v, it)
		{
			yaml_node_t *in = ydoc_node(cx->doc, *it);
			int rc = need_str(cx, in, "a log type", &r->log_types[r->nlog_types]);
			if (rc)
				return rc;
			r->nlog_types++;
		}
		return 0;
	}
	if (!strcmp(ks, "Detection")) {
		*detection = v;
		return 0;
	}
	if (!strcmp(ks, "InlineFilters")) {
		*filters = v;
		return 0;
	}
	if (!strcmp(ks, "Tests")) {
		*tests = v;
		return 0;
	}
	if (!strcmp(ks, "AlertTitle")) {
		if (!ydoc_str(v))
			return compile_error(cx, v, "AlertTitle must be a string");
		if (tmpl_compile(&r->title, ydoc_str(v), cx->names, msg, sizeof(msg)))
			return compile_error(cx, v, "%s", msg);
		return 0;
	}
	if (!strcmp(ks, "DedupString")) {
		if (!ydoc_str(v))
			return compile_error(cx, v, "DedupString must be a string");
		if (tmpl_compile(&r->dedup, ydoc_str(v), cx->names, msg, sizeof(msg)))
			return compile_error(cx, v, "%s", msg);
		return 0;
	}
	if (!strcmp(ks, "DynamicTitles"))
		return compile_dynamic(cx, v, true, &r->dyn_titles, &r->ndyn_titles);
	if (!strcmp(ks, "DynamicSeverities"))
		return compile_dynamic(cx, v, false, &r->dyn_sevs, &r->ndyn_sevs);
	if (!strcmp(ks, "GroupBy")) {
		if (!ydoc_is_seq(v) || seq_len(v) == 0)
			return compile_error(cx, v, "GroupBy must be a non-empty list of keys");
		r->group_by = calloc(seq_len(v), sizeof(*r->group_by));
		if (!r->group_by)
			return -ENOMEM;
		YDOC_FOREACH_ITEM(cx->doc, v, it)
		{
			int rc = compile_keyspec(cx, ydoc_node(cx->doc, *it),
						 &r->group_by[r->ngroup_by]);
			if (rc)
				return rc;
			r->ngroup_by++;
		}
		return 0;
	}
	if (!strcmp(ks, "AlertContext")) {
		if (!ydoc_is_seq(v))
			return compile_error(cx, v, "AlertContext must be a list of {KeyName, "
						    "KeyValue}");
		r->context = calloc(seq_len(v) ? seq_len(v) : 1, sizeof(*r->context));
		if (!r->context)
			return -ENOMEM;
		YDOC_FOREACH_ITEM(cx->doc, v, it)
		{
			yaml_node_t *n = ydoc_node(cx->doc, *it);
			yaml_node_t *name = NULL, *val = NULL;
			if (!ydoc_is_map(n))
				return compile_error(cx, n, "expected {KeyName, KeyValue}");
			YDOC_FOREACH_PAIR(cx->doc, n, p)
			{
				yaml_node_t *k2 = ydoc_node(cx->doc, p->key);
				const char *k2s = ydoc_str(k2);
				if (k2s && !strcmp(k2s, "KeyName"))
					name = ydoc_node(cx->doc, p->value);
				else if (k2s && !strcmp(k2s, "KeyValue"))
					val = ydoc_node(cx->doc, p->value);
				else
					return compile_error(cx, k2, "unknown key '%s' in "
								     "AlertContext",
							     k2s ? k2s : "?");
			}
			if (!ydoc_str(name) || !val)
				return compile_error(cx, n, "AlertContext items need KeyName and "
							    "KeyValue");
			struct rule_context_field *f = &r->context[r->ncontext];
			f->ref.udm = -1;
			f->name = strdup(ydoc_str(name));
			if (!f->name)
				return -ENOMEM;
			r->ncontext++;
			int rc = compile_keyspec(cx, val, &f->ref);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!strcmp(ks, "Filename"))
		return compile_error(cx, k, "Filename names a Python rule; this agent runs YAML "
					    "rules only (use Detection)");
	return compile_error(cx, k, "unknown key '%s'", ks);
}

int rule_load(struct rule **out, struct compile_ctx *cx)
{
	yaml_node_t *root = ydoc_root(cx->doc);
	yaml_node_t *detection = NULL, *filters = NULL, *tests = NULL;
	struct rule *r = calloc(1, sizeof(*r));
	int rc = -ENOMEM;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->enabled = true;
	r->severity = SEV_INFO;
	r->dedup_minutes = 60;
	r->threshold = 1;
	r->meta = cJSON_CreateObject();
	r->file = strdup(cx->doc->path);
	if (!r->meta || !r->file)
		goto fail;

	yaml_node_t *dup = ydoc_duplicate_key(cx->doc, root);
	YDOC_FOREACH_PAIR(cx->doc, root, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		if (!ydoc_str(k)) {
			rc = compile_error(cx, k, "keys must be strings");
			goto fail;
		}
		if (k == dup) {
			rc = compile_error(cx, k, "duplicate key '%s'", ydoc_str(k));
			goto fail;
		}
		rc = rule_key(cx, r, k, ydoc_node(cx->doc, p->value), &detection, &filters, &tests);
		if (rc)
			goto fail;
	}
	rc = -EINVAL;
	if (!r->id) {
		compile_error(cx, root, "rule without RuleID");
		goto fail;
	}
	if (!r->nlog_types) {
		compile_error(cx, root, "rule '%s' without LogTypes", r->id);
		goto fail;
	}
	if (!detection) {
		compile_error(cx, root, "rule '%s' without Detection", r->id);
		goto fail;
	}
	if (r->dedup && r->group_by) {
		compile_error(cx, root, "rule '%s': use DedupString or GroupBy, not both", r->id);
		goto fail;
	}
	if ((rc = expr_compile_list(&r->detection, cx, detection)))
		goto fail;
	if (filters && (rc = expr_compile_list(&r->inline_filters, cx, filters)))
		goto fail;
	/* tests last: their default log type is the rule's first */
	if (tests && (rc = compile_tests(cx, tests, r)))
		goto fail;
	*out = r;
	return 0;
fail:
	rule_free(r);
	return rc;
}

bool rule_applies_to(const struct rule *r, const char *log_type)
{
	if (!log_type)
		return false;
	for (size_t i = 0; i < r->nlog_types; i++)
		if (!strcmp(r->log_types[i], log_type))
			return true;
	return false;
}

char *rule_truncate(char *s)
{
	size_t len = strlen(s);
	/* no more code points than bytes: most strings need no count */
	if (len <= RULE_MAX_GENERATED || utf8_count(s, len) <= RULE_MAX_GENERATED)
		return s;
	size_t suffix = sizeof(RULE_TRUNCATED_SUFFIX) - 1;
	size_t keep = utf8_prefix_bytes(s, len, RULE_MAX_GENERATED - suffix);
	char *n = realloc(s, keep + suffix + 1);
	if (!n) {
		free(s);
		return NULL;
	}
	memcpy(n + keep, RULE_TRUNCATED_SUFFIX, suffix + 1);
	return n;
}

void rule_match_free(struct rule_match *m)
{
	free(m->title);
	free(m->dedup);
	cJSON_Delete(m->context);
	memset(m, 0, sizeof(*m));
}

static char *render(const struct tmpl *t, struct event *ev)
{
	struct sbuf sb;
	sbuf_init(&sb, 1u << 20);
	if (tmpl_render(t, ev, &sb)) {
		/* longer than 1 MiB: what fits is kept, truncation follows */
		if (!sb.buf) {
			sbuf_free(&sb);
			return NULL;
		}
	}
	return sbuf_take(&sb);
}

int rule_eval(const struct rule *r, struct event *ev, struct rule_match *m)
{
	memset(m, 0, sizeof(*m));
	if (r->inline_filters && !expr_eval(r->inline_filters, ev, NULL))
		return 0;
	if (!expr_eval(r->detection, ev, NULL))
		return 0;

	/* title: the first DynamicTitles entry whose Conditions hold, else AlertTitle, else
	 * the display name or id (Panther's default title) */
	const struct tmpl *title = r->title;
	bool title_defined = r->title || r->ndyn_titles;
	for (size_t i = 0; i < r->ndyn_titles; i++) {
		if (expr_eval(r->dyn_titles[i].when, ev, NULL)) {
			title = r->dyn_titles[i].title;
			break;
		}
	}
	if (title)
		m->title = render(title, ev);
	else
		m->title = strdup(r->display_name ? r->display_name : r->id);
	if (!m->title || !(m->title = rule_truncate(m->title)))
		goto oom;

	m->severity = r->severity;
	for (size_t i = 0; i < r->ndyn_sevs; i++) {
		if (expr_eval(r->dyn_sevs[i].when, ev, NULL)) {
			if (r->dyn_sevs[i].severity != SEV_DEFAULT)
				m->severity = r->dyn_sevs[i].severity;
			break;
		}
	}

	if (r->dedup) {
		m->dedup = render(r->dedup, ev);
	} else if (r->ngroup_by) {
		struct sbuf sb;
		sbuf_init(&sb, 1u << 20);
		for (size_t i = 0; i < r->ngroup_by; i++) {
			if (i)
				sbuf_putc(&sb, ':');
			value_to_text(event_ref(ev, &r->group_by[i], NULL), &sb);
		}
		m->dedup = sbuf_take(&sb);
	} else if (title_defined) {
		m->dedup = strdup(m->title);
	}
	if ((r->dedup || r->ngroup_by || title_defined) && !m->dedup)
		goto oom;
	if (!m->dedup || !m->dedup[0]) {
		free(m->dedup);
		size_t n = strlen(r->id) + 32;
		m->dedup = malloc(n);
		if (!m->dedup)
			goto oom;
		snprintf(m->dedup, n, "defaultDedupString:%s", r->id);
	}
	if (!(m->dedup = rule_truncate(m->dedup)))
		goto oom;
	return 1;
oom:
	rule_match_free(m);
	return -ENOMEM;
}

int rule_match_context(const struct rule *r, struct event *ev, struct rule_match *m)
{
	cJSON_Delete(m->context);
	m->context = cJSON_CreateObject();
	if (!m->context)
		return -ENOMEM;
	for (size_t i = 0; i < r->ncontext; i++) {
		const cJSON *v = event_ref(ev, &r->context[i].ref, NULL);
		cJSON *c = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
		if (!c) {
			cJSON_Delete(m->context);
			m->context = NULL;
			return -ENOMEM;
		}
		cJSON_AddItemToObject(m->context, r->context[i].name, c);
	}
	return 0;
}
