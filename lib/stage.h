/* stage.h — what this process is doing right now, for the worker scoreboard and the
 * metrics: lib/ code marks the stretches it spends in PostgreSQL and in outside calls,
 * and counts the events operators watch (database errors, reconnects, Stripe outcomes),
 * through hooks the FastCGI worker installs (fcgi/scoreboard.c). Without hooks (gigctl,
 * unit tests) every call is a no-op, so lib/ never depends on fcgi/. */
#ifndef GIGD_STAGE_H
#define GIGD_STAGE_H
#include <stddef.h>

enum stage { STAGE_IDLE, STAGE_READING, STAGE_HANDLER, STAGE_DB, STAGE_OUTSIDE, STAGE_COUNT };

enum stage_event {
    STAGE_EV_DB_ERROR,         /* a statement failed for a reason other than the caller's data */
    STAGE_EV_DB_RECONNECT,     /* a lost connection was opened again */
    STAGE_EV_STRIPE_OK,        /* one attempt at Stripe, by outcome */
    STAGE_EV_STRIPE_REFUSED,   /* 4xx other than 429 */
    STAGE_EV_STRIPE_BUSY,      /* 429 */
    STAGE_EV_STRIPE_ERROR,     /* 5xx */
    STAGE_EV_STRIPE_TIMEOUT,
    STAGE_EV_STRIPE_TRANSPORT, /* no answer: connection refused, reset, TLS */
    STAGE_EV_COUNT
};

struct stage_hooks {
    /* Enters st doing what (a statement name, a URL; may be NULL); returns the stage it
     * replaces, which the matching leave restores. */
    enum stage (*enter)(enum stage st, const char *what);
    void (*leave)(enum stage prev);
    void (*count)(enum stage_event ev);
};

/* Set once by the worker at start; NULL elsewhere. */
extern const struct stage_hooks *stage_hooks;

static inline enum stage stage_enter(enum stage st, const char *what)
{
    return stage_hooks ? stage_hooks->enter(st, what) : STAGE_IDLE;
}

static inline void stage_leave(enum stage prev)
{
    if (stage_hooks)
        stage_hooks->leave(prev);
}

static inline void stage_count(enum stage_event ev)
{
    if (stage_hooks)
        stage_hooks->count(ev);
}

#endif
