/* kube-audit-agent: detection rules over Kubernetes audit logs. main dispatches the
 * sub-commands; each lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: kube-audit-agent COMMAND [OPTIONS]\n"
		   "\n"
		   "Commands:\n"
		   "  run --config FILE follow the audit logs and write alerts (the daemon)\n"
		   "  check-config --config FILE\n"
		   "                    validate a configuration and print it\n"
		   "  test [PATH...]    run every rule's embedded tests\n"
		   "  eval [FILE|-]     evaluate saved audit events and print the alerts\n"
		   "  go-info BINARY    the Go version and uprobe offsets of a Go executable\n"
		   "  version           print the version\n"
		   "\n"
		   "kube-audit-agent COMMAND --help describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "test"))
		return cmd_test(argc - 1, argv + 1);
	if (!strcmp(cmd, "eval"))
		return cmd_eval(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "check-config"))
		return cmd_check_config(argc - 1, argv + 1);
	if (!strcmp(cmd, "go-info"))
		return cmd_go_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "conntrack-probe"))
		return cmd_conntrack_probe(argc - 1, argv + 1);
	if (!strcmp(cmd, "http-probe"))
		return cmd_httpprobe(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("kube-audit-agent %s\n", KAA_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "kube-audit-agent: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
