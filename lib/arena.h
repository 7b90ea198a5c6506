/* arena.h — per-request memory pool with cleanups.
 * Everything a request allocates comes from one arena and goes away at once
 * with arena_reset(); non-memory resources (PGresult, cJSON, FILE) register a
 * cleanup so handlers never free by hand. */
#ifndef GIGD_ARENA_H
#define GIGD_ARENA_H
#include <stddef.h>
#include <stdarg.h>

typedef struct arena arena;
typedef void (*arena_cleanup_fn)(void *);

/* Returns a new arena owned by the caller (arena_free). Aborts on OOM. */
arena *arena_new(size_t block_size);
void arena_free(arena *a);
/* Runs cleanups (last registered first) and releases all but the first block. */
void arena_reset(arena *a);

/* Memory returned lives until the next arena_reset(); aligned for any type. Like running
 * out of memory, a size that cannot be rounded up and stored aborts. */
void *arena_alloc(arena *a, size_t n);
void *arena_zalloc(arena *a, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_sprintf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(arena *a, const char *fmt, va_list ap);

/* fn(p) runs at reset, in reverse order of registration. */
void arena_on_cleanup(arena *a, arena_cleanup_fn fn, void *p);

#endif
