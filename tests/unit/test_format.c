/* format: an alert or update record encoded for each collector: NDJSON passes it through, a
 * Splunk HEC envelope carries it as "event", an Elasticsearch _bulk pair (create action, ECS
 * document) per record, an OCSF 1.1 Detection Finding; anything but a JSON object is refused. */
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "format.h"
#include "sbuf.h"

/* An alert record as alert.c writes it (count 1: first_seen == last_seen), written with '
 * for ". The title carries the request URI with its query, as the rule's template puts it. */
static const char alert_js[] =
	"{'type':'alert','alert_id':'3b988f2af10f6f70c01c2220fad2b160',"
	"'rule_id':'Kubernetes.API.AnonymousAccess',"
	"'rule_name':'Kubernetes Anonymous API Access Detected',"
	"'title':'Anonymous API access detected on Kubernetes API server from [203.0.113.45] "
	"to [/api/v1/namespaces/default/pods?limit=500]',"
	"'severity':'INFO','dedup':'anonymous_access_curl/8.4.0',"
	"'window_start':'2024-05-14T09:04:12.481203Z','window_end':'2024-05-14T10:04:12.481203Z',"
	"'first_seen':'2024-05-14T09:04:12.481203Z','last_seen':'2024-05-14T09:04:12.481203Z',"
	"'event_count':1,'cluster':'prod-eu-1','node':'cp-1',"
	"'audit_id':'8bf67201-6a9e-4a3b-9d2e-2f4c6b1a7e90',"
	"'source':{'file':'/var/log/kubernetes/audit/audit.log','offset':9173},"
	"'context':{'username':'system:anonymous','sourceIPs':['203.0.113.45','10.0.0.7'],"
	"'userAgent':'curl/8.4.0','requestURI':'/api/v1/namespaces/default/pods?limit=500',"
	"'verb':'list','namespace':'default','resource':'pods',"
	"'responseStatus':{'metadata':{},'code':403},"
	"'annotations':{'authorization.k8s.io/decision':'forbid'},'cluster':'prod-eu-1'},"
	"'event':{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'Metadata',"
	"'auditID':'8bf67201-6a9e-4a3b-9d2e-2f4c6b1a7e90','stage':'ResponseComplete',"
	"'requestURI':'/api/v1/namespaces/default/pods?limit=500','verb':'list',"
	"'user':{'username':'system:anonymous','groups':['system:unauthenticated']},"
	"'sourceIPs':['203.0.113.45','10.0.0.7'],'userAgent':'curl/8.4.0',"
	"'objectRef':{'resource':'pods','namespace':'default','apiVersion':'v1'},"
	"'responseStatus':{'metadata':{},'code':403},"
	"'requestReceivedTimestamp':'2024-05-14T09:04:12.479871Z',"
	"'stageTimestamp':'2024-05-14T09:04:12.481203Z'},"
	"'rule':{'display_name':'Kubernetes Anonymous API Access Detected',"
	"'dedup_period_minutes':60,'threshold':1,"
	"'description':'This rule detects anonymous API requests made to Kubernetes API servers.',"
	"'reference':'https://kubernetes.io/docs/reference/access-authn-authz/authentication/',"
	"'runbook':'1. Query all API requests by system:anonymous around the alert',"
	"'tags':['Kubernetes','Initial Access'],'reports':{'MITRE ATT&CK':['TA0001:T1190']}}}";

/* The fourth match of the same alert: the same id, the new count and last-seen time, no
 * context, event or rule. */
static const char update_js[] =
	"{'type':'update','alert_id':'3b988f2af10f6f70c01c2220fad2b160',"
	"'rule_id':'Kubernetes.API.AnonymousAccess',"
	"'rule_name':'Kubernetes Anonymous API Access Detected',"
	"'title':'Anonymous API access detected on Kubernetes API server from [203.0.113.45] "
	"to [/api/v1/namespaces/default/pods?limit=500]',"
	"'severity':'INFO','dedup':'anonymous_access_curl/8.4.0',"
	"'window_start':'2024-05-14T09:04:12.481203Z','window_end':'2024-05-14T10:04:12.481203Z',"
	"'first_seen':'2024-05-14T09:04:12.481203Z','last_seen':'2024-05-14T09:31:45.102938Z',"
	"'event_count':4,'cluster':'prod-eu-1','node':'cp-1',"
	"'audit_id':'c0d1e2f3-0a1b-4c5d-8e9f-a0b1c2d3e4f5',"
	"'source':{'file':'/var/log/kubernetes/audit/audit.log','offset':48211}}";

#define ALERT_ID "3b988f2af10f6f70c01c2220fad2b160"
#define OTHER_ID "0c1d2e3f405162738495a6b7c8d9eaf0"
#define FIRST_SEEN_MS 1715677452481.0 /* 2024-05-14T09:04:12.481203Z */
#define UPDATE_LAST_SEEN_MS 1715679105102.0 /* 2024-05-14T09:31:45.102938Z */

static const struct format_opts opts = {
	.index = "k8s-alerts",
	.source = "kube-audit-agent:prod-eu-1",
	.sourcetype = "kube:audit:alert",
	.version = "0.1.0",
};

static const struct format_opts no_opts = {0};

/* js with every ' turned into "; the caller frees. */
static char *dq(const char *js)
{
	char *s = strdup(js);
	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

/* The records, as JSON text and as trees, for every test. */
static char *alert_rec, *update_rec;
static cJSON *alert_tree, *update_tree;

static int group_setup(void **state)
{
	alert_rec = dq(alert_js);
	update_rec = dq(update_js);
	alert_tree = cJSON_Parse(alert_rec);
	update_tree = cJSON_Parse(update_rec);
	return alert_tree && update_tree ? 0 : -1;
}

static int group_teardown(void **state)
{
	cJSON_Delete(alert_tree);
	cJSON_Delete(update_tree);
	free(alert_rec);
	free(update_rec);
	return 0;
}

/* The encoding of rec (must succeed); the caller frees. */
static char *encode(enum out_format f, const struct format_opts *o, const char *rec)
{
	struct sbuf body;
	sbuf_init(&body, 0);
	int rc = format_record(f, o, rec, strlen(rec), &body);
	if (rc) {
		sbuf_free(&body);
		fail_msg("format_record(%s) gave %d", format_name(f), rc);
	}
	char *s = strdup(sbuf_cstr(&body));
	sbuf_free(&body);
	assert_non_null(s);
	return s;
}

/* Split body into its lines, each of which must end in '\n' and be one JSON object; the
 * trees go to out (the caller deletes them). Returns how many. */
static size_t parse_lines(const char *body, cJSON **out, size_t max)
{
	size_t n = 0;
	const char *p = body;
	while (*p) {
		const char *nl = strchr(p, '\n');
		if (!nl)
			fail_msg("line %zu does not end in a newline: %s", n + 1, p);
		if (n == max)
			fail_msg("more than %zu lines in: %s", max, body);
		out[n] = cJSON_ParseWithLength(p, (size_t)(nl - p));
		if (!cJSON_IsObject(out[n]))
			fail_msg("line %zu is not one JSON object: %.*s", n + 1, (int)(nl - p), p);
		n++;
		p = nl + 1;
	}
	return n;
}

static void delete_all(cJSON **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(v[i]);
}

/* The member at a dotted path ("finding_info.analytic.uid", "evidences.0.actor"), or NULL. */
static const cJSON *at(const cJSON *root, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	const cJSON *v = root;
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(v) && *k >= '0' && *k <= '9')
			v = cJSON_GetArrayItem(v, atoi(k));
		else
			v = cJSON_GetObjectItemCaseSensitive(v, k);
	}
	return v;
}

static void assert_str_at(const cJSON *root, const char *path, const char *want)
{
	const cJSON *v = at(root, path);
	if (!cJSON_IsString(v))
		fail_msg("%s is not a string (want \"%s\")", path, want);
	if (strcmp(v->valuestring, want))
		fail_msg("%s is \"%s\", want \"%s\"", path, v->valuestring, want);
}

static void assert_num_at(const cJSON *root, const char *path, double want)
{
	const cJSON *v = at(root, path);
	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number (want %.17g)", path, want);
	if (v->valuedouble != want)
		fail_msg("%s is %.17g, want %.17g", path, v->valuedouble, want);
}

static void assert_absent_at(const cJSON *root, const char *path)
{
	if (at(root, path))
		fail_msg("%s is present", path);
}

/* The object at path has exactly the members named in keys (comma-separated). */
static void assert_keys_at(const cJSON *root, const char *path, const char *keys)
{
	char buf[256], *save = NULL;
	const cJSON *o = path ? at(root, path) : root;
	int want = 0;
	if (!cJSON_IsObject(o))
		fail_msg("%s is not an object", path ? path : "the line");
	snprintf(buf, sizeof(buf), "%s", keys);
	for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save), want++)
		if (!cJSON_GetObjectItemCaseSensitive(o, k))
			fail_msg("%s has no member \"%s\"", path ? path : "the line", k);
	if (cJSON_GetArraySize(o) != want) {
		char got[1024];
		cJSON_PrintPreallocated((cJSON *)o, got, sizeof(got), false);
		fail_msg("%s has members other than %s: %s", path ? path : "the line", keys, got);
	}
}

/* The member at path is the whole record, unchanged. */
static void assert_record_at(const cJSON *root, const char *path, const cJSON *rec)
{
	const cJSON *v = at(root, path);
	if (!cJSON_Compare(v, rec, true))
		fail_msg("%s is not the record", path);
}

/* rec with its "severity" replaced by sev; the caller frees. */
static char *with_severity(const cJSON *rec, const char *sev)
{
	cJSON *r = cJSON_Duplicate(rec, true);
	assert_non_null(r);
	cJSON_ReplaceItemInObjectCaseSensitive(r, "severity", cJSON_CreateString(sev));
	char *s = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	assert_non_null(s);
	return s;
}

static void test_format_parse_accepts_the_four_names(void **state)
{
	static const struct {
		const char *name;
		enum out_format f;
	} cases[] = {{"json", FMT_JSON},
		     {"splunk-hec", FMT_SPLUNK_HEC},
		     {"elastic-bulk", FMT_ELASTIC_BULK},
		     {"ocsf", FMT_OCSF}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum out_format f = FMT_OCSF - cases[i].f; /* anything else */
		assert_int_equal(format_parse(cases[i].name, &f), 0);
		assert_int_equal(f, cases[i].f);
		assert_string_equal(format_name(f), cases[i].name);
	}
}

static void test_format_parse_rejects_other_names(void **state)
{
	static const char *const bad[] = {"JSON", "Splunk-HEC", "splunk", "hec", "elastic",
					  "elasticsearch", "bulk", "ocsf1", "ndjson", "", " json",
					  "json ", "ocsf\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum out_format f = FMT_SPLUNK_HEC;
		if (format_parse(bad[i], &f) != -EINVAL)
			fail_msg("format_parse accepted \"%s\"", bad[i]);
		assert_int_equal(f, FMT_SPLUNK_HEC);
	}
	enum out_format f = FMT_JSON;
	assert_int_equal(format_parse(NULL, &f), -EINVAL);
}

static void test_format_content_type_is_json_for_splunk_and_ndjson_otherwise(void **state)
{
	assert_string_equal(format_content_type(FMT_SPLUNK_HEC), "application/json");
	assert_string_equal(format_content_type(FMT_JSON), "application/x-ndjson");
	assert_string_equal(format_content_type(FMT_ELASTIC_BULK), "application/x-ndjson");
	assert_string_equal(format_content_type(FMT_OCSF), "application/x-ndjson");
}

static void test_format_json_passes_the_record_through_with_a_newline(void **state)
{
	struct sbuf body;
	char want[8192];

	sbuf_init(&body, 0);
	assert_int_equal(format_record(FMT_JSON, &opts, alert_rec, strlen(alert_rec), &body), 0);
	assert_int_equal(format_record(FMT_JSON, &opts, update_rec, strlen(update_rec), &body), 0);
	snprintf(want, sizeof(want), "%s\n%s\n", alert_rec, update_rec);
	assert_int_equal(body.len, strlen(want));
	assert_memory_equal(body.buf, want, body.len);
	sbuf_free(&body);
}

static void test_format_splunk_envelope_carries_the_record_as_event(void **state)
{
	cJSON *line[4];
	char *body = encode(FMT_SPLUNK_HEC, &opts, alert_rec);

	assert_int_equal(parse_lines(body, line, 4), 1);
	assert_keys_at(line[0], NULL, "time,host,source,sourcetype,index,event");
	const cJSON *t = at(line[0], "time");
	assert_true(cJSON_IsNumber(t));
	if (fabs(t->valuedouble - 1715677452.481203) > 1e-6)
		fail_msg("time is %.17g, want 1715677452.481203 (last_seen in seconds)",
			 t->valuedouble);
	assert_str_at(line[0], "host", "cp-1");
	assert_str_at(line[0], "source", "kube-audit-agent:prod-eu-1");
	assert_str_at(line[0], "sourcetype", "kube:audit:alert");
	assert_str_at(line[0], "index", "k8s-alerts");
	assert_record_at(line[0], "event", alert_tree);
	delete_all(line, 1);
	free(body);
}

static void test_format_splunk_defaults_source_and_sourcetype_and_leaves_out_index(void **state)
{
	cJSON *line[4];
	char *body = encode(FMT_SPLUNK_HEC, &no_opts, update_rec);

	assert_int_equal(parse_lines(body, line, 4), 1);
	assert_keys_at(line[0], NULL, "time,host,source,sourcetype,event");
	const cJSON *t = at(line[0], "time");
	assert_true(cJSON_IsNumber(t));
	if (fabs(t->valuedouble - 1715679105.102938) > 1e-6)
		fail_msg("time is %.17g, want 1715679105.102938 (the update's last_seen)",
			 t->valuedouble);
	assert_str_at(line[0], "source", "kube-audit-agent");
	assert_str_at(line[0], "sourcetype", "kube-audit-agent:alert");
	assert_record_at(line[0], "event", update_tree);
	delete_all(line, 1);
	free(body);
}

static void test_format_elastic_alert_is_a_create_action_and_an_ecs_document(void **state)
{
	cJSON *line[4];
	char *body = encode(FMT_ELASTIC_BULK, &opts, alert_rec);

	assert_int_equal(parse_lines(body, line, 4), 2);
	assert_keys_at(line[0], NULL, "create");
	assert_keys_at(line[0], "create", "_index,_id");
	assert_str_at(line[0], "create._index", "k8s-alerts");
	assert_str_at(line[0], "create._id", ALERT_ID);

	const cJSON *d = line[1];
	assert_str_at(d, "@timestamp", "2024-05-14T09:04:12.481203Z");
	assert_str_at(d, "event.kind", "alert");
	assert_str_at(d, "event.id", ALERT_ID);
	assert_num_at(d, "event.severity", 1);
	assert_num_at(d, "event.count", 1);
	assert_str_at(d, "rule.id", "Kubernetes.API.AnonymousAccess");
	assert_str_at(d, "rule.name", "Kubernetes Anonymous API Access Detected");
	assert_str_at(d, "message",
		      "Anonymous API access detected on Kubernetes API server from [203.0.113.45] "
		      "to [/api/v1/namespaces/default/pods?limit=500]");
	assert_str_at(d, "source.ip", "203.0.113.45");
	assert_str_at(d, "user.name", "system:anonymous");
	assert_str_at(d, "user_agent.original", "curl/8.4.0");
	assert_str_at(d, "url.path", "/api/v1/namespaces/default/pods");
	assert_str_at(d, "url.original", "/api/v1/namespaces/default/pods?limit=500");
	assert_str_at(d, "orchestrator.cluster.name", "prod-eu-1");
	assert_str_at(d, "host.name", "cp-1");
	assert_record_at(d, "kube_audit_agent", alert_tree);
	delete_all(line, 2);
	free(body);
}

/* Each update is its own document: alert_id-COUNT, the same on a retry, never the alert's. */
static void test_format_elastic_update_id_is_the_alert_id_and_its_count(void **state)
{
	cJSON *line[4];
	char *body = encode(FMT_ELASTIC_BULK, &no_opts, update_rec);

	assert_int_equal(parse_lines(body, line, 4), 2);
	assert_keys_at(line[0], "create", "_index,_id");
	assert_str_at(line[0], "create._index", "kube-audit-alerts");
	assert_str_at(line[0], "create._id", ALERT_ID "-4");

	const cJSON *d = line[1];
	assert_str_at(d, "@timestamp", "2024-05-14T09:31:45.102938Z");
	assert_str_at(d, "event.id", ALERT_ID);
	assert_num_at(d, "event.count", 4);
	assert_num_at(d, "event.severity", 1);
	assert_str_at(d, "rule.id", "Kubernetes.API.AnonymousAccess");
	assert_str_at(d, "orchestrator.cluster.name", "prod-eu-1");
	assert_str_at(d, "host.name", "cp-1");
	assert_record_at(d, "kube_audit_agent", update_tree);
	delete_all(line, 2);
	free(body);
}

/* A _bulk body is two lines per record, whatever the records hold (a newline in a string is
 * escaped, never a line break). */
static void test_format_elastic_body_is_two_lines_per_record(void **state)
{
	struct sbuf body;
	cJSON *line[8];
	cJSON *r = cJSON_Duplicate(alert_tree, true);
	assert_non_null(r);
	cJSON_ReplaceItemInObjectCaseSensitive(r, "title",
					       cJSON_CreateString("two\nlines\r\nof title"));
	cJSON_ReplaceItemInObjectCaseSensitive(r, "alert_id", cJSON_CreateString(OTHER_ID));
	char *odd = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	assert_non_null(odd);

	sbuf_init(&body, 0);
	const char *const recs[] = {alert_rec, odd, update_rec};
	for (int i = 0; i < 3; i++)
		assert_int_equal(
			format_record(FMT_ELASTIC_BULK, &opts, recs[i], strlen(recs[i]), &body), 0);
	assert_int_equal(parse_lines(sbuf_cstr(&body), line, 8), 6);
	assert_str_at(line[0], "create._id", ALERT_ID);
	assert_str_at(line[2], "create._id", OTHER_ID);
	assert_str_at(line[3], "message", "two\nlines\r\nof title");
	assert_str_at(line[4], "create._id", ALERT_ID "-4");
	for (int i = 1; i < 6; i += 2)
		assert_absent_at(line[i], "create");
	delete_all(line, 6);
	sbuf_free(&body);
	cJSON_free(odd);
}

static void test_format_ocsf_alert_is_a_detection_finding_create(void **state)
{
	cJSON *line[4];
	char *body = encode(FMT_OCSF, &opts, alert_rec);

	assert_int_equal(parse_lines(body, line, 4), 1);
	const cJSON *f = line[0];
	assert_num_at(f, "class_uid", 2004);
	assert_num_at(f, "category_uid", 2);
	assert_num_at(f, "type_uid", 200401);
	assert_num_at(f, "activity_id", 1);
	assert_str_at(f, "activity_name", "Create");
	assert_num_at(f, "severity_id", 1);
	assert_str_at(f, "severity", "INFO");
	assert_num_at(f, "time", FIRST_SEEN_MS);
	assert_str_at(f, "finding_info.uid", ALERT_ID);
	assert_str_at(f, "finding_info.title",
		      "Anonymous API access detected on Kubernetes API server from [203.0.113.45] "
		      "to [/api/v1/namespaces/default/pods?limit=500]");
	assert_str_at(f, "finding_info.analytic.uid", "Kubernetes.API.AnonymousAccess");
	assert_str_at(f, "finding_info.analytic.name", "Kubernetes Anonymous API Access Detected");
	assert_num_at(f, "finding_info.analytic.type_id", 1);
	assert_num_at(f, "finding_info.first_seen_time", FIRST_SEEN_MS);
	assert_num_at(f, "finding_info.last_seen_time", FIRST_SEEN_MS);
	assert_num_at(f, "finding_info.related_events_count", 1);
	assert_str_at(f, "metadata.product.name", "kube-audit-agent");
	assert_str_at(f, "metadata.product.version", "0.1.0");
	assert_str_at(f, "metadata.version", "1.1.0");
	assert_str_at(f, "metadata.uid", "8bf67201-6a9e-4a3b-9d2e-2f4c6b1a7e90");
	assert_int_equal(cJSON_GetArraySize(at(f, "evidences")), 1);
	assert_str_at(f, "evidences.0.src_endpoint.ip", "203.0.113.45");
	assert_str_at(f, "evidences.0.actor.user.name", "system:anonymous");
	assert_str_at(f, "evidences.0.http_request.user_agent", "curl/8.4.0");
	assert_str_at(f, "evidences.0.http_request.http_method", "list");
	assert_str_at(f, "evidences.0.http_request.url.path", "/api/v1/namespaces/default/pods");
	assert_int_equal(cJSON_GetArraySize(at(f, "resources")), 2);
	assert_str_at(f, "resources.0.type", "Kubernetes Cluster");
	assert_str_at(f, "resources.0.name", "prod-eu-1");
	assert_str_at(f, "resources.1.type", "pods");
	assert_str_at(f, "resources.1.namespace", "default");
	assert_record_at(f, "unmapped", alert_tree);
	delete_all(line, 1);
	free(body);
}

static void test_format_ocsf_update_is_a_detection_finding_update(void **state)
{
	cJSON *line[4];
	char *body = encode(FMT_OCSF, &opts, update_rec);

	assert_int_equal(parse_lines(body, line, 4), 1);
	const cJSON *f = line[0];
	assert_num_at(f, "class_uid", 2004);
	assert_num_at(f, "category_uid", 2);
	assert_num_at(f, "type_uid", 200402);
	assert_num_at(f, "activity_id", 2);
	assert_str_at(f, "activity_name", "Update");
	assert_num_at(f, "severity_id", 1);
	assert_num_at(f, "time", UPDATE_LAST_SEEN_MS);
	assert_str_at(f, "finding_info.uid", ALERT_ID);
	assert_str_at(f, "finding_info.analytic.uid", "Kubernetes.API.AnonymousAccess");
	assert_num_at(f, "finding_info.first_seen_time", FIRST_SEEN_MS);
	assert_num_at(f, "finding_info.last_seen_time", UPDATE_LAST_SEEN_MS);
	assert_num_at(f, "finding_info.related_events_count", 4);
	assert_str_at(f, "metadata.product.name", "kube-audit-agent");
	assert_str_at(f, "metadata.product.version", "0.1.0");
	assert_str_at(f, "metadata.uid", "c0d1e2f3-0a1b-4c5d-8e9f-a0b1c2d3e4f5");
	assert_str_at(f, "resources.0.name", "prod-eu-1");
	assert_record_at(f, "unmapped", update_tree);
	delete_all(line, 1);
	free(body);
}

/* OCSF severity_id and ECS event.severity: INFO..CRITICAL are 1..5, anything else 0. */
static void test_format_severity_maps_info_to_critical_onto_1_to_5(void **state)
{
	static const char *const sev[] = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL", "SEVERE"};
	static const int want[] = {1, 2, 3, 4, 5, 0};
	cJSON *line[4];

	for (int i = 0; i < 6; i++) {
		char *rec = with_severity(alert_tree, sev[i]);
		char *body = encode(FMT_OCSF, &opts, rec);
		assert_int_equal(parse_lines(body, line, 4), 1);
		assert_num_at(line[0], "severity_id", want[i]);
		assert_str_at(line[0], "severity", sev[i]);
		delete_all(line, 1);
		free(body);

		body = encode(FMT_ELASTIC_BULK, &opts, rec);
		assert_int_equal(parse_lines(body, line, 4), 2);
		assert_num_at(line[1], "event.severity", want[i]);
		delete_all(line, 2);
		free(body);
		cJSON_free(rec);
	}
}

static const char *const not_objects[] = {
	"[]", "[{\"type\":\"alert\"}]", "\"alert\"", "42", "null", "true", "{\"type\":",
	"not json", "", " "};

/* rec must be refused with -EINVAL in format f, leaving the body as it was. */
static void assert_refused(enum out_format f, const char *rec)
{
	struct sbuf body;
	char got[64];
	sbuf_init(&body, 0);
	assert_int_equal(sbuf_puts(&body, "before\n"), 0);
	int rc = format_record(f, &opts, rec, strlen(rec), &body);
	snprintf(got, sizeof(got), "%s", sbuf_cstr(&body));
	sbuf_free(&body);
	if (rc != -EINVAL)
		fail_msg("%s: record '%s' gave %d, want -EINVAL", format_name(f), rec, rc);
	assert_string_equal(got, "before\n");
}

static void test_format_record_that_is_not_a_json_object_is_einval(void **state)
{
	static const enum out_format fmts[] = {FMT_SPLUNK_HEC, FMT_ELASTIC_BULK, FMT_OCSF};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		for (size_t k = 0; k < sizeof(not_objects) / sizeof(not_objects[0]); k++)
			assert_refused(fmts[i], not_objects[k]);
}

/* format.h: "-EINVAL when rec is not a JSON object", for every format. */
/* json does not parse what it passes on: the spool holds only records the agent wrote. */
static void test_format_json_passes_any_record_through_untouched(void **state)
{
	for (size_t k = 0; k < sizeof(not_objects) / sizeof(not_objects[0]); k++) {
		struct sbuf body;
		sbuf_init(&body, 0);
		const char *rec = not_objects[k];
		assert_int_equal(format_record(FMT_JSON, &opts, rec, strlen(rec), &body), 0);
		assert_int_equal(body.len, strlen(rec) + 1);
		assert_memory_equal(sbuf_cstr(&body), rec, strlen(rec));
		assert_int_equal(sbuf_cstr(&body)[strlen(rec)], '\n');
		sbuf_free(&body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse_accepts_the_four_names),
		cmocka_unit_test(test_format_parse_rejects_other_names),
		cmocka_unit_test(test_format_content_type_is_json_for_splunk_and_ndjson_otherwise),
		cmocka_unit_test(test_format_json_passes_the_record_through_with_a_newline),
		cmocka_unit_test(test_format_splunk_envelope_carries_the_record_as_event),
		cmocka_unit_test(
			test_format_splunk_defaults_source_and_sourcetype_and_leaves_out_index),
		cmocka_unit_test(test_format_elastic_alert_is_a_create_action_and_an_ecs_document),
		cmocka_unit_test(test_format_elastic_update_id_is_the_alert_id_and_its_count),
		cmocka_unit_test(test_format_elastic_body_is_two_lines_per_record),
		cmocka_unit_test(test_format_ocsf_alert_is_a_detection_finding_create),
		cmocka_unit_test(test_format_ocsf_update_is_a_detection_finding_update),
		cmocka_unit_test(test_format_severity_maps_info_to_critical_onto_1_to_5),
		cmocka_unit_test(test_format_record_that_is_not_a_json_object_is_einval),
		cmocka_unit_test(test_format_json_passes_any_record_through_untouched),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
