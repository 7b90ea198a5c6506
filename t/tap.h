/* tap.h — a tiny TAP producer for the C unit tests: plan(), ok(), is(), is_str(), done(). */
#ifndef GIGD_TAP_H
#define GIGD_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define plan(n) printf("1..%d\n", (n))
#define ok(cond, ...)                                                                                 \
    do {                                                                                              \
        int ok_ = !!(cond);                                                                           \
        tap_n++;                                                                                      \
        if (!ok_)                                                                                     \
            tap_failed++;                                                                             \
        printf("%sok %d - ", ok_ ? "" : "not ", tap_n);                                              \
        printf(__VA_ARGS__);                                                                          \
        printf("\n");                                                                                 \
        if (!ok_)                                                                                     \
            printf("#   Failed at %s line %d\n", __FILE__, __LINE__);                                 \
    } while (0)
#define is(got, want, ...)                                                                            \
    do {                                                                                              \
        long long g_ = (long long)(got), w_ = (long long)(want);                                      \
        ok(g_ == w_, __VA_ARGS__);                                                                    \
        if (g_ != w_)                                                                                 \
            printf("#          got: %lld\n#     expected: %lld\n", g_, w_);                           \
    } while (0)
#define is_str(got, want, ...)                                                                        \
    do {                                                                                              \
        const char *g_ = (got), *w_ = (want);                                                         \
        int eq_ = g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_;                                          \
        ok(eq_, __VA_ARGS__);                                                                         \
        if (!eq_)                                                                                     \
            printf("#          got: '%s'\n#     expected: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)
/* Exit status for main(): non-zero when a test failed. */
#define done() (tap_failed ? 1 : 0)

#endif
