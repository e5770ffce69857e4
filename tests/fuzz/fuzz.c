/* The helpers of fuzz.h. Not a harness: linked into each of them. */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ruleset.h"

static char dir[256];
static struct ruleset *rules;

static void remove_all(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && rmdir(path)) {
			/* a directory the harness made (a spool): one level is all there is */
			DIR *sub = opendir(path);
			struct dirent *se;
			char p2[800];
			while (sub && (se = readdir(sub))) {
				snprintf(p2, sizeof(p2), "%s/%s", path, se->d_name);
				unlink(p2);
			}
			if (sub)
				closedir(sub);
			rmdir(path);
		}
	}
	closedir(d);
}

static void at_exit(void)
{
	if (!dir[0])
		return;
	remove_all();
	rmdir(dir);
	ruleset_free(rules);
	rules = NULL;
}

const char *fuzz_dir(void)
{
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/kaa-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(at_exit);
	}
	return dir;
}

void fuzz_clean(void)
{
	if (dir[0])
		remove_all();
}

const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		abort();
	}
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0) {
			perror(path);
			abort();
		}
		done += (size_t)w;
	}
	close(fd);
	return path;
}

const char *fuzz_rules_dir(void)
{
	const char *env = getenv("KAA_FUZZ_RULES");
	return env && *env ? env : KAA_RULES_DIR;
}

const struct ruleset *fuzz_rules(void)
{
	if (rules)
		return rules;
	char *paths[] = {(char *)fuzz_rules_dir()};
	int problems = ruleset_load(&rules, paths, 1, stderr);
	if (problems) {
		fprintf(stderr, "fuzz: the rules under %s do not load (%d)\n", paths[0], problems);
		abort();
	}
	fuzz_dir(); /* registers the exit handler that frees them */
	return rules;
}
