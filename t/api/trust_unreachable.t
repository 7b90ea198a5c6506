# A deactivated (in its deletion grace period) or suspended user is out of reach: opening
# a conversation with them, sending in an existing one, applying to their gig and calling
# them are answered 404 as if they did not exist (sql/022 user_unreachable, next to the
# block checks); once the suspension is lifted all of it works again.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);

sub reach_all {
    my ($x, $t, $cid, $gig) = @_;
    my %st;
    ($st{open}) = api(POST => '/api/conversations', token => $x->{token}, json => { participant_id => $t->{id} });
    ($st{send}) = api(POST => "/api/conversations/$cid/messages", token => $x->{token}, json => { content => 'hello?' });
    ($st{apply}) = apply_to($x, $gig->{id}, cover_letter => 'let me in');
    ($st{call}) = api(POST => '/api/calls', token => $x->{token}, json => { participant_id => $t->{id} });
    return \%st;
}

sub setup {
    my $x = new_user();
    my $t = new_user();
    my $gig = new_gig($t, title => 'Unreachable poster gig');
    ($s, $d) = api(POST => '/api/conversations', token => $x->{token}, json => { participant_id => $t->{id} });
    is $s, 201, 'a conversation before';
    return ($x, $t, $d->{data}{id}, $gig);
}

subtest 'suspended user: 404 everywhere, back once lifted' => sub {
    my ($x, $t, $cid, $gig) = setup();
    psql("UPDATE users SET suspended_at = now() WHERE id = '$t->{id}'");
    my $st = reach_all($x, $t, $cid, $gig);
    is $st->{$_}, 404, "$_ 404" for qw(open send apply call);
    my ($n) = psql_row("SELECT count(*) FROM messages WHERE conversation_id = '$cid'");
    is $n, 0, 'no message stored';
    ($n) = psql_row("SELECT count(*) FROM applications WHERE gig_id = '$gig->{id}'");
    is $n, 0, 'no application stored';

    psql("UPDATE users SET suspended_at = NULL WHERE id = '$t->{id}'");
    $st = reach_all($x, $t, $cid, $gig);
    is $st->{open}, 200, 'lifted: open finds the conversation';
    is $st->{send}, 201, '… send';
    is $st->{apply}, 201, '… apply';
    is $st->{call}, 201, '… call';
};

subtest 'deactivated user (grace period): 404 everywhere' => sub {
    my ($x, $t, $cid, $gig) = setup();
    ($s) = api(DELETE => '/api/me', token => $t->{token}, json => { password => $t->{password} });
    ok $s >= 200 && $s < 300, 't deleted their account';
    my $st = reach_all($x, $t, $cid, $gig);
    is $st->{$_}, 404, "$_ 404" for qw(open send apply call);
};

done_testing;
