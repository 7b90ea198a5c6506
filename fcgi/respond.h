/* respond.h — the JSON envelope, and the one place a result becomes an HTTP status. */
#ifndef GIGD_RESPOND_H
#define GIGD_RESPOND_H
#include "http.h"

int respond_status(enum result r);
const char *respond_code(enum result r);

/* {"success":true,"data":<json>} — json is already-rendered JSON text, or NULL for no data. */
void respond_data(struct request *r, int status, const char *json);
/* {"success":true} with 200 */
void respond_ok(struct request *r);
/* The error recorded in r->g (res, err, fields). */
void respond_error(struct request *r);
/* Sets the error on r->g and responds with it. */
void respond_fail(struct request *r, enum result res, const char *msg);
/* R_SUCCESS → respond_data(status, json); anything else → respond_error. */
void respond_result(struct request *r, enum result res, int status, const char *json);

/* RENDER(r, 201, gigs_create(&r->g, r->json, RENDER_OUT)): runs a domain call that renders into
 * RENDER_OUT and responds with its data or its error. The call is sequenced before the
 * response is built (passing both as arguments would leave the order unspecified). */
#define RENDER(r, status, call)                            \
    do {                                                   \
        const char *json_ = NULL;                          \
        enum result res_ = (call);                         \
        respond_result((r), res_, (status), json_);        \
    } while (0)
#define RENDER_OUT (&json_)

/* Writes status line, headers and body to the FastCGI stream (no-op in unit tests). */
void respond_flush(struct request *r);

#endif
