# GigdMarket.pm — marketplace helpers for API tests: gigs and applications made through the API.
package GigdMarket;
use strict;
use warnings;
use Exporter 'import';
use Gigd;

our @EXPORT = qw(gig_input new_gig apply_to);

# A valid GigInput, overridable field by field.
sub gig_input {
    my (%o) = @_;
    return { title => 'Build a landing page', description => 'A small marketing site with a signup form',
             category => 'development', skills_required => ['html', 'css'], ai_tools_preferred => ['copilot'],
             budget_type => 'fixed', budget_min => 100, budget_max => 250.5, location_type => 'remote', %o };
}

# Creates a gig as $user (201 expected); returns its data.
sub new_gig {
    my ($user, %o) = @_;
    my ($s, $d) = api(POST => '/api/gigs', token => $user->{token}, json => gig_input(%o));
    die "gig create failed ($s): " . ($d ? ($d->{error} // '') : '') unless $s == 201;
    return $d->{data};
}

# $user applies to $gig_id; returns (status, data).
sub apply_to {
    my ($user, $gig_id, %o) = @_;
    my ($s, $d) = api(POST => '/api/applications', token => $user->{token},
                      json => { gig_id => $gig_id, cover_letter => 'I can do this well.', %o });
    return ($s, $d);
}

1;
