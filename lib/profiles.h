/* profiles.h — public and own profiles, profile edits, availability and avatars. */
#ifndef GIGD_PROFILES_H
#define GIGD_PROFILES_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "gctx.h"

#define PROFILES_AVATAR_MAX (5 * 1024 * 1024)
/* The most an avatar request body may hold: multipart framing beyond the image. */
#define PROFILES_AVATAR_BODY_MAX (PROFILES_AVATAR_MAX + 64 * 1024)

/* Public Profile + rating {average, count}; never the email. */
enum result profiles_get_public(struct gctx *g, const char *username, const char **json);
/* The caller's own Profile. */
enum result profiles_get_own(struct gctx *g, const char **json);
/* ProfileUpdateInput, partial; returns the updated Profile. */
enum result profiles_update(struct gctx *g, const cJSON *body, const char **json);
/* {is_available} → the updated Profile. */
enum result profiles_set_availability(struct gctx *g, const cJSON *body, const char **json);
/* The avatar upload's body as sent (len bytes, content_type may be NULL): with a
 * multipart/ content_type its part `file`, else the body is the image. Stores the image
 * (png, jpeg, webp, gif by magic bytes; ≤ PROFILES_AVATAR_MAX) under cfg.upload_dir by
 * sha256 and sets avatar_url; *json = {"url": ...} in g's arena. R_INVALID for an empty
 * or malformed body or no `file` part, R_UNSUPPORTED for another type, R_TOOLARGE. */
enum result profiles_set_avatar(struct gctx *g, const char *content_type, const char *body, size_t len,
                                const char **json);
/* The image type of data by magic bytes: "png", "jpg", "webp", "gif" or NULL. Pure. */
const char *profiles_image_ext(const unsigned char *data, size_t len);

#endif
