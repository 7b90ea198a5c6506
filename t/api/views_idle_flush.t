# A worker that noted views flushes them within the flush interval even when no request
# follows (fcgi/worker.c next_connection), on a master of this test's own with one worker
# spoken to over FastCGI: after a read on a connection the worker keeps (FCGI_KEEP_CONN,
# as nginx's upstream keepalive asks) that the client then closes — the worker used to
# read the close, fall into libfcgi's blocking accept and keep the view until its next
# request — and after a read on a connection of its own, with no other traffic.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;
use OwnMaster;

plan skip_all => 'GIGD_TEST_BUILD not set' unless $ENV{GIGD_TEST_BUILD};
ok own_master(GIGD_WORKERS => 1), 'own master up, one worker' or diag own_log();

my $poster = new_user();   # through the shared stack: same database
my $views_of = sub {
    my ($id) = @_;
    return (psql_row("SELECT coalesce((SELECT views_count FROM gig_stats WHERE gig_id = '$id'), 0)"))[0];
};

for my $case (['kept connection, then closed by the client', 1], ['a connection per request', 0]) {
    my ($name, $keep) = @$case;
    subtest $name => sub {
        my $gig = new_gig($poster);
        my ($s, undef, undef, $conn) = fcgi_request(undef, REQUEST_METHOD => 'GET', GIGD_PATH => "/api/gigs/$gig->{id}",
                                                    REMOTE_ADDR => '203.0.113.' . (10 + $keep), -keep => $keep);
        is $s, 200, 'the read answers';
        if ($keep) {
            ok $conn, 'the worker kept the connection';
            close $conn;
        }
        # Flushed GIGS_VIEWS_FLUSH_MS (1 s) after the view; 15 s is slack for a loaded machine.
        ok wait_for(sub { $views_of->($gig->{id}) == 1 }, 15), 'the view is counted with no request after it'
            or diag own_log();
    };
}

done_testing;
