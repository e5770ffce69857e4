/* The daemon's configuration file: the YAML loader, the strict key and type checks, the
 * defaults, and the effective configuration check-config prints. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct config *c;
	char err[640];

	if (!devnull && !(devnull = fopen("/dev/null", "we")))
		abort();
	if (config_load(&c, fuzz_write("agent.yaml", data, size), err, sizeof(err)) == 0) {
		config_print(c, devnull);
		config_free(c);
	}
	return 0;
}
