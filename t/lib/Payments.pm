# Payments.pm — helpers for the payments tests: signed Stripe webhook deliveries, event
# builders, the fake Stripe's control file and its recorded requests.
package Payments;
use strict;
use warnings;
use Exporter 'import';
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use Gigd;

our @EXPORT = qw(sign deliver event stripe_control stripe_clear stripe_reqs evt_id);

my $JSON = JSON::PP->new->utf8->canonical;
my $SECRET = $ENV{GIGD_STRIPE_WEBHOOK_SECRET} // 'whsec_test_gigd';
my $n = 0;

sub evt_id { sprintf 'evt_test_%d_%d_%d', $$, time, ++$n }

# Stripe-Signature for payload at time t (default now), signed with secret.
sub sign {
    my ($payload, %o) = @_;
    my $t = $o{t} // time;
    my $sig = hmac_sha256_hex("$t.$payload", $o{secret} // $SECRET);
    return "t=$t,v1=$sig";
}

# An event: {id, type, created, data: {object}} (+ account => for Connect events);
# returns (payload text, id).
sub event {
    my ($type, $obj, %o) = @_;
    my $id = $o{id} // evt_id();
    my $ev = { id => $id, object => 'event', type => $type, created => $o{created} // time,
               livemode => JSON::PP::false, data => { object => $obj } };
    $ev->{account} = $o{account} if $o{account};    # Connect events: the connected account
    return ($JSON->encode($ev), $id);
}

# POSTs a payload to the webhook; signature from sign() unless header => given (undef = none).
sub deliver {
    my ($payload, %o) = @_;
    my %h = ('Content-Type' => 'application/json; charset=utf-8');
    if (exists $o{header}) { $h{'Stripe-Signature'} = $o{header} if defined $o{header} }
    else { $h{'Stripe-Signature'} = sign($payload) }
    return api(POST => $o{path} // '/api/webhooks/stripe', body => $payload, headers => \%h);
}

sub stripe_control {
    my ($ctl) = @_;
    my $f = "$ENV{GIGD_TEST_FAKE_DIR}/stripe/control.json";
    open my $fh, '>', "$f.tmp" or die $!;
    print $fh $JSON->encode($ctl);
    close $fh;
    rename "$f.tmp", $f or die $!;
}
sub stripe_clear { unlink "$ENV{GIGD_TEST_FAKE_DIR}/stripe/control.json" }

# Requests the fake Stripe recorded whose Idempotency-Key or form mentions the user id.
sub stripe_reqs {
    my ($uid, $path_re) = @_;
    return grep {
        my $r = $_;
        my $k = $r->{headers}{'idempotency-key'} // '';
        (index($k, $uid) >= 0 || grep { defined && $_ eq $uid } values %{ $r->{form} || {} })
            && (!$path_re || $r->{path} =~ $path_re)
    } fake_requests('stripe');
}

1;
