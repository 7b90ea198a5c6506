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

/* The last path component, control bytes and invalid UTF-8 replaced, at most 255 bytes. */
static void clean_name(const char *in, char *out, size_t outsz)
{
    const char *base = in;
    for (const char *p = in; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)base;
    while (*s && n + 5 < outsz) {
        int len = *s < 0x80 ? 1 : (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3 : (*s & 0xF8) == 0xF0 ? 4 : 0;
        char tmp[5] = {0};
        bool good = len > 0;
        for (int i = 0; good && i < len; i++) {
            if (!s[i] || (i && (s[i] & 0xC0) != 0x80))
                good = false;
            else
                tmp[i] = (char)s[i];
        }
        if (good && len == 1 && (*s < 0x20 || *s == 0x7f || *s == '"'))
            good = false;
        if (good && len > 1 && !valid_utf8(tmp))
            good = false;
        if (!good) {
            out[n++] = '_';
            s++;
            continue;
        }
        memcpy(out + n, tmp, (size_t)len);
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
    if (u->size > ATTACHMENT_MAX) {
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

enum result attachments_upload(struct gctx *g, const char *content_type, long content_length,
                               attachments_read_fn read, void *ud, const char **json)
{
    char boundary[MPS_BOUNDARY_MAX + 1];
    if (!mps_boundary(content_type, boundary, sizeof boundary))
        return gctx_fail(g, R_UNSUPPORTED, "Content-Type must be multipart/form-data with a boundary");
    if (content_length > ATTACHMENT_MAX + 1024 * 1024)
        return gctx_fail(g, R_TOOLARGE, "Attachments are limited to 25 MiB");
    unsigned char raw[32];
    char key[65];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(key, sizeof key, raw, sizeof raw);
    struct upload u = {.a = g->a, .fd = -1, .path = arena_sprintf(g->a, "%s/%s", cfg.private_dir, key)};
    static const struct mps_callbacks cb = {on_begin, on_data, on_end};
    struct mps *p = arena_alloc(g->a, sizeof *p);
    mps_init(p, boundary, &cb, &u);
    char *chunk = arena_alloc(g->a, 64 * 1024);
    int rc = MPS_OK;
    long n;
    while (rc == MPS_OK && (n = read(ud, chunk, 64 * 1024)) > 0)
        rc = mps_feed(p, chunk, (size_t)n);
    if (rc == MPS_OK)
        rc = mps_finish(p);
    while (rc != MPS_OK && read(ud, chunk, 64 * 1024) > 0)
        ; /* drain what nginx already buffered so the connection stays usable */
    if (u.fd >= 0 && close(u.fd) != 0)
        u.io_error = true;
    enum result res = R_SUCCESS;
    if (u.too_large)
        res = gctx_fail(g, R_TOOLARGE, "Attachments are limited to 25 MiB");
    else if (u.io_error)
        res = gctx_fail(g, R_ERR, "Internal error");
    else if (rc != MPS_OK)
        res = gctx_fail(g, R_INVALID, "Malformed multipart body");
    else if (!u.got_file)
        res = gctx_fail_field(g, "file", "is required");
    if (res == R_SUCCESS) {
        PGresult *r = DBQ(g, &st_att_insert, g->user_id, u.name, u.type, arena_sprintf(g->a, "%lld", u.size), key,
                          cfg.public_url);
        if (r && PQntuples(r) == 1)
            *json = db_val(r, 0, 0);
        else
            res = r ? gctx_fail(g, R_ERR, "Internal error") : g->res;
    }
    if (res != R_SUCCESS && u.created)
        unlink(u.path);
    return res;
}

STMT(st_att_get,
     "SELECT a.storage_key, a.type, a.name FROM attachments a WHERE a.id = $1::uuid"
     " AND (a.owner_id = $2::uuid OR EXISTS (SELECT 1 FROM messages m JOIN conversation_participants cp"
     "      ON cp.conversation_id = m.conversation_id AND cp.user_id = $2::uuid WHERE m.id = a.message_id))");

enum result attachments_get(struct gctx *g, const char *id, struct attachment_file *out)
{
    if (!id || !valid_uuid(id))
        return gctx_fail(g, R_NOTFOUND, "Attachment not found");
    PGresult *r = DBQ(g, &st_att_get, id, g->user_id);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Attachment not found");
    out->storage_key = db_val(r, 0, 0);
    out->type = db_val(r, 0, 1);
    out->name = db_val(r, 0, 2);
    return R_SUCCESS;
}
