/* attachments.h — message attachments: streamed from a multipart upload into
 * cfg.private_dir under a random name, served only through X-Accel-Redirect to
 * their owner and to participants of a conversation carrying them. */
#ifndef GIGD_ATTACHMENTS_H
#define GIGD_ATTACHMENTS_H
#include <stddef.h>
#include "gctx.h"

/* The largest file accepted, in bytes. */
#define ATTACHMENTS_MAX_SIZE (25L * 1024 * 1024)

/* Reads up to n bytes of the request body into buf; returns the count, 0 at the end. */
typedef long (*attachments_read_fn)(void *ud, char *buf, size_t n);

/* Stores part `file` of a multipart/form-data body (content_type, content_length as
 * sent) → Attachment JSON {id, name, url, type, size, created_at}. R_UNSUPPORTED for a
 * non-multipart body, R_TOOLARGE over ATTACHMENTS_MAX_SIZE, R_INVALID when malformed or
 * when there is no `file` part. *json is arena-owned; on failure no file is left behind. */
enum result attachments_upload(struct gctx *g, const char *content_type, long content_length,
                               attachments_read_fn read_body, void *ud, const char **json);

/* Where nginx finds a stored attachment and how to serve it. */
struct attachments_file {
    const char *storage_key; /* file name under cfg.private_dir */
    const char *type;
    const char *name;
};

/* Looks up an attachment the caller may read (its owner, or a participant of the
 * conversation it was sent in); *out's strings are arena-owned. R_NOTFOUND otherwise. */
enum result attachments_get(struct gctx *g, const char *id, struct attachments_file *out);

#endif
