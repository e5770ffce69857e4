/* alert: the "alert" record a match that opens an alert writes (every field, the event, the
 * context and the rule's metadata), the "update" record a later match in its window writes
 * (same alert_id, the new count, no event), and where the cluster name comes from. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "dedup.h"
#include "event.h"
#include "rule.h"

#define MINUTE (60 * INT64_C(1000000))
#define T0 INT64_C(1731522850595141) /* 2024-11-13T18:34:10.595141Z */

struct fixture {
	struct rule rule;
	struct dedup_table dd;
	struct alert_group *g;
	int outcome;
	struct rule_match m;
	struct event ev;
	cJSON *rec;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fx->rule.id = "K8S.Secret.Read";
	fx->rule.display_name = "Secret read by a person";
	fx->rule.dedup_minutes = 60;
	fx->rule.threshold = 1;
	fx->rule.severity = SEV_HIGH;
	fx->rule.meta = cJSON_Parse("{\"Description\":\"A person read a secret\","
				    "\"Runbook\":\"Ask who and why\",\"Reference\":\"https://x\","
				    "\"Tags\":[\"Credential Access\"]}");
	if (!fx->rule.meta || dedup_init(&fx->dd, 16))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	cJSON_Delete(fx->rec);
	rule_match_free(&fx->m);
	event_free(&fx->ev);
	dedup_free(&fx->dd);
	cJSON_Delete(fx->rule.meta);
	free(fx);
	return 0;
}

/* A match at ts with context (JSON or NULL) of the event js; the record goes to fx->rec. */
static void match(struct fixture *fx, int64_t ts, const char *js, const char *context,
		  const struct alert_meta *meta)
{
	struct alert_source src = {"/var/log/kubernetes/audit/audit.log", 9173};
	bool first;

	cJSON_Delete(fx->rec);
	rule_match_free(&fx->m);
	event_free(&fx->ev);
	fx->outcome = dedup_record(&fx->dd, &fx->rule, "alice", ts, &fx->g, &first, NULL, NULL);
	assert_true(fx->outcome == DEDUP_NEW_ALERT || fx->outcome == DEDUP_UPDATE);
	fx->m.title = strdup("alice read secret db-password");
	fx->m.severity = SEV_HIGH;
	fx->m.dedup = strdup("alice");
	fx->m.context = context ? cJSON_Parse(context) : NULL;
	assert_non_null(fx->m.title);
	assert_true(!context || fx->m.context);
	unit_event_init(&fx->ev, js, "Kubernetes.Audit", NULL, 0);
	fx->rec = alert_record(fx->outcome, fx->g, &fx->m, &fx->ev, &src, meta);
	assert_non_null(fx->rec);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(v))
		fail_msg("'%s' is not a string", key);
	return v->valuestring;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v))
		fail_msg("'%s' is not a number", key);
	return v->valuedouble;
}

static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsObject(v))
		fail_msg("'%s' is not an object", key);
	return v;
}

static const char event_js[] = "{'auditID':'8bf67201-aaaa','verb':'get',"
			       "'user':{'username':'alice'},'objectRef':{'resource':'secrets'}}";
static const struct alert_meta prod = {"prod-eu-1", "cp-1"};

static void test_alert_record_has_every_field(void **state)
{
	struct fixture *fx = *state;
	char id[33];

	match(fx, T0, event_js, "{\"username\":\"alice\",\"cluster\":\"c\"}", &prod);
	assert_int_equal(fx->outcome, DEDUP_NEW_ALERT);
	dedup_alert_id(fx->g, id);
	const cJSON *r = fx->rec;
	assert_string_equal(str(r, "type"), "alert");
	assert_string_equal(str(r, "alert_id"), id);
	assert_string_equal(str(r, "rule_id"), "K8S.Secret.Read");
	assert_string_equal(str(r, "title"), "alice read secret db-password");
	assert_string_equal(str(r, "severity"), "HIGH");
	assert_string_equal(str(r, "dedup"), "alice");
	assert_string_equal(str(r, "window_start"), "2024-11-13T18:34:10.595141Z");
	assert_string_equal(str(r, "window_end"), "2024-11-13T19:34:10.595141Z");
	assert_string_equal(str(r, "first_seen"), "2024-11-13T18:34:10.595141Z");
	assert_string_equal(str(r, "last_seen"), "2024-11-13T18:34:10.595141Z");
	assert_int_equal(num(r, "event_count"), 1);
	assert_string_equal(str(r, "cluster"), "prod-eu-1");
	assert_string_equal(str(r, "node"), "cp-1");
	assert_string_equal(str(r, "audit_id"), "8bf67201-aaaa");
	const cJSON *src = obj(r, "source");
	assert_string_equal(str(src, "file"), "/var/log/kubernetes/audit/audit.log");
	assert_int_equal(num(src, "offset"), 9173);

	const cJSON *ctx = obj(r, "context");
	assert_string_equal(str(ctx, "username"), "alice");
	assert_string_equal(str(ctx, "cluster"), "c");
	assert_null(fx->m.context); /* taken by the record */

	cJSON *want_event = cJSON_Duplicate(fx->ev.root, 1);
	bool same_event = cJSON_Compare(obj(r, "event"), want_event, 1);
	cJSON_Delete(want_event);
	assert_true(same_event);

	const cJSON *ri = obj(r, "rule");
	assert_string_equal(str(ri, "display_name"), "Secret read by a person");
	assert_int_equal(num(ri, "dedup_period_minutes"), 60);
	assert_int_equal(num(ri, "threshold"), 1);
	assert_string_equal(str(ri, "description"), "A person read a secret");
	assert_string_equal(str(ri, "runbook"), "Ask who and why");
	assert_string_equal(str(ri, "reference"), "https://x");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(ri, "tags");
	assert_true(cJSON_IsArray(tags));
	assert_string_equal(cJSON_GetArrayItem(tags, 0)->valuestring, "Credential Access");
}

static void test_alert_event_in_the_record_is_a_copy(void **state)
{
	struct fixture *fx = *state;

	match(fx, T0, event_js, NULL, &prod);
	const cJSON *e = obj(fx->rec, "event");
	assert_ptr_not_equal(e, fx->ev.root);
	/* the event can be freed before the record is written */
	event_free(&fx->ev);
	assert_string_equal(str(e, "verb"), "get");
}

static void test_alert_without_context_has_an_empty_context(void **state)
{
	struct fixture *fx = *state;

	match(fx, T0, event_js, NULL, &prod);
	const cJSON *ctx = obj(fx->rec, "context");
	assert_null(ctx->child);
}

static void test_alert_rule_without_display_name_shows_its_id(void **state)
{
	struct fixture *fx = *state;

	fx->rule.display_name = NULL;
	match(fx, T0, event_js, NULL, &prod);
	assert_string_equal(str(obj(fx->rec, "rule"), "display_name"), "K8S.Secret.Read");
}

static void test_alert_update_has_the_same_id_the_new_count_and_no_event(void **state)
{
	struct fixture *fx = *state;
	char first_id[64];

	match(fx, T0, event_js, NULL, &prod);
	snprintf(first_id, sizeof(first_id), "%s", str(fx->rec, "alert_id"));
	match(fx, T0 + 5 * MINUTE,
	      "{'auditID':'second-event','verb':'get','objectRef':{'resource':'secrets'}}",
	      "{\"username\":\"alice\"}", &prod);
	assert_int_equal(fx->outcome, DEDUP_UPDATE);
	const cJSON *r = fx->rec;
	assert_string_equal(str(r, "type"), "update");
	assert_string_equal(str(r, "alert_id"), first_id);
	assert_int_equal(num(r, "event_count"), 2);
	assert_string_equal(str(r, "rule_id"), "K8S.Secret.Read");
	assert_string_equal(str(r, "title"), "alice read secret db-password");
	assert_string_equal(str(r, "severity"), "HIGH");
	assert_string_equal(str(r, "dedup"), "alice");
	assert_string_equal(str(r, "window_start"), "2024-11-13T18:34:10.595141Z");
	assert_string_equal(str(r, "window_end"), "2024-11-13T19:34:10.595141Z");
	assert_string_equal(str(r, "first_seen"), "2024-11-13T18:34:10.595141Z");
	assert_string_equal(str(r, "last_seen"), "2024-11-13T18:39:10.595141Z");
	assert_string_equal(str(r, "cluster"), "prod-eu-1");
	assert_string_equal(str(r, "node"), "cp-1");
	assert_string_equal(str(r, "audit_id"), "second-event");
	assert_int_equal(num(obj(r, "source"), "offset"), 9173);
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "event"));
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "context"));
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "rule"));
	assert_non_null(fx->m.context); /* not taken: the caller frees it */
}

static void test_alert_cluster_comes_from_p_source_label_first(void **state)
{
	struct fixture *fx = *state;

	match(fx, T0, "{'auditID':'a','p_source_label':'label-cluster'}", NULL, &prod);
	assert_string_equal(str(fx->rec, "cluster"), "label-cluster");
}

static void test_alert_cluster_is_the_configured_one_without_a_label(void **state)
{
	struct fixture *fx = *state;

	match(fx, T0, "{'auditID':'a','p_source_label':7}", NULL, &prod);
	assert_string_equal(str(fx->rec, "cluster"), "prod-eu-1");
}

static void test_alert_cluster_is_null_without_label_or_configuration(void **state)
{
	struct fixture *fx = *state;
	const struct alert_meta bare = {NULL, "cp-1"};

	match(fx, T0, "{'auditID':'a'}", NULL, &bare);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fx->rec, "cluster")));
}

static void test_alert_null_cluster_in_the_context_gets_the_configured_one(void **state)
{
	struct fixture *fx = *state;

	match(fx, T0, event_js, "{\"cluster\":null,\"username\":\"alice\"}", &prod);
	const cJSON *ctx = obj(fx->rec, "context");
	assert_string_equal(str(ctx, "cluster"), "prod-eu-1");
	assert_string_equal(str(ctx, "username"), "alice");
}

static void test_alert_null_cluster_in_the_context_stays_null_without_configuration(
	void **state)
{
	struct fixture *fx = *state;
	const struct alert_meta bare = {NULL, "cp-1"};

	match(fx, T0, event_js, "{\"cluster\":null}", &bare);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj(fx->rec, "context"),
								 "cluster")));
}

static void test_alert_without_audit_id_has_no_audit_id_field(void **state)
{
	struct fixture *fx = *state;

	match(fx, T0, "{'verb':'get'}", NULL, &prod);
	assert_null(cJSON_GetObjectItemCaseSensitive(fx->rec, "audit_id"));
}

static void test_alert_id_is_the_same_for_a_repeat_of_the_window(void **state)
{
	struct fixture *fx = *state;
	struct dedup_table other;
	struct alert_group *g;
	bool first;
	char id[33];

	match(fx, T0, event_js, NULL, &prod);
	assert_int_equal(dedup_init(&other, 4), 0);
	assert_int_equal(dedup_record(&other, &fx->rule, "alice", T0, &g, &first, NULL, NULL),
			 DEDUP_NEW_ALERT);
	dedup_alert_id(g, id);
	dedup_free(&other);
	assert_string_equal(str(fx->rec, "alert_id"), id);
	assert_int_equal(strlen(id), 32);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_alert_record_has_every_field),
		T(test_alert_event_in_the_record_is_a_copy),
		T(test_alert_without_context_has_an_empty_context),
		T(test_alert_rule_without_display_name_shows_its_id),
		T(test_alert_update_has_the_same_id_the_new_count_and_no_event),
		T(test_alert_cluster_comes_from_p_source_label_first),
		T(test_alert_cluster_is_the_configured_one_without_a_label),
		T(test_alert_cluster_is_null_without_label_or_configuration),
		T(test_alert_null_cluster_in_the_context_gets_the_configured_one),
		T(test_alert_null_cluster_in_the_context_stays_null_without_configuration),
		T(test_alert_without_audit_id_has_no_audit_id_field),
		T(test_alert_id_is_the_same_for_a_repeat_of_the_window),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
