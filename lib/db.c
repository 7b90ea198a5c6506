/* db.c — libpq wrapper: lazy prepare, reconnect on loss, SQLSTATE → result. */
#include "db.h"
#include "config.h"
#include "log.h"
#include "sqlstate.h"
#include "stage.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static void notice_quiet(void *arg, const PGresult *res) { (void)arg; (void)res; }

int db_connect(struct db *db, const char *conninfo)
{
    if (conninfo)
        db->conninfo = conninfo;
    else
        stage_count(STAGE_EV_DB_RECONNECT); /* every caller without conninfo is reopening a lost connection */
    if (db->conn)
        PQfinish(db->conn);
    db->in_tx = db->begin_pending = false;
    db->tag[0] = '\0';
    /* Unique across the process's connections, so "prepared on this connection" and
     * per-connection settings keyed by gen never mistake the standby for the primary. */
    static unsigned gens;
    db->gen = ++gens;
    db->conn = PQconnectdb(db->conninfo);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        log_error("db: connect failed: %s", PQerrorMessage(db->conn));
        PQfinish(db->conn);
        db->conn = NULL;
        return -1;
    }
    PQsetNoticeReceiver(db->conn, notice_quiet, NULL);
    /* UTC and ISO dates: the worker's JSON writer (lib/json_out.c) reads times in this form. */
    PGresult *r = PQexec(db->conn, "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, MDY'");
    PQclear(r);
    if (db->statement_timeout_ms > 0) {
        /* A number, not input: no quoting concerns. */
        char sql[64];
        snprintf(sql, sizeof sql, "SET statement_timeout = %ld", db->statement_timeout_ms);
        PQclear(PQexec(db->conn, sql));
    }
    /* Read by the gig activation trigger (sql/019: gig_alert_interval()). */
    char alert_sql[80];
    snprintf(alert_sql, sizeof alert_sql, "SET gigd.alert_min_interval = %ld", cfg.alert_min_interval);
    PQclear(PQexec(db->conn, alert_sql));
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

static bool ping(struct db *db);

/* Reopens a lost connection when nothing of a transaction was on it: outside one, or
 * when its BEGIN is still pending (it then goes out on the new connection). */
static bool reopen(struct db *db)
{
    bool pending = db->in_tx && db->begin_pending;
    if (db->in_tx && !pending)
        return false;
    if (db_connect(db, NULL) < 0)
        return false;
    db->in_tx = db->begin_pending = pending;
    return true;
}

bool db_ping(struct db *db)
{
    enum stage prev = stage_enter(STAGE_DB, "ping");
    bool ok = ping(db);
    stage_leave(prev);
    return ok;
}

static bool ping(struct db *db)
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
    unsigned *done = db->primary ? &s->prepared_gen_read : &s->prepared_gen;
    if (*done == db->gen)
        return R_SUCCESS;
    PGresult *p = PQprepare(db->conn, s->name, s->sql, 0, NULL);
    const char *st = PQresultStatus(p) == PGRES_COMMAND_OK ? NULL : PQresultErrorField(p, PG_DIAG_SQLSTATE);
    if (PQresultStatus(p) != PGRES_COMMAND_OK && !(st && state_is(st, SQLSTATE_DUPLICATE_STATEMENT))) {
        /* (a duplicate means it is already prepared on this connection: fine) */
        if (!conn_ok(db) && (!db->in_tx || db->begin_pending))
            *retryable = true;
        log_error("db: prepare %s failed: %s", s->name, PQresultErrorMessage(p));
        stage_count(STAGE_EV_DB_ERROR);
        enum result r = classify(g, p);
        PQclear(p);
        if (r == R_UNAVAILABLE || !conn_ok(db))
            return gctx_fail(g, R_UNAVAILABLE, r == R_UNAVAILABLE ? "Database unavailable" : "Internal error");
        if (r == R_TIMEOUT) /* planning waits for locks too */
            return gctx_fail(g, R_TIMEOUT, "The query took too long; narrow it and try again");
        return gctx_fail(g, R_ERR, "Internal error");
    }
    PQclear(p);
    *done = db->gen;
    return R_SUCCESS;
}

/* A failed statement's result for the caller (r is consumed). */
static enum result exec_failed(struct gctx *g, struct stmt *s, PGresult *r, bool *retryable)
{
    struct db *db = g->db;
    enum result cls = classify(g, r);
    if (!conn_ok(db)) {
        cls = R_UNAVAILABLE;
        if (!db->in_tx || db->begin_pending)
            *retryable = true;
        db->in_tx = db->begin_pending; /* an unsent BEGIN is sent again on the next connection */
    }
    if (cls == R_ERR || cls == R_UNAVAILABLE || cls == R_TIMEOUT) {
        log_error("db: %s failed: %s", s->name, PQresultErrorMessage(r));
        stage_count(STAGE_EV_DB_ERROR);
    }
    PQclear(r);
    switch (cls) {
    case R_CONFLICT: return gctx_fail(g, cls, "Conflict");
    case R_INVALID: return gctx_fail(g, cls, "Invalid value");
    case R_UNAVAILABLE: return gctx_fail(g, cls, "Database unavailable");
    case R_TIMEOUT: return gctx_fail(g, cls, "The query took too long; narrow it and try again");
    default: return gctx_fail(g, R_ERR, "Internal error");
    }
}

/* Names the request being served in the connection's application_name ("gigd <nginx
 * $request_id>"), so pg_stat_activity and PostgreSQL's logs (%a) show which request a
 * query belongs to. Once per request on its first statement outside a transaction (a
 * SET inside one would be undone by its rollback); a failure only costs the label.
 * Off unless GIGD_DB_TRACE=1: it costs a round trip per request on the hot path. */
static void tag_request(struct db *db)
{
    const char *rid = log_request_id();
    if (!cfg.db_trace || !rid[0] || (db->in_tx && !db->begin_pending) || !strcmp(db->tag, rid))
        return;
    char name[80];
    snprintf(name, sizeof name, "gigd %.60s", rid);
    const char *p[1] = {name};
    PGresult *r = PQexecParams(db->conn, "SELECT set_config('application_name', $1, false)", 1, NULL, p, NULL,
                               NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        snprintf(db->tag, sizeof db->tag, "%s", rid);
    PQclear(r);
}

/* The results of a pipeline of BEGIN and one statement, up to its sync: the statement's
 * (or BEGIN's, when BEGIN failed); NULL when the connection failed first. Two NULLs in a
 * row (each query's results end with one) mean nothing more is coming. */
static PGresult *pipeline_results(struct db *db)
{
    PGresult *out = NULL, *r;
    int nulls = 0, seen = 0;
    while (nulls < 2) {
        if (!(r = PQgetResult(db->conn))) {
            nulls++;
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (seen++ == 0 && st == PGRES_COMMAND_OK) { /* BEGIN's: the transaction is open */
            db->begin_pending = false;
            PQclear(r);
            continue;
        }
        if (out && PQresultStatus(out) != PGRES_PIPELINE_ABORTED && st == PGRES_PIPELINE_ABORTED) {
            PQclear(r); /* BEGIN failed: its error is the answer, not the skipped statement */
            continue;
        }
        PQclear(out);
        out = r;
    }
    return out;
}

/* BEGIN and the transaction's first statement in one round trip (libpq pipeline mode):
 * the statement's result, NULL when the connection failed (then closed). */
static PGresult *exec_with_begin(struct db *db, struct stmt *s, int n, const char *const *params)
{
    PGresult *out = NULL;
    if (PQenterPipelineMode(db->conn) && PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
        PQsendQueryPrepared(db->conn, s->name, n, params, NULL, NULL, 0) && PQpipelineSync(db->conn))
        out = pipeline_results(db);
    if (!PQexitPipelineMode(db->conn)) {
        /* results left unread: the connection's state is unknown, so it is not reused */
        log_error("db: pipeline for %s failed: %s", s->name, PQerrorMessage(db->conn));
        PQclear(out);
        db_close(db);
        return NULL;
    }
    return out;
}

/* One attempt; *retryable is set when the connection died outside a transaction. */
static enum result attempt(struct gctx *g, struct stmt *s, int n, const char *const *params, PGresult **out,
                           bool *retryable)
{
    struct db *db = g->db;
    *retryable = false;
    if (!conn_ok(db) && !reopen(db))
        return gctx_fail(g, R_UNAVAILABLE, "Database unavailable");
    tag_request(db);
    enum result rc = ensure_prepared(g, s, retryable);
    if (rc)
        return rc;
    PGresult *r = db->begin_pending ? exec_with_begin(db, s, n, params)
                                    : PQexecPrepared(db->conn, s->name, n, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return exec_failed(g, s, r, retryable);
    arena_on_cleanup(g->a, result_free, r);
    *out = r;
    return R_SUCCESS;
}

static long now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec;
}

static void note_write(struct gctx *g, struct stmt *s);

static enum result run(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params, bool once);

/* The scoreboard shows the statement in flight (its name: never its parameters). */
static enum result staged(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params,
                          bool once)
{
    enum stage prev = stage_enter(STAGE_DB, s->name);
    enum result rc = run(g, s, out, n, params, once);
    stage_leave(prev);
    return rc;
}

enum result db_run(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params)
{
    return staged(g, s, out, n, params, false);
}

enum result db_run_once(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params)
{
    return staged(g, s, out, n, params, true);
}

static enum result run(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params, bool once)
{
    bool retry;
    g->constraint = g->sqlstate = NULL;
    *out = NULL;
    enum result rc = attempt(g, s, n, params, out, &retry);
    if (rc && retry && !once) {
        /* The server went away (restart): reconnect once and try again. */
        log_warn("db: connection lost, reconnecting");
        if (reopen(g->db))
            rc = attempt(g, s, n, params, out, &retry);
    }
    if (rc == R_UNAVAILABLE && g->db->primary) {
        /* The standby is down: this read, and the rest of its scope, go to the primary. */
        log_warn("db: read replica unavailable, reading from the primary");
        g->db->retry_at = now_s() + 5;
        db_close(g->db);
        g->db = g->db->primary;
        rc = attempt(g, s, n, params, out, &retry);
    }
    if (rc == R_SUCCESS && !g->db->in_tx && !g->db->primary)
        note_write(g, s);
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

static void tx_guard(void *p)
{
    struct db *db = p;
    if (db->in_tx && !db->begin_pending && conn_ok(db)) {
        enum stage prev = stage_enter(STAGE_DB, "ROLLBACK");
        PGresult *r = PQexec(db->conn, "ROLLBACK");
        PQclear(r);
        stage_leave(prev);
    }
    db->in_tx = db->begin_pending = false;
}

/* Sends nothing: the BEGIN waits for the first statement (attempt), saving a round trip
 * per transaction. */
enum result db_begin(struct gctx *g)
{
    if (g->db->in_tx)
        return R_SUCCESS;
    g->db->in_tx = g->db->begin_pending = true;
    arena_on_cleanup(g->a, tx_guard, g->db);
    return R_SUCCESS;
}

/* COMMIT, taking in the same round trip the events the transaction produced
 * (gigd_take_events(): notifications to publish). g->events is set only when the
 * commit succeeded, so nothing that rolled back is ever announced. */
static enum result commit(struct gctx *g);

enum result db_commit(struct gctx *g)
{
    enum stage prev = stage_enter(STAGE_DB, "COMMIT");
    enum result rc = commit(g);
    stage_leave(prev);
    return rc;
}

static enum result commit(struct gctx *g)
{
    struct db *db = g->db;
    if (!db->in_tx)
        return R_SUCCESS;
    db->in_tx = false;
    if (db->begin_pending) { /* no statement ran: there is nothing to commit */
        db->begin_pending = false;
        return R_SUCCESS;
    }
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
        stage_count(STAGE_EV_DB_ERROR);
        return gctx_fail(g, conn_ok(db) ? R_ERR : R_UNAVAILABLE, conn_ok(db) ? "Internal error" : "Database unavailable");
    }
    db_add_events(g, events);
    note_write(g, NULL);
    return R_SUCCESS;
}

void db_add_events(struct gctx *g, const char *events)
{
    if (!events)
        return;
    if (g->events) /* a second transaction in one request: join the two arrays */
        events = arena_sprintf(g->a, "%.*s,%s", (int)strlen(g->events) - 1, g->events, events + 1);
    else
        events = arena_strdup(g->a, events);
    g->events = events;
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

/* --- read replica --- */

static struct db reader; /* this process's standby connection, when configured */

STMT(st_db_write_note, "INSERT INTO gigd_write_lsn (user_id, lsn) VALUES ($1, pg_current_wal_insert_lsn())"
                       " ON CONFLICT (user_id) DO UPDATE SET lsn = excluded.lsn, at = now()");
STMT(st_db_write_lsn, "SELECT lsn FROM gigd_write_lsn WHERE user_id = $1");
STMT(st_db_replayed, "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)");

/* After a committed write by a signed-in caller, while a standby is configured: the
 * primary's WAL position, so the caller's next reads wait for the standby to pass it.
 * s is the autocommit statement that ran (NULL after a COMMIT); one whose text has no
 * INSERT, UPDATE or DELETE only read. A failure costs only the caller's freshness guarantee
 * for lagging reads, never the request. */
static void note_write(struct gctx *g, struct stmt *s)
{
    static bool noting;
    if (!cfg.database_read_url || !cfg.database_read_url[0] || !g->user_id || noting)
        return;
    if (s && !strstr(s->sql, "INSERT") && !strstr(s->sql, "UPDATE") && !strstr(s->sql, "DELETE"))
        return;
    struct gctx saved = *g;
    PGresult *r;
    noting = true;
    if (DB_RUN(g, &r, &st_db_write_note, g->user_id))
        log_warn("db: could not record the write position for the read replica");
    noting = false;
    saved.events = g->events;
    *g = saved;
}

/* The standby's connection when it may serve this caller's lagging reads, else NULL. */
static struct db *usable_reader(struct gctx *g)
{
    if (!cfg.database_read_url || !cfg.database_read_url[0] || g->db->in_tx || g->db->primary)
        return NULL;
    reader.statement_timeout_ms = g->db->statement_timeout_ms; /* the primary's limits apply too */
    if (!reader.conn || PQstatus(reader.conn) != CONNECTION_OK) {
        if (now_s() < reader.retry_at)
            return NULL;
        if (db_connect(&reader, cfg.database_read_url) < 0) {
            reader.retry_at = now_s() + 5; /* a down standby costs one attempt per 5 s, not one per request */
            return NULL;
        }
    }
    reader.primary = g->db;
    if (!g->user_id)
        return &reader;
    /* Read-your-writes: the caller's last write must be replayed on the standby. */
    struct gctx saved = *g;
    const char *lsn = NULL, *ok = NULL;
    enum result rc = DB_ONE(g, &lsn, NULL, &st_db_write_lsn, g->user_id);
    struct db *use = NULL;
    if (rc == R_NOTFOUND) {
        use = &reader;
    } else if (rc == R_SUCCESS) {
        g->db = &reader;
        if (DB_ONE(g, &ok, NULL, &st_db_replayed, lsn) == R_SUCCESS && ok && ok[0] == 't')
            use = &reader;
    }
    saved.events = g->events;
    *g = saved;
    return use;
}

struct db *db_read_begin(struct gctx *g)
{
    struct db *prev = g->db;
    struct db *r = usable_reader(g);
    if (r)
        g->db = r;
    return prev;
}

void db_read_end(struct gctx *g, struct db *prev)
{
    g->db = prev;
}

enum result db_run_read(struct gctx *g, struct stmt *s, PGresult **out, int n, const char *const *params)
{
    struct db *prev = db_read_begin(g);
    enum result rc = db_run(g, s, out, n, params);
    db_read_end(g, prev);
    return rc;
}

enum result db_one_read(struct gctx *g, struct stmt *s, const char *missing, const char **out, int n,
                        const char *const *params)
{
    struct db *prev = db_read_begin(g);
    enum result rc = db_one(g, s, missing, out, n, params);
    db_read_end(g, prev);
    return rc;
}

int db_read_ping(void)
{
    if (!cfg.database_read_url || !cfg.database_read_url[0])
        return -1;
    if (!reader.conn && now_s() < reader.retry_at)
        return 0;
    reader.conninfo = cfg.database_read_url; /* db_ping reconnects with it */
    if (!db_ping(&reader)) {
        reader.retry_at = now_s() + 5;
        return 0;
    }
    return 1;
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
