/* profiles.c — profile reads render in SQL (profile_json); edits are one UPDATE with a
 * "present" flag per field so a partial body leaves the other columns alone.
 * profile_completed is kept by a trigger (sql/002). */
#include "profiles.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "validate.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

STMT(st_profile_public,
     "SELECT (profile_json(p)::jsonb || jsonb_build_object('rating', user_rating_json(p.id)))::text"
     " FROM profiles p WHERE p.username = lower($1)");

enum result profiles_get_public(struct gctx *g, const char *username, const char **json)
{
    if (!username || strlen(username) > 30)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    PGresult *r = DBQ(g, &st_profile_public, username);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

STMT(st_profile_own, "SELECT profile_json(p) FROM profiles p WHERE p.id = $1");

enum result profiles_get_own(struct gctx *g, const char **json)
{
    PGresult *r = DBQ(g, &st_profile_own, g->user_id);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

static bool http_url_ok(const char *s) { return valid_http_url(s); }

enum { PF_FULL_NAME, PF_BIO, PF_SKILLS, PF_AI_TOOLS, PF_RATE, PF_URLS, PF_LOCATION, PF_TZ, PF_GENRES, PF_N };

static const struct vfield profile_fields[PF_N] = {
    [PF_FULL_NAME] = {.name = "full_name", .type = V_STRING, .nullable = true, .max = 100},
    [PF_BIO] = {.name = "bio", .type = V_STRING, .nullable = true, .max = 5000},
    [PF_SKILLS] = {.name = "skills", .type = V_STRINGS, .max = 50, .item_max = 50},
    [PF_AI_TOOLS] = {.name = "ai_tools", .type = V_STRINGS, .max = 50, .item_max = 50},
    [PF_RATE] = {.name = "hourly_rate", .type = V_MONEY, .nullable = true, .min = 0, .max = 1000000},
    [PF_URLS] = {.name = "portfolio_urls", .type = V_STRINGS, .max = 20, .item_max = 2048, .check = http_url_ok,
                 .check_msg = "must contain only http(s) URLs"},
    [PF_LOCATION] = {.name = "location", .type = V_STRING, .nullable = true, .max = 200},
    [PF_TZ] = {.name = "timezone", .type = V_STRING, .nullable = true, .max = 64},
    [PF_GENRES] = {.name = "genres", .type = V_STRINGS, .max = 50, .item_max = 50},
};

STMT(st_profile_update,
     "UPDATE profiles SET"
     " full_name = CASE WHEN $2::boolean THEN $3 ELSE full_name END,"
     " bio = CASE WHEN $4::boolean THEN $5 ELSE bio END,"
     " skills = CASE WHEN $6::boolean THEN $7::text[] ELSE skills END,"
     " ai_tools = CASE WHEN $8::boolean THEN $9::text[] ELSE ai_tools END,"
     " hourly_rate = CASE WHEN $10::boolean THEN $11::bigint ELSE hourly_rate END,"
     " portfolio_urls = CASE WHEN $12::boolean THEN $13::text[] ELSE portfolio_urls END,"
     " location = CASE WHEN $14::boolean THEN $15 ELSE location END,"
     " timezone = CASE WHEN $16::boolean THEN $17 ELSE timezone END,"
     " genres = CASE WHEN $18::boolean THEN $19::text[] ELSE genres END,"
     " updated_at = now()"
     " WHERE id = $1 RETURNING profile_json(profiles)");

enum result profiles_update(struct gctx *g, const cJSON *body, const char **json)
{
    struct vvalue v[PF_N];
    if (validate(g, body, profile_fields, v) != R_SUCCESS)
        return g->res;
#define P(i) (v[i].present ? "true" : "false"), v[i].text
    PGresult *r = DBQ(g, &st_profile_update, g->user_id, P(PF_FULL_NAME), P(PF_BIO), P(PF_SKILLS), P(PF_AI_TOOLS),
                      P(PF_RATE), P(PF_URLS), P(PF_LOCATION), P(PF_TZ), P(PF_GENRES));
#undef P
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
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
    if (validate(g, body, avail_fields, v) != R_SUCCESS)
        return g->res;
    PGresult *r = DBQ(g, &st_profile_avail, g->user_id, v[0].text);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}

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

STMT(st_profile_avatar,
     "UPDATE profiles SET avatar_url = $2, updated_at = now() WHERE id = $1 RETURNING json_build_object('url', $2::text)");

enum result profiles_set_avatar(struct gctx *g, const unsigned char *data, size_t len, const char **json)
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
    PGresult *r = DBQ(g, &st_profile_avatar, g->user_id, url);
    if (!r)
        return g->res;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, "Profile not found");
    *json = db_val(r, 0, 0);
    return R_SUCCESS;
}
