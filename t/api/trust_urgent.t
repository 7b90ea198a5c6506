# Urgent gigs and trust (issues 15 items 3-4): matching never offers an urgent gig to a
# provider in a block with its requester (whichever blocked) nor to a suspended provider.
# In the Stripe seq group of tools/test-run (it creates PaymentIntents at the fake).
use strict;
use warnings;
use Test::More;
use Gigd;
use Payments;
use Urgent;

my $gigctl = "$ENV{GIGD_TEST_BUILD}/gigctl";
my $req = new_user();
my $mod = new_user();
`$gigctl user role '$mod->{email}' moderator 2>&1`;
is $? >> 8, 0, 'a moderator';

my ($lat, $lng) = spot();
my $ok = provider(lat => $lat, lng => $lng);
my $blocked = provider(lat => $lat, lng => $lng, km => 2);
my $blocker = provider(lat => $lat, lng => $lng, km => 3);
my $suspended = provider(lat => $lat, lng => $lng, km => 4);
my ($s) = api(POST => "/api/users/$blocked->{id}/block", token => $req->{token});
is $s, 201, 'the requester blocked one provider';
($s) = api(POST => "/api/users/$req->{id}/block", token => $blocker->{token});
is $s, 201, 'another provider blocked the requester';
($s) = api(POST => "/api/admin/users/$suspended->{id}/suspend", token => $mod->{token});
is $s, 200, 'a third provider is suspended';

my ($st, $d) = urgent_gig($req, lat => $lat, lng => $lng);
is $st, 201, 'urgent gig created';
is $d->{estimated_matches}, 1, 'only one provider is a match';
hold_webhook($d->{gig_id});
my %got = map { $_ => 1 } offers_of($d->{gig_id});
ok $got{ $ok->{id} }, 'the unrelated provider is offered the gig';
ok !$got{ $blocked->{id} }, 'not the provider the requester blocked';
ok !$got{ $blocker->{id} }, 'nor the one who blocked the requester';
ok !$got{ $suspended->{id} }, 'nor the suspended one';

done_testing;
