# Gigd.pm — helpers for API tests: HTTPS calls through nginx, users, the database,
# and what the fake Stripe/Expo/SMTP servers recorded.
package Gigd;
use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep time);
use POSIX ();

our @EXPORT = qw(api api_raw new_user psql psql_row mails wait_for fake_requests parallel json_true
                 cron_secret stack_dir uuid_random rand_name);

my $BASE = $ENV{GIGD_TEST_BASE} or die "GIGD_TEST_BASE not set: run tests with `make test`\n";
my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
my $http;
sub client {
    $http ||= HTTP::Tiny->new(verify_SSL => 0, timeout => 30, keep_alive => 1,
                              agent => 'gigd-tests');
    return $http;
}

sub json_true { JSON::PP::true }
sub cron_secret { $ENV{GIGD_CRON_SECRET} }
sub stack_dir { $ENV{GIGD_STACK_DIR} }

my $seq = 0;
sub rand_name { sprintf('%s%d%05d', ($_[0] // 'u'), $$ % 100000, ++$seq) . int(rand(1000)) }
sub uuid_random { sprintf('%08x-%04x-4%03x-a%03x-%012x', rand(2**32), rand(2**16), rand(2**12), rand(2**12), rand(2**48)) }

# api(METHOD, PATH, token => T, json => REF, body => RAW, headers => {...})
# returns (status, decoded JSON or undef, response hashref)
sub api {
    my ($method, $path, %o) = @_;
    my %h = %{ $o{headers} || {} };
    $h{Authorization} = "Bearer $o{token}" if defined $o{token};
    my %req = (headers => \%h);
    if (exists $o{json}) {
        $req{content} = $JSON->encode($o{json});
        $h{'Content-Type'} //= 'application/json';
    } elsif (defined $o{body}) {
        $req{content} = $o{body};
    }
    my $url = $path =~ m{^https?://} ? $path : "$BASE$path";
    my $res = client()->request($method, $url, \%req);
    my $data = eval { $JSON->decode($res->{content}) };
    return ($res->{status}, $data, $res);
}

sub api_raw { my ($s, undef, $res) = api(@_); return ($s, $res) }

# A new user signed up through the API: {id, token, email, username, password}.
# TEST SHORTCUT: the account is then marked verified directly in the database, as if the
# sign-up mail's link had been opened, so tests about other features need not read mail
# with the verification gate on (GIGD_REQUIRE_EMAIL_VERIFICATION=1, the default).
# `unverified => 1` leaves it as sign-up does (t/api/account_verify.t goes the real way).
sub new_user {
    my (%o) = @_;
    my $name = $o{username} // rand_name('u');
    my $email = $o{email} // "$name\@example.test";
    my $pw = $o{password} // 'correct horse battery';
    my ($s, $d) = api(POST => '/api/auth/signup',
                      json => { email => $email, password => $pw, username => $name,
                                full_name => $o{full_name} // "User $name" });
    die "signup failed ($s): " . ($d ? $JSON->encode($d) : '') unless $s == 201;
    my $id = $d->{data}{user}{id};
    psql("UPDATE users SET email_verified_at = now() WHERE id = '$id'") unless $o{unverified};
    return { id => $d->{data}{user}{id}, token => $d->{data}{token}, email => $email,
             username => $name, password => $pw };
}

# psql(SQL) → list of rows (arrayrefs of strings); values are the test's own literals.
sub psql {
    my ($sql) = @_;
    my $conn = $ENV{GIGD_DATABASE_URL};
    open(my $fh, '-|', 'psql', $conn, '-XqAt', '-F', "\t", '-v', 'ON_ERROR_STOP=1', '-c', $sql)
        or die "psql: $!";
    my @rows = map { chomp; [split /\t/, $_, -1] } <$fh>;
    close $fh or die "psql failed: $sql\n";
    return @rows;
}
sub psql_row { my @r = psql(@_); return $r[0] ? @{ $r[0] } : () }

# The mails the fake SMTP server received (newest last): [{from, to => [..], raw}]
sub mails {
    my $dir = "$ENV{GIGD_TEST_FAKE_DIR}/smtp";
    my @out;
    for my $f (sort glob("$dir/[0-9]*.eml")) {
        open my $fh, '<', $f or next;
        local $/;
        my $raw = <$fh>;
        $raw =~ s/\r//g;
        my ($from) = $raw =~ /^X-Fake-Mail-From: <?([^>\n]*)>?/m;
        my @to = $raw =~ /^X-Fake-Rcpt-To: <?([^>\n]*)>?/mg;
        push @out, { from => $from, to => \@to, raw => $raw };
    }
    return @out;
}

# Requests recorded by a fake HTTP server (kind: stripe | expo), oldest first.
sub fake_requests {
    my ($kind) = @_;
    my @out;
    for my $f (sort glob("$ENV{GIGD_TEST_FAKE_DIR}/$kind/[0-9]*.json")) {
        open my $fh, '<', $f or next;
        local $/;
        push @out, $JSON->decode(<$fh>);
    }
    return @out;
}

# Polls cond every 50 ms until true or timeout seconds; returns its last value.
sub wait_for {
    my ($cond, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (1) {
        my $v = $cond->();
        return $v if $v || time > $end;
        sleep 0.05;
    }
}

# Runs code in n forked processes at once; returns their results (JSON-able) in order.
sub parallel {
    my ($n, $code) = @_;
    my @kids;
    for my $i (0 .. $n - 1) {
        pipe(my $r, my $w) or die;
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            undef $http;
            my $res = eval { $code->($i) };
            $res = { error => "$@" } if $@;
            print $w $JSON->encode($res);
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    my @out;
    for my $k (@kids) {
        my $fh = $k->[1];
        local $/;
        my $txt = <$fh>;
        waitpid($k->[0], 0);
        push @out, defined $txt && length $txt ? $JSON->decode($txt) : undef;
    }
    return @out;
}

1;
