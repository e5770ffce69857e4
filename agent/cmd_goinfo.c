/* go-info: what the eBPF correlation would read from a Go executable (kube-apiserver): its Go
 * version and where the uprobe on net/http.serverHandler.ServeHTTP (or --func) would attach. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "goelf.h"

#define GOINFO_DEFAULT_FUNC "net/http.serverHandler.ServeHTTP"
#define GOINFO_MAX_FUNCS    32

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kube-audit-agent go-info [--func NAME]... BINARY\n"
		"\n"
		"Print the Go version of a Go executable (from its build info) and, for each\n"
		"function (default %s), its entry address and the\n"
		"file offset a uprobe attaches to. Functions are found in the symbol table, or\n"
		"in .gopclntab when the binary is stripped.\n"
		"\n"
		"  --func NAME   a function to look up (repeatable, up to %d)\n"
		"\n"
		"Exit status: 0 when everything was found, 1 otherwise, 2 for usage errors.\n",
		GOINFO_DEFAULT_FUNC, GOINFO_MAX_FUNCS);
}

int cmd_go_info(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"func", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *funcs[GOINFO_MAX_FUNCS];
	size_t nfuncs = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+hf:", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'f' && nfuncs < GOINFO_MAX_FUNCS) {
			funcs[nfuncs++] = optarg;
			continue;
		}
		usage(stderr);
		return 2;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (nfuncs == 0)
		funcs[nfuncs++] = GOINFO_DEFAULT_FUNC;
	const char *path = argv[optind];

	char err[512] = "";
	struct goelf *g;
	int rc = goelf_open(&g, path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "go-info: %s: %s\n", path, err);
		return 1;
	}
	int status = 0;
	char version[64];
	rc = goelf_go_version(g, version, sizeof(version));
	if (rc) {
		fprintf(stderr, "go-info: %s: %s\n", path, goelf_error(g));
		status = 1;
	} else {
		printf("go version: %s\n", version);
	}
	printf("symbol table: %s\n", goelf_has_symtab(g) ? "yes" : "no (stripped)");
	for (size_t i = 0; i < nfuncs; i++) {
		uint64_t addr, off;
		rc = goelf_find_func(g, funcs[i], &addr, &off);
		if (rc) {
			fprintf(stderr, "go-info: %s: %s\n", path, goelf_error(g));
			status = 1;
			continue;
		}
		printf("%s: address 0x%llx, file offset 0x%llx\n", funcs[i],
		       (unsigned long long)addr, (unsigned long long)off);
	}
	goelf_free(&g);
	return status;
}
