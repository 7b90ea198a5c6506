# Applications: apply (own gig, twice, inactive gig, validation), withdraw, lists with
# embedded gig/applicant, poster status changes with notifications, all-or-nothing bulk.
use strict;
use warnings;
use Test::More;
use Gigd;
use GigdMarket;

my ($s, $d);
my $poster = new_user();
my $gig = new_gig($poster);
my $ann = new_user();
my $ben = new_user();
my $eve = new_user();
my ($app, $count, $app_ben, $app_eve);   # shared by the subtests below

subtest 'apply' => sub {
    ($s) = api(POST => '/api/applications', json => { gig_id => $gig->{id}, cover_letter => 'x' });
    is $s, 401, 'apply needs auth';
    ($s, $d) = apply_to($ann, $gig->{id}, proposed_rate => 42.5, proposed_timeline => '2 weeks',
                        portfolio_items => ['https://a.test/1'], ai_tools_to_use => ['claude']);
    is $s, 201, 'apply 201';
    $app = $d->{data};
    is $app->{status}, 'pending', 'pending';
    is $app->{proposed_rate}, 42.5, 'proposed_rate major units';
    is $app->{applicant_id}, $ann->{id}, 'applicant';
    ($s, $d) = apply_to($ann, $gig->{id});
    is $s, 409, 'twice → 409';
    is $d->{code}, 'CONFLICT', 'CONFLICT';
    ($s, $d) = apply_to($poster, $gig->{id});
    is $s, 403, 'own gig → 403';
    ($s, $d) = apply_to($ann, uuid_random());
    is $s, 404, 'unknown gig → 404';
    my $draft = new_gig($poster, status => 'draft');
    ($s) = apply_to($ann, $draft->{id});
    is $s, 404, "someone else's draft → 404";
    my $paused = new_gig($poster);
    api(PUT => "/api/gigs/$paused->{id}/status", token => $poster->{token}, json => { status => 'paused' });
    ($s, $d) = apply_to($ann, $paused->{id});
    is $s, 400, 'paused gig → 400';
    ok $d->{fields}{gig_id}, 'names gig_id';
    for my $case (
        [{ gig_id => 'nope', cover_letter => 'x' }, 'gig_id', 'UUID'],
        [{ gig_id => $gig->{id} }, 'cover_letter', 'required'],
        [{ gig_id => $gig->{id}, cover_letter => '' }, 'cover_letter', 'required'],
        [{ gig_id => $gig->{id}, cover_letter => 'x' x 5001 }, 'cover_letter', 'at most 5000'],
        [{ gig_id => $gig->{id}, cover_letter => 'x', proposed_rate => -1 }, 'proposed_rate', 'at least 0'],
        [{ gig_id => $gig->{id}, cover_letter => 'x', proposed_rate => 'ten' }, 'proposed_rate', 'number'],
        [{ gig_id => $gig->{id}, cover_letter => 'x', proposed_timeline => 'x' x 201 }, 'proposed_timeline', 'at most 200'],
        [{ gig_id => $gig->{id}, cover_letter => 'x', portfolio_items => 'a' }, 'portfolio_items', 'array'],
        [{ gig_id => $gig->{id}, cover_letter => 'x', ai_tools_to_use => [('t') x 31] }, 'ai_tools_to_use', 'at most 30'],
    ) {
        my ($in, $field, $msg) = @$case;
        ($s, $d) = api(POST => '/api/applications', token => $ben->{token}, json => $in);
        is $s, 400, "invalid $field → 400";
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field: $msg";
    }
    ($count) = psql_row("SELECT coalesce((SELECT applications_count FROM gig_stats WHERE gig_id = '$gig->{id}'), 0)");
    is $count, 1, 'applications_count 1';
    my ($nn) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$poster->{id}' AND type = 'new_application'");
    is $nn, 1, 'poster notified of the new application';

    ($s, $d) = apply_to($ben, $gig->{id});
    $app_ben = $d->{data};
    ($s, $d) = apply_to($eve, $gig->{id});
    $app_eve = $d->{data};
};

subtest 'lists' => sub {
    ($s, $d) = api(GET => '/api/me/applications', token => $ann->{token});
    is $s, 200, 'my applications';
    is scalar @{ $d->{data}{data} }, 1, 'one';
    is $d->{data}{total}, 1, 'paginated: total';
    is $d->{data}{data}[0]{gig}{id}, $gig->{id}, 'gig embedded';
    is $d->{data}{data}[0]{gig}{poster}{id}, $poster->{id}, "gig's poster embedded";
    ($s, $d) = api(GET => '/api/me/applications?status=accepted', token => $ann->{token});
    is_deeply $d->{data}{data}, [], 'status filter';
    ($s, $d) = api(GET => '/api/me/applications?status=bogus', token => $ann->{token});
    is $s, 400, 'bad status filter 400';
    ok $d->{fields}{status}, 'names status';
    ($s, $d) = api(GET => "/api/me/applications?status=%27%20OR%201=1--", token => $ann->{token});
    is $s, 400, 'metacharacters in status → 400';

    ($s, $d) = api(GET => "/api/gigs/$gig->{id}/applications", token => $poster->{token});
    is $s, 200, "poster lists the gig's applications";
    is scalar @{ $d->{data} }, 3, 'three';
    ok((grep { $_->{applicant}{id} eq $ann->{id} } @{ $d->{data} }), 'applicant embedded');
    ok !(grep { exists $_->{applicant}{email} } @{ $d->{data} }), 'no applicant emails';
    ($s, $d) = api(GET => "/api/gigs/$gig->{id}/applications?status=pending", token => $poster->{token});
    is scalar @{ $d->{data} }, 3, 'status filter on gig list';
    ($s) = api(GET => "/api/gigs/$gig->{id}/applications", token => $ann->{token});
    is $s, 404, 'non-poster → 404';
    ($s) = api(GET => "/api/gigs/$gig->{id}/applications");
    is $s, 401, 'gig applications need auth';
};

subtest 'poster status' => sub {
    ($s, $d) = api(PUT => "/api/applications/$app->{id}/status", token => $ann->{token}, json => { status => 'accepted' });
    is $s, 404, 'applicant cannot set status (404)';
    ($s, $d) = api(PUT => "/api/applications/$app->{id}/status", token => $eve->{token}, json => { status => 'accepted' });
    is $s, 404, 'stranger → 404';
    my ($st) = psql_row("SELECT status FROM applications WHERE id = '$app->{id}'");
    is $st, 'pending', 'unchanged';
    ($s, $d) = api(PUT => "/api/applications/$app->{id}/status", token => $poster->{token}, json => { status => 'withdrawn' });
    is $s, 400, 'poster cannot set withdrawn';
    ($s, $d) = api(PUT => "/api/applications/$app->{id}/status", token => $poster->{token}, json => { status => 'shortlisted' });
    is $s, 200, 'shortlisted';
    is $d->{data}{status}, 'shortlisted', 'status shown';
    is $d->{data}{id}, $app->{id}, 'the application';
    my ($an) = psql_row("SELECT count(*) FROM notifications WHERE user_id = '$ann->{id}' AND type = 'application_status'");
    is $an, 1, 'applicant notified';
    ($s, $d) = api(PUT => '/api/applications/' . uuid_random() . '/status', token => $poster->{token}, json => { status => 'rejected' });
    is $s, 404, 'unknown application 404';
};

subtest 'bulk' => sub {
    my $other_poster = new_user();
    my $og = new_gig($other_poster);
    my (undef, $oa) = apply_to($ann, $og->{id});
    ($s, $d) = api(POST => '/api/applications/bulk-status', token => $poster->{token},
                   json => { ids => [$app_ben->{id}, $oa->{data}{id}], status => 'rejected' });
    is $s, 404, "bulk with someone else's application → 404";
    my ($bst) = psql_row("SELECT status FROM applications WHERE id = '$app_ben->{id}'");
    is $bst, 'pending', 'nothing changed (all or nothing)';
    ($s, $d) = api(POST => '/api/applications/bulk-status', token => $poster->{token},
                   json => { ids => [$app_ben->{id}, uuid_random()], status => 'rejected' });
    is $s, 404, 'bulk with an unknown id → 404';
    ($s, $d) = api(POST => '/api/applications/bulk-status', token => $poster->{token}, json => { ids => [], status => 'rejected' });
    is $s, 400, 'empty ids 400';
    ok $d->{fields}{ids}, 'names ids';
    ($s, $d) = api(POST => '/api/applications/bulk-status', token => $poster->{token}, json => { ids => ['x'], status => 'nope' });
    is_deeply [sort keys %{ $d->{fields} }], [qw(ids status)], 'names ids and status';
    ($s, $d) = api(POST => '/api/applications/bulk-status', token => $poster->{token},
                   json => { ids => [$app_ben->{id}, $app_eve->{id}, $app_ben->{id}], status => 'reviewing' });
    is $s, 200, 'bulk 200 (duplicates ignored)';
    is scalar @{ $d->{data} }, 2, 'two updated';
    my ($rv) = psql_row("SELECT count(*) FROM applications WHERE id IN ('$app_ben->{id}', '$app_eve->{id}') AND status = 'reviewing'");
    is $rv, 2, 'both reviewing';
    ($s) = api(POST => '/api/applications/bulk-status', json => { ids => [$app_ben->{id}], status => 'rejected' });
    is $s, 401, 'bulk needs auth';
};

subtest 'withdraw' => sub {
    ($s) = api(POST => "/api/applications/$app_eve->{id}/withdraw", token => $ann->{token});
    is $s, 404, "withdrawing someone else's application → 404";
    ($s, $d) = api(POST => "/api/applications/$app_eve->{id}/withdraw", token => $eve->{token});
    is $s, 200, 'withdrawn';
    is $d->{data}{status}, 'withdrawn', 'status withdrawn';
    ($count) = psql_row("SELECT coalesce((SELECT applications_count FROM gig_stats WHERE gig_id = '$gig->{id}'), 0)");
    is $count, 2, 'applications_count excludes withdrawn';
    ($s) = api(POST => "/api/applications/$app_eve->{id}/withdraw", token => $eve->{token});
    is $s, 200, 'withdraw is idempotent';
    ($count) = psql_row("SELECT coalesce((SELECT applications_count FROM gig_stats WHERE gig_id = '$gig->{id}'), 0)");
    is $count, 2, 'count not decremented twice';
    ($s) = api(PUT => "/api/applications/$app_eve->{id}/status", token => $poster->{token}, json => { status => 'accepted' });
    is $s, 400, 'a withdrawn application cannot be accepted';
    ($s) = api(POST => '/api/applications/bulk-status', token => $poster->{token}, json => { ids => [$app_eve->{id}], status => 'accepted' });
    is $s, 400, 'nor in bulk';
    api(PUT => "/api/applications/$app_ben->{id}/status", token => $poster->{token}, json => { status => 'accepted' });
    ($s, $d) = api(POST => "/api/applications/$app_ben->{id}/withdraw", token => $ben->{token});
    is $s, 400, 'an accepted application cannot be withdrawn';
    ($s) = api(POST => '/api/applications/not-a-uuid/withdraw', token => $ben->{token});
    is $s, 404, 'malformed id 404';
};

done_testing;
