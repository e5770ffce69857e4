/* An executable as the uprobe finds it through /proc/PID/exe (any file can be there): the ELF
 * and section headers, the Go build info and the function tables (.symtab and .gopclntab),
 * and the Go version string the offsets table is chosen by. */
#include <stdio.h>

#include "fuzz.h"
#include "goelf.h"
#include "gooffsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const funcs[] = {"net/http.serverHandler.ServeHTTP", "main.a", "main.b"};
	static const enum goelf_source srcs[] = {GOELF_ANY, GOELF_SYMTAB, GOELF_PCLNTAB};
	struct goelf *g;
	char err[256], version[128];

	if (goelf_open(&g, fuzz_write("exe", data, size), err, sizeof(err)))
		return 0;
	if (goelf_go_version(g, version, sizeof(version)) == 0) {
		struct gooffsets go;
		gooffsets_from_table(version, &go);
	}
	for (size_t s = 0; s < 3; s++)
		for (size_t f = 0; f < 3; f++) {
			uint64_t addr, off;
			goelf_find_func_from(g, srcs[s], funcs[f], &addr, &off);
		}
	goelf_has_symtab(g);
	goelf_free(&g);
	return 0;
}
