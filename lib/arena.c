/* arena.c — bump allocator in linked blocks, plus a cleanup stack. */
#include "arena.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

struct block {
    struct block *next;
    size_t size, used;
    max_align_t data[];
};

struct cleanup {
    struct cleanup *next;
    arena_cleanup_fn fn;
    void *p;
};

struct arena {
    struct block *head;       /* current block; the first block is kept on reset */
    struct block *first;
    size_t block_size;
    struct cleanup *cleanups;
};

static _Noreturn void out_of_memory(const char *why, size_t n)
{
    fprintf(stderr, "arena: %s (%zu bytes)\n", why, n);
    abort();
}

static struct block *block_new(size_t size)
{
    struct block *b = malloc(sizeof *b + size);
    if (!b)
        out_of_memory("out of memory", size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

arena *arena_new(size_t block_size)
{
    arena *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->block_size = block_size < 1024 ? 1024 : block_size;
    a->first = a->head = block_new(a->block_size);
    return a;
}

void *arena_alloc(arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    /* Rounding up, and later the block header, must not wrap a huge request to a tiny one. */
    if (n > SIZE_MAX - sizeof(struct block) - align)
        out_of_memory("allocation size overflows", n);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    struct block *b = a->head;
    if (b->size - b->used < n) {
        /* Big allocations get their own block so the common block stays small. */
        size_t size = n > a->block_size ? n : a->block_size;
        struct block *nb = block_new(size);
        nb->next = a->head;
        a->head = nb;
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void *arena_zalloc(arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        out_of_memory("allocation size overflows", n);
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vsprintf(arena *a, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_sprintf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void arena_on_cleanup(arena *a, arena_cleanup_fn fn, void *p)
{
    struct cleanup *c = arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
}

void arena_reset(arena *a)
{
    /* Cleanups live in the arena's own memory: unlink each before running it. */
    while (a->cleanups) {
        struct cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->p);
    }
    struct block *b = a->head;
    while (b != a->first) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    a->head = a->first;
    a->first->used = 0;
}

void arena_free(arena *a)
{
    if (!a)
        return;
    arena_reset(a);
    free(a->first);
    free(a);
}
