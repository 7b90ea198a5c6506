/* tap.h — a tiny TAP producer for C unit tests: plan(n), ok(cond, name), is(a, b, name)
 * for strings, is_int(a, b, name); done() returns the exit status for main. */
#ifndef GIGD_TAP_H
#define GIGD_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define plan(n) printf("1..%d\n", (n))
#define ok(cond, ...)                                                                                          \
    do {                                                                                                       \
        int ok_ = !!(cond);                                                                                    \
        printf("%sok %d - ", ok_ ? "" : "not ", ++tap_n);                                                      \
        printf(__VA_ARGS__);                                                                                   \
        printf("\n");                                                                                          \
        if (!ok_) {                                                                                            \
            tap_failed++;                                                                                      \
            printf("#   failed at %s line %d\n", __FILE__, __LINE__);                                          \
        }                                                                                                      \
    } while (0)
#define is(got, want, ...)                                                                                     \
    do {                                                                                                       \
        const char *g_ = (got), *w_ = (want);                                                                  \
        int same_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && !strcmp(g_, w_));                               \
        ok(same_, __VA_ARGS__);                                                                                \
        if (!same_)                                                                                            \
            printf("#          got: '%s'\n#     expected: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");     \
    } while (0)
#define is_int(got, want, ...)                                                                                 \
    do {                                                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);                                               \
        ok(g_ == w_, __VA_ARGS__);                                                                             \
        if (g_ != w_)                                                                                          \
            printf("#          got: %lld\n#     expected: %lld\n", g_, w_);                                    \
    } while (0)
#define done() (tap_failed ? 1 : 0)

#endif
