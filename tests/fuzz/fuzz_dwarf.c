/* The DWARF of an executable (libdw over any file /proc/PID/exe leads to): the section checks
 * before libdw, the walk over units and DIEs, the struct members and the map type behind
 * Request.Header. */
#include "fuzz.h"
#include "gooffsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gooffsets go;
	char err[256];

	gooffsets_from_dwarf(fuzz_write("exe", data, size), &go, err, sizeof(err));
	return 0;
}
