/* buf.h — growable byte/string buffer allocated from an arena. */
#ifndef GIGD_BUF_H
#define GIGD_BUF_H
#include <stddef.h>
#include "arena.h"

struct buf {
    arena *a;
    char *p;        /* always NUL-terminated */
    size_t len, cap;
};

void buf_init(struct buf *b, arena *a, size_t cap);
void buf_put(struct buf *b, const void *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal with quotes; invalid UTF-8 bytes become U+FFFD. */
void buf_json_str(struct buf *b, const char *s);

#endif
