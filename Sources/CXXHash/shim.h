/* xxHash compiled into FastPush itself (XXH_INLINE_ALL), so binaries need no libxxhash at run time:
   the controller goes into containers that do not have it. With XXH_INLINE_ALL the library's names are
   macros for static inline functions, which Swift cannot call by those names; these wrappers give them
   stable ones. The state is handed out as an opaque pointer. */
#define XXH_INLINE_ALL
#include <xxhash.h>

static inline XXH64_hash_t fastpush_xxh3_64(const void *input, size_t length) {
    return XXH3_64bits(input, length);
}

static inline XXH128_hash_t fastpush_xxh3_128(const void *input, size_t length) {
    return XXH3_128bits(input, length);
}

static inline void *fastpush_xxh3_128_create(void) {
    XXH3_state_t *state = XXH3_createState();
    if (state != NULL) XXH3_128bits_reset(state);
    return state;
}

static inline void fastpush_xxh3_128_update(void *state, const void *input, size_t length) {
    XXH3_128bits_update((XXH3_state_t *)state, input, length);
}

static inline XXH128_hash_t fastpush_xxh3_128_digest(const void *state) {
    return XXH3_128bits_digest((const XXH3_state_t *)state);
}

static inline void fastpush_xxh3_128_free(void *state) {
    XXH3_freeState((XXH3_state_t *)state);
}
