# Why select locks the gig row in a statement of its own (st_urgent_lock_gig) before the
# select statement: a wave (the match job holds the gig's lock while it offers) that commits
# new offers while a select waits must be seen by the select's statement, so that those
# offers expire and their providers hear `gig_filled`. Without the lock, the select's
# snapshot predates the wave's commit and the new offer stays pending on a filled gig.
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my ($lat, $lng) = spot();
my $req = new_user();
my $prov = provider(lat => $lat, lng => $lng, km => 1);
my ($s, $d) = urgent_gig($req, lat => $lat, lng => $lng);
my $gig = $d->{gig_id};
hold_webhook($gig);
($s) = api(POST => "/api/gigs/$gig/respond", token => $prov->{token}, json => { action => 'accept' });
is $s, 200, 'accepted';
my ($rid) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$prov->{id}'");
my $late = new_user();

# a "wave" in another session: gig locked, a new offer inserted, committed 1.5 s later
($s, $d) = while_locked($gig, "INSERT INTO gig_responses (gig_id, provider_id, distance_km, score, wave)"
                              . " VALUES ('$gig', '$late->{id}', 1, 0.5, 2)",
                        sub { api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => $rid }) });
is $s, 200, 'select waited for the wave and went through';
my ($st) = psql_row("SELECT status FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$late->{id}'");
is $st, 'expired', 'the offer the wave committed meanwhile is expired';
my ($n) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$late->{id}' AND type = 'gig_filled'");
is $n, 1, 'and its provider told the gig is filled';

done_testing;
