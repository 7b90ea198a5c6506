/* profiles.c — profile reads render in SQL (profile_json); edits are one UPDATE with a
 * "present" flag per field so a partial body leaves the other columns alone.
 * profile_completed is kept by a trigger (sql/002). Avatars arrive as a whole body in
 * memory (at most PROFILES_AVATAR_BODY_MAX): the raw image or a multipart part `file`;
 * they are stored under their content hash in cfg.upload_dir, served by nginx. */
#include "profiles.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mpstream.h"
#include "validate.h"
#include "sql_profiles.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

STMT(st_profile_public,
     "SELECT (profile_json(p)::jsonb || jsonb_build_object('rating', user_rating_json(p.id)))::text"
     " FROM profiles p WHERE p.username = lower($1)"
     /* deleted (in its grace period) or suspended (trust): hidden */
     " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.id"
     "                 AND (u.deleted_at IS NOT NULL OR u.suspended_at IS NOT NULL))");

enum result profiles_get_public(struct gctx *g, const char *username, const char **json)
{
    if (!username || strlen(username) > 30)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    return DB_ONE_READ(g, json, "Profile not found", &st_profile_public, username);
}

STMT(st_profile_own, "SELECT profile_json(p) FROM profiles p WHERE p.id = $1");

enum result profiles_get_own(struct gctx *g, const char **json)
{
    return DB_ONE(g, json, "Profile not found", &st_profile_own, g->user_id);
}

enum { PF_FULL_NAME, PF_BIO, PF_SKILLS, PF_AI_TOOLS, PF_RATE, PF_URLS, PF_LOCATION, PF_TZ, PF_GENRES, PF_N };

static const struct vfield profile_fields[PF_N] = {
    [PF_FULL_NAME] = {.name = "full_name", .type = V_STRING, .nullable = true, .max = 100},
    [PF_BIO] = {.name = "bio", .type = V_STRING, .nullable = true, .max = 5000},
    [PF_SKILLS] = {.name = "skills", .type = V_STRINGS, .max = 50, .item_max = 50},
    [PF_AI_TOOLS] = {.name = "ai_tools", .type = V_STRINGS, .max = 50, .item_max = 50},
    [PF_RATE] = {.name = "hourly_rate", .type = V_MONEY, .nullable = true, .min = 0, .max = 1000000},
    [PF_URLS] = {.name = "portfolio_urls", .type = V_STRINGS, .max = 20, .item_max = 2048, .check = validate_http_url,
                 .check_msg = "must contain only http(s) URLs"},
    [PF_LOCATION] = {.name = "location", .type = V_STRING, .nullable = true, .max = 200},
    [PF_TZ] = {.name = "timezone", .type = V_STRING, .nullable = true, .max = 64},
    [PF_GENRES] = {.name = "genres", .type = V_STRINGS, .max = 50, .item_max = 50},
};

enum result profiles_update(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[PF_N];
    enum result rc = validate(g, body, profile_fields, v);
    if (rc)
        return rc;
    /* Each field goes as (was it sent, its value): st_profile_update keeps the columns not sent. */
#define PROFILES_SENT(i) (v[i].present ? "true" : "false"), v[i].text
    return DB_ONE(g, json, "Profile not found", &st_profile_update, g->user_id, PROFILES_SENT(PF_FULL_NAME),
                  PROFILES_SENT(PF_BIO), PROFILES_SENT(PF_SKILLS), PROFILES_SENT(PF_AI_TOOLS), PROFILES_SENT(PF_RATE),
                  PROFILES_SENT(PF_URLS), PROFILES_SENT(PF_LOCATION), PROFILES_SENT(PF_TZ),
                  PROFILES_SENT(PF_GENRES));
#undef PROFILES_SENT
}

static const struct vfield avail_fields[] = {
    {.name = "is_available", .type = V_BOOL, .required = true},
};

STMT(st_profile_avail,
     "UPDATE profiles SET is_available = $2::boolean, updated_at = now() WHERE id = $1"
     " RETURNING profile_json(profiles)");

enum result profiles_set_availability(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, avail_fields, v);
    if (rc)
        return rc;
    return DB_ONE(g, json, "Profile not found", &st_profile_avail, g->user_id, v[0].text);
}

/* ---- avatars ---- */

const char *profiles_image_ext(const unsigned char *d, size_t n)
{
    if (n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
        return "png";
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "jpg";
    if (n >= 6 && (!memcmp(d, "GIF87a", 6) || !memcmp(d, "GIF89a", 6)))
        return "gif";
    if (n >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
        return "webp";
    return NULL;
}

/* Writes data to dir/name atomically (temp file + rename); a file already there has
 * the same content, since the name is its hash. */
static int store_file(arena *a, const char *dir, const char *name, const unsigned char *data, size_t len)
{
    const char *path = arena_sprintf(a, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) == 0 && (size_t)st.st_size == len)
        return 0;
    const char *tmp = arena_sprintf(a, "%s/.tmp-%d-%s", dir, (int)getpid(), name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_error("avatar: open %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            log_error("avatar: write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        log_error("avatar: store %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The image an avatar body carries: part `file` of a multipart body (copied into g's
 * arena), else the body itself. */
static enum result avatar_image(struct gctx *g, const char *content_type, const char *body, size_t len,
                                const unsigned char **data, size_t *dlen)
{
    *data = (const unsigned char *)body;
    *dlen = len;
    if (len == 0)
        return gctx_fail(g, R_INVALID, "An image body or a multipart part `file` is required");
    if (!content_type || strncasecmp(content_type, "multipart/", 10))
        return R_SUCCESS;
    char boundary[MPS_BOUNDARY_MAX + 1];
    if (!mps_boundary(content_type, boundary, sizeof boundary))
        return gctx_fail(g, R_INVALID, "Malformed multipart Content-Type");
    struct buf part;
    buf_init(&part, g->a, len);
    int found = mps_find(body, len, boundary, "file", &part, NULL);
    if (found < 0)
        return gctx_fail(g, R_INVALID, "Malformed multipart body");
    if (found == 0)
        return gctx_fail_field(g, "file", "is required");
    *data = (const unsigned char *)part.p;
    *dlen = part.len;
    return R_SUCCESS;
}

STMT(st_profile_avatar,
     "UPDATE profiles SET avatar_url = $2, updated_at = now() WHERE id = $1"
     " RETURNING json_build_object('url', $2::text)");

/* Stores the image under its sha256 and points the caller's avatar_url at it. */
static enum result set_avatar_image(struct gctx *g, const unsigned char *data, size_t len, const char **json)
{
    if (len > PROFILES_AVATAR_MAX)
        return gctx_fail(g, R_TOOLARGE, "Avatar exceeds 5 MiB");
    const char *ext = profiles_image_ext(data, len);
    if (!ext)
        return gctx_fail(g, R_UNSUPPORTED, "Avatar must be a PNG, JPEG, WebP or GIF image");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    const char *name = arena_sprintf(g->a, "%s.%s", hex, ext);
    if (store_file(g->a, cfg.upload_dir, name, data, len) != 0)
        return gctx_fail(g, R_ERR, "Internal error");
    const char *url = arena_sprintf(g->a, "%s/uploads/%s", cfg.public_url, name);
    return DB_ONE(g, json, "Profile not found", &st_profile_avatar, g->user_id, url);
}

enum result profiles_set_avatar(struct gctx *g, const char *content_type, const char *body, size_t len,
                                const char **json)
{
    const unsigned char *data;
    size_t dlen;
    enum result rc = avatar_image(g, content_type, body, len, &data, &dlen);
    if (rc)
        return rc;
    return set_avatar_image(g, data, dlen, json);
}
