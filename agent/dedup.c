#include "dedup.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_key(const char *k)
{
	uint64_t h = 1469598103934665603ULL;
	while (*k)
		h = (h ^ (unsigned char)*k++) * 1099511628211ULL;
	return h;
}

int dedup_init(struct dedup_table *t, size_t nbuckets)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = nbuckets ? nbuckets : 4096;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

static void group_free(struct alert_group *g)
{
	free(g->key);
	cJSON_Delete(g->first);
	free(g);
}

static void unlink_group(struct dedup_table *t, struct alert_group *g)
{
	struct alert_group **pp = &t->buckets[hash_key(g->key) % t->nbuckets];
	while (*pp && *pp != g)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = g->hnext;
	if (g->prev)
		g->prev->next = g->next;
	else
		t->head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		t->tail = g->prev;
	t->count--;
	t->weight -= g->weight;
}

void dedup_free(struct dedup_table *t)
{
	struct alert_group *g = t->head;
	while (g) {
		struct alert_group *n = g->next;
		group_free(g);
		g = n;
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static int close_group(struct dedup_table *t, struct alert_group *g, dedup_close_fn fn, void *arg)
{
	unlink_group(t, g);
	int rc = fn ? fn(arg, g) : 0;
	group_free(g);
	return rc;
}

int dedup_record(struct dedup_table *t, const struct rule *r, const char *dedup, int64_t ts,
		 struct alert_group **gout, bool *first_match, dedup_close_fn close_fn, void *arg)
{
	size_t il = strlen(r->id), dl = strlen(dedup);
	char *key = malloc(il + dl + 2);
	if (!key)
		return -ENOMEM;
	memcpy(key, r->id, il);
	key[il] = '\x1f';
	memcpy(key + il + 1, dedup, dl + 1);

	size_t b = hash_key(key) % t->nbuckets;
	struct alert_group *g = t->buckets[b];
	while (g && strcmp(g->key, key))
		g = g->hnext;
	if (g && ts >= g->window_end) {
		int rc = close_group(t, g, close_fn, arg);
		g = NULL;
		if (rc) {
			free(key);
			return rc;
		}
	}
	*first_match = false;
	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g) {
			free(key);
			return -ENOMEM;
		}
		g->rule = r;
		g->key = key;
		g->dedup = key + il + 1;
		g->window_start = ts;
		g->window_end = ts + (int64_t)r->dedup_minutes * 60 * 1000000;
		g->first_seen = ts;
		g->hnext = t->buckets[b];
		t->buckets[b] = g;
		g->prev = t->tail;
		if (t->tail)
			t->tail->next = g;
		else
			t->head = g;
		t->tail = g;
		t->count++;
		*first_match = true;
	} else {
		free(key);
	}
	g->count++;
	if (ts > g->last_seen || g->count == 1)
		g->last_seen = ts;
	if (ts < g->first_seen)
		g->first_seen = ts;
	*gout = g;
	if (g->alerted)
		return DEDUP_UPDATE;
	if (g->count >= (uint64_t)r->threshold) {
		g->alerted = true;
		return DEDUP_NEW_ALERT;
	}
	return DEDUP_HELD;
}

void dedup_set_weight(struct dedup_table *t, struct alert_group *g, size_t weight)
{
	t->weight = t->weight - g->weight + weight;
	g->weight = weight;
}

int dedup_close_oldest(struct dedup_table *t, dedup_close_fn close_fn, void *arg)
{
	if (!t->head)
		return 1;
	return close_group(t, t->head, close_fn, arg);
}

int dedup_expire(struct dedup_table *t, int64_t now, dedup_close_fn close_fn, void *arg)
{
	struct alert_group *g = t->head;
	while (g) {
		struct alert_group *n = g->next;
		if (now == INT64_MAX || g->window_end <= now) {
			int rc = close_group(t, g, close_fn, arg);
			if (rc)
				return rc;
		}
		g = n;
	}
	return 0;
}

void dedup_alert_id(const struct alert_group *g, char out[33])
{
	/* two independent 64-bit FNV-1a lanes over key and window start */
	uint64_t h1 = 1469598103934665603ULL, h2 = 0x84222325cbf29ce4ULL;
	char ws[24];
	int n = snprintf(ws, sizeof(ws), "%lld", (long long)g->window_start);
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass ? ws : g->key;
		size_t len = pass ? (size_t)n : strlen(g->key);
		for (size_t i = 0; i < len; i++) {
			h1 = (h1 ^ (unsigned char)s[i]) * 1099511628211ULL;
			h2 = (h2 ^ (unsigned char)s[i]) * 0x100000001b3ULL;
			h2 ^= h2 >> 29;
		}
		h1 = (h1 ^ 0x1f) * 1099511628211ULL;
	}
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}
cJSON *dedup_save(const struct dedup_table *t)
{
	cJSON *arr = cJSON_CreateArray();
	if (!arr)
		return NULL;
	for (const struct alert_group *g = t->head; g; g = g->next) {
		cJSON *o = cJSON_CreateObject();
		if (!o) {
			cJSON_Delete(arr);
			return NULL;
		}
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "rule", g->rule->id);
		cJSON_AddStringToObject(o, "dedup", g->dedup);
		cJSON_AddNumberToObject(o, "window_start", (double)g->window_start);
		cJSON_AddNumberToObject(o, "window_end", (double)g->window_end);
		cJSON_AddNumberToObject(o, "first_seen", (double)g->first_seen);
		cJSON_AddNumberToObject(o, "last_seen", (double)g->last_seen);
		cJSON_AddNumberToObject(o, "count", (double)g->count);
		cJSON_AddBoolToObject(o, "alerted", g->alerted);
	}
	return arr;
}

int dedup_restore(struct dedup_table *t, const cJSON *saved,
		  const struct rule *(*find)(void *arg, const char *id), void *arg)
{
	size_t restored = 0;
	if (!saved || !cJSON_IsArray(saved))
		return 0;
	for (const cJSON *o = saved->child; o; o = o->next) {
		const cJSON *rid = cJSON_GetObjectItemCaseSensitive(o, "rule");
		const cJSON *dd = cJSON_GetObjectItemCaseSensitive(o, "dedup");
		const cJSON *f[6];
		static const char *const keys[] = {"window_start", "window_end", "first_seen",
						   "last_seen",	   "count"};
		bool ok = cJSON_IsString(rid) && cJSON_IsString(dd);
		for (size_t i = 0; ok && i < 5; i++) {
			f[i] = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
			/* whole numbers a 64-bit integer holds; a count of at least one */
			ok = cJSON_IsNumber(f[i]) && f[i]->valuedouble == floor(f[i]->valuedouble) &&
			     fabs(f[i]->valuedouble) < 9.0e18 && (i < 4 || f[i]->valuedouble >= 1);
		}
		const struct rule *r = ok ? find(arg, rid->valuestring) : NULL;
		if (!r)
			continue; /* malformed, or the rule is gone: its windows go with it */
		struct alert_group *g;
		bool first;
		int64_t ws = (int64_t)f[0]->valuedouble;
		int rc = dedup_record(t, r, dd->valuestring, ws, &g, &first, NULL, NULL);
		if (rc < 0)
			return rc;
		g->window_start = ws;
		g->window_end = (int64_t)f[1]->valuedouble;
		g->first_seen = (int64_t)f[2]->valuedouble;
		g->last_seen = (int64_t)f[3]->valuedouble;
		g->count = (uint64_t)f[4]->valuedouble;
		g->alerted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "alerted"));
		restored++;
	}
	return (int)restored;
}
