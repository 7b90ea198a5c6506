# GigdOrg.pm — organization helpers for API tests: organizations, members and
# invitations made through the API.
package GigdOrg;
use strict;
use warnings;
use Exporter 'import';
use Gigd;

our @EXPORT = qw(new_org invite invite_token add_member);

# Creates an organization owned by $user (201 expected); returns its data.
sub new_org {
    my ($user, %o) = @_;
    my ($s, $d) = api(POST => '/api/organizations', token => $user->{token},
                      json => { name => 'Org ' . rand_name('o'), %o });
    die "org create failed ($s): " . ($d ? ($d->{error} // '') : '') unless $s == 201;
    return $d->{data};
}

# $by invites $email into $org with $role; returns (status, data).
sub invite {
    my ($by, $org, $email, $role) = @_;
    my ($s, $d) = api(POST => "/api/organizations/$org->{id}/invitations", token => $by->{token},
                      json => { email => $email, defined $role ? (role => $role) : () });
    return ($s, $d);
}

# The token of the newest invitation mail queued to $email (read from the outbox, so it
# does not wait for the deliverer).
sub invite_token {
    my ($email) = @_;
    my ($token) = psql_row("SELECT substring(body from 'Invitation token: ([A-Za-z0-9_-]+)') FROM mail_outbox"
                           . " WHERE to_addr = '\L$email\E' AND subject LIKE 'Join %' ORDER BY id DESC LIMIT 1");
    return $token;
}

# $user joins $org as $role through an invitation by $owner; dies on failure.
sub add_member {
    my ($owner, $org, $user, $role) = @_;
    my ($s, $d) = invite($owner, $org, $user->{email}, $role // 'member');
    die "invite failed ($s)" unless $s == 201;
    my $token = invite_token($user->{email});
    ($s, $d) = api(POST => "/api/invitations/$token/accept", token => $user->{token});
    die "accept failed ($s): " . ($d->{error} // '') unless $s == 200;
    return $d->{data};
}

1;
