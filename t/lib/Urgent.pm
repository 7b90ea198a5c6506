# Urgent.pm — helpers for the urgent-gig tests: providers with availability, gigs with
# their PaymentIntent at the fake Stripe, signed payment_intent.* webhooks, pushes.
package Urgent;
use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use POSIX qw(floor);
use Fcntl qw(:flock);
use Gigd;
use Payments;

our @EXPORT = qw(spot provider urgent_gig pi_of hold_webhook pi_event offered offers_of pushes_to
                 future_iso local_now tz_with_local_hour project_gig fake_pi cron ledger_problems
                 wallet_of ops_of set_account while_locked);

my $JSON = JSON::PP->new->utf8->canonical;

# A spot on Earth no other call of this run has had: a cell of a grid 2° of latitude by
# 3.5° of longitude (≥ 220 km apart within ±53°), numbered through a counter file that
# every test process of the stack shares. Providers sit up to 100 km north of their spot
# and match within at most 100 km, so one test's gig never finds another test's
# providers. (Random spots did, now and then: a full run makes hundreds of providers with
# the same default skill, and an extra match broke an exact estimated_matches.)
sub spot {
    my $file = (stack_dir() // die "GIGD_STACK_DIR not set\n") . '/urgent-spots';
    open my $fh, '+>>', $file or die "$file: $!";
    flock $fh, LOCK_EX or die "flock $file: $!";
    seek $fh, 0, 0;
    my $n = <$fh> // 0;
    chomp $n;
    seek $fh, 0, 0;
    truncate $fh, 0;
    print $fh $n + 1, "\n";
    close $fh;                                   # releases the lock after the write
    my ($rows, $cols) = (53, 100);
    die "urgent spots: the grid's $rows x $cols cells are used up\n" if $n >= $rows * $cols;
    return (-53 + 2 * ($n % $rows), -174 + 3.5 * int($n / $rows));
}

# A point d km north of (lat, lng).
sub north { my ($lat, $lng, $km) = @_; return ($lat + $km / 111.195, $lng) }

# A provider offering skill near (lat, lng) + km north. Options: skills, genres, timezone,
# radius, current (use the current position instead of the general area), stale (current
# position updated 31 minutes ago, general area elsewhere: area_km), schedule, dnd_start,
# dnd_end, max_per_day, per_gig_rate, hourly_rate, available (default 1), push (token).
sub provider {
    my (%o) = @_;
    my $u = new_user(full_name => $o{full_name});
    my ($s, $d) = api(PATCH => '/api/profile', token => $u->{token},
                      json => { skills => $o{skills} // ['Trumpeter'], genres => $o{genres} // ['gospel'] });
    die "profile ($s)" unless $s == 200;
    my ($lat, $lng) = north($o{lat}, $o{lng}, $o{km} // 1);
    my %av = (available_for_urgent_gigs => $o{available} // JSON::PP::true,
              max_radius_km => $o{radius} // 50, timezone => $o{timezone} // 'UTC',
              max_notifications_per_day => $o{max_per_day} // 5);
    if ($o{current}) {
        @av{qw(current_lat current_lng)} = ($lat, $lng);
    } else {
        my ($alat, $alng) = defined $o{area_km} ? north($o{lat}, $o{lng}, $o{area_km}) : ($lat, $lng);
        @av{qw(general_area general_area_lat general_area_lng)} = ('Somewhere', $alat, $alng);
        @av{qw(current_lat current_lng)} = ($lat, $lng) if $o{stale};
    }
    for my $k (qw(availability_schedule dnd_start dnd_end per_gig_rate hourly_rate)) {
        $av{$k} = $o{$k} if exists $o{$k};
    }
    ($s, $d) = api(PATCH => '/api/user/availability', token => $u->{token}, json => \%av);
    die "availability ($s): " . $JSON->encode($d) unless $s == 200;
    psql("UPDATE user_availability SET last_location_update = now() - interval '31 minutes' WHERE user_id = '$u->{id}'")
        if $o{stale};
    if ($o{push}) {
        $u->{push_token} = "ExponentPushToken[" . rand_name('urg') . "]";
        ($s) = api(POST => '/api/push-tokens', token => $u->{token},
                   json => { push_token => $u->{push_token}, platform => 'ios', device_id => 'd1' });
        die "push token ($s)" unless $s == 201;
    }
    return $u;
}

sub future_iso {
    my ($secs) = @_;
    my @t = gmtime(time + $secs);
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], $t[0]);
}

# POST /api/gigs/urgent; returns (status, data, body sent).
sub urgent_gig {
    my ($req, %o) = @_;
    my %body = (skill_required => 'trumpeter', date_needed => future_iso(3 * 3600), payment_amount => 120,
                location_lat => $o{lat}, location_lng => $o{lng}, genre => ['gospel'],
                location_address => 'Luton Church', duration_hours => 2, %{ $o{extra} || {} });
    delete $body{$_} for @{ $o{drop} || [] };
    my ($s, $d) = api(POST => '/api/gigs/urgent', token => $req->{token}, json => \%body);
    return ($s, $d->{data} // $d, \%body);
}

sub pi_of { my ($gig) = @_; return (psql_row("SELECT stripe_payment_intent_id FROM gigs WHERE id = '$gig'"))[0] }

sub pi_event {
    my ($type, $gig, %o) = @_;
    my $amount = $o{amount} // (psql_row("SELECT payment_amount FROM gigs WHERE id = '$gig'"))[0];
    return event($type, { id => $o{pi} // pi_of($gig), object => 'payment_intent',
                          status => $o{status} // 'requires_capture', amount => 0 + $amount,
                          amount_capturable => 0 + ($o{capturable} // $amount), currency => 'gbp',
                          capture_method => 'manual', metadata => { gig_id => $gig } });
}

# The webhook that says the card is held.
sub hold_webhook {
    my ($gig, %o) = @_;
    my ($payload) = pi_event('payment_intent.amount_capturable_updated', $gig, %o);
    return deliver($payload);
}

# Provider ids offered the gig (gig_responses), sorted.
sub offers_of {
    my ($gig) = @_;
    return sort map { $_->[0] } psql("SELECT provider_id FROM gig_responses WHERE gig_id = '$gig'");
}
sub offered { my ($gig, $u) = @_; return scalar grep { $_ eq $u->{id} } offers_of($gig) }

# Push payloads queued for a user's token (push_outbox rows), oldest first.
sub pushes_to {
    my ($u, $type) = @_;
    return map { $JSON->decode($_->[0]) }
        psql("SELECT o.payload FROM push_outbox o JOIN notifications n ON n.id = o.notification_id"
             . " WHERE n.user_id = '$u->{id}'" . ($type ? " AND n.type = '$type'" : '') . " ORDER BY o.id");
}

# An Etc/GMT zone where the local hour is now $h (e.g. 23 → a zone where it is 23:xx).
sub tz_with_local_hour {
    my ($h) = @_;
    my $utc = (gmtime)[2];
    my $off = ($h - $utc) % 24;       # 0..23
    $off -= 24 if $off > 14;          # Etc zones span UTC-12 .. UTC+14
    return 'UTC' if $off == 0;
    # Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
    return $off > 0 ? "Etc/GMT-$off" : 'Etc/GMT+' . (-$off);
}

# A confirmed urgent gig with its project: a requester, a provider selected after accepting.
# Options: amount (major), account (the provider's acct_ id), lat/lng, push (tokens), any
# urgent_gig extra. Returns {gig, project, req, prov, pi}.
sub project_gig {
    my (%o) = @_;
    my ($lat, $lng) = defined $o{lat} ? ($o{lat}, $o{lng}) : spot();
    my $req = $o{req} // new_user(full_name => 'Grace Requester');
    if ($o{push} && !$req->{push_token}) {
        $req->{push_token} = "ExponentPushToken[" . rand_name('req') . "]";
        api(POST => '/api/push-tokens', token => $req->{token},
            json => { push_token => $req->{push_token}, platform => 'ios', device_id => 'd1' });
    }
    my $prov = provider(lat => $lat, lng => $lng, km => 1, push => $o{push}, full_name => 'James Okafor');
    set_account($prov, $o{account}) if $o{account};
    my ($s, $d) = urgent_gig($req, lat => $lat, lng => $lng,
                             extra => { payment_amount => $o{amount} // 120, %{ $o{extra} || {} } });
    die "create ($s)" unless $s == 201;
    my $gig = $d->{gig_id};
    hold_webhook($gig);
    ($s) = api(POST => "/api/gigs/$gig/respond", token => $prov->{token}, json => { action => 'accept' });
    die "respond ($s)" unless $s == 200;
    my ($rid) = psql_row("SELECT id FROM gig_responses WHERE gig_id = '$gig' AND provider_id = '$prov->{id}'");
    ($s, $d) = api(POST => "/api/gigs/$gig/select", token => $req->{token}, json => { response_id => $rid });
    die "select ($s)" unless $s == 200;
    return { gig => $gig, project => $d->{data}{project_id}, req => $req, prov => $prov, pi => pi_of($gig) };
}

# A connected account whose payouts are enabled (payout_accounts, issue 17), as if the
# provider had finished onboarding: releases transfer to it at once.
sub set_account {
    my ($u, $acct) = @_;
    psql("UPDATE profiles SET stripe_account_id = '$acct' WHERE id = '$u->{id}'");
    psql("INSERT INTO payout_accounts (user_id, stripe_account_id, status, payouts_enabled, details_submitted)"
         . " VALUES ('$u->{id}', '$acct', 'enabled', true, true) ON CONFLICT (user_id) DO UPDATE"
         . " SET stripe_account_id = EXCLUDED.stripe_account_id, status = 'enabled', payouts_enabled = true");
}

# The fake Stripe's money state of a PaymentIntent (captures, cancels, refunds counters).
sub fake_pi {
    my ($pi) = @_;
    my $f = "$ENV{GIGD_TEST_FAKE_DIR}/stripe/pis/$pi.json";
    open my $fh, '<', $f or return {};
    local $/;
    return $JSON->decode(<$fh>);
}

# Runs cron job NAME over HTTP: (status, data).
sub cron {
    my ($name) = @_;
    my ($s, $d) = api(POST => "/api/cron/$name", headers => { Authorization => 'Bearer ' . cron_secret() });
    return ($s, $d->{data} // $d);
}

# Ledger invariants over everything: groups that do not sum to zero, wallets whose
# balance is not the sum of their entries. Empty list = the books balance.
sub ledger_problems {
    my @bad = map { "group $_->[0] $_->[1] sums to $_->[2]" }
        psql("SELECT gig_id, kind, sum(amount) FROM wallet_transactions GROUP BY 1, 2 HAVING sum(amount) <> 0");
    push @bad, map { "wallet $_->[0] balance $_->[1] entries $_->[2]" }
        psql("SELECT w.id, w.balance, coalesce(sum(t.amount), 0) FROM wallets w"
             . " LEFT JOIN wallet_transactions t ON t.wallet_id = w.id GROUP BY w.id HAVING w.balance <> coalesce(sum(t.amount), 0)");
    return @bad;
}

# Balance (minor units) of a user's account ('wallet', 'escrow', 'payout'), 0 when none.
sub wallet_of {
    my ($u, $acct) = @_;
    my ($b) = psql_row("SELECT balance FROM wallets WHERE user_id = '$u->{id}' AND account = '" . ($acct // 'wallet') . "'");
    return 0 + ($b // 0);
}

# kind => status of a gig's Stripe operations.
sub ops_of {
    my ($gig) = @_;
    return map { $_->[0] => $_->[1] } psql("SELECT kind, status FROM urgent_payment_ops WHERE gig_id = '$gig'");
}

# Another session locks gig $gig, runs $sql, and commits 1.5 s later (a waiting worker
# statement is cancelled at GIGD_STATEMENT_TIMEOUT_MS, 2 s); $code runs meanwhile (once that
# session is seen holding the lock). Returns what $code returns. The lock tests
# use it: a call that must wait for the gig's lock and then see $sql's change.
sub while_locked {
    my ($gig, $sql, $code) = @_;
    my $mark = 'lockmark_' . rand_name('m');
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        exec 'psql', $ENV{GIGD_DATABASE_URL}, '-XqAt', '-c',
            "BEGIN; SELECT 1 FROM gigs WHERE id = '$gig' FOR UPDATE; $sql; SELECT pg_sleep(1.5) AS $mark; COMMIT;";
        exit 127;
    }
    wait_for(sub { (psql_row("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%AS $mark%'"
                             . " AND wait_event = 'PgSleep'"))[0] }, 10) or die "the locking session never started";
    my @r = $code->();
    waitpid $pid, 0;
    return @r;
}

1;
