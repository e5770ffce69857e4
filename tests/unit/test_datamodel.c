/* datamodel: the shipped data models (rules/data_models, loaded with ruleset_load) give
 * the same unified fields for native, EKS, AKS and GKE audit events; plus the mapping language
 * itself (Split, Index, AsList, Default, Cases, Coalesce) and its compile errors. Events use '
 * for ". */
#include "unit.h"

#include <stdio.h>

#include "datamodel.h"
#include "ruleset.h"
#include "udm.h"

#define DATA_MODELS_DIR KAA_RULES_DIR "/data_models"

static int load_models(void **state)
{
	return unit_ruleset_setup(state, DATA_MODELS_DIR);
}

/* Set up ev for js with the shipped model of log_type. */
static void event_for(struct event *ev, const struct ruleset *rs, const char *log_type,
		      const char *js)
{
	const struct datamodel *dm = ruleset_model(rs, log_type);
	if (!dm)
		fail_msg("no data model for %s", log_type);
	unit_event_init(ev, js, log_type, dm, rs->names.n);
}

static const cJSON *field(struct event *ev, const struct ruleset *rs, const char *name)
{
	int id = udm_find(&rs->names, name);
	if (id < 0)
		fail_msg("no data model defines %s", name);
	return event_udm(ev, id);
}

/* v as compact JSON into buf, or "absent". */
static const char *json_text(const cJSON *v, char *buf, size_t bufsz)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;
	snprintf(buf, bufsz, "%s", s ? s : "absent");
	cJSON_free(s);
	return buf;
}

/* The field as compact JSON ("absent" when it is), compared with want. */
static void assert_field(struct event *ev, const struct ruleset *rs, const char *name,
			 const char *want)
{
	char got[1024];
	json_text(field(ev, rs, name), got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", name, got, want);
}

/* One field of a one-off event. */
static void assert_event_field(const struct ruleset *rs, const char *log_type, const char *js,
			       const char *name, const char *want)
{
	struct event ev;
	event_for(&ev, rs, log_type, js);
	assert_field(&ev, rs, name, want);
	event_free(&ev);
}

#define NATIVE_EVENT                                                                       \
	"{'kind': 'Event', 'auditID': 'a-1', 'verb': 'get',"                               \
	" 'user': {'username': 'system:anonymous'}, 'sourceIPs': ['8.8.8.8', '10.0.0.1'],"   \
	" 'userAgent': 'curl/8.4.0', 'requestURI': '/api/v1/namespaces/default/pods/p',"    \
	" 'objectRef': {'resource': 'pods', 'namespace': 'default', 'name': 'p',"           \
	" 'apiGroup': '', 'apiVersion': 'v1', 'subresource': 'log'},"                       \
	" 'responseStatus': {'code': 200},"                                                 \
	" 'annotations': {'authorization.k8s.io/decision': 'allow'},"                       \
	" 'requestReceivedTimestamp': '2024-11-13T18:34:10.595141Z',"                       \
	" 'stageTimestamp': '2024-11-13T18:34:10.600000Z'}"

/* ---- the shipped models load ---- */

static void test_datamodel_shipped_models_cover_the_four_log_types(void **state)
{
	const struct ruleset *rs = *state;
	assert_int_equal(rs->nmodels, 4);
	assert_string_equal(ruleset_model(rs, "Kubernetes.Audit")->id, "Standard.Kubernetes.Audit");
	assert_string_equal(ruleset_model(rs, "Amazon.EKS.Audit")->id, "Standard.Amazon.EKS.Audit");
	assert_string_equal(ruleset_model(rs, "Azure.MonitorActivity")->id,
			    "Standard.Azure.AKS.Audit");
	assert_string_equal(ruleset_model(rs, "GCP.AuditLog")->id, "Standard.GCP.AuditLog");
	assert_null(ruleset_model(rs, "AWS.CloudTrail"));
}

/* ---- native ---- */

static void test_datamodel_native_fields_come_from_the_event(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "Kubernetes.Audit", NATIVE_EVENT);
	assert_field(&ev, rs, "username", "\"system:anonymous\"");
	assert_field(&ev, rs, "sourceIPs", "[\"8.8.8.8\",\"10.0.0.1\"]");
	assert_field(&ev, rs, "userAgent", "\"curl/8.4.0\"");
	assert_field(&ev, rs, "requestURI", "\"/api/v1/namespaces/default/pods/p\"");
	assert_field(&ev, rs, "verb", "\"get\"");
	assert_field(&ev, rs, "namespace", "\"default\"");
	assert_field(&ev, rs, "resource", "\"pods\"");
	assert_field(&ev, rs, "name", "\"p\"");
	assert_field(&ev, rs, "apiGroup", "\"\"");
	assert_field(&ev, rs, "apiVersion", "\"v1\"");
	assert_field(&ev, rs, "subresource", "\"log\"");
	assert_field(&ev, rs, "responseStatus", "{\"code\":200}");
	assert_field(&ev, rs, "annotations", "{\"authorization.k8s.io/decision\":\"allow\"}");
	assert_field(&ev, rs, "auditID", "\"a-1\"");
	assert_field(&ev, rs, "eventTime", "\"2024-11-13T18:34:10.595141Z\"");
	event_free(&ev);
}

static void test_datamodel_native_paths_are_case_sensitive(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "Kubernetes.Audit",
		  "{'User': {'username': 'system:anonymous'}, 'SourceIPs': ['1.1.1.1'],"
		  " 'user2': 1, 'requestUri': '/api'}");
	assert_field(&ev, rs, "username", "absent");
	assert_field(&ev, rs, "sourceIPs", "absent");
	assert_field(&ev, rs, "requestURI", "absent");
	event_free(&ev);
}

static void test_datamodel_native_event_time_falls_back_to_stage_timestamp(void **state)
{
	assert_event_field(*state, "Kubernetes.Audit",
			   "{'stageTimestamp': '2024-01-02T03:04:05Z'}", "eventTime",
			   "\"2024-01-02T03:04:05Z\"");
}

static void test_datamodel_field_is_computed_once_per_event(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "Kubernetes.Audit", NATIVE_EVENT);
	const cJSON *a = field(&ev, rs, "eventTime");
	const cJSON *b = field(&ev, rs, "eventTime");
	assert_non_null(a);
	assert_ptr_equal(a, b);
	event_free(&ev);
}

/* ---- EKS ---- */

static void test_datamodel_eks_fields_come_from_the_event(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "Amazon.EKS.Audit", NATIVE_EVENT);
	assert_field(&ev, rs, "username", "\"system:anonymous\"");
	assert_field(&ev, rs, "sourceIPs", "[\"8.8.8.8\",\"10.0.0.1\"]");
	assert_field(&ev, rs, "requestURI", "\"/api/v1/namespaces/default/pods/p\"");
	assert_field(&ev, rs, "verb", "\"get\"");
	assert_field(&ev, rs, "namespace", "\"default\"");
	event_free(&ev);
}

static void test_datamodel_eks_event_time_takes_request_received_first(void **state)
{
	assert_event_field(*state, "Amazon.EKS.Audit",
			   "{'stageTimestamp': '2022-11-29 00:09:05.00',"
			   " 'requestReceivedTimestamp': '2022-11-29 00:09:04.38'}",
			   "eventTime", "\"2022-11-29 00:09:04.38\"");
}

/* ---- AKS ---- */

#define AKS_INNER                                                                          \
	"{\\'user\\':{\\'username\\':\\'system:anonymous\\'},\\'sourceIPs\\':[\\'52.1.2.3\\'],"  \
	"\\'requestURI\\':\\'/api/v1/secrets\\',\\'verb\\':\\'list\\',"                        \
	"\\'objectRef\\':{\\'resource\\':\\'secrets\\',\\'namespace\\':\\'kube-system\\'},"      \
	"\\'requestReceivedTimestamp\\':\\'2024-03-20T10:00:00Z\\'}"

static void test_datamodel_aks_fields_come_from_the_inner_log_json(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "Azure.MonitorActivity",
		  "{'category': 'kube-audit', 'user': {'username': 'outer'},"
		  " 'properties': {'log': '" AKS_INNER "'}}");
	assert_field(&ev, rs, "username", "\"system:anonymous\"");
	assert_field(&ev, rs, "sourceIPs", "[\"52.1.2.3\"]");
	assert_field(&ev, rs, "requestURI", "\"/api/v1/secrets\"");
	assert_field(&ev, rs, "verb", "\"list\"");
	assert_field(&ev, rs, "resource", "\"secrets\"");
	assert_field(&ev, rs, "namespace", "\"kube-system\"");
	assert_field(&ev, rs, "eventTime", "\"2024-03-20T10:00:00Z\"");
	event_free(&ev);
}

static void test_datamodel_aks_kube_audit_admin_category_is_read_too(void **state)
{
	assert_event_field(*state, "Azure.MonitorActivity",
			   "{'category': 'kube-audit-admin', 'properties': {'log': '" AKS_INNER
			   "'}}",
			   "username", "\"system:anonymous\"");
}

static void test_datamodel_aks_other_categories_have_no_fields(void **state)
{
	const char *cats[] = {"kube-apiserver", "Kube-Audit", "guard"};
	char js[1024];
	for (size_t i = 0; i < sizeof(cats) / sizeof(*cats); i++) {
		snprintf(js, sizeof(js),
			 "{'category': '%s', 'properties': {'log': '" AKS_INNER "'}}", cats[i]);
		assert_event_field(*state, "Azure.MonitorActivity", js, "username", "absent");
	}
	assert_event_field(*state, "Azure.MonitorActivity",
			   "{'properties': {'log': '" AKS_INNER "'}}", "username", "absent");
}

static void test_datamodel_aks_log_that_is_not_a_json_object_string_has_no_fields(void **state)
{
	const struct ruleset *rs = *state;
	assert_event_field(rs, "Azure.MonitorActivity",
			   "{'category': 'kube-audit', 'properties': {'log': {'user': "
			   "{'username': 'system:anonymous'}}}}",
			   "username", "absent");
	assert_event_field(rs, "Azure.MonitorActivity",
			   "{'category': 'kube-audit', 'properties': {'log': 'not json'}}",
			   "username", "absent");
	assert_event_field(rs, "Azure.MonitorActivity",
			   "{'category': 'kube-audit', 'properties': {'log': '[1,2]'}}",
			   "username", "absent");
	assert_event_field(rs, "Azure.MonitorActivity",
			   "{'category': 'kube-audit', 'properties': {'log': ''}}", "username",
			   "absent");
}

static void test_datamodel_aks_inner_paths_are_case_sensitive(void **state)
{
	assert_event_field(*state, "Azure.MonitorActivity",
			   "{'category': 'kube-audit', 'properties': {'log': "
			   "'{\\'User\\':{\\'username\\':\\'system:anonymous\\'}}'}}",
			   "username", "absent");
}

static void test_datamodel_aks_event_time_prefers_the_outer_time(void **state)
{
	assert_event_field(*state, "Azure.MonitorActivity",
			   "{'time': '2024-03-20T11:00:00Z', 'category': 'kube-audit',"
			   " 'properties': {'log': '" AKS_INNER "'}}",
			   "eventTime", "\"2024-03-20T11:00:00Z\"");
}

/* ---- GKE ---- */

#define GCP_EVENT(auth, extra)                                                             \
	"{'protoPayload': {'serviceName': 'k8s.io', 'authenticationInfo': {" auth "}" extra "}}"

static void test_datamodel_gcp_username_prefers_principal_email(void **state)
{
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("'principalEmail': 'dev@example.com', 'principalSubject': "
				     "'user:x', 'authoritySelector': 'system:anonymous'",
				     ""),
			   "username", "\"dev@example.com\"");
}

static void test_datamodel_gcp_username_then_principal_subject(void **state)
{
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("'principalSubject': 'user:x', 'authoritySelector': "
				     "'system:anonymous'",
				     ""),
			   "username", "\"user:x\"");
}

static void test_datamodel_gcp_empty_principal_email_falls_through(void **state)
{
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("'principalEmail': '',"
				     " 'authoritySelector': 'system:anonymous'",
				     ""),
			   "username", "\"system:anonymous\"");
}

static void test_datamodel_gcp_username_defaults_to_unknown_actor(void **state)
{
	assert_event_field(*state, "GCP.AuditLog", GCP_EVENT("", ""), "username",
			   "\"<UNKNOWN ACTOR USER>\"");
	assert_event_field(*state, "GCP.AuditLog", "{}", "username", "\"<UNKNOWN ACTOR USER>\"");
}

static void test_datamodel_gcp_source_ips_from_caller_ip_any_case(void **state)
{
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("", ", 'requestMetadata': {'callerIp': '34.1.2.3'}"),
			   "sourceIPs", "[\"34.1.2.3\"]");
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("", ", 'requestMetadata': {'callerIP': '34.1.2.4'}"),
			   "sourceIPs", "[\"34.1.2.4\"]");
}

static void test_datamodel_gcp_source_ips_empty_list_without_caller_ip(void **state)
{
	assert_event_field(*state, "GCP.AuditLog", GCP_EVENT("", ""), "sourceIPs", "[]");
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("", ", 'requestMetadata': {'callerIp': ''}"), "sourceIPs",
			   "[]");
}

static void test_datamodel_gcp_user_agent_path_is_case_sensitive(void **state)
{
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("", ", 'requestMetadata': {'callerSuppliedUserAgent': 'k/1'}"),
			   "userAgent", "\"k/1\"");
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("", ", 'requestMetadata': {'callersuppliedUserAgent': 'k/1'}"),
			   "userAgent", "absent");
}

static void test_datamodel_gcp_request_uri_is_apis_plus_resource_name(void **state)
{
	assert_event_field(*state, "GCP.AuditLog",
			   GCP_EVENT("", ", 'resourceName':"
					 " 'core/v1/namespaces/default/pods/web-0'"),
			   "requestURI", "\"/apis/core/v1/namespaces/default/pods/web-0\"");
	assert_event_field(*state, "GCP.AuditLog", GCP_EVENT("", ""), "requestURI",
			   "\"/apis/\"");
}

static void test_datamodel_gcp_request_uri_is_empty_outside_k8s_io(void **state)
{
	assert_event_field(*state, "GCP.AuditLog",
			   "{'protoPayload': {'serviceName': 'compute.googleapis.com',"
			   " 'resourceName': 'projects/p/zones/z'}}",
			   "requestURI", "\"\"");
	assert_event_field(*state, "GCP.AuditLog",
			   "{'protoPayload': {'resourceName': 'core/v1/pods'}}", "requestURI",
			   "\"\"");
}

static void test_datamodel_gcp_namespaced_resource_name_is_split_into_fields(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "GCP.AuditLog",
		  GCP_EVENT("", ", 'methodName': 'io.k8s.core.v1.pods.get',"
				" 'resourceName': 'core/v1/namespaces/default/pods/web-0'"));
	assert_field(&ev, rs, "apiGroup", "\"core\"");
	assert_field(&ev, rs, "apiVersion", "\"v1\"");
	assert_field(&ev, rs, "namespace", "\"default\"");
	assert_field(&ev, rs, "resource", "\"pods\"");
	assert_field(&ev, rs, "name", "\"web-0\"");
	assert_field(&ev, rs, "verb", "\"get\"");
	event_free(&ev);
}

static void test_datamodel_gcp_cluster_scoped_resource_name_is_split_into_fields(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "GCP.AuditLog",
		  GCP_EVENT("", ", 'methodName':"
				" 'io.k8s.authorization.rbac.v1.clusterroles.create',"
				" 'resourceName':"
				" 'rbac.authorization.k8s.io/v1/clusterroles/admin'"));
	assert_field(&ev, rs, "apiGroup", "\"rbac.authorization.k8s.io\"");
	assert_field(&ev, rs, "apiVersion", "\"v1\"");
	assert_field(&ev, rs, "namespace", "\"\"");
	assert_field(&ev, rs, "resource", "\"clusterroles\"");
	assert_field(&ev, rs, "name", "\"admin\"");
	assert_field(&ev, rs, "verb", "\"create\"");
	event_free(&ev);
}

static void test_datamodel_gcp_short_resource_name_leaves_missing_parts_empty(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "GCP.AuditLog", GCP_EVENT("", ", 'resourceName': 'livez'"));
	assert_field(&ev, rs, "apiGroup", "\"livez\"");
	assert_field(&ev, rs, "apiVersion", "\"\"");
	assert_field(&ev, rs, "namespace", "\"\"");
	assert_field(&ev, rs, "resource", "\"\"");
	assert_field(&ev, rs, "name", "\"\"");
	assert_field(&ev, rs, "verb", "\"\"");
	assert_field(&ev, rs, "requestURI", "\"/apis/livez\"");
	event_free(&ev);
}

static void test_datamodel_gcp_fields_are_empty_outside_k8s_io(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "GCP.AuditLog",
		  "{'protoPayload': {'serviceName': 'compute.googleapis.com',"
		  " 'methodName': 'v1.compute.instances.delete',"
		  " 'resourceName': 'projects/p/zones/z/instances/i'}}");
	assert_field(&ev, rs, "apiGroup", "\"\"");
	assert_field(&ev, rs, "apiVersion", "\"\"");
	assert_field(&ev, rs, "namespace", "\"\"");
	assert_field(&ev, rs, "resource", "\"\"");
	assert_field(&ev, rs, "name", "\"\"");
	assert_field(&ev, rs, "verb", "\"\"");
	event_free(&ev);
}

static void test_datamodel_gcp_annotations_status_and_event_time(void **state)
{
	const struct ruleset *rs = *state;
	struct event ev;
	event_for(&ev, rs, "GCP.AuditLog",
		  "{'labels': {'authorization.k8s.io/decision': 'allow'},"
		  " 'receiveTimestamp': '2024-01-01T00:00:01Z',"
		  " 'protoPayload': {'serviceName': 'k8s.io', 'status': {'code': 7}}}");
	assert_field(&ev, rs, "annotations", "{\"authorization.k8s.io/decision\":\"allow\"}");
	assert_field(&ev, rs, "responseStatus", "{\"code\":7}");
	assert_field(&ev, rs, "eventTime", "\"2024-01-01T00:00:01Z\"");
	event_free(&ev);
}

/* ---- the mapping language, on a model of our own ---- */

/* unit_compile_fn for a data model; one that loads must index too. */
static int compile_model(struct compile_ctx *cx, void *out)
{
	struct datamodel **dm = out;
	int rc = datamodel_load(dm, cx);
	if (rc == 0)
		assert_int_equal(datamodel_index(*dm, cx->names->n), 0);
	return rc;
}

#define MODEL_HEAD "DataModelID: Test.Model\nLogTypes: [Test.Log]\nMappings:\n"

static void assert_model_field(const char *mappings, const char *js, const char *name,
			       const char *want)
{
	struct udm_names names = {0};
	struct datamodel *dm;
	struct event ev;
	char path[64], err[512], yaml[2048];

	snprintf(yaml, sizeof(yaml), MODEL_HEAD "%s", mappings);
	if (unit_compile(compile_model, &dm, yaml, &names, path, sizeof(path), err, sizeof(err)))
		fail_msg("model did not load: %s", err);
	unit_event_init(&ev, js, "Test.Log", dm, names.n);
	char got[1024];
	json_text(event_udm(&ev, udm_find(&names, name)), got, sizeof(got));
	event_free(&ev);
	datamodel_free(dm);
	udm_names_free(&names);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", name, got, want);
}

/* yaml must fail to load with exactly "FILE:line: message", leaving no model. */
static void assert_model_error(const char *yaml, int line, const char *message)
{
	struct datamodel *dm = (struct datamodel *)1;
	unit_assert_compile_error(compile_model, &dm, yaml, line, message);
	assert_null(dm);
}

static void test_datamodel_split_and_index_take_one_part(void **state)
{
	assert_model_field("  - Name: last\n    KeyPath: m\n    Split: '.'\n    Index: -1\n",
			   "{'m': 'a.b.c'}", "last", "\"c\"");
	assert_model_field("  - Name: parts\n    KeyPath: m\n    Split: '::'\n",
			   "{'m': 'a::b::'}", "parts", "[\"a\",\"b\",\"\"]");
	assert_model_field("  - Name: second\n    KeyPath: m\n    Split: '/'\n    Index: 1\n",
			   "{'m': 'only'}", "second", "absent");
}

static void test_datamodel_as_list_wraps_truthy_values_only(void **state)
{
	const char *m = "  - Name: l\n    KeyPath: v\n    AsList: true\n";
	assert_model_field(m, "{'v': 'x'}", "l", "[\"x\"]");
	assert_model_field(m, "{'v': ''}", "l", "[]");
	assert_model_field(m, "{}", "l", "[]");
}

static void test_datamodel_default_replaces_absent_and_null_only(void **state)
{
	const char *m = "  - Name: d\n    KeyPath: v\n    Default: none\n";
	assert_model_field(m, "{}", "d", "\"none\"");
	assert_model_field(m, "{'v': null}", "d", "\"none\"");
	assert_model_field(m, "{'v': ''}", "d", "\"\"");
	assert_model_field(m, "{'v': 0}", "d", "0");
}

static void test_datamodel_first_matching_case_wins_else_the_mapping_itself(void **state)
{
	const char *m = "  - Name: c\n"
			"    Cases:\n"
			"      - When: [{KeyPath: k, Condition: Equals, Value: 1}]\n"
			"        Value: one\n"
			"      - When: [{KeyPath: k, Condition: IsGreaterThan, Value: 0}]\n"
			"        Value: positive\n"
			"    Value: other\n";
	assert_model_field(m, "{'k': 1}", "c", "\"one\"");
	assert_model_field(m, "{'k': 5}", "c", "\"positive\"");
	assert_model_field(m, "{'k': -5}", "c", "\"other\"");
}

static void test_datamodel_coalesce_takes_the_first_truthy_alternative(void **state)
{
	const char *m = "  - Name: c\n"
			"    Coalesce:\n"
			"      - KeyPath: a\n"
			"      - Path: $.b.c\n"
			"      - Value: fallback\n";
	assert_model_field(m, "{'a': 'A', 'b': {'c': 'C'}}", "c", "\"A\"");
	assert_model_field(m, "{'a': 0, 'b': {'c': 'C'}}", "c", "\"C\"");
	assert_model_field(m, "{'a': [], 'B': {'c': 'C'}}", "c", "\"fallback\"");
}

static void test_datamodel_mapping_may_read_another_field(void **state)
{
	const char *m = "  - Name: parts\n    KeyPath: r\n    Split: '/'\n"
			"  - Name: second\n    KeyPath: p_udm.parts[1]\n";
	assert_model_field(m, "{'r': 'x/y/z'}", "second", "\"y\"");
}

static void test_datamodel_mapping_that_reads_itself_is_absent(void **state)
{
	assert_model_field("  - Name: loop\n    KeyPath: p_udm.loop\n", "{'loop': 1}", "loop",
			   "absent");
}

static void test_datamodel_template_mapping_renders_text(void **state)
{
	assert_model_field("  - Name: t\n    Template: '{a}-{b|none}'\n", "{'a': 1}", "t",
			   "\"1-none\"");
}

static void test_datamodel_error_filename_is_not_supported(void **state)
{
	assert_model_error("DataModelID: X\nLogTypes: [L]\nFilename: model.py\n", 3,
			   "Filename (a Python data model) is not supported: use Mappings");
}

static void test_datamodel_error_method_is_not_supported(void **state)
{
	assert_model_error(MODEL_HEAD "  - Name: a\n    Method: get_a\n", 5,
			   "Method (Python) is not supported: express the field with Path, "
			   "KeyPath, Coalesce, Template or Cases");
}

static void test_datamodel_error_two_sources_in_one_mapping(void **state)
{
	assert_model_error(MODEL_HEAD "  - Name: a\n    Path: $.a\n    KeyPath: a\n", 6,
			   "a mapping takes one of Path, KeyPath, Coalesce, Value, Template");
}

static void test_datamodel_error_mapping_defined_twice(void **state)
{
	assert_model_error(MODEL_HEAD "  - Name: a\n    Path: $.a\n  - Name: a\n    Path: $.b\n",
			   6, "mapping 'a' is defined twice");
}

static void test_datamodel_error_missing_id_and_log_types(void **state)
{
	assert_model_error("LogTypes: [L]\nMappings: []\n", 1, "data model without DataModelID");
	assert_model_error("DataModelID: X\nMappings: []\n", 1, "data model without LogTypes");
}

static void test_datamodel_error_unknown_key_is_named(void **state)
{
	assert_model_error("DataModelID: X\nLogTypes: [L]\nMapping: []\n", 3,
			   "unknown key 'Mapping' in data model");
}

/* a repeated key would replace (and leak) what the first one built */
static void test_datamodel_error_duplicate_key_anywhere(void **state)
{
	assert_model_error(MODEL_HEAD "  - Name: a\n    Path: $.a\nMappings: []\n", 6,
			   "duplicate key 'Mappings'");
	assert_model_error(MODEL_HEAD
			   "  - Name: a\n    Default: x\n    Path: $.a\n    Default: y\n",
			   7, "duplicate key 'Default' in mapping");
	assert_model_error(MODEL_HEAD
			   "  - Name: a\n    Cases:\n      - When: []\n        Value: 1\n"
			   "        Value: 2\n",
			   8, "duplicate key 'Value' in case");
	assert_model_error("DataModelID: X\nLogTypes: [L]\nRoot: {KeyPath: a, KeyPath: b}\n"
			   "Mappings: []\n",
			   3, "duplicate key 'KeyPath' in Root");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datamodel_shipped_models_cover_the_four_log_types),
		cmocka_unit_test(test_datamodel_native_fields_come_from_the_event),
		cmocka_unit_test(test_datamodel_native_paths_are_case_sensitive),
		cmocka_unit_test(test_datamodel_native_event_time_falls_back_to_stage_timestamp),
		cmocka_unit_test(test_datamodel_field_is_computed_once_per_event),
		cmocka_unit_test(test_datamodel_eks_fields_come_from_the_event),
		cmocka_unit_test(test_datamodel_eks_event_time_takes_request_received_first),
		cmocka_unit_test(test_datamodel_aks_fields_come_from_the_inner_log_json),
		cmocka_unit_test(test_datamodel_aks_kube_audit_admin_category_is_read_too),
		cmocka_unit_test(test_datamodel_aks_other_categories_have_no_fields),
		cmocka_unit_test(
			test_datamodel_aks_log_that_is_not_a_json_object_string_has_no_fields),
		cmocka_unit_test(test_datamodel_aks_inner_paths_are_case_sensitive),
		cmocka_unit_test(test_datamodel_aks_event_time_prefers_the_outer_time),
		cmocka_unit_test(test_datamodel_gcp_username_prefers_principal_email),
		cmocka_unit_test(test_datamodel_gcp_username_then_principal_subject),
		cmocka_unit_test(
			test_datamodel_gcp_empty_principal_email_falls_through),
		cmocka_unit_test(test_datamodel_gcp_username_defaults_to_unknown_actor),
		cmocka_unit_test(test_datamodel_gcp_source_ips_from_caller_ip_any_case),
		cmocka_unit_test(test_datamodel_gcp_source_ips_empty_list_without_caller_ip),
		cmocka_unit_test(test_datamodel_gcp_user_agent_path_is_case_sensitive),
		cmocka_unit_test(test_datamodel_gcp_request_uri_is_apis_plus_resource_name),
		cmocka_unit_test(test_datamodel_gcp_request_uri_is_empty_outside_k8s_io),
		cmocka_unit_test(test_datamodel_gcp_namespaced_resource_name_is_split_into_fields),
		cmocka_unit_test(
			test_datamodel_gcp_cluster_scoped_resource_name_is_split_into_fields),
		cmocka_unit_test(test_datamodel_gcp_short_resource_name_leaves_missing_parts_empty),
		cmocka_unit_test(test_datamodel_gcp_fields_are_empty_outside_k8s_io),
		cmocka_unit_test(test_datamodel_gcp_annotations_status_and_event_time),
		cmocka_unit_test(test_datamodel_split_and_index_take_one_part),
		cmocka_unit_test(test_datamodel_as_list_wraps_truthy_values_only),
		cmocka_unit_test(test_datamodel_default_replaces_absent_and_null_only),
		cmocka_unit_test(test_datamodel_first_matching_case_wins_else_the_mapping_itself),
		cmocka_unit_test(test_datamodel_coalesce_takes_the_first_truthy_alternative),
		cmocka_unit_test(test_datamodel_mapping_may_read_another_field),
		cmocka_unit_test(test_datamodel_mapping_that_reads_itself_is_absent),
		cmocka_unit_test(test_datamodel_template_mapping_renders_text),
		cmocka_unit_test(test_datamodel_error_filename_is_not_supported),
		cmocka_unit_test(test_datamodel_error_method_is_not_supported),
		cmocka_unit_test(test_datamodel_error_two_sources_in_one_mapping),
		cmocka_unit_test(test_datamodel_error_mapping_defined_twice),
		cmocka_unit_test(test_datamodel_error_missing_id_and_log_types),
		cmocka_unit_test(test_datamodel_error_unknown_key_is_named),
		cmocka_unit_test(test_datamodel_error_duplicate_key_anywhere),
	};
	return cmocka_run_group_tests(tests, load_models, unit_ruleset_teardown);
}
