# Backstop constraints the API cannot reach while the locks in front of them hold (two
# selects of one urgent gig queue on the gig row and the second re-checks the status,
# t/api/pin_urgent_race.t): written straight to the database, the schema itself refuses
# a second selected response and a second project for one gig, and one PaymentIntent
# linked to two gigs (the webhook finds a gig by its PaymentIntent).
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

# Runs SQL in one transaction that is always rolled back; returns the error text, or '' when it ran.
sub sql_error {
    my ($sql) = @_;
    open(my $fh, '-|') // die "fork: $!" or do {
        open STDERR, '>&', \*STDOUT;
        exec 'psql', $ENV{GIGD_DATABASE_URL}, '-XqAt', '-v', 'ON_ERROR_STOP=1', '-c', "BEGIN; $sql; ROLLBACK;";
    };
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return $? ? $out : '';
}

my $req = new_user();
my @prov = map { new_user() } 1 .. 2;
my $gig = new_gig($req)->{id};
my @resp = map {
    (psql_row("INSERT INTO gig_responses (gig_id, provider_id, status, responded_at)"
              . " VALUES ('$gig', '$_->{id}', 'accepted', now()) RETURNING id"))[0]
} @prov;

is sql_error("UPDATE gig_responses SET selected_at = now() WHERE id = '$resp[0]'"), '', 'one selected response is fine';
like sql_error("UPDATE gig_responses SET selected_at = now() WHERE gig_id = '$gig'"),
    qr/gig_responses_one_selected/, 'a second selected response of one gig: refused (gig_responses_one_selected)';

my $project = sub {
    my ($i) = @_;
    return "INSERT INTO projects (gig_id, response_id, requester_id, provider_id, amount, platform_fee, currency)"
         . " VALUES ('$gig', '$resp[$i]', '$req->{id}', '$prov[$i]{id}', 12000, 1440, 'GBP')";
};
is sql_error($project->(0)), '', 'one project is fine';
like sql_error($project->(0) . '; ' . $project->(1)), qr/projects_gig_key/,
    'a second project for one gig: refused (projects_gig_key)';

my $other = new_gig($req)->{id};
my $pi = 'pi_' . rand_name('pin');
like sql_error("UPDATE gigs SET stripe_payment_intent_id = '$pi' WHERE id IN ('$gig', '$other')"),
    qr/gigs_payment_intent_key/, 'one PaymentIntent on two gigs: refused (gigs_payment_intent_key)';

done_testing;
