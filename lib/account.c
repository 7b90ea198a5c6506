/* account.c — export, deletion and erasure of a whole account. The export pages through
 * each section by key in a REPEATABLE READ snapshot, with every page's results in an
 * arena of their own reset after the page is written: a user with a million messages
 * costs one page of memory, not a million rows. */
#include "account.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "realtime.h"
#include "subscriptions.h"
#include "util.h"
#include "validate.h"
#include "sql_account.h"
#include <string.h>

/* Rows per page of a section: its text goes to the statement, its number ends the loop. */
#define EXPORT_PAGE 200
#define EXPORT_PAGE_STR "200"

STMT(st_acct_snapshot, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");

static const struct {
    const char *name;
    struct stmt *st;
} sections[] = {
    {"gigs", &st_acct_x_gigs},
    {"applications", &st_acct_x_applications},
    {"saved_gigs", &st_acct_x_saved},
    {"messages_sent", &st_acct_x_messages},
    {"calls", &st_acct_x_calls},
    {"reviews_written", &st_acct_x_reviews_written},
    {"reviews_received", &st_acct_x_reviews_received},
    {"gig_ratings", &st_acct_x_ratings},
    {"notifications", &st_acct_x_notifications},
    {"payments", &st_acct_x_payments},
    {"organizations", &st_acct_x_organizations},
    {"sessions", &st_acct_x_sessions},
    {"push_tokens", &st_acct_x_push_tokens},
    {"saved_searches", &st_acct_x_saved_searches},
    {"blocks", &st_acct_x_blocks},
    {"reports_filed", &st_acct_x_reports},
    {"payouts", &st_acct_x_payouts},
};

struct out {
    account_sink sink;
    void *ctx;
    bool failed;
};

static void put(struct out *o, const char *p, size_t n)
{
    if (!o->failed && !o->sink(o->ctx, p, n))
        o->failed = true;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void free_arena(void *p)
{
    arena_free(p);
}

/* One section: "name":[ ...rows... ], each page read into the page arena of pg. */
static enum result export_section(struct gctx *g, struct gctx *pg, size_t i, struct out *o)
{
    puts_(o, ",\"");
    puts_(o, sections[i].name);
    puts_(o, "\":[");
    const char *after = NULL;
    bool first = true;
    for (;;) {
        PGresult *r;
        enum result rc = db_run(pg, sections[i].st, &r, 3, (const char *const[]){g->user_id, after, EXPORT_PAGE_STR});
        if (rc)
            return gctx_fail(g, rc, pg->err);
        int n = PQntuples(r);
        for (int k = 0; k < n; k++) {
            if (!first)
                puts_(o, ",");
            first = false;
            puts_(o, db_val(r, k, 1));
        }
        if (o->failed)
            return gctx_fail(g, R_ERR, "Export cut short: the client went away");
        /* The key outlives the page: it goes into the next page's parameters. */
        after = n ? arena_strdup(g->a, db_val(r, n - 1, 0)) : NULL;
        arena_reset(pg->a);
        if (n < EXPORT_PAGE)
            break;
    }
    puts_(o, "]");
    return R_SUCCESS;
}

enum result account_export(struct gctx *g, account_sink sink, void *ctx)
{
    struct out o = {sink, ctx, false};
    PGresult *r;
    const char *head;
    enum result rc = db_begin(g);
    if (rc || (rc = DB_RUN0(g, &r, &st_acct_snapshot)) ||
        (rc = DB_ONE(g, &head, "User not found", &st_acct_x_head, g->user_id)))
        return db_finish(g, rc);
    /* The head object stays open: the sections follow as its members. */
    put(&o, head, strlen(head) - 1);
    arena *pa = arena_new(64 * 1024);
    arena_on_cleanup(g->a, free_arena, pa);
    struct gctx pg = {.a = pa, .db = g->db, .user_id = g->user_id};
    for (size_t i = 0; !rc && i < ARRAY_SIZE(sections); i++)
        rc = export_section(g, &pg, i, &o);
    if (!rc)
        puts_(&o, "}");
    if (rc)
        log_warn("account export of %s cut short: %s", g->user_id, g->err ? g->err : "?");
    return db_finish(g, rc);
}

static const struct vfield delete_fields[] = {
    {.name = "password", .type = V_STRING, .required = true, .min = 1, .max = 128},
};

/* A live Pro subscription is cancelled at Stripe before anything else: should Stripe
 * fail, the account is left as it was and the client can try again, rather than a
 * deleted account going on being charged. No subscription is no work. */
static enum result cancel_subscription(struct gctx *g)
{
    const char *json;
    enum result rc = subscriptions_cancel(g, &json);
    if (rc != R_NOTFOUND)
        return rc;
    g->res = R_SUCCESS;
    g->err = NULL;
    return R_SUCCESS;
}

/* Refuses while money is held in escrow for one of the user's urgent gigs. Asked before
 * the subscription is cancelled, so a refusal changes nothing. Not asked again under a
 * lock: a hold that starts between this read and the deletion is still released or
 * refunded as usual (deletion only deactivates; its rows stay until the erase job). */
static enum result refuse_money_held(struct gctx *g)
{
    const char *held;
    enum result rc = DB_ONE(g, &held, "No answer", &st_acct_money_held, g->user_id);
    if (rc)
        return rc;
    if (held[0] == 't')
        return gctx_fail(g, R_CONFLICT, "Money is held in escrow for one of your urgent gigs: complete or cancel "
                                        "it (or wait for its dispute to be resolved) before deleting the account");
    return R_SUCCESS;
}

enum result account_delete(struct gctx *g, const cJSON *body)
{
    struct vvalue v[1];
    enum result rc = validate(g, body, delete_fields, v);
    if (rc || (rc = auth_confirm_password(g, "password", v[0].s)) || (rc = refuse_money_held(g)) ||
        (rc = cancel_subscription(g)))
        return rc;
    PGresult *locked, *revoked;
    if ((rc = db_begin(g)) || (rc = DB_RUN(g, &locked, &st_acct_lock_applied, g->user_id)) ||
        (rc = DB_RUN(g, &revoked, &st_acct_deactivate, g->user_id)) || (rc = db_commit(g)))
        return db_finish(g, rc);
    /* As signing out does: nchan drops each revoked session's subscribers. */
    for (int i = 0; i < PQntuples(revoked); i++)
        realtime_close_session(g->a, db_val(revoked, i, 0));
    log_info("account %s deleted (%d sessions revoked)", g->user_id, PQntuples(revoked));
    return R_SUCCESS;
}

/* Accounts erased per run: a bounded transaction; the next run takes the rest. */
#define ERASE_BATCH "500"

enum result account_erase_cron(struct gctx *g, const char **json)
{
    const char *n;
    enum result rc = DB_ONE(g, &n, "No erase summary", &st_acct_erase,
                            arena_sprintf(g->a, "%ld", cfg.account_grace_days), ERASE_BATCH);
    if (rc)
        return rc;
    *json = arena_sprintf(g->a, "{\"erased\":%s}", n);
    return R_SUCCESS;
}
