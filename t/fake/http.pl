#!/usr/bin/env perl
# Fake HTTP/1.1 API server (Stripe or Expo push) for gigd tests.  Core Perl only.
#
#   perl t/fake/http.pl --port N --dir DIR --kind stripe|expo [--verbose]
#
# Listens on 127.0.0.1:N (N=0 picks a free port, written to DIR/KIND.port),
# forks one child per connection, supports keep-alive, chunked request bodies
# and "Expect: 100-continue".  Every request is recorded atomically as
# DIR/KIND/<sec><usec>-<pid>-<seq>.json (sortable by arrival) with keys
# method, path, query, headers (lower-cased names), body and, for form bodies,
# form.  DIR/KIND.pid is written once listening.  See t/fake/README.md for the
# control file (DIR/KIND/control.json) and the canned answers.
use v5.36;
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Getopt::Long;
use File::Path qw(make_path);
use Fcntl qw(:flock);
use Time::HiRes qw(gettimeofday);
use JSON::PP;
use Encode qw(decode);
use Digest::MD5 qw(md5_hex);

my ($port, $dir, $kind, $verbose) = (undef, undef, undef, 0);
my $IDLE = 60;    # keep-alive idle timeout (seconds)
GetOptions('port=i' => \$port, 'dir=s' => \$dir, 'kind=s' => \$kind,
           'verbose!' => \$verbose, 'idle=i' => \$IDLE)
    && defined $port && defined $dir && defined $kind
    && $kind =~ /^(?:stripe|expo)\z/
    or die "usage: $0 --port N --dir DIR --kind stripe|expo [--verbose] [--idle SECONDS]\n";

my $kdir = "$dir/$kind";
make_path($kdir);
make_path("$kdir/idem", "$kdir/pi_status", "$kdir/pis", "$kdir/transfers", "$kdir/accounts") if $kind eq 'stripe';
make_path("$kdir/tickets")                 if $kind eq 'expo';

my $JSON = JSON::PP->new->utf8->canonical;

my $srv = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
    Listen => 64, ReuseAddr => 1,
) or die "fake $kind: cannot listen on 127.0.0.1:$port: $@\n";
my $real_port = $srv->sockport;

sub write_atomic ($path, $data) {
    my $tmp = "$path.tmp.$$";
    open my $fh, '>:raw', $tmp or die "open $tmp: $!";
    print {$fh} $data or die "write $tmp: $!";
    close $fh or die "close $tmp: $!";
    rename $tmp, $path or die "rename $tmp: $!";
}

sub slurp ($path) {
    open my $fh, '<:raw', $path or return undef;
    local $/;
    my $d = <$fh>;
    return $d // '';
}

sub logmsg (@m) { print STDERR "fake $kind\[$$]: @m\n" if $verbose }

my $pidfile = "$dir/$kind.pid";
write_atomic("$dir/$kind.port", "$real_port\n");
write_atomic($pidfile, "$$\n");
my $parent = $$;
logmsg("listening on 127.0.0.1:$real_port, dir $kdir");

my $seq = 0;
my %kids;
$SIG{CHLD} = sub {
    while ((my $k = waitpid(-1, WNOHANG)) > 0) { delete $kids{$k} }
};
$SIG{TERM} = $SIG{INT} = $SIG{HUP} = sub {
    return unless $$ == $parent;
    kill 'TERM', keys %kids;
    unlink $pidfile;
    exit 0;
};
$SIG{PIPE} = 'IGNORE';


# ---------------------------------------------------------------- utilities

sub random_hex ($bytes) {
    my $raw = '';
    if (open my $fh, '<:raw', '/dev/urandom') {
        read $fh, $raw, $bytes;
    }
    $raw .= chr(int rand 256) while length $raw < $bytes;
    return unpack 'H*', $raw;
}

sub uuid () {
    my $h = random_hex(16);
    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
                     substr($h, 16, 4), substr($h, 20, 12);
}

# bytes -> perl string: UTF-8 if valid, else each byte as a character
sub text ($bytes) {
    my $copy = $bytes;
    my $s = eval { decode('UTF-8', $copy, Encode::FB_CROAK) };
    return defined $s ? $s : $bytes;
}

sub url_decode ($s) {
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return text($s);
}

sub parse_form ($body) {
    my %f;
    for my $pair (split /&/, $body) {
        next if $pair eq '';
        my ($k, $v) = split /=/, $pair, 2;
        $f{url_decode($k)} = url_decode($v // '');
    }
    return \%f;
}

my %REASON = (
    100 => 'Continue', 200 => 'OK', 201 => 'Created', 202 => 'Accepted',
    204 => 'No Content', 400 => 'Bad Request', 401 => 'Unauthorized',
    402 => 'Request Failed', 403 => 'Forbidden', 404 => 'Not Found',
    405 => 'Method Not Allowed', 408 => 'Request Timeout', 409 => 'Conflict',
    411 => 'Length Required', 413 => 'Payload Too Large',
    429 => 'Too Many Requests', 500 => 'Internal Server Error',
    502 => 'Bad Gateway', 503 => 'Service Unavailable', 504 => 'Gateway Timeout',
);

# ------------------------------------------------------- connection handling

sub connection ($c) {
    binmode $c;
    my $buf = '';
    my $fill = sub {
        return 0 unless IO::Select->new($c)->can_read($IDLE);
        my $n = sysread($c, $buf, 65536, length $buf);
        return $n ? 1 : 0;
    };
    my $readline = sub {
        while (1) {
            my $i = index($buf, "\n");
            return substr($buf, 0, $i + 1, '') if $i >= 0;
            return undef unless $fill->();
        }
    };
    my $readn = sub ($n) {
        while (length $buf < $n) { return undef unless $fill->() }
        return substr($buf, 0, $n, '');
    };
    my $send = sub ($out) {
        while (length $out) {
            my $n = syswrite($c, $out);
            die "write: $!\n" unless defined $n;
            substr($out, 0, $n, '');
        }
    };
    my $respond = sub ($status, $body, $close, $extra = {}) {
        my $h = "HTTP/1.1 $status " . ($REASON{$status} // 'Status') . "\r\n"
              . "Content-Type: application/json\r\n"
              . "Content-Length: " . length($body) . "\r\n"
              . "Connection: " . ($close ? 'close' : 'keep-alive') . "\r\n";
        $h .= "$_: $extra->{$_}\r\n" for sort keys %$extra;
        $send->("$h\r\n$body");
    };

    while (1) {
        my $line = $readline->();
        return unless defined $line;
        next if $line =~ /^\r?\n\z/;    # stray CRLF between requests
        my ($method, $target, $ver) =
            $line =~ m{^([A-Za-z]+)\s+(\S+)(?:\s+HTTP/(\d+\.\d+))?\s*\z};
        unless (defined $method) {
            $respond->(400, $JSON->encode({ error => 'bad request line' }), 1);
            return;
        }
        $ver //= '1.0';
        my %h;
        while (1) {
            my $hl = $readline->();
            return unless defined $hl;
            last if $hl =~ /^\r?\n\z/;
            $hl =~ s/\r?\n\z//;
            my ($k, $v) = $hl =~ /^([^:]+):\s*(.*?)\s*\z/ or next;
            $k = lc $k;
            $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
        }
        my $conn = lc($h{connection} // '');
        my $close = $ver eq '1.0' ? $conn !~ /keep-alive/ : $conn =~ /close/;

        my $chunked = ($h{'transfer-encoding'} // '') =~ /chunked/i;
        my $clen    = $h{'content-length'};
        $clen = 0 unless defined $clen && $clen =~ /^\d+\z/;
        if (($h{expect} // '') =~ /100-continue/i && ($chunked || $clen > 0)) {
            $send->("HTTP/1.1 100 Continue\r\n\r\n");
        }
        my $body = '';
        if ($chunked) {
            while (1) {
                my $sz = $readline->();
                return unless defined $sz;
                my ($hex) = $sz =~ /^\s*([0-9A-Fa-f]+)/ or return;
                my $n = hex $hex;
                if ($n == 0) {    # trailers until blank line
                    while (1) {
                        my $t = $readline->();
                        return unless defined $t;
                        last if $t =~ /^\r?\n\z/;
                    }
                    last;
                }
                my $d = $readn->($n);
                return unless defined $d;
                $body .= $d;
                return unless defined $readline->();    # CRLF after chunk
            }
        } elsif ($clen > 0) {
            $body = $readn->($clen);
            return unless defined $body;
        }
        if (($h{'content-encoding'} // '') =~ /gzip/i && length $body) {
            require IO::Uncompress::Gunzip;
            my $out;
            IO::Uncompress::Gunzip::gunzip(\$body => \$out) and $body = $out;
        }

        my ($path, $query) = split /\?/, $target, 2;
        $query //= '';
        my %rec = (
            method  => $method,
            path    => $path,
            query   => text($query),
            headers => { map { $_ => text($h{$_}) } keys %h },
            body    => text($body),
        );
        my $form;
        if (($h{'content-type'} // '') =~ m{^\s*application/x-www-form-urlencoded}i) {
            $form = parse_form($body);
            $rec{form} = $form;
        }
        my ($s, $us) = gettimeofday();
        my $name = sprintf '%010d%06d-%d-%04d.json', $s, $us, $$, ++$seq;
        write_atomic("$kdir/$name", $JSON->encode(\%rec));
        logmsg("$method $target -> $name");

        my ($status, $rbody, $extra) = answer($method, $path, \%h, $body, $form || {});
        $respond->($status, $rbody, $close, $extra || {});
        return if $close;
    }
}

# ------------------------------------------------------------------ control

# Returns (status, body, headers) from control.json, or () to answer normally.
# May sleep for "delay" seconds.
sub control () {
    my $cf = "$kdir/control.json";
    return () unless -e $cf;
    open my $lock, '>>', "$kdir/.control.lock" or die "lock: $!";
    flock $lock, LOCK_EX or die "flock: $!";
    my $ctl;
    for (1 .. 10) {
        my $raw = slurp($cf);
        return () unless defined $raw;    # vanished
        $ctl = eval { $JSON->decode($raw) };
        last if ref $ctl eq 'HASH';
        select undef, undef, undef, 0.05;    # maybe half-written; retry
    }
    unless (ref $ctl eq 'HASH') {
        warn "fake $kind: ignoring unparsable $cf\n";
        return ();
    }
    if (exists $ctl->{count}) {
        my $n = $ctl->{count} - 1;
        if ($n < 0) { unlink $cf; return () }    # count was already 0
        if ($n == 0) { unlink $cf }
        else { $ctl->{count} = $n; write_atomic($cf, $JSON->encode($ctl)) }
    }
    close $lock;
    Time::HiRes::sleep($ctl->{delay}) if $ctl->{delay};
    return () unless defined $ctl->{status};
    my $body = $ctl->{body};
    if (!defined $body) {
        $body = $kind eq 'stripe'
            ? $JSON->encode({ error => { type => 'api_error',
                  message => "Fake failure (control.json status $ctl->{status})" } })
            : $JSON->encode({ errors => [ { code => 'INTERNAL_SERVER_ERROR',
                  message => "Fake failure (control.json status $ctl->{status})" } ] });
    } elsif (ref $body) {
        $body = $JSON->encode($body);
    } else {
        $body = Encode::encode('UTF-8', $body);
    }
    return (0 + $ctl->{status}, $body, $ctl->{headers});
}

sub answer ($method, $path, $h, $body, $form) {
    my @c = control();
    return @c if @c;
    return $kind eq 'stripe' ? stripe($method, $path, $h, $form)
                             : expo($method, $path, $body);
}

# ------------------------------------------------------------------- stripe

sub stripe ($method, $path, $h, $form) {
    my $key = $h->{'idempotency-key'};
    return stripe_route($method, $path, $form)
        unless $method eq 'POST' && defined $key && length $key;
    my $f = "$kdir/idem/" . md5_hex("$path\0$key") . '.json';
    open my $lock, '>>', "$kdir/idem/.lock" or die "lock: $!";
    flock $lock, LOCK_EX or die "flock: $!";
    if (defined(my $saved = slurp($f))) {
        my $r = $JSON->decode($saved);
        return ($r->{status}, Encode::encode('UTF-8', $r->{body}),
                { 'Idempotent-Replayed' => 'true', 'Idempotency-Key' => $key });
    }
    my ($status, $rbody) = stripe_route($method, $path, $form);
    write_atomic($f, $JSON->encode({ status => $status, body => text($rbody),
                                     path => $path, key => text($key) }));
    return ($status, $rbody, { 'Idempotency-Key' => $key });
}

sub id_from ($seg) { return url_decode($seg) }

sub subscription ($id, $cancel) {
    my $now = time;
    return { id => $id, object => 'subscription', status => 'active',
             cancel_at_period_end => $cancel ? JSON::PP::true : JSON::PP::false,
             current_period_start => $now, current_period_end => $now + 30 * 86400,
             customer => 'cus_x', items => { data => [] } };
}

sub stripe_route ($method, $path, $f) {
    my $ok = sub ($obj) { return (200, $JSON->encode($obj)) };
    if ($method eq 'POST' && $path eq '/v1/customers') {
        return $ok->({ id => 'cus_' . random_hex(12), object => 'customer',
                       email => $f->{email}, metadata => {} });
    }
    if ($method eq 'POST' && $path eq '/v1/checkout/sessions') {
        my $id = 'cs_test_' . random_hex(16);
        return $ok->({ id => $id, object => 'checkout.session',
                       url => "https://checkout.stripe.test/c/pay/$id",
                       mode => $f->{mode}, customer => $f->{customer},
                       client_reference_id => $f->{client_reference_id} });
    }
    if ($method eq 'POST' && $path eq '/v1/billing_portal/sessions') {
        my $id = 'bps_' . random_hex(12);
        return $ok->({ id => $id, object => 'billing_portal.session',
                       url => "https://billing.stripe.test/p/session/$id",
                       customer => $f->{customer} });
    }
    if ($path =~ m{^/v1/subscriptions/([^/]+)\z}) {
        my $id = id_from($1);
        return $ok->(subscription($id, ($f->{cancel_at_period_end} // '') eq 'true'))
            if $method eq 'POST';
        return $ok->(subscription($id, 0)) if $method eq 'GET';
    }
    if ($method eq 'POST' && $path eq '/v1/payment_intents') {
        my $id = 'pi_' . random_hex(12);
        my %meta;
        for my $k (keys %$f) {
            $meta{$1} = $f->{$k} if $k =~ /^metadata\[(.*)\]\z/;
        }
        my $amt = $f->{amount};
        $amt = defined $amt && $amt =~ /^-?\d+\z/ ? 0 + $amt : undef;
        my $pi = { id => $id, object => 'payment_intent', amount => $amt,
                   currency => $f->{currency}, status => 'requires_payment_method',
                   capture_method => $f->{capture_method} // 'automatic',
                   client_secret => "${id}_secret_" . random_hex(12),
                   metadata => \%meta };
        $pi->{transfer_group} = $f->{transfer_group} if defined $f->{transfer_group};
        # Remembered, so GET answers with this PaymentIntent's own amount and metadata.
        write_atomic("$kdir/pis/$id.json", $JSON->encode($pi));
        return $ok->($pi);
    }
    if ($method eq 'GET' && $path =~ m{^/v1/payment_intents/([^/]+)\z}) {
        my $id = id_from($1);
        my $st = 'requires_capture';
        if ($id =~ /^[A-Za-z0-9_.-]+\z/ && defined(my $s = slurp("$kdir/pi_status/$id"))) {
            $s =~ s/^\s+|\s+\z//g;
            $st = $s if length $s;
        }
        my $saved = $id =~ /^[A-Za-z0-9_.-]+\z/ ? slurp("$kdir/pis/$id.json") : undef;
        if (defined $saved) {
            my $pi = $JSON->decode($saved);
            delete $pi->{client_secret};
            # captured or cancelled here: that state, unless a pi_status file says otherwise
            $st = $pi->{state} if $pi->{state} && !-e "$kdir/pi_status/$id";
            $pi->{status} = $st;
            $pi->{amount_capturable} = $st eq 'requires_capture' ? $pi->{amount} : 0;
            return $ok->($pi);
        }
        return $ok->({ id => $id, object => 'payment_intent', status => $st,
                       amount => 1000, amount_capturable => 1000, currency => 'gbp' });
    }
    if ($method eq 'POST' && $path =~ m{^/v1/payment_intents/([^/]+)/(capture|cancel)\z}) {
        return pi_transition(id_from($1), $2, $f);
    }
    if ($method eq 'POST' && $path eq '/v1/refunds') {
        return refund($f);
    }
    if ($method eq 'POST' && $path eq '/v1/transfers') {
        return transfer($f);
    }
    if ($method eq 'POST' && $path =~ m{^/v1/transfers/([^/]+)/reversals\z}) {
        return transfer_reversal(id_from($1), $f);
    }
    if ($method eq 'POST' && $path eq '/v1/accounts') {
        return account_create($f);
    }
    if ($method eq 'GET' && $path =~ m{^/v1/accounts/([^/]+)\z}) {
        my $id = id_from($1);
        my $a = $id =~ /^acct_\w+\z/ ? slurp("$kdir/accounts/$id.json") : undef;
        return defined $a ? (200, $a) : stripe_err(404, "No such account: '$id'", 'resource_missing');
    }
    if ($method eq 'POST' && $path eq '/v1/account_links') {
        return account_link($f);
    }
    return (404, $JSON->encode({ error => { type => 'invalid_request_error',
        message => "Unrecognized request URL ($method: $path)" } }));
}

# ------------------------------------------------- stripe money (manual capture)
# A PaymentIntent's money state lives in pis/<id>.json next to what POST stored: state
# (succeeded | canceled), amount_received, amount_refunded, and counters of the real
# operations (captures, cancels, refunds) — replays under an Idempotency-Key do not reach
# here, so a counter above 1 is a double operation. A pi_status/<id> file other than
# requires_capture makes a capture fail as Stripe would (the hold is not capturable).

sub stripe_err ($status, $msg, $code = 'payment_intent_unexpected_state') {
    return ($status, $JSON->encode({ error => { type => 'invalid_request_error', code => $code, message => $msg } }));
}

sub with_pi ($id, $fn) {
    return stripe_err(404, "No such payment_intent: '$id'", 'resource_missing') unless $id =~ /^[A-Za-z0-9_.-]+\z/;
    open my $lock, '>>', "$kdir/pis/.lock" or die "lock: $!";
    flock $lock, LOCK_EX or die "flock: $!";
    my $saved = slurp("$kdir/pis/$id.json");
    my $pi = defined $saved ? $JSON->decode($saved)
           : { id => $id, object => 'payment_intent', amount => 1000, currency => 'gbp', metadata => {} };
    my @r = $fn->($pi);
    write_atomic("$kdir/pis/$id.json", $JSON->encode($pi)) if $r[0] == 200;
    return @r;
}

sub pi_view ($pi) {
    my %v = %$pi;
    delete @v{qw(client_secret state captures cancels refunds)};
    $v{status} = $pi->{state} // 'requires_capture';
    return $JSON->encode(\%v);
}

sub pi_transition ($id, $what, $f) {
    return with_pi($id, sub ($pi) {
        my $st = slurp("$kdir/pi_status/$id");
        $st = defined $st ? ($st =~ s/^\s+|\s+\z//gr) : '';
        my $now = $pi->{state} // ($st ne '' ? $st : 'requires_capture');
        if ($what eq 'capture') {
            return stripe_err(400, "This PaymentIntent could not be captured because it has a status of $now.")
                unless $now eq 'requires_capture';
            my $amt = $f->{amount_to_capture};
            $amt = defined $amt && $amt =~ /^\d+\z/ ? 0 + $amt : $pi->{amount} // 1000;
            return stripe_err(400, 'amount_to_capture is greater than the amount capturable', 'amount_too_large')
                if defined $pi->{amount} && $amt > $pi->{amount};
            @$pi{qw(state amount_received amount_capturable)} = ('succeeded', $amt, 0);
            $pi->{captures}++;
        } else {
            return stripe_err(400, "You cannot cancel this PaymentIntent because it has a status of $now.")
                if $now eq 'succeeded' || $now eq 'canceled';
            @$pi{qw(state amount_capturable)} = ('canceled', 0);
            $pi->{cancellation_reason} = $f->{cancellation_reason};
            $pi->{cancels}++;
        }
        return (200, pi_view($pi));
    });
}

sub refund ($f) {
    my $id = $f->{payment_intent} // '';
    return with_pi($id, sub ($pi) {
        return stripe_err(400, 'This PaymentIntent has not been captured.', 'charge_not_captured')
            unless ($pi->{state} // '') eq 'succeeded';
        my $left = ($pi->{amount_received} // 0) - ($pi->{amount_refunded} // 0);
        my $amt = $f->{amount};
        $amt = defined $amt && $amt =~ /^\d+\z/ ? 0 + $amt : $left;
        return stripe_err(400, "Refund amount ($amt) is greater than unrefunded amount ($left)", 'amount_too_large')
            if $amt <= 0 || $amt > $left;
        $pi->{amount_refunded} = ($pi->{amount_refunded} // 0) + $amt;
        $pi->{refunds}++;
        return (200, $JSON->encode({ id => 're_' . random_hex(12), object => 'refund', status => 'succeeded',
                                     payment_intent => $id, amount => $amt, currency => $pi->{currency} }));
    });
}

sub transfer ($f) {
    my $amt = $f->{amount} // '';
    return stripe_err(400, 'Invalid positive integer', 'parameter_invalid_integer') unless $amt =~ /^[1-9]\d*\z/;
    my $dest = $f->{destination} // '';
    return stripe_err(400, "No such destination: '$dest'", 'resource_missing') unless $dest =~ /^acct_\w+\z/ && $dest !~ /missing/;
    my $id = 'tr_' . random_hex(12);
    my %meta = map { /^metadata\[(.*)\]\z/ ? ($1 => $f->{$_}) : () } keys %$f;
    my $tr = { id => $id, object => 'transfer', amount => 0 + $amt, currency => $f->{currency},
               destination => $dest, transfer_group => $f->{transfer_group}, metadata => \%meta,
               amount_reversed => 0, reversed => JSON::PP::false };
    write_atomic("$kdir/transfers/$id.json", $JSON->encode($tr));
    return (200, $JSON->encode($tr));
}

# ------------------------------------------------- stripe Connect (payouts)
# Express accounts live in accounts/<id>.json as Stripe returns them (not yet onboarded:
# payouts disabled, details due); a test moves one along by sending the account.updated
# event it builds. A replay under an Idempotency-Key does not reach here, so the number of
# files is the number of accounts really created.

sub account_create ($f) {
    # A refusal Stripe makes while executing (and so saves under the Idempotency-Key).
    return stripe_err(400, 'You can only create new accounts if you have signed up for Connect', 'platform_not_connect')
        if -e "$kdir/accounts/refuse";
    return stripe_err(400, 'Invalid type: must be one of custom, express, or standard', 'parameter_invalid_empty')
        unless ($f->{type} // '') =~ /^(?:express|custom|standard)\z/;
    my $id = 'acct_' . random_hex(8);
    my %meta = map { /^metadata\[(.*)\]\z/ ? ($1 => $f->{$_}) : () } keys %$f;
    my $acct = { id => $id, object => 'account', type => $f->{type}, country => $f->{country},
                 email => $f->{email}, default_currency => 'gbp', created => time,
                 charges_enabled => JSON::PP::false, payouts_enabled => JSON::PP::false,
                 details_submitted => JSON::PP::false,
                 capabilities => { transfers => ($f->{'capabilities[transfers][requested]'} // '') eq 'true'
                                                    ? 'inactive' : undef },
                 requirements => { currently_due => [ 'external_account', 'tos_acceptance.date' ],
                                   past_due => [], disabled_reason => 'requirements.past_due' },
                 metadata => \%meta };
    write_atomic("$kdir/accounts/$id.json", $JSON->encode($acct));
    return (200, $JSON->encode($acct));
}

sub account_link ($f) {
    my $acct = $f->{account} // '';
    return stripe_err(404, "No such account: '$acct'", 'resource_missing')
        unless $acct =~ /^acct_\w+\z/ && -e "$kdir/accounts/$acct.json";
    return stripe_err(400, 'Invalid type', 'parameter_invalid_empty')
        unless ($f->{type} // '') =~ /^account_(?:onboarding|update)\z/;
    for my $k (qw(refresh_url return_url)) {
        return stripe_err(400, "Missing required param: $k.", 'parameter_missing') unless length($f->{$k} // '');
    }
    my $now = time;
    return (200, $JSON->encode({ object => 'account_link', created => $now, expires_at => $now + 300,
                                 url => "https://connect.stripe.test/setup/e/$acct/" . random_hex(12) }));
}

sub transfer_reversal ($id, $f) {
    return stripe_err(404, "No such transfer: '$id'", 'resource_missing') unless $id =~ /^tr_\w+\z/;
    open my $lock, '>>', "$kdir/transfers/.lock" or die "lock: $!";
    flock $lock, LOCK_EX or die "flock: $!";
    my $saved = slurp("$kdir/transfers/$id.json");
    return stripe_err(404, "No such transfer: '$id'", 'resource_missing') unless defined $saved;
    my $tr = $JSON->decode($saved);
    my $left = $tr->{amount} - $tr->{amount_reversed};
    my $amt = $f->{amount} // $left;
    return stripe_err(400, "Reversal amount is greater than the transfer's unreversed amount", 'amount_too_large')
        unless $amt =~ /^[1-9]\d*\z/ && $amt <= $left;
    $tr->{amount_reversed} += $amt;
    $tr->{reversed} = $tr->{amount_reversed} == $tr->{amount} ? JSON::PP::true : JSON::PP::false;
    write_atomic("$kdir/transfers/$id.json", $JSON->encode($tr));
    return (200, $JSON->encode({ id => 'trr_' . random_hex(12), object => 'transfer_reversal',
                                 amount => 0 + $amt, currency => $tr->{currency}, transfer => $id }));
}

# --------------------------------------------------------------------- expo

sub expo ($method, $path, $body) {
    my $bad = sub ($st, $code, $msg) {
        return ($st, $JSON->encode({ errors => [ { code => $code, message => $msg } ] }));
    };
    if ($method eq 'POST' && $path eq '/--/api/v2/push/send') {
        my $in = eval { $JSON->decode($body) };
        return $bad->(400, 'VALIDATION_ERROR', 'body is not valid JSON')
            unless ref $in eq 'ARRAY' || ref $in eq 'HASH';
        my @msgs = ref $in eq 'ARRAY' ? @$in : ($in);
        my @tickets;
        for my $m (@msgs) {
            my $to = ref $m eq 'HASH' ? $m->{to} : undef;
            for my $tok (ref $to eq 'ARRAY' ? @$to : ($to)) {
                $tok //= '';
                if ($tok =~ /Unregistered/ && $tok !~ /LateUnregistered/) {
                    push @tickets, { status => 'error',
                        message => "\"$tok\" is not a registered push notification recipient",
                        details => { error => 'DeviceNotRegistered' } };
                } else {
                    my $id = uuid();
                    write_atomic("$kdir/tickets/$id", Encode::encode('UTF-8', "$tok\n"))
                        if $tok =~ /LateUnregistered/;
                    push @tickets, { status => 'ok', id => $id };
                }
            }
        }
        return (200, $JSON->encode({ data => \@tickets }));
    }
    if ($method eq 'POST' && $path eq '/--/api/v2/push/getReceipts') {
        my $in = eval { $JSON->decode($body) };
        return $bad->(400, 'VALIDATION_ERROR', '"ids" must be an array')
            unless ref $in eq 'HASH' && ref $in->{ids} eq 'ARRAY';
        my %r;
        for my $id (@{ $in->{ids} }) {
            next unless defined $id && !ref $id;
            my $tok = $id =~ /^[A-Za-z0-9-]+\z/ ? slurp("$kdir/tickets/$id") : undef;
            if (defined $tok) {
                $tok = text($tok);
                chomp $tok;
                $r{$id} = { status => 'error',
                    message => "\"$tok\" is not a registered push notification recipient",
                    details => { error => 'DeviceNotRegistered' } };
            } else {
                $r{$id} = { status => 'ok' };
            }
        }
        return (200, $JSON->encode({ data => \%r }));
    }
    return $bad->(404, 'NOT_FOUND', "Not found: $method $path");
}

# Accept loop last, so every file-scope variable above is initialised.
sub serve () {
    while (1) {
        my $c = $srv->accept;
        unless ($c) {
            next if $!{EINTR} || $!{ECONNABORTED};
            die "fake $kind: accept: $!\n";
        }
        my $pid = fork;
        if (!defined $pid) { warn "fake $kind: fork: $!\n"; close $c; next }
        if ($pid) { $kids{$pid} = 1; close $c; next }
        # child
        $SIG{CHLD} = $SIG{TERM} = $SIG{INT} = $SIG{HUP} = 'DEFAULT';
        close $srv;
        eval { connection($c); 1 } or logmsg("connection error: $@");
        close $c;
        POSIX::_exit(0);
    }
}

serve();
