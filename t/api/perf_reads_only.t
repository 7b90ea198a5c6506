# A read never writes (issue 13, item 1): every GET route of the API, called by the users
# who own the resources it shows, is served without a write transaction. A write gets a
# transaction id; reads do not (PostgreSQL assigns one at the first row changed), so the
# next transaction id (xmax of txid_current_snapshot) before and after the reads must be
# the same. The cron routes (GET is one of their two documented methods) and view counting
# (batched by the worker after the response, one statement per batch: gigs.t) are the
# writes by design and are left out, and so are the real-time streams (they stay open;
# their authorization is a read: security_realtime.t). Runs alone (tools/test-run SERIAL): any other test's
# write would move the counter; autovacuum (its ANALYZE writes statistics) is paused for
# the window.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use Gigd;
use GigdMarket;
use GigdOrg;

$ENV{GIGD_TEST_BASE} or plan skip_all => 'run through tools/test-run';

my ($poster, $applicant, $mod) = (new_user(), new_user(), new_user());
my $gig = new_gig($poster);
my ($s, $d) = apply_to($applicant, $gig->{id});
die "apply failed ($s)" unless $s == 201;
($s, $d) = api(POST => '/api/conversations', token => $applicant->{token}, json => { participant_id => $poster->{id} });
die "conversation failed ($s)" unless $s == 200 || $s == 201;
my $conv = $d->{data}{id};
($s) = api(POST => "/api/conversations/$conv/messages", token => $applicant->{token}, json => { content => 'Hello there' });
die "message failed ($s)" unless $s == 201;
my $org = new_org($poster);
psql("UPDATE users SET role = 'admin' WHERE id = '$mod->{id}'");
my $other = Gigd::uuid_random();

# [method path token] — each GET route with the resource's owner (or a stranger's id where
# the route's answer is a 404: the lookup is still a read).
my @reads = (
    ['/healthz'], ['/api/auth/session', $applicant], ['/api/me/export', $applicant],
    ['/api/subscription', $poster], ['/api/conversations', $applicant],
    ["/api/conversations/$conv/messages", $poster], ['/api/calls/upcoming', $poster], ['/api/calls/history', $poster],
    ["/api/attachments/$other", $poster], ["/api/profiles/$applicant->{username}"], ['/api/profile', $poster],
    ['/api/user/availability', $applicant], ["/api/gigs/urgent/$other", $poster],
    ["/api/gigs/urgent/$other/responses", $poster], ['/api/me/urgent-gigs', $poster], ['/api/wallet', $poster],
    ["/api/gig-ratings/project/$other", $poster], ["/api/gig-ratings/user/$applicant->{id}", $poster],
    ["/api/disputes/$other", $poster], ['/api/payouts/account', $applicant], ['/api/payouts', $applicant],
    ["/api/wallet/transactions/$other/receipt", $applicant],
    ['/api/gigs'], ['/api/gigs?search=landing&skills=html'], ['/api/gigs', $applicant],
    ['/api/me/gigs', $poster], ['/api/me/recommended-gigs', $applicant], ['/api/subscription/usage', $poster],
    ['/api/me/saved-gigs', $applicant], ['/api/me/applications', $applicant],
    ["/api/gigs/$gig->{id}/applications", $poster], ["/api/users/$poster->{id}/reviews"],
    ["/api/users/$poster->{id}/rating"], ['/api/notifications', $poster], ['/api/notifications/unread-count', $poster],
    ['/api/me/saved-searches', $applicant], ['/api/me/notification-preferences', $applicant],
    ['/api/organizations', $poster], ["/api/organizations/$org->{id}", $poster],
    ["/api/organizations/$org->{id}/members", $poster], ["/api/organizations/$org->{id}/invitations", $poster],
    ["/api/organizations/$org->{id}/categories", $poster], ["/api/organizations/$org->{id}/jobs", $poster],
    ["/api/organizations/$org->{id}/jobs/$other", $poster],
    ["/api/organizations/$org->{id}/jobs/$other/applicants", $poster], ["/api/o/$org->{slug}"],
    ['/api/me/blocks', $applicant], ['/api/admin/reports', $mod], ['/api/admin/audit-log', $mod],
    ["/api/admin/gigs/$gig->{id}", $mod], ["/api/admin/messages/$other", $mod], ["/api/admin/reviews/$other", $mod],
);

sub next_xid { (psql_row('SELECT txid_snapshot_xmax(txid_current_snapshot())'))[0] }

psql('ALTER SYSTEM SET autovacuum = off');
psql('SELECT pg_reload_conf()');
END { psql('ALTER SYSTEM RESET autovacuum'); psql('SELECT pg_reload_conf()') }
sleep 1.5;    # the setup's own writes (and any view flush) are done

my (%status, @writers);
for my $r (@reads) {
    my ($path, $user) = @$r;
    my $x = next_xid();
    my ($st) = api(GET => $path, $user ? (token => $user->{token}) : ());
    $status{$path} = $st;
    push @writers, $path if next_xid() != $x;
}
is_deeply \@writers, [], 'no GET assigned a transaction id (no write)';
# The reads really ran: the owners' routes answered 200, the strangers' ids 404.
is_deeply [grep { $status{$_} >= 500 || $status{$_} == 401 } sort keys %status], [], 'no read failed or was refused';
is $status{"/api/gigs/$gig->{id}/applications"}, 200, 'the poster read the applications';
is $status{"/api/conversations/$conv/messages"}, 200, 'the poster read the messages';

# The check can fail: one write in the window moves the counter.
my $x0 = next_xid();
api(POST => '/api/notifications/read-all', token => $poster->{token});
cmp_ok next_xid(), '>', $x0, 'a write in the window would be seen';

# The availability GET used to insert its default row; the row now comes with the profile
# (sql/029) and follows the profile's time zone until its owner changes it.
subtest 'the availability row comes with the profile' => sub {
    my $u = new_user();
    my ($s, $d) = api(GET => '/api/user/availability', token => $u->{token});
    is $s, 200, 'read at once';
    is $d->{data}{timezone}, 'UTC', 'default zone';
    my $id = $d->{data}{id};
    ($s) = api(PATCH => '/api/profile', token => $u->{token}, json => { timezone => 'Europe/Paris' });
    is $s, 200, 'profile zone set';
    ($s, $d) = api(GET => '/api/user/availability', token => $u->{token});
    is $d->{data}{timezone}, 'Europe/Paris', 'an untouched availability follows the profile';
    is $d->{data}{id}, $id, 'the same row';
    ($s) = api(PATCH => '/api/user/availability', token => $u->{token}, json => { timezone => 'Asia/Tokyo' });
    is $s, 200, 'availability zone set by its owner';
    ($s) = api(PATCH => '/api/profile', token => $u->{token}, json => { timezone => 'America/Chicago' });
    ($s, $d) = api(GET => '/api/user/availability', token => $u->{token});
    is $d->{data}{timezone}, 'Asia/Tokyo', 'a changed availability keeps its own zone';
};

done_testing;
