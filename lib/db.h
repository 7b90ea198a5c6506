/* db.h — one persistent libpq connection per process, prepared statements,
 * transactions. Statements are declared where they are used, prepared lazily on
 * the current connection, and prepared again after a reconnect. */
#ifndef GIGD_DB_H
#define GIGD_DB_H
#include <stdbool.h>
#include <libpq-fe.h>
#include "gctx.h"

struct db {
    PGconn *conn;
    const char *conninfo;
    unsigned gen;       /* bumped on every (re)connect: statements prepared on older gens are stale */
    bool in_tx;
    bool begin_pending; /* in_tx, but its BEGIN not sent yet: it goes with the first statement */
    char tag[64];       /* request id last set as application_name on this connection */
    /* The read connection (GIGD_DATABASE_READ_URL) only: */
    struct db *primary; /* where its reads fall back to */
    long retry_at;      /* after a failed connect, no new attempt before this (monotonic s) */
    long statement_timeout_ms; /* set on every (re)connect when > 0 (workers) */
};

struct stmt {
    const char *name;
    const char *sql;
    unsigned prepared_gen;
    unsigned prepared_gen_read; /* the same on the read connection */
};

/* `STMT(st_gigs_get, "SELECT ...")` declares a named prepared statement. */
#define STMT(var, text) static struct stmt var = { #var, text, 0, 0 }

/* Connects (or reconnects); 0 on success. */
int db_connect(struct db *db, const char *conninfo);
void db_close(struct db *db);
/* True when the connection answers; reconnects if it was lost. */
bool db_ping(struct db *db);

/* Runs a prepared statement with text parameters (NULL = SQL NULL). On success *out
 * is the result, owned by g's arena. On failure the error is set on g and returned:
 * R_UNAVAILABLE when the database cannot be reached, R_CONFLICT for unique violations,
 * R_INVALID for check, not-null, foreign-key and malformed-value errors, else R_ERR;
 * g->constraint and g->sqlstate name what was violated (compare with sqlstate.h). */
enum result db_run(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params);
/* db_run without the one retry after a lost connection: for a write that commits on its
 * own (one statement, no transaction), which the server may have committed before the
 * connection broke — run again, it would be done twice. */
enum result db_run_once(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params);
/* Runs a statement expected to yield one row: *out is its first column (NULL for SQL
 * NULL, arena-owned); no row → R_NOTFOUND with `missing` as the message. */
enum result db_one(struct gctx *g, struct stmt *s, const char *missing, const char **out, int n,
                   const char *const *params);
#define DB_NARGS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
#define DB_ARGS(...) DB_NARGS(__VA_ARGS__), (const char *const[]){__VA_ARGS__}
/* DB_RUN(g, &res, &st_x, a, b) / DB_ONE(g, &json, "Gig not found", &st_x, a, b) */
#define DB_RUN(g, out, st, ...) db_run((g), (st), (out), DB_ARGS(__VA_ARGS__))
#define DB_RUN_ONCE(g, out, st, ...) db_run_once((g), (st), (out), DB_ARGS(__VA_ARGS__))
#define DB_RUN0(g, out, st) db_run((g), (st), (out), 0, NULL)
#define DB_ONE(g, out, missing, st, ...) db_one((g), (st), (missing), (out), DB_ARGS(__VA_ARGS__))
#define DB_ONE0(g, out, missing, st) db_one((g), (st), (missing), (out), 0, NULL)

/* Transactions: begin/commit return R_SUCCESS or an error set on g. A transaction still
 * open when the arena resets is rolled back. BEGIN goes to the server with the
 * transaction's first statement, in the same round trip (an error that a BEGIN of its
 * own would have met is then that statement's). */
enum result db_begin(struct gctx *g);
enum result db_commit(struct gctx *g);
void db_rollback(struct gctx *g);
/* Ends the transaction with the outcome of the work done in it: commits when rc is
 * R_SUCCESS and returns the commit's result, else rolls back and returns rc. The one
 * exit of a transactional function: `out: return db_finish(g, rc);`. */
enum result db_finish(struct gctx *g, enum result rc);

/* Adds events (a JSON array in gigd_take_events()'s shape, or NULL) to the request's
 * events to publish: for a write that committed as one statement in its own implicit
 * transaction and returned its events itself (no COMMIT follows to take them). Call it
 * only once that statement has succeeded (it has then committed). */
void db_add_events(struct gctx *g, const char *events);

/* Read replica. Reads that tolerate a little lag (public search, profiles, ratings) run
 * between db_read_begin and db_read_end: on the streaming standby named by
 * GIGD_DATABASE_READ_URL when one is configured and reachable, not inside a
 * transaction, and the caller's own last write (recorded per user after every write
 * when a standby is configured) has been replayed there; otherwise on the primary.
 * A standby that fails mid-statement is left for the primary within the same call.
 *   struct db *prev = db_read_begin(g); rc = ...DB_RUN...; db_read_end(g, prev); */
struct db *db_read_begin(struct gctx *g);
/* One statement in such a scope: DB_RUN_READ / DB_ONE_READ mark a call site as lag-tolerant. */
enum result db_run_read(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params);
enum result db_one_read(struct gctx *g, struct stmt *s, const char *missing, const char **out, int n,
                        const char *const *params);
#define DB_RUN_READ(g, out, st, ...) db_run_read((g), (st), (out), DB_ARGS(__VA_ARGS__))
#define DB_ONE_READ(g, out, missing, st, ...) db_one_read((g), (st), (missing), (out), DB_ARGS(__VA_ARGS__))
void db_read_end(struct gctx *g, struct db *prev);
/* For /healthz: 1 when the standby answers, 0 when it is down, -1 when none is configured. */
int db_read_ping(void);

/* Value helpers: NULL for SQL NULL or out of range. */
const char *db_val(PGresult *r, int row, int col);
bool db_bool(PGresult *r, int row, int col);
long long db_ll(PGresult *r, int row, int col);
/* True when the last failed statement on g violated constraint `name`. */
bool db_violated(const struct gctx *g, const char *name);

#endif
