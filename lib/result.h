/* result.h — the one result enum of the domain; fcgi/respond.c maps it to HTTP. */
#ifndef GIGD_RESULT_H
#define GIGD_RESULT_H

enum result {
    R_SUCCESS = 0,  /* not R_OK: <unistd.h> defines that for access(2) */
    R_ERR,          /* 500 INTERNAL_ERROR */
    R_INVALID,      /* 400 VALIDATION_ERROR */
    R_UNAUTHORIZED, /* 401 */
    R_LIMIT,        /* 402 LIMIT_EXCEEDED */
    R_FORBIDDEN,    /* 403 */
    R_NOTFOUND,     /* 404 */
    R_METHOD,       /* 405 METHOD_NOT_ALLOWED */
    R_CONFLICT,     /* 409 */
    R_GONE,         /* 410 GONE: a single-use token already used, revoked or expired */
    R_TOOLARGE,     /* 413 PAYLOAD_TOO_LARGE */
    R_UNSUPPORTED,  /* 415 UNSUPPORTED_MEDIA_TYPE */
    R_RATELIMITED,  /* 429 */
    R_UPSTREAM,     /* 502 UPSTREAM_ERROR: an outside service (Stripe) failed */
    R_UNAVAILABLE,  /* 503 */
    R_TIMEOUT,      /* 503 TIMEOUT: a statement ran past statement_timeout */
    R_UNVERIFIED,   /* 403 EMAIL_NOT_VERIFIED: the route needs a verified email address */
    R_SUSPENDED,    /* 403 ACCOUNT_SUSPENDED: a moderator suspended the account (trust) */
};

#endif
