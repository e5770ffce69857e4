#include "engine.h"

#include <errno.h>
#include <string.h>

#include "eventtime.h"
#include "value.h"

void engine_init(struct engine *e, const struct ruleset *rs, const char *default_log_type)
{
	memset(e, 0, sizeof(*e));
	e->rs = rs;
	e->default_log_type = default_log_type ? default_log_type : "Kubernetes.Audit";
	e->event_time_id = udm_find(&rs->names, "eventTime");
	e->prefilter = true;
	e->pf_default = prefilter_for(rs->pf, e->default_log_type);
}

int engine_line(struct engine *e, const char *line, size_t len, struct decode_error *err,
		engine_match_fn fn, void *arg)
{
	struct event ev;
	int rc = 0;

	e->st.lines++;
	e->st.bytes += len;
	if (e->prefilter && prefilter_skip(e->rs->pf, e->pf_default, line, len)) {
		e->st.prefiltered++;
		return 0;
	}
	cJSON *root = decode_line(line, len, err);
	if (!root) {
		e->st.decode_errors++;
		return 1;
	}
	const cJSON *lt = cJSON_GetObjectItemCaseSensitive(root, "p_log_type");
	const char *log_type = cJSON_IsString(lt) ? lt->valuestring : e->default_log_type;
	const struct rs_logtype *entry = ruleset_find(e->rs, log_type);
	if (!entry) {
		e->st.no_rules++;
		cJSON_Delete(root);
		return 0;
	}
	if (event_init(&ev, root, log_type, entry->dm, e->rs->names.n)) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < entry->nrules && rc == 0; i++) {
		struct rule_match m;
		int r = rule_eval(entry->rules[i], &ev, &m);
		if (r < 0) {
			rc = r;
			break;
		}
		if (r == 0)
			continue;
		e->st.matches++;
		rc = fn(arg, entry->rules[i], &m, &ev);
		rule_match_free(&m);
	}
	event_free(&ev);
	return rc;
}

int engine_event_time(const struct engine *e, struct event *ev, int64_t *us)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev->root, "p_event_time");
	if (!cJSON_IsString(t) && e->event_time_id >= 0)
		t = event_udm(ev, e->event_time_id);
	if (!t || !cJSON_IsString(t))
		return -ENOENT;
	return eventtime_parse(t->valuestring, us) ? -ENOENT : 0;
}
