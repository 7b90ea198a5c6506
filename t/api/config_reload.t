# Configuration reload is all or nothing, through a real master: a second gigd master of
# its own (socket, pidfile, log and GIGD_CONFIG_FILE in a temporary directory, so the
# shared stack is left alone), spoken to over FastCGI directly. The JSON body limit is
# visible in every 413 ("Request body exceeds N bytes"), the worker count with pgrep.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);
use Gigd;
use OwnMaster;

my $dir = tempdir('gigd-reload.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = "$dir/gigd.conf";

sub write_conf { open my $f, '>', $conf or die "$conf: $!"; print $f @_; close $f }
sub log_text { own_log() }
sub fcgi { my ($status, undef, $body) = fcgi_request('', @_); return ($status, $body) }

# The body limits the workers answer with: a declared body larger than any allowed
# limit is refused before it is read, naming the limit in force.
sub limits_seen {
    my %seen;
    for (1 .. 12) {
        my ($s, $b) = fcgi(REQUEST_METHOD => 'POST', GIGD_PATH => '/api/auth/signup', DOCUMENT_URI => '/api/auth/signup',
                           CONTENT_TYPE => 'application/json', CONTENT_LENGTH => 100_000_000, QUERY_STRING => '');
        $seen{$s == 413 && $b =~ /exceeds (\d+) bytes/ ? $1 : "status $s"}++;
    }
    return join ',', sort keys %seen;
}

# --- the master ---
write_conf("GIGD_JSON_BODY_LIMIT=2048\n");
own_master(GIGD_CONFIG_FILE => $conf, GIGD_JSON_BODY_LIMIT => undef, GIGD_STRIPE_TIMEOUT => undef);
my $master = own_master_pid();
sub workers { my @p = sort { $a <=> $b } split " ", `pgrep -P $master`; return @p }
sub hup_and_wait_for { my ($re) = @_; kill 'HUP', $master; return wait_for(sub { log_text() =~ $re }, 10) }

ok wait_for(sub { workers() == 2 }, 10), 'own master up with 2 workers' or diag log_text();
is limits_seen(), '2048', 'the file sets the body limit';

subtest 'a reload with one bad value changes nothing' => sub {
    my @before = workers();
    write_conf("GIGD_WORKERS=3\nGIGD_JSON_BODY_LIMIT=4096\nGIGD_STRIPE_TIMEOUT=abc\n");
    ok hup_and_wait_for(qr/reload refused.*GIGD_STRIPE_TIMEOUT: 'abc' is not an integer/), 'the log says why'
        or diag log_text();
    sleep 1.5; # the master's loop refills the pool every second: give it the chance to misbehave
    is_deeply [workers()], \@before, 'same workers, same count (GIGD_WORKERS not applied)';
    is limits_seen(), '2048', 'body limit is the old one';
    kill 'KILL', $before[0];
    ok wait_for(sub { my @w = workers(); @w == 2 && !grep { $_ == $before[0] } @w }, 10), 'killed worker respawned';
    is limits_seen(), '2048', 'a respawned worker gets the old configuration too';
};

subtest 'a good reload changes everything' => sub {
    my %old = map { $_ => 1 } workers();
    write_conf("GIGD_WORKERS=3\nGIGD_JSON_BODY_LIMIT=4096\nGIGD_STRIPE_TIMEOUT=5\n");
    ok hup_and_wait_for(qr/reloading: generation 1, 3 workers/), 'reload accepted' or diag log_text();
    ok wait_for(sub { my @w = workers(); @w == 3 && !grep { $old{$_} } @w }, 15), 'a new generation of 3 workers';
    is limits_seen(), '4096', 'new body limit';
};

subtest 'a key removed from the file returns to its default' => sub {
    my %old = map { $_ => 1 } workers();
    write_conf("# the body limit line is gone\nGIGD_WORKERS=3\n");
    ok hup_and_wait_for(qr/reloading: generation 2, 3 workers/), 'reload accepted' or diag log_text();
    ok wait_for(sub { my @w = workers(); @w == 3 && !grep { $old{$_} } @w }, 15), 'a new generation';
    is limits_seen(), '1048576', 'body limit back to its default';
};

subtest 'the file is optional to a reload only while it can be read' => sub {
    my @before = workers();
    unlink $conf;
    ok hup_and_wait_for(qr/reload refused.*GIGD_CONFIG_FILE: cannot open/), 'a missing file is refused';
    is_deeply [workers()], \@before, 'workers untouched';
    is limits_seen(), '1048576', 'limit untouched';
};

unlike log_text(), qr/AddressSanitizer|runtime error:|LeakSanitizer|killed by signal (6|7|8|11)\b/,
    'no crash or sanitizer report in the master log';

done_testing;
