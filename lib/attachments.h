/* attachments.h — message attachments: streamed from a multipart upload into
 * cfg.private_dir under a random name, served only through X-Accel-Redirect to
 * their owner and to participants of a conversation carrying them. */
#ifndef GIGD_ATTACHMENTS_H
#define GIGD_ATTACHMENTS_H
#include <stddef.h>
#include "gctx.h"

#define ATTACHMENT_MAX (25L * 1024 * 1024)

/* Reads up to n bytes of the request body into buf; returns the count, 0 at the end. */
typedef long (*attachments_read_fn)(void *ud, char *buf, size_t n);

/* Stores part `file` of a multipart/form-data body (content_type, content_length as
 * sent) → Attachment JSON {id, name, url, type, size, created_at}. R_UNSUPPORTED for a
 * non-multipart body, R_TOOLARGE over ATTACHMENT_MAX, R_INVALID when malformed or when
 * there is no `file` part. */
enum result attachments_upload(struct gctx *g, const char *content_type, long content_length,
                               attachments_read_fn read, void *ud, const char **json);

struct attachment_file {
    const char *storage_key;
    const char *type;
    const char *name;
};

/* Looks up an attachment the caller may read; R_NOTFOUND otherwise. */
enum result attachments_get(struct gctx *g, const char *id, struct attachment_file *out);

#endif
