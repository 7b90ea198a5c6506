# GIGD_QUOTA_URGENT_GIGS (issue 12, item 5): urgent gigs created per account per 24 h
# (default 20). Each creation makes a Stripe PaymentIntent, so the quota is taken before
# Stripe is called: a refused request is 429 RATE_LIMITED with Retry-After, makes no
# PaymentIntent and stores no gig. A creation that fails (validation, Stripe refusing)
# costs no slot. As in security_quotas.t the counter is filled through the database to
# just under the limit and the last slots are taken by requests. Sequential with the other
# fake-Stripe files (it sets the fake's failure control).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my $MAX = 20;
my ($s, $d, $res);

sub counter { my ($u) = @_; my ($n) = psql_row("SELECT hits FROM rate_limits WHERE key = 'urgent:$u->{id}'"); $n // 0 }
sub fill {
    my ($u, $n) = @_;
    psql("INSERT INTO rate_limits VALUES ('urgent:$u->{id}', now(), $n)"
         . " ON CONFLICT (key) DO UPDATE SET hits = $n, window_start = now()");
}
sub pis { my ($u) = @_; return scalar stripe_reqs($u->{id}, qr{^/v1/payment_intents$}) }
sub gigs_of { my ($u) = @_; return (psql_row("SELECT count(*) FROM gigs WHERE poster_id = '$u->{id}'"))[0] }
sub create {
    my ($u, %o) = @_;
    my ($lat, $lng) = spot();
    my ($st, $dd) = urgent_gig($u, lat => $lat, lng => $lng, %o);
    return ($st, $dd);
}
sub limited {
    my ($what, $u) = @_;
    my ($lat, $lng) = spot();
    my %body = (skill_required => 'trumpeter', date_needed => future_iso(3 * 3600), payment_amount => 120,
                location_lat => $lat, location_lng => $lng);
    my ($pi0, $g0) = (pis($u), gigs_of($u));
    my ($st, $dd, $r) = api(POST => '/api/gigs/urgent', token => $u->{token}, json => \%body);
    is $st, 429, "$what: 429";
    is $dd->{code}, 'RATE_LIMITED', "$what: RATE_LIMITED";
    my $ra = $r->{headers}{'retry-after'} // '';
    ok $ra =~ /^\d+$/ && $ra > 0 && $ra <= 86400, "$what: Retry-After $ra";
    is pis($u), $pi0, "$what: no PaymentIntent asked of Stripe";
    is gigs_of($u), $g0, "$what: no gig stored";
}

subtest "each creation counts; the $MAX-th passes, the next is refused before Stripe" => sub {
    my $a = new_user();
    ($s, $d) = create($a);
    is $s, 201, 'an urgent gig';
    is counter($a), 1, 'counted';
    is pis($a), 1, 'one PaymentIntent';
    fill($a, $MAX - 1);
    ($s) = create($a);
    is $s, 201, "the $MAX-th of the day";
    is counter($a), $MAX, 'counted';
    limited('one over the quota', $a);
    limited('and again', $a);
    ($s) = create(new_user());
    is $s, 201, 'another account is not limited';
};

subtest 'a failed creation costs no slot' => sub {
    my $a = new_user();
    ($s, $d) = create($a, extra => { payment_amount => 0 });
    is $s, 400, 'a validation error';
    ($s, $d) = create($a, extra => { date_needed => future_iso(-60) });
    is $s, 400, 'a date in the past';
    is counter($a), 0, '... cost nothing';
    fill($a, $MAX - 1);
    stripe_control({ status => 402, body => { error => { type => 'card_error', message => 'no' } }, count => 1 });
    ($s, $d) = create($a);
    stripe_clear();
    is $s, 502, 'Stripe refusing the PaymentIntent: 502';
    is pis($a), 1, 'Stripe was asked';
    is counter($a), $MAX - 1, 'the slot was given back';
    ($s) = create($a);
    is $s, 201, 'so the last slot is still there';
    limited('then the quota is full', $a);
};

subtest 'concurrent creations at the limit: exactly the slots left pass' => sub {
    my $a = new_user();
    fill($a, $MAX - 2);
    my @st = parallel(5, sub { my ($st) = create($a); return $st });
    is join(' ', sort @st), '201 201 429 429 429', 'two created, three refused';
    is pis($a), 2, 'two PaymentIntents';
    is gigs_of($a), 2, 'two gigs';
};

done_testing;
