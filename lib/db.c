/* db.c — libpq wrapper: lazy prepare, reconnect on loss, SQLSTATE → result. */
#include "db.h"
#include "log.h"
#include "sqlstate.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void notice_quiet(void *arg, const PGresult *res) { (void)arg; (void)res; }

int db_connect(struct db *db, const char *conninfo)
{
    if (conninfo)
        db->conninfo = conninfo;
    if (db->conn)
        PQfinish(db->conn);
    db->in_tx = false;
    db->gen++;
    db->conn = PQconnectdb(db->conninfo);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        log_error("db: connect failed: %s", PQerrorMessage(db->conn));
        PQfinish(db->conn);
        db->conn = NULL;
        return -1;
    }
    PQsetNoticeReceiver(db->conn, notice_quiet, NULL);
    PGresult *r = PQexec(db->conn, "SET TIME ZONE 'UTC'");
    PQclear(r);
    if (db->statement_timeout_ms > 0) {
        /* A number, not input: no quoting concerns. */
        char sql[64];
        snprintf(sql, sizeof sql, "SET statement_timeout = %ld", db->statement_timeout_ms);
        PQclear(PQexec(db->conn, sql));
    }
    return 0;
}

void db_close(struct db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
}

static bool conn_ok(struct db *db)
{
    return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

bool db_ping(struct db *db)
{
    if (!conn_ok(db) && db_connect(db, NULL) < 0)
        return false;
    PGresult *r = PQexec(db->conn, "SELECT 1");
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!ok && !conn_ok(db) && db_connect(db, NULL) == 0) {
        r = PQexec(db->conn, "SELECT 1");
        ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
    }
    return ok;
}

static void result_free(void *p) { PQclear(p); }

static bool state_is(const char *st, const char *code) { return !strcmp(st, code); }

/* The result a failed statement means for the caller; remembers on g what it violated. */
static enum result classify(struct gctx *g, const PGresult *r)
{
    const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    g->sqlstate = st ? arena_strdup(g->a, st) : NULL;
    g->constraint = cons ? arena_strdup(g->a, cons) : NULL;
    if (!st)
        return R_UNAVAILABLE;
    if (state_is(st, SQLSTATE_QUERY_CANCELED))
        return R_TIMEOUT;
    if (state_is(st, SQLSTATE_UNIQUE_VIOLATION) || state_is(st, SQLSTATE_EXCLUSION_VIOLATION))
        return R_CONFLICT;
    static const char *const invalid[] = {
        SQLSTATE_CHECK_VIOLATION, SQLSTATE_INVALID_TEXT,       SQLSTATE_STRING_TOO_LONG,
        SQLSTATE_OUT_OF_RANGE,    SQLSTATE_NOT_NULL_VIOLATION, SQLSTATE_BAD_DATETIME_FORMAT,
        SQLSTATE_DATETIME_OVERFLOW, SQLSTATE_FOREIGN_KEY_VIOLATION,
    };
    for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
        if (state_is(st, invalid[i]))
            return R_INVALID;
    if (!strncmp(st, SQLSTATE_CLASS_CONNECTION, strlen(SQLSTATE_CLASS_CONNECTION)) ||
        !strncmp(st, SQLSTATE_CLASS_OPERATOR, strlen(SQLSTATE_CLASS_OPERATOR)))
        return R_UNAVAILABLE;
    return R_ERR;
}

bool db_violated(const struct gctx *g, const char *name)
{
    return g->constraint && !strcmp(g->constraint, name);
}

/* Prepares s on the current connection if it was not yet (a reconnect forgets them). */
static enum result ensure_prepared(struct gctx *g, struct stmt *s, bool *retryable)
{
    struct db *db = g->db;
    if (s->prepared_gen == db->gen)
        return R_SUCCESS;
    PGresult *p = PQprepare(db->conn, s->name, s->sql, 0, NULL);
    const char *st = PQresultStatus(p) == PGRES_COMMAND_OK ? NULL : PQresultErrorField(p, PG_DIAG_SQLSTATE);
    if (PQresultStatus(p) != PGRES_COMMAND_OK && !(st && state_is(st, SQLSTATE_DUPLICATE_STATEMENT))) {
        /* (a duplicate means it is already prepared on this connection: fine) */
        if (!conn_ok(db) && !db->in_tx)
            *retryable = true;
        log_error("db: prepare %s failed: %s", s->name, PQresultErrorMessage(p));
        enum result r = classify(g, p);
        PQclear(p);
        if (r == R_UNAVAILABLE || !conn_ok(db))
            return gctx_fail(g, R_UNAVAILABLE, r == R_UNAVAILABLE ? "Database unavailable" : "Internal error");
        if (r == R_TIMEOUT) /* planning waits for locks too */
            return gctx_fail(g, R_TIMEOUT, "The query took too long; narrow it and try again");
        return gctx_fail(g, R_ERR, "Internal error");
    }
    PQclear(p);
    s->prepared_gen = db->gen;
    return R_SUCCESS;
}

/* A failed statement's result for the caller (r is consumed). */
static enum result exec_failed(struct gctx *g, struct stmt *s, PGresult *r, bool *retryable)
{
    struct db *db = g->db;
    enum result cls = classify(g, r);
    if (!conn_ok(db)) {
        cls = R_UNAVAILABLE;
        if (!db->in_tx)
            *retryable = true;
        db->in_tx = false;
    }
    if (cls == R_ERR || cls == R_UNAVAILABLE || cls == R_TIMEOUT)
        log_error("db: %s failed: %s", s->name, PQresultErrorMessage(r));
    PQclear(r);
    switch (cls) {
    case R_CONFLICT: return gctx_fail(g, cls, "Conflict");
    case R_INVALID: return gctx_fail(g, cls, "Invalid value");
    case R_UNAVAILABLE: return gctx_fail(g, cls, "Database unavailable");
    case R_TIMEOUT: return gctx_fail(g, cls, "The query took too long; narrow it and try again");
    default: return gctx_fail(g, R_ERR, "Internal error");
    }
}

/* One attempt; *retryable is set when the connection died outside a transaction. */
static enum result attempt(struct gctx *g, struct stmt *s, int n, const char *const *params, PGresult **out,
                           bool *retryable)
{
    struct db *db = g->db;
    *retryable = false;
    if (!conn_ok(db) && (db->in_tx || db_connect(db, NULL) < 0))
        return gctx_fail(g, R_UNAVAILABLE, "Database unavailable");
    enum result rc = ensure_prepared(g, s, retryable);
    if (rc)
        return rc;
    PGresult *r = PQexecPrepared(db->conn, s->name, n, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return exec_failed(g, s, r, retryable);
    arena_on_cleanup(g->a, result_free, r);
    *out = r;
    return R_SUCCESS;
}

enum result db_run(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params)
{
    bool retry;
    g->constraint = g->sqlstate = NULL;
    *out = NULL;
    enum result rc = attempt(g, s, n, params, out, &retry);
    if (rc && retry) {
        /* The server went away (restart): reconnect once and try again. */
        log_warn("db: connection lost, reconnecting");
        if (db_connect(g->db, NULL) == 0)
            rc = attempt(g, s, n, params, out, &retry);
    }
    return rc;
}

enum result db_one(struct gctx *g, struct stmt *s, const char *missing, const char **out, int n,
                   const char *const *params)
{
    PGresult *r;
    enum result rc = db_run(g, s, &r, n, params);
    if (rc)
        return rc;
    if (PQntuples(r) != 1)
        return gctx_fail(g, R_NOTFOUND, missing ? missing : "Not found");
    *out = db_val(r, 0, 0);
    return R_SUCCESS;
}

static enum result exec_simple(struct gctx *g, const char *sql)
{
    struct db *db = g->db;
    if (!conn_ok(db) && (db->in_tx || db_connect(db, NULL) < 0))
        return gctx_fail(g, R_UNAVAILABLE, "Database unavailable");
    PGresult *r = PQexec(db->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK) {
        if (!conn_ok(db))
            return gctx_fail(g, R_UNAVAILABLE, "Database unavailable");
        log_error("db: %s failed: %s", sql, PQerrorMessage(db->conn));
        return gctx_fail(g, R_ERR, "Internal error");
    }
    return R_SUCCESS;
}

static void tx_guard(void *p)
{
    struct db *db = p;
    if (db->in_tx && conn_ok(db)) {
        PGresult *r = PQexec(db->conn, "ROLLBACK");
        PQclear(r);
    }
    db->in_tx = false;
}

enum result db_begin(struct gctx *g)
{
    if (g->db->in_tx)
        return R_SUCCESS;
    enum result rc = exec_simple(g, "BEGIN");
    /* A dead connection is noticed here first after a server restart. */
    if (rc == R_UNAVAILABLE && db_connect(g->db, NULL) == 0)
        rc = exec_simple(g, "BEGIN");
    if (rc)
        return rc;
    g->db->in_tx = true;
    arena_on_cleanup(g->a, tx_guard, g->db);
    return R_SUCCESS;
}

/* COMMIT, taking in the same round trip the events the transaction produced
 * (gigd_take_events(): notifications to publish). g->events is set only when the
 * commit succeeded, so nothing that rolled back is ever announced. */
enum result db_commit(struct gctx *g)
{
    struct db *db = g->db;
    if (!db->in_tx)
        return R_SUCCESS;
    db->in_tx = false;
    if (!conn_ok(db) || !PQsendQuery(db->conn, "SELECT gigd_take_events(); COMMIT"))
        return gctx_fail(g, R_UNAVAILABLE, "Database unavailable");
    const char *events = NULL;
    bool ok = true;
    PGresult *r;
    while ((r = PQgetResult(db->conn))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK) {
            if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
                events = arena_strdup(g->a, PQgetvalue(r, 0, 0));
        } else if (st == PGRES_COMMAND_OK) {
            /* "ROLLBACK" as the tag means the transaction had already failed */
            if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
                ok = false;
        } else {
            log_error("db: commit failed: %s", PQresultErrorMessage(r));
            ok = false;
        }
        PQclear(r);
    }
    if (!ok) {
        PGresult *rb = PQexec(db->conn, "ROLLBACK"); /* ends a transaction left open by an error */
        PQclear(rb);
        return gctx_fail(g, conn_ok(db) ? R_ERR : R_UNAVAILABLE, conn_ok(db) ? "Internal error" : "Database unavailable");
    }
    if (events && g->events) /* a second transaction in one request: join the two arrays */
        events = arena_sprintf(g->a, "%.*s,%s", (int)strlen(g->events) - 1, g->events, events + 1);
    if (events)
        g->events = events;
    return R_SUCCESS;
}

void db_rollback(struct gctx *g)
{
    tx_guard(g->db);
}

enum result db_finish(struct gctx *g, enum result rc)
{
    if (rc) {
        db_rollback(g);
        return rc;
    }
    return db_commit(g);
}

const char *db_val(PGresult *r, int row, int col)
{
    if (!r || row >= PQntuples(r) || col >= PQnfields(r) || PQgetisnull(r, row, col))
        return NULL;
    return PQgetvalue(r, row, col);
}

bool db_bool(PGresult *r, int row, int col)
{
    const char *v = db_val(r, row, col);
    return v && v[0] == 't';
}

long long db_ll(PGresult *r, int row, int col)
{
    const char *v = db_val(r, row, col);
    return v ? strtoll(v, NULL, 10) : 0;
}
