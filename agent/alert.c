#include "alert.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "eventtime.h"

cJSON *alert_record(int outcome, const struct alert_group *g, struct rule_match *m,
		    struct event *ev, const struct alert_source *src, const struct alert_meta *meta)
{
	char id[33];
	const struct rule *r = g->rule;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;

	dedup_alert_id(g, id);
	cJSON_AddStringToObject(o, "type", outcome == DEDUP_NEW_ALERT ? "alert" : "update");
	cJSON_AddStringToObject(o, "alert_id", id);
	cJSON_AddStringToObject(o, "rule_id", r->id);
	cJSON_AddStringToObject(o, "rule_name", r->display_name ? r->display_name : r->id);
	cJSON_AddStringToObject(o, "title", m->title);
	cJSON_AddStringToObject(o, "severity", severity_name(m->severity));
	cJSON_AddStringToObject(o, "dedup", g->dedup);
	cJSON_AddItemToObject(o, "window_start", eventtime_json(g->window_start, true));
	cJSON_AddItemToObject(o, "window_end", eventtime_json(g->window_end, true));
	cJSON_AddItemToObject(o, "first_seen", eventtime_json(g->first_seen, true));
	cJSON_AddItemToObject(o, "last_seen", eventtime_json(g->last_seen, true));
	cJSON_AddNumberToObject(o, "event_count", (double)g->count);

	/* the event's cluster (p_source_label) wins; else the configured one */
	const cJSON *label = cJSON_GetObjectItemCaseSensitive(ev->root, "p_source_label");
	const char *cluster = cJSON_IsString(label) ? label->valuestring : meta->cluster;
	if (cluster)
		cJSON_AddStringToObject(o, "cluster", cluster);
	else
		cJSON_AddNullToObject(o, "cluster");
	cJSON_AddStringToObject(o, "node", meta->node ? meta->node : "");

	const cJSON *aid = cJSON_GetObjectItemCaseSensitive(ev->root, "auditID");
	if (cJSON_IsString(aid))
		cJSON_AddStringToObject(o, "audit_id", aid->valuestring);
	cJSON *s = cJSON_AddObjectToObject(o, "source");
	if (s) {
		cJSON_AddStringToObject(s, "file", src->file);
		cJSON_AddNumberToObject(s, "offset", (double)src->offset);
	}
	if (outcome != DEDUP_NEW_ALERT)
		return o; /* an update: the alert already carries the rest */

	cJSON *ctx = m->context ? m->context : cJSON_CreateObject();
	m->context = NULL;
	cJSON *cl = cJSON_GetObjectItemCaseSensitive(ctx, "cluster");
	if (cl && cJSON_IsNull(cl) && meta->cluster)
		cJSON_ReplaceItemInObjectCaseSensitive(ctx, "cluster",
						       cJSON_CreateString(meta->cluster));
	cJSON_AddItemToObject(o, "context", ctx);
	cJSON_AddItemToObject(o, "event", cJSON_Duplicate(ev->root, 1));

	cJSON *ri = cJSON_AddObjectToObject(o, "rule");
	if (ri) {
		cJSON_AddStringToObject(ri, "display_name", r->display_name ? r->display_name : r->id);
		cJSON_AddNumberToObject(ri, "dedup_period_minutes", (double)r->dedup_minutes);
		cJSON_AddNumberToObject(ri, "threshold", (double)r->threshold);
		for (const cJSON *c = r->meta->child; c; c = c->next) {
			char key[32];
			snprintf(key, sizeof(key), "%s", c->string);
			key[0] = (char)tolower((unsigned char)key[0]); /* Runbook -> runbook */
			cJSON_AddItemToObject(ri, key, cJSON_Duplicate(c, 1));
		}
	}
	return o;
}
