/* attachments.c — uploads are parsed while they are read (lib/mpstream.c), written
 * straight to a file named by 256 random bits, and recorded after the file is
 * complete; any failure removes the file. The client's filename and content type
 * are metadata only, cleaned before they are stored. */
#include "attachments.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mpstream.h"
#include "ratelimit.h"
#include "validate.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct upload {
    arena *a;
    int fd;
    bool in_file, got_file, created, too_large, io_error;
    long long size;
    const char *path;
    char name[256];
    char type[128];
};

#define CHUNK (64 * 1024) /* bytes read from the request body at a time */
#define TOO_LARGE "Attachments are limited to 25 MiB"

/* The part of a client path after its last '/' or '\\'. */
static const char *last_component(const char *path)
{
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    return base;
}

/* The length of the UTF-8 sequence lead byte c starts, 0 when c cannot start one. */
static int utf8_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0)
        return 2;
    if ((c & 0xF0) == 0xE0)
        return 3;
    if ((c & 0xF8) == 0xF0)
        return 4;
    return 0;
}

/* The length of the character at s when it may stay in a stored name (well-formed
 * UTF-8, not a control byte nor a double quote), else 0. */
static int name_char(const unsigned char *s)
{
    int len = utf8_seq_len(*s);
    if (len == 1)
        return *s < 0x20 || *s == 0x7f || *s == '"' ? 0 : 1;
    char seq[5] = {0};
    for (int i = 0; i < len; i++) {
        if (!s[i] || (i && (s[i] & 0xC0) != 0x80))
            return 0;
        seq[i] = (char)s[i];
    }
    return len && validate_utf8(seq) ? len : 0; /* validate_utf8 refuses overlongs and surrogates */
}

/* The last path component, each byte of a control character or invalid UTF-8 replaced
 * by '_', trailing spaces dropped, at most outsz - 1 bytes; "file" when nothing is left. */
static void clean_name(const char *in, char *out, size_t outsz)
{
    const unsigned char *s = (const unsigned char *)last_component(in);
    size_t n = 0;
    while (*s && n + 5 < outsz) {
        int len = name_char(s);
        if (!len) {
            out[n++] = '_';
            s++;
            continue;
        }
        memcpy(out + n, s, (size_t)len);
        n += (size_t)len;
        s += len;
    }
    out[n] = '\0';
    while (n && out[n - 1] == ' ')
        out[--n] = '\0';
    if (!n || !strcmp(out, ".") || !strcmp(out, ".."))
        snprintf(out, outsz, "file");
}

/* type/subtype in lower case without parameters, else application/octet-stream. */
static void clean_type(const char *in, char *out, size_t outsz)
{
    size_t n = 0;
    int slashes = 0;
    bool ok = true;
    for (const char *p = in; *p && *p != ';' && n + 1 < outsz; p++) {
        char c = (char)tolower((unsigned char)*p);
        if (c == ' ' || c == '\t')
            continue;
        if (c == '/')
            slashes++;
        else if (!isalnum((unsigned char)c) && !strchr("!#$&^_.+-", c))
            ok = false;
        out[n++] = c;
    }
    out[n] = '\0';
    if (!ok || slashes != 1 || out[0] == '/' || !n || out[n - 1] == '/')
        snprintf(out, outsz, "application/octet-stream");
}

static int on_begin(void *ud, const struct mps_part *p)
{
    struct upload *u = ud;
    if (u->got_file || strcmp(p->name, "file") != 0)
        return 0; /* other parts are read and dropped */
    u->got_file = true;
    u->in_file = true;
    clean_name(p->has_filename ? p->filename : "", u->name, sizeof u->name);
    clean_type(p->content_type, u->type, sizeof u->type);
    u->fd = open(u->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644); /* nginx (another user) reads it via /_private/ */
    if (u->fd < 0) {
        log_error("attachments: cannot create %s: %s", u->path, strerror(errno));
        u->io_error = true;
        return 1;
    }
    u->created = true;
    return 0;
}

static int on_data(void *ud, const char *d, size_t n)
{
    struct upload *u = ud;
    if (!u->in_file)
        return 0;
    u->size += (long long)n;
    if (u->size > ATTACHMENTS_MAX_SIZE) {
        u->too_large = true;
        return 1;
    }
    while (n) {
        ssize_t w = write(u->fd, d, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            log_error("attachments: write %s: %s", u->path, strerror(errno));
            u->io_error = true;
            return 1;
        }
        d += w;
        n -= (size_t)w;
    }
    return 0;
}

static int on_end(void *ud)
{
    ((struct upload *)ud)->in_file = false;
    return 0;
}

STMT(st_att_insert,
     "INSERT INTO attachments (owner_id, name, type, size, storage_key) VALUES ($1::uuid, $2, $3, $4::bigint, $5)"
     " RETURNING json_build_object('id', id, 'name', name, 'url', $6::text || '/api/attachments/' || id,"
     " 'type', type, 'size', size, 'created_at', iso(created_at))");

/* Feeds the body through the multipart parser into u's file and closes it; returns
 * the parser's verdict (enum mps_rc). After a refusal the rest of the body is still
 * read: nginx has buffered it, and the connection stays usable only once it is drained. */
static int stream_body(struct gctx *g, const char *boundary, attachments_read_fn read_body, void *ud,
                       struct upload *u)
{
    static const struct mps_callbacks cb = {on_begin, on_data, on_end};
    struct mps *p = arena_alloc(g->a, sizeof *p);
    mps_init(p, boundary, &cb, u);
    char *chunk = arena_alloc(g->a, CHUNK);
    int rc = MPS_OK;
    long n;
    while (rc == MPS_OK && (n = read_body(ud, chunk, CHUNK)) > 0)
        rc = mps_feed(p, chunk, (size_t)n);
    if (rc == MPS_OK)
        rc = mps_finish(p);
    while (rc != MPS_OK && read_body(ud, chunk, CHUNK) > 0)
        ;
    if (u->fd >= 0 && close(u->fd) != 0)
        u->io_error = true;
    return rc;
}

/* What a fully read upload amounts to: the first problem wins. */
static enum result upload_outcome(struct gctx *g, const struct upload *u, int mps_rc)
{
    if (u->too_large)
        return gctx_fail(g, R_TOOLARGE, TOO_LARGE);
    if (u->io_error)
        return gctx_fail(g, R_ERR, "Internal error");
    if (mps_rc != MPS_OK)
        return gctx_fail(g, R_INVALID, "Malformed multipart body");
    if (!u->got_file)
        return gctx_fail_field(g, "file", "is required");
    return R_SUCCESS;
}

enum result attachments_upload(struct gctx *g, const char *content_type, long content_length,
                               attachments_read_fn read_body, void *ud, const char **json)
{
    char boundary[MPS_BOUNDARY_MAX + 1];
    if (!mps_boundary(content_type, boundary, sizeof boundary))
        return gctx_fail(g, R_UNSUPPORTED, "Content-Type must be multipart/form-data with a boundary");
    if (content_length > ATTACHMENTS_MAX_SIZE + 1024 * 1024) /* room for the multipart framing */
        return gctx_fail(g, R_TOOLARGE, TOO_LARGE);
    /* Per-user daily quotas, counted before the body is read: files, and bytes as declared
     * (the framing included; an upload that fails later still counts, as the bytes came). */
    enum result qr = ratelimit_quota(g, "upl-files", g->user_id, cfg.quota_uploads, 86400);
    if (qr || (qr = ratelimit_hit(g, arena_sprintf(g->a, "upl-bytes:%s", g->user_id), content_length > 0 ? content_length : 0,
                                  cfg.quota_upload_bytes, 86400, "Daily upload quota reached, try again later")))
        return qr;
    unsigned char raw[32];
    char key[65];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(key, sizeof key, raw, sizeof raw);
    struct upload u = {.a = g->a, .fd = -1, .path = arena_sprintf(g->a, "%s/%s", cfg.private_dir, key)};
    enum result rc = upload_outcome(g, &u, stream_body(g, boundary, read_body, ud, &u));
    if (!rc)
        rc = DB_ONE(g, json, NULL, &st_att_insert, g->user_id, u.name, u.type, arena_sprintf(g->a, "%lld", u.size),
                    key, cfg.public_url);
    if (rc && u.created)
        unlink(u.path); /* the file is kept only when its row is */
    return rc;
}

/* Types a browser shows without running anything. Every other one (HTML, SVG, XML,
 * scripts) is served as application/octet-stream, so an attachment can never run as a
 * page of our origin (nginx adds nosniff). */
static const char *served_type(const char *type)
{
    static const char *const passive_prefixes[] = {"image/png", "image/jpeg", "image/gif", "image/webp", "audio/",
                                                   "video/", "text/plain", "text/csv", "application/pdf",
                                                   "application/zip"};
    for (size_t i = 0; i < ARRAY_SIZE(passive_prefixes); i++)
        if (!strncmp(type, passive_prefixes[i], strlen(passive_prefixes[i])))
            return type;
    return "application/octet-stream";
}

STMT(st_att_get,
     "SELECT a.storage_key, a.type, a.name FROM attachments a WHERE a.id = $1::uuid"
     " AND (a.owner_id = $2::uuid OR EXISTS (SELECT 1 FROM messages m JOIN conversation_participants cp"
     "      ON cp.conversation_id = m.conversation_id AND cp.user_id = $2::uuid WHERE m.id = a.message_id))");

enum result attachments_get(struct gctx *g, const char *id, struct attachments_file *out)
{
    if (!id || !validate_uuid(id))
        return gctx_fail(g, R_NOTFOUND, "Attachment not found");
    PGresult *r;
    enum result rc = DB_RUN(g, &r, &st_att_get, id, g->user_id);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Attachment not found");
    out->storage_key = db_val(r, 0, 0);
    out->type = served_type(db_val(r, 0, 1));
    out->name = db_val(r, 0, 2);
    return R_SUCCESS;
}
