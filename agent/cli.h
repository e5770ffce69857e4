/* cli: the sub-commands of kube-audit-agent. Each returns the process exit status. */
#ifndef KAA_CLI_H
#define KAA_CLI_H

#ifndef KAA_VERSION
#define KAA_VERSION "0.1.0"
#endif
#ifndef KAA_RULES_DIR
#define KAA_RULES_DIR "/usr/share/kube-audit-agent/rules"
#endif

/* The decimal number s of option opt into *out when it is from min to max; else -EINVAL, with
 * "CMD: OPT: 'S' is not MIN..MAX" on stderr. */
int cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max,
		   long *out);

/* The probe commands (conntrack-probe, http-probe): their longest run in seconds, and their exit
 * status when this kernel or these privileges cannot run the BPF program. */
#define PROBE_MAX_SECONDS 3600
#define PROBE_EXIT_NO_BPF 3
/* The exit status of a probe command whose BPF program failed to load with rc (-errno):
 * PROBE_EXIT_NO_BPF when BPF is unavailable here (privileges, kernel), else 1. */
int cli_probe_load_status(int rc);

int cmd_eval(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
/* hidden: print the BPF connection tracker's events (tests, checking a kernel by hand) */
int cmd_conntrack_probe(int argc, char **argv);
/* hidden: print the requests the uprobe on a Go HTTP server sees (tests, checking by hand) */
int cmd_httpprobe(int argc, char **argv);
int cmd_go_info(int argc, char **argv);

#endif
