# The database event counters of GET /metrics move when the events happen (issue 14):
# when PostgreSQL drops the workers' connections (a failover, a restart, an operator's
# pg_terminate_backend), each worker's next statement fails, is counted as a database
# error, the worker reconnects (counted) and runs the statement again — so a read outside a
# transaction answers normally. Runs alone (tools/test-run SERIAL): it cuts every gigd
# connection of the shared test stack.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use Gigd;
use GigdMarket;

my $base = $ENV{GIGD_TEST_BASE} or plan skip_all => 'run through tools/test-run';
my ($port) = $base =~ /:(\d+)$/;

sub metrics {
    my $r = HTTP::Tiny->new(verify_SSL => 0, timeout => 10)->get("https://127.0.0.1:$port/metrics");
    return $r->{content} // '';
}
sub sample {
    my ($text, $line) = @_;
    my ($v) = $text =~ /^\Q$line\E (\S+)$/m;
    return $v // 0;
}
# gigd's connections: every client backend of this database but psql's (the tests').
sub cut_gigd_connections {
    my ($n) = psql_row("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                       . " WHERE datname = current_database() AND backend_type = 'client backend'"
                       . " AND pid <> pg_backend_pid() AND application_name <> 'psql'");
    return $n;
}

subtest 'lost connections are counted, reopened and invisible to reads' => sub {
    # Every worker reads once first, so each holds an open connection to lose.
    my @ids = map { Gigd::uuid_random() } 1 .. 3 * $ENV{GIGD_WORKERS};
    api(GET => "/api/gigs/$_") for @ids;
    my $m0 = metrics();
    my ($err0, $rec0) = map { sample($m0, $_) } 'gigd_db_errors_total', 'gigd_db_reconnects_total';

    cmp_ok cut_gigd_connections(), '>=', 1, 'gigd connections cut';
    my @codes = map { (api(GET => "/api/gigs/$_"))[0] } @ids;
    is_deeply [grep { $_ != 404 } @codes], [], 'every read after the cut answers normally (404: no such gig)';

    my $m1 = metrics();
    cmp_ok sample($m1, 'gigd_db_reconnects_total'), '>', $rec0, 'reconnects counted';
    cmp_ok sample($m1, 'gigd_db_errors_total'), '>', $err0, 'the statements that met a lost connection counted as errors';
    my ($back) = psql_row("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                          . " AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name <> 'psql'");
    cmp_ok $back, '>=', 1, 'workers connected again';
};

subtest 'a refusal PostgreSQL makes of the caller\'s data is no database error' => sub {
    my ($poster, $applicant) = (new_user(), new_user());
    my $gig = new_gig($poster);
    my ($s1) = apply_to($applicant, $gig->{id});
    is $s1, 201, 'applied';
    my $m0 = metrics();
    # The second application is refused by the unique constraint (a failed statement).
    my ($s2) = apply_to($applicant, $gig->{id});
    is $s2, 409, 'a second application refused by the database';
    is sample(metrics(), 'gigd_db_errors_total'), sample($m0, 'gigd_db_errors_total'), 'not counted as a database error';
};

done_testing;
