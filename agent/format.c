#include "format.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "eventtime.h"

static const char *const names[] = {"json", "splunk-hec", "elastic-bulk", "ocsf"};

int format_parse(const char *s, enum out_format *out)
{
	for (int i = 0; i < 4; i++) {
		if (s && !strcmp(s, names[i])) {
			*out = (enum out_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *format_name(enum out_format f)
{
	return names[f];
}

const char *format_content_type(enum out_format f)
{
	/* HEC takes concatenated JSON objects; the others are one JSON object per line */
	return f == FMT_SPLUNK_HEC ? "application/json" : "application/x-ndjson";
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Microseconds of an RFC 3339 member, or 0. */
static int64_t time_us(const cJSON *o, const char *key)
{
	int64_t us = 0;
	const char *s = str(o, key);
	if (s && eventtime_parse(s, &us))
		us = 0;
	return us;
}

static int severity_id(const char *sev)
{
	static const char *const s[] = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
	for (int i = 0; i < 5; i++)
		if (sev && !strcmp(sev, s[i]))
			return i + 1;
	return 0; /* Unknown */
}

static const cJSON *ctx_get(const cJSON *rec, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "context"),
						key);
}

static const char *first_ip(const cJSON *rec)
{
	const cJSON *ips = ctx_get(rec, "sourceIPs");
	const cJSON *first = cJSON_IsArray(ips) ? ips->child : NULL;
	return cJSON_IsString(first) ? first->valuestring : NULL;
}

static const char *ctx_str(const cJSON *rec, const char *key)
{
	const cJSON *v = ctx_get(rec, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void add_str_or_skip(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

/* URL path of a request URI: without its query. */
static char *uri_path(const char *uri)
{
	if (!uri)
		return NULL;
	size_t n = strcspn(uri, "?#");
	return strndup(uri, n);
}

static cJSON *splunk(const struct format_opts *o, cJSON *rec)
{
	cJSON *env = cJSON_CreateObject();
	if (!env)
		return NULL;
	int64_t t = time_us(rec, "last_seen");
	cJSON_AddNumberToObject(env, "time", (double)t / 1e6);
	add_str_or_skip(env, "host", str(rec, "node"));
	cJSON_AddStringToObject(env, "source", o->source ? o->source : "kube-audit-agent");
	cJSON_AddStringToObject(env, "sourcetype",
				o->sourcetype ? o->sourcetype : "kube-audit-agent:alert");
	add_str_or_skip(env, "index", o->index);
	cJSON_AddItemReferenceToObject(env, "event", rec);
	return env;
}

/* ECS document of an alert record, the record itself kept under kube_audit_agent. */
static cJSON *ecs(cJSON *rec)
{
	char ts[40];
	cJSON *d = cJSON_CreateObject();
	if (!d)
		return NULL;
	eventtime_format(time_us(rec, "last_seen"), ts, sizeof(ts));
	cJSON_AddStringToObject(d, "@timestamp", ts);
	cJSON *ev = cJSON_AddObjectToObject(d, "event");
	cJSON_AddStringToObject(ev, "kind", "alert");
	cJSON_AddNumberToObject(ev, "severity", severity_id(str(rec, "severity")));
	add_str_or_skip(ev, "id", str(rec, "alert_id"));
	cJSON_AddNumberToObject(ev, "count",
				cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec,
										      "event_count")));
	cJSON *rule = cJSON_AddObjectToObject(d, "rule");
	add_str_or_skip(rule, "id", str(rec, "rule_id"));
	add_str_or_skip(rule, "name", str(rec, "rule_name") ? str(rec, "rule_name")
							    : str(rec, "rule_id"));
	cJSON_AddStringToObject(d, "message", str(rec, "title") ? str(rec, "title") : "");
	if (first_ip(rec))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "source"), "ip", first_ip(rec));
	if (ctx_str(rec, "username"))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "user"), "name",
					ctx_str(rec, "username"));
	if (ctx_str(rec, "userAgent"))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "user_agent"), "original",
					ctx_str(rec, "userAgent"));
	char *path = uri_path(ctx_str(rec, "requestURI"));
	if (path) {
		cJSON *url = cJSON_AddObjectToObject(d, "url");
		cJSON_AddStringToObject(url, "path", path);
		cJSON_AddStringToObject(url, "original", ctx_str(rec, "requestURI"));
		free(path);
	}
	if (str(rec, "cluster"))
		cJSON_AddStringToObject(
			cJSON_AddObjectToObject(cJSON_AddObjectToObject(d, "orchestrator"), "cluster"),
			"name", str(rec, "cluster"));
	if (str(rec, "node"))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "host"), "name", str(rec, "node"));
	cJSON_AddItemReferenceToObject(d, "kube_audit_agent", rec);
	return d;
}

static cJSON *ocsf(const struct format_opts *o, cJSON *rec)
{
	bool update = str(rec, "type") && !strcmp(str(rec, "type"), "update");
	const char *sev = str(rec, "severity");
	cJSON *f = cJSON_CreateObject();
	if (!f)
		return NULL;
	cJSON_AddNumberToObject(f, "category_uid", 2);
	cJSON_AddStringToObject(f, "category_name", "Findings");
	cJSON_AddNumberToObject(f, "class_uid", 2004);
	cJSON_AddStringToObject(f, "class_name", "Detection Finding");
	cJSON_AddNumberToObject(f, "activity_id", update ? 2 : 1);
	cJSON_AddStringToObject(f, "activity_name", update ? "Update" : "Create");
	cJSON_AddNumberToObject(f, "type_uid", update ? 200402 : 200401);
	cJSON_AddNumberToObject(f, "severity_id", severity_id(sev));
	add_str_or_skip(f, "severity", sev);
	cJSON_AddNumberToObject(f, "status_id", 1);
	cJSON_AddNumberToObject(f, "time", (double)(time_us(rec, "last_seen") / 1000));
	cJSON_AddStringToObject(f, "message", str(rec, "title") ? str(rec, "title") : "");

	cJSON *fi = cJSON_AddObjectToObject(f, "finding_info");
	add_str_or_skip(fi, "uid", str(rec, "alert_id"));
	add_str_or_skip(fi, "title", str(rec, "title"));
	cJSON *an = cJSON_AddObjectToObject(fi, "analytic");
	add_str_or_skip(an, "uid", str(rec, "rule_id"));
	add_str_or_skip(an, "name", str(rec, "rule_name") ? str(rec, "rule_name")
							  : str(rec, "rule_id"));
	cJSON_AddNumberToObject(an, "type_id", 1);
	cJSON_AddStringToObject(an, "type", "Rule");
	cJSON_AddNumberToObject(fi, "first_seen_time", (double)(time_us(rec, "first_seen") / 1000));
	cJSON_AddNumberToObject(fi, "last_seen_time", (double)(time_us(rec, "last_seen") / 1000));
	cJSON_AddNumberToObject(fi, "related_events_count",
				cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec,
										      "event_count")));

	cJSON *md = cJSON_AddObjectToObject(f, "metadata");
	cJSON_AddStringToObject(md, "version", "1.1.0");
	cJSON *prod = cJSON_AddObjectToObject(md, "product");
	cJSON_AddStringToObject(prod, "name", "kube-audit-agent");
	cJSON_AddStringToObject(prod, "vendor_name", "kube-audit-agent");
	cJSON_AddStringToObject(prod, "version", o->version ? o->version : "");
	add_str_or_skip(md, "uid", str(rec, "audit_id"));

	cJSON *evs = cJSON_AddArrayToObject(f, "evidences");
	cJSON *e = cJSON_CreateObject();
	cJSON_AddItemToArray(evs, e);
	if (first_ip(rec))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "src_endpoint"), "ip",
					first_ip(rec));
	if (ctx_str(rec, "username"))
		cJSON_AddStringToObject(
			cJSON_AddObjectToObject(cJSON_AddObjectToObject(e, "actor"), "user"), "name",
			ctx_str(rec, "username"));
	cJSON *hr = cJSON_AddObjectToObject(e, "http_request");
	add_str_or_skip(hr, "user_agent", ctx_str(rec, "userAgent"));
	add_str_or_skip(hr, "http_method", ctx_str(rec, "verb"));
	char *path = uri_path(ctx_str(rec, "requestURI"));
	if (path) {
		cJSON *url = cJSON_AddObjectToObject(hr, "url");
		cJSON_AddStringToObject(url, "path", path);
		free(path);
	}
	cJSON *res = cJSON_AddArrayToObject(f, "resources");
	cJSON *r = cJSON_CreateObject();
	cJSON_AddItemToArray(res, r);
	cJSON_AddStringToObject(r, "type", "Kubernetes Cluster");
	add_str_or_skip(r, "name", str(rec, "cluster"));
	if (ctx_str(rec, "resource")) {
		cJSON *r2 = cJSON_CreateObject();
		cJSON_AddItemToArray(res, r2);
		cJSON_AddStringToObject(r2, "type", ctx_str(rec, "resource"));
		add_str_or_skip(r2, "namespace", ctx_str(rec, "namespace"));
	}
	cJSON_AddItemReferenceToObject(f, "unmapped", rec);
	return f;
}

static int append_json(struct sbuf *body, const cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	if (!s)
		return -ENOMEM;
	int rc = sbuf_puts(body, s);
	if (!rc)
		rc = sbuf_putc(body, '\n');
	cJSON_free(s);
	return rc;
}

int format_record(enum out_format f, const struct format_opts *o, const char *rec, size_t len,
		  struct sbuf *body)
{
	int rc;
	if (f == FMT_JSON) {
		rc = sbuf_append(body, rec, len);
		return rc ? rc : sbuf_putc(body, '\n');
	}
	cJSON *r = cJSON_ParseWithLength(rec, len);
	if (!cJSON_IsObject(r)) {
		cJSON_Delete(r);
		return -EINVAL;
	}
	cJSON *out = NULL;
	rc = -ENOMEM;
	switch (f) {
	case FMT_SPLUNK_HEC:
		out = splunk(o, r);
		if (out)
			rc = append_json(body, out);
		break;
	case FMT_ELASTIC_BULK: {
		/* an alert is one document; each update its own (same id on a retry) */
		char id[80];
		const char *aid = str(r, "alert_id") ? str(r, "alert_id") : "";
		bool update = str(r, "type") && !strcmp(str(r, "type"), "update");
		snprintf(id, sizeof(id), "%s%s%.0f", aid, update ? "-" : "",
			 update ? cJSON_GetNumberValue(
					  cJSON_GetObjectItemCaseSensitive(r, "event_count"))
				: 0.0);
		if (!update)
			snprintf(id, sizeof(id), "%s", aid);
		cJSON *action = cJSON_CreateObject();
		cJSON *create = cJSON_AddObjectToObject(action, "create");
		cJSON_AddStringToObject(create, "_index", o->index ? o->index : "kube-audit-alerts");
		cJSON_AddStringToObject(create, "_id", id);
		rc = append_json(body, action);
		cJSON_Delete(action);
		out = ecs(r);
		if (!rc && out)
			rc = append_json(body, out);
		break;
	}
	case FMT_OCSF:
		out = ocsf(o, r);
		if (out)
			rc = append_json(body, out);
		break;
	case FMT_JSON:
		break;
	}
	cJSON_Delete(out);
	cJSON_Delete(r);
	return rc;
}
