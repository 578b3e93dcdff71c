// libFuzzer's driver, linked in by -sanitize=fuzzer. Calling it from our own main (rather than letting
// libFuzzer's main run) is what SwiftPM executables need: SwiftPM always makes the module's entry point `main`.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
