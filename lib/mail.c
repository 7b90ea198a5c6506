/* mail.c — outbox rows in, SMTP out. A request only inserts; `gigctl deliver` claims
 * due rows with SKIP LOCKED (several deliverers may run), sends, and retries with backoff. */
#include "mail.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

STMT(st_mail_enqueue, "INSERT INTO mail_outbox (to_addr, subject, body) VALUES ($1, $2, $3)");

enum result mail_enqueue(struct gctx *g, const char *to, const char *subject, const char *text)
{
    PGresult *r;
    return DB_RUN(g, &r, &st_mail_enqueue, to, subject, text);
}

STMT(st_mail_claim,
     "UPDATE mail_outbox SET locked_until = now() + interval '2 minutes', attempts = attempts + 1"
     " WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= now()"
     "              AND (locked_until IS NULL OR locked_until < now()) AND attempts < 25"
     "              ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED)"
     " RETURNING id, to_addr, subject, body, attempts");
STMT(st_mail_sent, "UPDATE mail_outbox SET sent_at = now(), locked_until = NULL, last_error = NULL WHERE id = $1");
/* Exponential backoff: 2^attempts seconds, at most an hour. */
STMT(st_mail_retry,
     "UPDATE mail_outbox SET locked_until = NULL, last_error = $2,"
     " next_attempt_at = now() + least(power(2, attempts), 3600) * interval '1 second' WHERE id = $1");

struct upload {
    const char *p;
    size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
    struct upload *u = ud;
    size_t n = size * nmemb;
    if (n > u->left)
        n = u->left;
    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* "Name <a@b>" → "<a@b>"; "a@b" → "<a@b>". */
static const char *envelope_addr(arena *a, const char *from)
{
    const char *lt = strchr(from, '<');
    if (lt)
        return arena_strdup(a, lt);
    return arena_sprintf(a, "<%s>", from);
}

static const char *render(arena *a, const char *to, const char *subject, const char *text)
{
    struct buf b;
    buf_init(&b, a, strlen(text) + 512);
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    unsigned char rnd[12];
    char hex[25];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    buf_printf(&b, "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@gigd>\r\n", date,
               cfg.mail_from, to, subject, hex);
    buf_puts(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: 8bit\r\n\r\n");
    buf_puts(&b, text);
    return b.p;
}

static int smtp_send(arena *a, const char *to, const char *subject, const char *text, char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "curl init failed");
        return -1;
    }
    const char *msg = render(a, to, subject, text);
    struct upload up = {msg, strlen(msg)};
    struct curl_slist *rcpt = curl_slist_append(NULL, arena_sprintf(a, "<%s>", to));
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, cfg.smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, envelope_addr(a, cfg.mail_from));
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

/* Sends claimed row i and records the outcome: sent, or retried later with the error. */
static enum result deliver_one(struct gctx *g, PGresult *claim, int i)
{
    const char *id = db_val(claim, i, 0), *to = db_val(claim, i, 1);
    char err[256];
    PGresult *r;
    if (smtp_send(g->a, to, db_val(claim, i, 2), db_val(claim, i, 3), err, sizeof err) == 0) {
        log_info("mail %s sent to %s", id, to);
        return DB_RUN(g, &r, &st_mail_sent, id);
    }
    log_warn("mail %s to %s failed (attempt %s): %s", id, to, db_val(claim, i, 4), err);
    return DB_RUN(g, &r, &st_mail_retry, id, err);
}

/* Stops at the first outcome it cannot record: with the database gone, mailing on would
 * only send more mails that are sent again once their lease expires. */
enum result mail_deliver_batch(struct gctx *g, int batch, int *claimed)
{
    PGresult *claim;
    *claimed = 0;
    enum result rc = DB_RUN(g, &claim, &st_mail_claim, arena_sprintf(g->a, "%d", batch));
    if (rc)
        return rc;
    int n = PQntuples(claim);
    for (int i = 0; i < n; i++) {
        rc = deliver_one(g, claim, i);
        if (rc)
            return rc;
        *claimed = i + 1;
    }
    return R_SUCCESS;
}
