# Profiles: public read with rating, own read, partial update with validation,
# availability, avatar upload (multipart and raw, type by magic bytes, size limit).
use strict;
use warnings;
use Test::More;
use Gigd;
use JSON::PP;

my ($s, $d, $res);
my $u = new_user(full_name => 'Pat Doe');
my $other = new_user();

subtest 'public profile' => sub {
    ($s, $d) = api(GET => "/api/profiles/$u->{username}");
    is $s, 200, 'public profile 200 without auth';
    is $d->{data}{username}, $u->{username}, 'username';
    is_deeply $d->{data}{rating}, { average => 0, count => 0 }, 'rating {average, count}';
    ok !exists $d->{data}{email}, 'never the email';
    unlike(JSON::PP->new->encode($d), qr/\Q$u->{email}\E/, "email appears nowhere");
    ($s, $d) = api(GET => "/api/profiles/\U$u->{username}");
    is $s, 200, 'username lookup is case-insensitive';
    ($s, $d) = api(GET => '/api/profiles/nobody_' . rand_name());
    is $s, 404, 'unknown username 404';
    is $d->{code}, 'NOT_FOUND', 'NOT_FOUND';
    ($s) = api(GET => "/api/profiles/x'%20OR%201=1--");
    is $s, 404, 'SQL metacharacters in username → 404';
};

subtest 'own profile' => sub {
    ($s) = api(GET => '/api/profile');
    is $s, 401, 'own profile needs auth';
    ($s, $d) = api(GET => '/api/profile', token => $u->{token});
    is $s, 200, 'own profile';
    is $d->{data}{id}, $u->{id}, 'own id';
    is $d->{data}{profile_completed}, JSON::PP::false, 'not completed yet';
};

subtest 'update' => sub {
    ($s, $d) = api(PATCH => '/api/profile', token => $u->{token},
        json => { bio => 'I build things', skills => ['perl', 'c'], ai_tools => ['claude'], hourly_rate => 45.5,
                  portfolio_urls => ['https://example.com/work'], location => 'Leeds', timezone => 'Europe/London',
                  genres => ['jazz'] });
    is $s, 200, 'patch 200';
    is $d->{data}{bio}, 'I build things', 'bio';
    is_deeply $d->{data}{skills}, ['perl', 'c'], 'skills';
    is $d->{data}{hourly_rate}, 45.5, 'hourly_rate in major units';
    is $d->{data}{full_name}, 'Pat Doe', 'untouched field kept';
    is $d->{data}{profile_completed}, JSON::PP::true, 'completed once name, bio and skills are set';
    my ($minor) = psql_row("SELECT hourly_rate FROM profiles WHERE id = '$u->{id}'");
    is $minor, 4550, 'stored in minor units';
    ($s, $d) = api(PATCH => '/api/profile', token => $u->{token}, json => { bio => undef });
    is $s, 200, 'bio cleared';
    is $d->{data}{profile_completed}, JSON::PP::false, 'completion follows the profile';
    ($s, $d) = api(PATCH => '/api/profile', token => $u->{token}, json => { hourly_rate => undef });
    is $d->{data}{hourly_rate}, undef, 'hourly_rate nullable';

    for my $case (
        [{ full_name => 'x' x 101 }, 'full_name', 'at most 100'],
        [{ bio => 'x' x 5001 }, 'bio', 'at most 5000'],
        [{ skills => [('s') x 51] }, 'skills', 'at most 50'],
        [{ skills => 'perl' }, 'skills', 'array'],
        [{ skills => [1, 2] }, 'skills', 'array of strings'],
        [{ skills => ['x' x 51] }, 'skills', 'at most 50 characters'],
        [{ ai_tools => [''] }, 'ai_tools', 'empty'],
        [{ hourly_rate => -1 }, 'hourly_rate', 'at least 0'],
        [{ hourly_rate => '10' }, 'hourly_rate', 'number'],
        [{ hourly_rate => 1.234 }, 'hourly_rate', '2 decimal'],
        [{ portfolio_urls => ['javascript:alert(1)'] }, 'portfolio_urls', 'http(s)'],
        [{ portfolio_urls => ['ftp://x.test/a'] }, 'portfolio_urls', 'http(s)'],
        [{ portfolio_urls => [('https://a.test/') x 21] }, 'portfolio_urls', 'at most 20'],
        [{ location => 'x' x 201 }, 'location', 'at most 200'],
        [{ timezone => 'x' x 65 }, 'timezone', 'at most 64'],
        [{ genres => {} }, 'genres', 'array'],
    ) {
        my ($in, $field, $msg) = @$case;
        ($s, $d) = api(PATCH => '/api/profile', token => $u->{token}, json => $in);
        is $s, 400, "invalid $field → 400";
        like $d->{fields}{$field} // '', qr/\Q$msg\E/i, "fields.$field: $msg";
    }
    ($s, $d) = api(PATCH => '/api/profile', token => $u->{token}, json => { bio => 5, timezone => [] });
    is_deeply [sort keys %{ $d->{fields} }], [qw(bio timezone)], 'every bad field named at once';
    ($s, $d) = api(GET => '/api/profile', token => $u->{token});
    is $d->{data}{location}, 'Leeds', 'invalid patches changed nothing';
    ($s) = api(PATCH => '/api/profile', json => { bio => 'x' });
    is $s, 401, 'patch needs auth';
    ($s, $d) = api(PATCH => '/api/profile', token => $u->{token}, json => { bio => "Robert'); DROP TABLE profiles;--" });
    is $d->{data}{bio}, "Robert'); DROP TABLE profiles;--", 'metacharacters stored verbatim';
};

subtest 'availability' => sub {
    ($s, $d) = api(PUT => '/api/profile/availability', token => $u->{token}, json => { is_available => JSON::PP::false });
    is $s, 200, 'availability 200';
    is $d->{data}{is_available}, JSON::PP::false, 'now unavailable';
    ($s, $d) = api(PUT => '/api/profile/availability', token => $u->{token}, json => { is_available => 'no' });
    is $s, 400, 'non-boolean 400';
    like $d->{fields}{is_available}, qr/boolean/, 'names is_available';
    ($s, $d) = api(PUT => '/api/profile/availability', token => $u->{token}, json => {});
    like $d->{fields}{is_available} // '', qr/required/, 'is_available required';
    ($s) = api(PUT => '/api/profile/availability', json => { is_available => JSON::PP::true });
    is $s, 401, 'availability needs auth';
};

subtest 'avatar' => sub {
    my $png = "\x89PNG\r\n\x1a\n" . ("\0" x 16) . 'pixels' . rand();
    my $boundary = '----gigdTest' . int(rand(1e9));
    my $mp = "--$boundary\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhello\r\n"
           . "--$boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n"
           . $png . "\r\n--$boundary--\r\n";
    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => $mp,
                   headers => { 'Content-Type' => "multipart/form-data; boundary=\"$boundary\"" });
    is $s, 200, 'multipart avatar 200';
    like $d->{data}{url}, qr{/uploads/[0-9a-f]{64}\.png$}, 'content-addressed png url';
    my $url = $d->{data}{url};
    (my $path = $url) =~ s{^https?://[^/]+}{};
    ($s, $res) = api_raw(GET => $path);
    is $s, 200, 'nginx serves the upload';
    is $res->{content}, $png, 'same bytes';
    ($s, $d) = api(GET => '/api/profile', token => $u->{token});
    is $d->{data}{avatar_url}, $url, 'avatar_url set';

    my $gif = "GIF89a" . ("\1" x 20);
    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => $gif, headers => { 'Content-Type' => 'image/gif' });
    is $s, 200, 'raw gif body 200';
    like $d->{data}{url}, qr/\.gif$/, 'gif extension';
    my $webp = "RIFF\0\0\0\0WEBPVP8 " . ("\2" x 20);
    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => $webp, headers => { 'Content-Type' => 'application/octet-stream' });
    like $d->{data}{url} // '', qr/\.webp$/, 'webp by magic bytes';
    my $jpg = "\xff\xd8\xff\xe0" . ("\3" x 20);
    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => $jpg, headers => { 'Content-Type' => 'image/png' });
    like $d->{data}{url} // '', qr/\.jpg$/, 'type from bytes, not the claimed Content-Type';

    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => '<svg onload=alert(1)>', headers => { 'Content-Type' => 'image/png' });
    is $s, 415, 'not an image → 415';
    is $d->{code}, 'UNSUPPORTED_MEDIA_TYPE', '415 code';
    my $big = "\x89PNG\r\n\x1a\n" . ("\0" x (5 * 1024 * 1024 + 100 * 1024));
    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => $big, headers => { 'Content-Type' => 'image/png' });
    is $s, 413, 'over 5 MiB → 413';
    is $d->{code}, 'PAYLOAD_TOO_LARGE', '413 in the envelope';
    my $mp_nofile = "--$boundary\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhello\r\n--$boundary--\r\n";
    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => $mp_nofile,
                   headers => { 'Content-Type' => "multipart/form-data; boundary=$boundary" });
    is $s, 400, 'multipart without file part 400';
    like $d->{fields}{file} // '', qr/required/, 'names file';
    ($s, $d) = api(PUT => '/api/profile/avatar', token => $u->{token}, body => "--$boundary\r\ngarbage",
                   headers => { 'Content-Type' => "multipart/form-data; boundary=$boundary" });
    is $s, 400, 'malformed multipart 400';
    ($s) = api(PUT => '/api/profile/avatar', body => $png, headers => { 'Content-Type' => 'image/png' });
    is $s, 401, 'avatar needs auth';
    ($s, $d) = api(GET => '/api/profile', token => $u->{token});
    like $d->{data}{avatar_url}, qr/\.jpg$/, 'failed uploads left the last good avatar';
};

done_testing;
