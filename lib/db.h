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
};

struct stmt {
    const char *name;
    const char *sql;
    unsigned prepared_gen;
};

/* `STMT(st_gigs_get, "SELECT ...")` declares a named prepared statement. */
#define STMT(var, text) static struct stmt var = { #var, text, 0 }

/* Connects (or reconnects); 0 on success. */
int db_connect(struct db *db, const char *conninfo);
void db_close(struct db *db);
/* True when the connection answers; reconnects if it was lost. */
bool db_ping(struct db *db);

/* Runs a prepared statement with text parameters (NULL = SQL NULL). The result is
 * owned by g's arena. On failure returns NULL and sets g->res/err:
 * R_UNAVAILABLE when the database cannot be reached, R_CONFLICT for unique
 * violations (g->err = constraint name), R_INVALID for check violations, else R_ERR. */
PGresult *db_query(struct gctx *g, struct stmt *s, int n, const char *const *params);
#define DB_NARGS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
#define DBQ(g, st, ...) db_query((g), (st), DB_NARGS(__VA_ARGS__), (const char *const[]){__VA_ARGS__})
#define DBQ0(g, st) db_query((g), (st), 0, NULL)

/* Transactions: begin/commit return R_SUCCESS or an error set on g. A transaction still
 * open when the arena resets is rolled back. */
enum result db_begin(struct gctx *g);
enum result db_commit(struct gctx *g);
void db_rollback(struct gctx *g);

/* Value helpers: NULL for SQL NULL or out of range. */
const char *db_val(PGresult *r, int row, int col);
bool db_bool(PGresult *r, int row, int col);
long long db_ll(PGresult *r, int row, int col);
/* The constraint name of the last failed statement, or "" (valid until next query). */
const char *db_last_constraint(void);
const char *db_last_sqlstate(void);

#endif
