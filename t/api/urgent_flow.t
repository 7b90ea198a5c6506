# Urgent gigs end to end: create → PaymentIntent at the fake Stripe (manual capture, amount,
# metadata, transfer group, idempotency key) → webhook hold → first wave with seed 003
# section 4 push payloads → read → respond → select (project, fee, conversation,
# gig_confirmed, gig_filled) → lists. With auth and foreign-user cases on each route.
use strict;
use warnings;
use utf8;
use Test::More;
use Gigd;
use Payments;
use Urgent;
use Encode qw(decode_utf8);

my ($s, $d);
my ($lat, $lng) = spot();
my $req = new_user(full_name => 'Grace Requester');
my @prov = map { provider(lat => $lat, lng => $lng, km => 2 + $_, push => 1, full_name => "James Okafor$_",
                          per_gig_rate => 100) } 0 .. 2;
my $stranger = new_user();

# --- create ---
($s, $d) = urgent_gig($req, lat => $lat, lng => $lng);
is $s, 201, 'create 201' or diag explain $d;
my $gig = $d->{gig_id};
like $d->{stripe_client_secret}, qr/^pi_\w+_secret_\w+$/, 'client secret from Stripe';
is $d->{estimated_matches}, 3, 'estimated_matches counts the three providers';
is scalar(my @none = offers_of($gig)), 0, 'nobody offered before the payment is held';
my ($row) = psql("SELECT urgent_status, payment_status, payment_amount, payment_currency, status, gig_type,"
                 . " expires_at = date_needed + interval '4 hours' FROM gigs WHERE id = '$gig'");
is_deeply $row, ['searching', 'pending', '12000', 'GBP', 'draft', 'urgent', 't'],
    'stored searching/pending, 12000 minor units, GBP, hidden draft, expires 4 h after';
my @pi = grep { $_->{path} eq '/v1/payment_intents' && ($_->{form}{'metadata[gig_id]'} // '') eq $gig } fake_requests('stripe');
is scalar @pi, 1, 'one PaymentIntent created';
is $pi[0]{form}{capture_method}, 'manual', 'manual capture (a hold)';
is $pi[0]{form}{amount}, '12000', 'amount in minor units';
is $pi[0]{form}{currency}, 'gbp', 'currency';
is $pi[0]{form}{transfer_group}, $gig, 'transfer_group = gig id';
is $pi[0]{form}{'metadata[requester_id]'}, $req->{id}, 'metadata requester';
is $pi[0]{headers}{'idempotency-key'}, "urgent-pi-$gig", 'Idempotency-Key from the gig (our operation row)';

# a planned-gig route cannot publish it
($s) = api(PUT => "/api/gigs/$gig/status", token => $req->{token}, json => { status => 'active' });
isnt $s, 200, 'an urgent gig cannot be published as a planned gig';
($s) = api(GET => "/api/gigs/$gig", token => $stranger->{token});
is $s, 404, 'not visible through the planned-gig route';

# --- hold → first wave ---
($s, $d) = hold_webhook($gig);
is $s, 200, 'webhook 200';
is_deeply [offers_of($gig)], [sort map { $_->{id} } @prov], 'all three offered in the first wave';
($row) = psql("SELECT payment_status, waves, matching_started_at IS NOT NULL FROM gigs WHERE id = '$gig'");
is_deeply $row, ['escrowed', '1', 't'], 'escrowed, one wave';

my ($push) = pushes_to($prov[0], 'urgent_gig');
ok $push, 'urgent_gig push queued for the provider';
like $push->{title}, qr/^🎺 Urgent Gig: Trumpeter (Tonight|Today|Tomorrow|\w{3}) \d{1,2}(:\d\d)?(am|pm)$/, 'title as the seed';
is $push->{body}, '£120 · Gospel · 2.0km away · Luton Church', 'body: amount · genre · distance · place';
is $push->{sound}, 'default', 'sound';
is $push->{to}, $prov[0]{push_token}, 'to the provider\'s token';
my $pd = $push->{data};
is $pd->{type}, 'urgent_gig', 'data.type';
is $pd->{gig_id}, $gig, 'data.gig_id';
is $pd->{distance_km}, 2, 'data.distance_km';
is $pd->{payment}, 120, 'data.payment in major units';
is $pd->{skill}, 'trumpeter', 'data.skill';
is_deeply $pd->{genre}, ['gospel'], 'data.genre';
is $pd->{location}, 'Luton Church', 'data.location';
like $pd->{date_time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'data.date_time RFC 3339 UTC';
my @seed_keys = qw(type gig_id distance_km payment skill genre location date_time);
is_deeply [grep { exists $pd->{$_} } @seed_keys], \@seed_keys, 'every data field of the seed';
my ($inapp) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$prov[0]{id}' AND type = 'urgent_gig'");
is $inapp, 1, 'in-app notification stored';

# --- read ---
($s) = api(GET => "/api/gigs/urgent/$gig");
is $s, 401, 'get: no auth 401';
($s, $d) = api(GET => "/api/gigs/urgent/$gig", token => $req->{token});
is $s, 200, 'requester reads the gig';
is $d->{data}{payment_amount}, 120, 'payment_amount major units';
is $d->{data}{requester}{id}, $req->{id}, 'requester embedded';
ok !exists $d->{data}{distance_km}, 'no distance for the requester';
($s, $d) = api(GET => "/api/gigs/urgent/$gig", token => $prov[1]{token});
is $s, 200, 'offered provider reads the gig';
is $d->{data}{distance_km}, 3, 'distance_km for the provider';
($s, $d) = api(GET => "/api/gigs/urgent/$gig", token => $stranger->{token});
is $s, 404, 'stranger 404';
ok !($d->{data}), 'no data for the stranger';
($s) = api(GET => "/api/gigs/urgent/not-a-uuid", token => $req->{token});
is $s, 404, 'bad id 404';

($s) = api(GET => "/api/gigs/urgent/$gig/responses");
is $s, 401, 'responses: no auth 401';
($s) = api(GET => "/api/gigs/urgent/$gig/responses", token => $prov[0]{token});
is $s, 403, 'responses: provider 403 (not requester)';
($s) = api(GET => "/api/gigs/urgent/$gig/responses", token => $stranger->{token});
is $s, 404, 'responses: stranger 404';

# --- respond ---
($s) = api(POST => "/api/gigs/$gig/respond", json => { action => 'accept' });
is $s, 401, 'respond: no auth 401';
($s) = api(POST => "/api/gigs/$gig/respond", token => $stranger->{token}, json => { action => 'accept' });
is $s, 404, 'respond: stranger 404';
($s) = api(POST => "/api/gigs/$gig/respond", token => $req->{token}, json => { action => 'accept' });
is $s, 404, 'respond: the requester has no offer (404)';
for my $case ([{}, 'action'], [{ action => 'maybe' }, 'action'], [{ action => 'accept', message => 'x' x 1001 }, 'message'],
              [{ action => 'accept', message => 7 }, 'message']) {
    ($s, $d) = api(POST => "/api/gigs/$gig/respond", token => $prov[0]{token}, json => $case->[0]);
    is $s, 400, "respond: invalid $case->[1] 400";
    is $d->{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR';
    ok $d->{fields}{$case->[1]}, "fields.$case->[1]";
}
($s) = api(POST => "/api/gigs/$gig/respond", token => $prov[0]{token}, body => '{"action":',
           headers => { 'Content-Type' => 'application/json' });
is $s, 400, 'respond: malformed JSON 400';

($s, $d) = api(POST => "/api/gigs/$gig/respond", token => $prov[0]{token}, json => { action => 'accept', message => 'On my way' });
is $s, 200, 'provider 0 accepts';
is_deeply $d, { success => json_true() }, '{success:true}';
($s) = api(POST => "/api/gigs/$gig/respond", token => $prov[0]{token}, json => { action => 'decline' });
is $s, 409, 'responding twice 409';
($s) = api(POST => "/api/gigs/$gig/respond", token => $prov[1]{token}, json => { action => 'decline' });
is $s, 200, 'provider 1 declines';
($row) = psql("SELECT status, message, response_time_seconds IS NOT NULL, responded_at IS NOT NULL FROM gig_responses"
              . " WHERE gig_id = '$gig' AND provider_id = '$prov[0]{id}'");
is_deeply $row, ['accepted', 'On my way', 't', 't'], 'accepted with message and response time';

my ($acc) = map { [map { decode_utf8($_) } @$_] } psql("SELECT n.title, n.body, n.data->>'gig_id', n.data->>'response_id' FROM notifications n"
                 . " WHERE n.user_id = '$req->{id}' AND n.type = 'gig_accepted'");
ok $acc, 'gig_accepted for the requester';
is $acc->[0], '✅ James Okafor0 accepted your gig', 'gig_accepted title';
is $acc->[1], 'Trumpeter · ⭐ New · 2.0km away — tap to view', 'gig_accepted body';
is $acc->[2], $gig, 'data.gig_id';
my ($resp0) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$prov[0]{id}'");
my ($resp2) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$prov[2]{id}'");
is $acc->[3], $resp0, 'data.response_id';
is scalar(grep { $_ } psql("SELECT 1 FROM notifications WHERE user_id = '$req->{id}' AND type = 'gig_accepted'")), 1,
    'a decline sends nothing';

($s, $d) = api(GET => "/api/gigs/urgent/$gig/responses", token => $req->{token});
is $s, 200, 'requester lists responses';
is scalar @{ $d->{data} }, 3, 'three responses';
my ($first) = $d->{data}[0];
is $first->{status}, 'accepted', 'accepted first';
is $first->{provider}{id}, $prov[0]{id}, 'provider embedded';
is $first->{provider}{distance_km}, 2, 'distance';
is $first->{provider}{per_gig_rate}, 100, 'rates';
is $first->{provider}{review_count}, 0, 'review count';
is $first->{message}, 'On my way', 'message';

# --- select ---
($s) = api(POST => "/api/gigs/$gig/select", json => { response_id => $resp0 });
is $s, 401, 'select: no auth 401';
($s) = api(POST => "/api/gigs/$gig/select", token => $prov[0]{token}, json => { response_id => $resp0 });
is $s, 403, 'select: an offered provider 403';
($s) = api(POST => "/api/gigs/$gig/select", token => $stranger->{token}, json => { response_id => $resp0 });
is $s, 404, 'select: stranger 404';
($s, $d) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => 'nope' });
is $s, 400, 'select: invalid response_id 400';
ok $d->{fields}{response_id}, 'fields.response_id';
($s) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => {});
is $s, 400, 'select: missing response_id 400';
($s) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, body => 'nope', headers => { 'Content-Type' => 'application/json' });
is $s, 400, 'select: malformed JSON 400';
($s) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => uuid_random() });
is $s, 404, 'select: unknown response 404';
($s) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => $resp2 });
is $s, 409, 'select: a pending (not accepted) response 409';

($s, $d) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => $resp0 });
is $s, 200, 'select 200' or diag explain $d;
my $project = $d->{data}{project_id};
ok $project, 'project_id';
($row) = psql("SELECT amount, platform_fee, currency, status, provider_id, requester_id, conversation_id IS NOT NULL"
              . " FROM projects WHERE id = '$project'");
is_deeply $row, ['12000', '1440', 'GBP', 'active', $prov[0]{id}, $req->{id}, 't'],
    '£120 with a 12 % fee: the provider gets £105.60; conversation linked';
($row) = psql("SELECT urgent_status, selected_provider_id FROM gigs WHERE id = '$gig'");
is_deeply $row, ['confirmed', $prov[0]{id}], 'gig confirmed with the provider';
my %st = map { $_->[0] => $_->[1] } psql("SELECT provider_id, status FROM gig_responses WHERE gig_id = '$gig'");
is $st{ $prov[2]{id} }, 'expired', 'the pending offer expired';
is $st{ $prov[1]{id} }, 'declined', 'a decline stays declined';
my ($conv) = psql_row("SELECT count(*) FROM conversations c JOIN conversation_participants p ON p.conversation_id = c.id"
                      . " WHERE c.gig_id = '$gig'");
is $conv, 2, 'a conversation between the pair';
(undef, $d) = api(GET => '/api/conversations', token => $prov[0]{token});
ok scalar(grep { ($_->{id} // '') ne '' } @{ ref $d->{data} eq 'ARRAY' ? $d->{data} : $d->{data}{data} || [] }),
    'the provider sees the conversation';

($push) = pushes_to($prov[0], 'gig_confirmed');
ok $push, 'gig_confirmed push';
is $push->{title}, "🎉 You've been selected!", 'gig_confirmed title';
like $push->{body}, qr/^Trumpeter · (Tonight|Today|Tomorrow|\w{3}) \d{1,2}(:\d\d)?(am|pm) · Luton Church · £105\.60$/,
    'gig_confirmed body with the provider\'s £105.60';
is $push->{data}{type}, 'gig_confirmed', 'data.type';
is $push->{data}{gig_id}, $gig, 'data.gig_id';
is $push->{data}{project_id}, $project, 'data.project_id';
ok scalar(pushes_to($prov[1], 'gig_filled')), 'gig_filled to a provider who declined';
ok scalar(pushes_to($prov[2], 'gig_filled')), 'gig_filled to a provider still pending';
is scalar(pushes_to($prov[0], 'gig_filled')), 0, 'no gig_filled to the selected one';

($s) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => $resp0 });
is $s, 409, 'selecting again 409';
($s) = api(POST => "/api/gigs/$gig/respond", token => $prov[2]{token}, json => { action => 'accept' });
is $s, 409, 'responding after the selection 409';

# --- lists ---
($s) = api(GET => '/api/me/urgent-gigs');
is $s, 401, 'lists: no auth 401';
($s, $d) = api(GET => '/api/me/urgent-gigs?role=requester', token => $req->{token});
is $s, 200, 'requester list';
is $d->{data}{total}, 1, 'one gig';
is $d->{data}{data}[0]{id}, $gig, 'the gig';
($s, $d) = api(GET => '/api/me/urgent-gigs?role=provider', token => $prov[2]{token});
is $s, 200, 'provider list';
is $d->{data}{data}[0]{my_response}{status}, 'expired', 'with my response';
is $d->{data}{data}[0]{distance_km}, 4, 'and my distance';
($s, $d) = api(GET => '/api/me/urgent-gigs?role=provider', token => $stranger->{token});
is $d->{data}{total}, 0, 'a stranger lists nothing';
($s, $d) = api(GET => '/api/me/urgent-gigs?role=boss', token => $req->{token});
is $s, 400, 'bad role 400';
ok $d->{fields}{role}, 'fields.role';
($s) = api(GET => '/api/me/urgent-gigs?limit=0', token => $req->{token});
is $s, 400, 'bad limit 400';

done_testing;
