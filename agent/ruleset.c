#include "ruleset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ydoc.h"

#define RULESET_MAX_DEPTH 16

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nmodels; i++)
		datamodel_free(rs->models[i]);
	free(rs->models);
	for (size_t i = 0; i < rs->nlts; i++) {
		free(rs->lts[i].name);
		free(rs->lts[i].rules);
	}
	free(rs->lts);
	prefilter_free(&rs->pf);
	udm_names_free(&rs->names);
	free(rs);
}

static bool yaml_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int push_ptr(void ***arr, size_t *n, void *p)
{
	void **na = realloc(*arr, (*n + 1) * sizeof(*na));
	if (!na)
		return -ENOMEM;
	*arr = na;
	na[(*n)++] = p;
	return 0;
}

/* Returns the number of problems found in the file, or -ENOMEM. */
static int load_file(struct ruleset *rs, const char *path, const struct trust_policy *trust,
		     FILE *errs)
{
	struct ydoc d;
	char err[640];
	struct compile_ctx cx = {.doc = &d, .names = &rs->names, .err = err, .errsz = sizeof(err)};
	int rc;

	err[0] = '\0';
	rs->nfiles++;
	rc = ydoc_load_trusted(&d, path, RULESET_MAX_FILE_BYTES, trust, err, sizeof(err));
	if (rc) {
		fprintf(errs, "%s\n", err);
		return rc == -ENOMEM ? rc : 1;
	}
	yaml_node_t *root = ydoc_root(&d);
	const char *type = NULL;
	if (ydoc_is_map(root)) {
		YDOC_FOREACH_PAIR(&d, root, p)
		{
			const char *ks = ydoc_str(ydoc_node(&d, p->key));
			if (ks && !strcmp(ks, "AnalysisType"))
				type = ydoc_str(ydoc_node(&d, p->value));
		}
	}
	if (!ydoc_is_map(root)) {
		compile_error(&cx, root, "expected a mapping at the top");
		rc = -EINVAL;
	} else if (!type) {
		compile_error(&cx, root, "missing AnalysisType (rule or datamodel)");
		rc = -EINVAL;
	} else if (!strcmp(type, "rule")) {
		struct rule *r;
		rc = rule_load(&r, &cx);
		if (rc == 0 && (rc = push_ptr((void ***)&rs->rules, &rs->nrules, r)))
			rule_free(r);
	} else if (!strcmp(type, "datamodel")) {
		struct datamodel *dm;
		rc = datamodel_load(&dm, &cx);
		if (rc == 0 && (rc = push_ptr((void ***)&rs->models, &rs->nmodels, dm)))
			datamodel_free(dm);
	} else {
		compile_error(&cx, root, "AnalysisType '%s' is not supported (rule, datamodel)",
			      type);
		rc = -EINVAL;
	}
	ydoc_free(&d);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		fprintf(errs, "%s\n", err[0] ? err : "out of memory");
		return 1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(struct ruleset *rs, const char *path, const struct trust_policy *trust,
		     FILE *errs, int depth, bool top)
{
	struct stat st;
	char err[640];
	if (stat(path, &st)) {
		fprintf(errs, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (!top && !yaml_name(path))
			return 0;
		return load_file(rs, path, trust, errs);
	}
	if (depth > RULESET_MAX_DEPTH) {
		fprintf(errs, "%s: directories nested deeper than %d levels are not read\n", path,
			RULESET_MAX_DEPTH);
		return 1;
	}
	/* the directory that is checked is the one that is read */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		fprintf(errs, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	int rc = trust_check_fd(fd, path, trust, err, sizeof(err));
	if (rc) {
		fprintf(errs, "%s\n", err);
		closedir(dir);
		return 1;
	}
	char **names = NULL;
	size_t n = 0;
	int problems = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		char *full;
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0 ||
		    push_ptr((void ***)&names, &n, full)) {
			problems = -ENOMEM;
			break;
		}
	}
	closedir(dir);
	if (problems == 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (problems >= 0) {
			int r = load_path(rs, names[i], trust, errs, depth + 1, false);
			problems = r < 0 ? r : problems + r;
		}
		free(names[i]);
	}
	free(names);
	return problems;
}

static struct rs_logtype *lt_get(struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nlts; i++)
		if (!strcmp(rs->lts[i].name, name))
			return &rs->lts[i];
	struct rs_logtype *nl = realloc(rs->lts, (rs->nlts + 1) * sizeof(*nl));
	if (!nl)
		return NULL;
	rs->lts = nl;
	memset(&nl[rs->nlts], 0, sizeof(*nl));
	nl[rs->nlts].name = strdup(name);
	if (!nl[rs->nlts].name)
		return NULL;
	return &nl[rs->nlts++];
}

static int finalize(struct ruleset *rs, FILE *errs)
{
	int problems = 0;

	for (size_t i = 0; i < rs->nrules; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(rs->rules[i]->id, rs->rules[j]->id)) {
				fprintf(errs, "%s: RuleID '%s' is already defined in %s\n",
					rs->rules[i]->file, rs->rules[i]->id, rs->rules[j]->file);
				problems++;
			}
	for (size_t i = 0; i < rs->nmodels; i++) {
		if (datamodel_index(rs->models[i], rs->names.n))
			return -ENOMEM;
		for (size_t j = 0; j < i; j++) {
			if (!rs->models[i]->enabled || !rs->models[j]->enabled)
				continue;
			for (size_t a = 0; a < rs->models[i]->nlog_types; a++)
				for (size_t b = 0; b < rs->models[j]->nlog_types; b++)
					if (!strcmp(rs->models[i]->log_types[a],
						    rs->models[j]->log_types[b])) {
						fprintf(errs, "%s: log type '%s' already has the "
							      "data model %s (%s)\n",
							rs->models[i]->file,
							rs->models[i]->log_types[a],
							rs->models[j]->id, rs->models[j]->file);
						problems++;
					}
		}
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = rs->rules[i];
		if (!r->enabled)
			continue;
		for (size_t k = 0; k < r->nlog_types; k++) {
			struct rs_logtype *lt = lt_get(rs, r->log_types[k]);
			if (!lt || push_ptr((void ***)&lt->rules, &lt->nrules, (void *)r))
				return -ENOMEM;
		}
	}
	for (size_t i = 0; i < rs->nlts; i++)
		rs->lts[i].dm = ruleset_model(rs, rs->lts[i].name);
	if (prefilter_new(&rs->pf, rs))
		return -ENOMEM;
	return problems;
}

int ruleset_load_trusted(struct ruleset **out, char *const *paths, size_t npaths,
			 const struct trust_policy *trust, FILE *errs)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	int problems = 0;

	*out = rs;
	if (!rs)
		return -ENOMEM;
	for (size_t i = 0; i < npaths; i++) {
		int r = load_path(rs, paths[i], trust, errs, 0, true);
		if (r < 0)
			return r;
		problems += r;
	}
	int r = finalize(rs, errs);
	if (r < 0)
		return r;
	return problems + r;
}

int ruleset_load(struct ruleset **out, char *const *paths, size_t npaths, FILE *errs)
{
	return ruleset_load_trusted(out, paths, npaths, NULL, errs);
}

const struct rs_logtype *ruleset_find(const struct ruleset *rs, const char *log_type)
{
	if (!log_type)
		return NULL;
	for (size_t i = 0; i < rs->nlts; i++)
		if (!strcmp(rs->lts[i].name, log_type))
			return &rs->lts[i];
	return NULL;
}

const struct rule *ruleset_rule(void *arg, const char *id)
{
	const struct ruleset *rs = arg;
	for (size_t i = 0; i < rs->nrules; i++)
		if (!strcmp(rs->rules[i]->id, id))
			return rs->rules[i];
	return NULL;
}

const struct datamodel *ruleset_model(const struct ruleset *rs, const char *log_type)
{
	for (size_t i = 0; i < rs->nmodels; i++) {
		const struct datamodel *dm = rs->models[i];
		if (!dm->enabled)
			continue;
		for (size_t k = 0; k < dm->nlog_types; k++)
			if (!strcmp(dm->log_types[k], log_type))
				return dm;
	}
	return NULL;
}
