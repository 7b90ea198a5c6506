# Races behind the urgent-gig locks (lib/sql/urgent.sql), made deterministic by
# t/lib/Race.pm: two selects of one urgent gig queue behind its row; the gig row lock
# (st_urgent_lock_gig) makes the second read the first one's confirmation and answer
# that a provider has already been selected; two first waves of two gigs queue behind a
# provider (lib/matching.c st_match_lock) and his daily offer quota holds. In the fake
# Stripe's seq group (every urgent gig creates a PaymentIntent).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;
use Race;

my ($lat, $lng) = spot();
my $req = new_user();
my @prov = map { provider(lat => $lat, lng => $lng, km => 1 + $_) } 0 .. 1;
my ($s, $gd) = urgent_gig($req, lat => $lat, lng => $lng);
is $s, 201, 'urgent gig' or diag explain $gd;
my $gig = $gd->{gig_id};
($s) = hold_webhook($gig);
is $s, 200, 'held';
my @resp;
for my $p (@prov) {
    ($s) = api(POST => "/api/gigs/$gig/respond", token => $p->{token}, json => { action => 'accept' });
    is $s, 200, 'provider accepts';
    push @resp, (psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$p->{id}'"))[0];
}

my @r = race("SELECT 1 FROM gigs WHERE id = '$gig' FOR SHARE", map {
    my $rid = $_;
    sub { my ($st, $d) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => $rid });
          return { s => $st, d => $d } }
} @resp);
is $r[0]{s}, 200, 'the first select 200' or diag explain $r[0];
is $r[1]{s}, 409, 'the second 409';
is $r[1]{d}{error}, 'A provider has already been selected for this gig', 'told a provider is already selected (read under the gig lock)';
my ($projects) = psql_row("SELECT count(*) FROM projects WHERE gig_id = '$gig'");
is $projects, 1, 'one project';
my ($sel, $provider) = psql_row("SELECT (SELECT count(*) FROM gig_responses WHERE gig_id = g.id AND selected_at IS NOT NULL),"
                                . " selected_provider_id FROM gigs g WHERE id = '$gig'");
is $sel, 1, 'one selected response';
is $provider, $prov[0]{id}, 'the first select\'s provider';


subtest "two gigs' first waves at once: a provider's daily quota holds" => sub {
    my ($la, $ln) = spot();
    my $p = provider(lat => $la, lng => $ln, km => 1, max_per_day => 1);
    my @gigs = map {
        my ($st, $d) = urgent_gig(new_user(), lat => $la, lng => $ln);
        is $st, 201, 'urgent gig';
        $d->{gig_id};
    } 1 .. 2;
    # The offer's notification needs the provider's users row (foreign key): holding it
    # stops each wave after it has read the quota; st_match_lock must have queued the
    # second wave before that read.
    my @r = race("SELECT 1 FROM users WHERE id = '$p->{id}' FOR UPDATE", map {
        my $g = $_;
        sub { my ($st) = hold_webhook($g); return { s => $st } }
    } @gigs);
    is_deeply [map { $_->{s} } @r], [200, 200], 'both holds acknowledged';
    my ($offers) = psql_row("SELECT count(*) FROM gig_responses WHERE provider_id = '$p->{id}'");
    is $offers, 1, 'offered one gig: max_notifications_per_day = 1';
};

done_testing;
