/* gigctl.c — the admin CLI: migrate, deliver (outbox → SMTP/Expo), cron jobs, routes. */
#include "arena.h"
#include "config.h"
#include "cron.h"
#include "db.h"
#include "disputes.h"
#include "payouts.h"
#include "log.h"
#include "mail.h"
#include "moderation.h"
#include "realtime.h"
#include "outbox.h"
#include "router.h"
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;
static void on_stop(int sig) { (void)sig; stopping = 1; }

static int usage(void)
{
    fputs("usage: gigctl migrate [DIR] | deliver [--once] | cron NAME | routes\n"
          "       gigctl dispute resolve ID refund|release [NOTES] | dispute resolve ID split PERCENT [NOTES]\n"
          "       gigctl user role EMAIL user|moderator|admin\n"
          "       gigctl money report [--from DATE] [--to DATE]\n", stderr);
    return 2;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = n < 0 ? NULL : malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p)
        p[n] = '\0';
    fclose(f);
    return p;
}

static bool exec_ok(PGconn *c, const char *sql, ExecStatusType want)
{
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == want;
    if (!ok)
        fprintf(stderr, "gigctl: %s\n", PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool is_migration(const char *name)
{
    size_t l = strlen(name);
    return l > 4 && !strcmp(name + l - 4, ".sql") && name[0] >= '0' && name[0] <= '9';
}

/* The migration files of dir (NNN_*.sql), sorted; the caller frees them with free_names.
 * Returns 0, or -1 after saying why. */
static int list_migrations(const char *dir, char ***out, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "gigctl: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!is_migration(e->d_name))
            continue;
        char **grown = realloc(names, sizeof *names * (n + 1));
        char *name = strdup(e->d_name);
        if (grown)
            names = grown;
        if (!grown || !name) {
            free(name);
            fprintf(stderr, "gigctl: out of memory listing %s\n", dir);
            rc = -1;
            break;
        }
        names[n++] = name;
    }
    closedir(d);
    if (rc < 0) {
        free_names(names, n);
        return -1;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *count = n;
    return 0;
}

static bool migration_applied(PGconn *c, const char *name)
{
    const char *params[1] = {name};
    PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, params, NULL,
                               NULL, 0);
    bool done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    return done;
}

/* Applies one migration file and records it, in one transaction. Returns 0 or -1. */
static int apply_migration(PGconn *c, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *sql = slurp(path);
    if (!sql) {
        fprintf(stderr, "gigctl: cannot read %s\n", path);
        return -1;
    }
    bool ok = exec_ok(c, "BEGIN", PGRES_COMMAND_OK) && exec_ok(c, sql, PGRES_COMMAND_OK);
    free(sql);
    if (ok) {
        const char *params[1] = {name};
        PGresult *r = PQexecParams(c, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, NULL, params,
                                   NULL, NULL, 0);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    if (!ok || !exec_ok(c, "COMMIT", PGRES_COMMAND_OK)) {
        exec_ok(c, "ROLLBACK", PGRES_COMMAND_OK);
        fprintf(stderr, "gigctl: migration %s failed\n", name);
        return -1;
    }
    printf("applied %s\n", name);
    return 0;
}

/* Applies sql/NNN_*.sql in order, each in its own transaction, recorded in
 * schema_migrations, under a session advisory lock so two hosts cannot race. */
static int cmd_migrate(const char *dir)
{
    PGconn *c = PQconnectdb(cfg.database_url);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "gigctl: cannot connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return 1;
    }
    int rc = 1;
    char **names = NULL;
    size_t n = 0;
    if (!exec_ok(c, "SET client_min_messages = warning", PGRES_COMMAND_OK) ||
        !exec_ok(c, "SELECT pg_advisory_lock(hashtext('gigd-migrate'))", PGRES_TUPLES_OK) ||
        !exec_ok(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY,"
                    " applied_at timestamptz NOT NULL DEFAULT now())", PGRES_COMMAND_OK) ||
        list_migrations(dir, &names, &n) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (!migration_applied(c, names[i]) && apply_migration(c, dir, names[i]) < 0)
            goto out;
    rc = 0;
out:
    free_names(names, n);
    PQfinish(c);
    return rc;
}

/* Waits for a NOTIFY on the outbox channel, or the timeout. */
static void wait_for_work(struct db *db, int ms)
{
    if (!db->conn) {
        usleep((useconds_t)ms * 1000);
        return;
    }
    struct pollfd p = {PQsocket(db->conn), POLLIN, 0};
    if (p.fd >= 0 && poll(&p, 1, ms) > 0)
        PQconsumeInput(db->conn);
    PGnotify *nt;
    while ((nt = PQnotifies(db->conn)))
        PQfreemem(nt);
}

static int cmd_deliver(bool once)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct db db = {0};
    arena *a = arena_new(64 * 1024);
    unsigned listened_gen = 0;
    log_info("deliverer started");
    while (!stopping) {
        struct gctx g = {.a = a, .db = &db};
        if (!db.conn && db_connect(&db, cfg.database_url) < 0) {
            sleep(1);
            continue;
        }
        if (listened_gen != db.gen) {
            PGresult *r = PQexec(db.conn, "LISTEN gigd_outbox");
            PQclear(r);
            listened_gen = db.gen;
        }
        int mailed = 0, pushed = 0;
        enum result rc = mail_deliver_batch(&g, 20, &mailed);
        if (rc != R_UNAVAILABLE)
            rc = outbox_deliver(&g, &pushed);
        int work = mailed + pushed;
        bool failed = rc != R_SUCCESS;
        arena_reset(a);
        if (failed && PQstatus(db.conn) != CONNECTION_OK) {
            db_close(&db);
            sleep(1);
            continue;
        }
        if (once && work == 0)
            break;
        if (work == 0)
            wait_for_work(&db, 1000);
    }
    log_info("deliverer stopped");
    arena_free(a);
    db_close(&db);
    return 0;
}

/* What a one-shot command needs to call lib/ as a request would: a connection, an arena
 * and a context over them. op_open fails (and holds nothing) when the database cannot be
 * reached; op_close releases both. */
struct op {
    struct db db;
    arena *a;
    struct gctx g;
};

static bool op_open(struct op *o)
{
    *o = (struct op){0};
    if (db_connect(&o->db, cfg.database_url) < 0)
        return false;
    o->a = arena_new(64 * 1024);
    o->g = (struct gctx){.a = o->a, .db = &o->db};
    return true;
}

static void op_close(struct op *o)
{
    arena_free(o->a);
    db_close(&o->db);
}

static int cmd_cron(const char *name)
{
    struct op o;
    if (!op_open(&o))
        return 1;
    const char *json = NULL;
    int rc = 0;
    enum result res = cron_run(&o.g, name, &json);
    if (res) {
        fprintf(stderr, "gigctl: cron %s: %s\n", name, o.g.err ? o.g.err : "failed");
        rc = res == R_NOTFOUND ? 2 : 1;
    } else {
        realtime_publish_notifications(&o.g, o.g.events); /* reminders reach open streams too */
        printf("%s\n", json);
    }
    op_close(&o);
    return rc;
}

/* An operator's decision on a dispute; run it again after a Stripe failure to finish. */
static int cmd_dispute_resolve(int argc, char **argv)
{
    if (argc < 5)
        return usage();
    const char *outcome = argv[4];
    bool split = !strcmp(outcome, "split");
    if (split && argc < 6)
        return usage();
    const char *percent = split ? argv[5] : NULL;
    int ni = split ? 6 : 5;
    const char *notes = argc > ni ? argv[ni] : NULL;
    struct op o;
    if (!op_open(&o))
        return 1;
    const char *json = NULL;
    int rc = 0;
    enum result res = disputes_resolve(&o.g, argv[3], outcome, percent, notes, &json);
    if (res) {
        fprintf(stderr, "gigctl: dispute resolve: %s\n", o.g.err ? o.g.err : "failed");
        rc = res == R_NOTFOUND || res == R_INVALID ? 2 : 1;
    } else {
        printf("%s\n", json);
    }
    realtime_publish_notifications(&o.g, o.g.events);
    op_close(&o);
    return rc;
}

/* trust: the only way a role is set (no HTTP route writes one); audited as the operator. */
static int cmd_user_role(const char *email, const char *role)
{
    struct op o;
    if (!op_open(&o))
        return 1;
    enum result res = moderation_set_role(&o.g, email, role);
    if (res)
        fprintf(stderr, "gigctl: user role: %s\n", o.g.err ? o.g.err : "failed");
    else
        printf("%s is now %s\n", email, role);
    op_close(&o);
    return res == R_SUCCESS ? 0 : res == R_NOTFOUND || res == R_INVALID ? 2 : 1;
}

/* The operator's money report (lib/payouts.c): 0 when every ledger group of the period
 * sums to zero, 1 when one does not (listed in the report), 2 for a bad argument. */
static int cmd_money_report(int argc, char **argv)
{
    const char *from = "1970-01-01", *to = "2100-01-01";
    for (int i = 3; i < argc; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (!strcmp(argv[i], "--from"))
            from = argv[i + 1];
        else if (!strcmp(argv[i], "--to"))
            to = argv[i + 1];
        else
            return usage();
    }
    struct op o;
    if (!op_open(&o))
        return 2;
    const char *json = NULL;
    long long unbalanced = 0;
    int rc = 0;
    if (payouts_money_report(&o.g, from, to, &json, &unbalanced)) {
        fprintf(stderr, "gigctl: money report: %s\n", o.g.err ? o.g.err : "failed");
        rc = 2;
    } else {
        printf("%s\n", json);
        if (unbalanced) {
            fprintf(stderr, "gigctl: money report: %lld ledger group(s) do not sum to zero\n", unbalanced);
            rc = 1;
        }
    }
    op_close(&o);
    return rc;
}

static int cmd_routes(void)
{
    for (size_t i = 0; i < routes_count; i++)
        printf("%s %s\n", routes[i].method, routes[i].pattern);
    return 0;
}

/* The migrations `make install` put beside this binary (PREFIX/bin/gigctl →
 * PREFIX/share/gigd/sql), so an installed gigctl migrates with no argument; "sql"
 * (the source tree's, relative to the working directory) when there is none. */
static const char *installed_sql_dir(char *buf, size_t len)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return "sql";
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    int w = snprintf(buf, len, "%s/../share/gigd/sql", exe);
    if (w < 0 || (size_t)w >= len || access(buf, R_OK | X_OK) != 0)
        return "sql";
    return buf;
}

/* The two-word commands ("money report", "dispute resolve", "user role"); -1 when argv
 * names none of them. */
static int cmd_two_word(int argc, char **argv)
{
    if (argc < 3)
        return -1;
    const char *a = argv[1], *b = argv[2];
    if (!strcmp(a, "money") && !strcmp(b, "report"))
        return cmd_money_report(argc, argv);
    if (!strcmp(a, "dispute") && !strcmp(b, "resolve"))
        return cmd_dispute_resolve(argc, argv);
    if (!strcmp(a, "user") && !strcmp(b, "role"))
        return argc == 5 ? cmd_user_role(argv[3], argv[4]) : usage();
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    char err[512];
    if (config_load(err, sizeof err) < 0) {
        fprintf(stderr, "gigctl: configuration error: %s\n", err);
        return 2;
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "migrate")) {
        char installed[1100];
        const char *dir = argc > 2 ? argv[2] : getenv("GIGD_SQL_DIR");
        return cmd_migrate(dir ? dir : installed_sql_dir(installed, sizeof installed));
    }
    if (!strcmp(cmd, "deliver"))
        return cmd_deliver(argc > 2 && !strcmp(argv[2], "--once"));
    if (!strcmp(cmd, "cron") && argc > 2)
        return cmd_cron(argv[2]);
    if (!strcmp(cmd, "routes"))
        return cmd_routes();
    int rc = cmd_two_word(argc, argv);
    return rc >= 0 ? rc : usage();
}
