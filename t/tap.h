/* tap.h — a tiny TAP producer for C unit tests run by prove. */
#ifndef GIGD_TAP_H
#define GIGD_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                     \
    do {                                                                  \
        int tap_ok_ = !!(cond);                                           \
        printf("%sok %d - ", tap_ok_ ? "" : "not ", ++tap_n);             \
        printf(__VA_ARGS__);                                              \
        printf("\n");                                                     \
        if (!tap_ok_) {                                                   \
            tap_failed++;                                                 \
            printf("#   failed at %s:%d\n", __FILE__, __LINE__);          \
        }                                                                 \
    } while (0)

#define is_str(got, want, ...)                                            \
    do {                                                                  \
        const char *tap_g_ = (got), *tap_w_ = (want);                     \
        int tap_eq_ = (tap_g_ && tap_w_) ? !strcmp(tap_g_, tap_w_) : tap_g_ == tap_w_; \
        ok(tap_eq_, __VA_ARGS__);                                         \
        if (!tap_eq_)                                                     \
            printf("#   got: '%s'\n#   expected: '%s'\n", tap_g_ ? tap_g_ : "(null)", tap_w_ ? tap_w_ : "(null)"); \
    } while (0)

#define is_int(got, want, ...)                                            \
    do {                                                                  \
        long long tap_g_ = (got), tap_w_ = (want);                        \
        ok(tap_g_ == tap_w_, __VA_ARGS__);                                \
        if (tap_g_ != tap_w_)                                             \
            printf("#   got: %lld\n#   expected: %lld\n", tap_g_, tap_w_); \
    } while (0)

/* Integer comparison under its Test::More name. */
#define is(got, want, ...) is_int(got, want, __VA_ARGS__)
/* Either declare the plan up front with plan(n) and end with done(), or end with done_testing(). */
#define plan(n) printf("1..%d\n", (n))
#define done() (tap_failed ? 1 : 0)

static inline int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
