-- account.sql — the account module's long statements (tools/sql2h makes sql_account.h).
-- Paste a block into psql with PREPARE or EXPLAIN to look at its plan.

-- name: st_acct_x_head
-- The export's opening object: the account itself and what is one row per user.
-- Never the password hash or any token hash.
SELECT json_build_object(
    'exported_at', iso(now()),
    'user', json_build_object('id', u.id, 'email', u.email, 'email_verified_at', iso(u.email_verified_at),
                              'created_at', iso(u.created_at), 'updated_at', iso(u.updated_at)),
    'profile', profile_json(p),
    'availability', (SELECT user_availability_json(a) FROM user_availability a WHERE a.user_id = u.id),
    'subscription', (SELECT subscription_json(s) FROM subscriptions s WHERE s.user_id = u.id),
    'pending_email_changes', (SELECT coalesce(json_agg(json_build_object('email', v.email,
                                     'created_at', iso(v.created_at), 'expires_at', iso(v.expires_at))), '[]')
                              FROM email_verifications v
                              WHERE v.user_id = u.id AND v.used_at IS NULL AND v.expires_at > now()
                                AND v.email <> u.email),
    'notification_preferences', (SELECT json_build_object('channels', n.channels,
                                     'quiet_start', to_char(n.quiet_start, 'HH24:MI'),
                                     'quiet_end', to_char(n.quiet_end, 'HH24:MI'),
                                     'time_zone', n.time_zone, 'updated_at', iso(n.updated_at))
                                 FROM notification_preferences n WHERE n.user_id = u.id),
    -- Not op_key: an idempotency key of ours, no data of theirs.
    'payout_account', (SELECT json_build_object('account_id', a.stripe_account_id, 'status', a.status,
                               'payouts_enabled', a.payouts_enabled, 'details_submitted', a.details_submitted,
                               'requirements_due', to_json(a.requirements_due),
                               'default_currency', upper(a.default_currency),
                               'created_at', iso(a.created_at), 'updated_at', iso(a.updated_at))
                       FROM payout_accounts a WHERE a.user_id = u.id))
  FROM users u JOIN profiles p ON p.id = u.id
 WHERE u.id = $1

-- The sections that can be long: each statement is one page ($3 rows) of (key, json)
-- rows of user $1 after key $2 (NULL: from the start), in key order.

-- name: st_acct_x_gigs
SELECT g.id, gig_json(g, p) FROM gigs g JOIN profiles p ON p.id = g.poster_id
 WHERE g.poster_id = $1 AND ($2::uuid IS NULL OR g.id > $2::uuid) ORDER BY g.id LIMIT $3::int

-- name: st_acct_x_applications
SELECT a.id, application_json(a) FROM applications a
 WHERE a.applicant_id = $1 AND ($2::uuid IS NULL OR a.id > $2::uuid) ORDER BY a.id LIMIT $3::int

-- name: st_acct_x_saved
SELECT s.gig_id, json_build_object('gig_id', s.gig_id, 'created_at', iso(s.created_at)) FROM saved_gigs s
 WHERE s.user_id = $1 AND ($2::uuid IS NULL OR s.gig_id > $2::uuid) ORDER BY s.gig_id LIMIT $3::int

-- name: st_acct_x_messages
SELECT m.id, json_build_object('id', m.id, 'conversation_id', m.conversation_id, 'content', m.content,
                               'attachments', m.attachments, 'created_at', iso(m.created_at))
  FROM messages m
 WHERE m.sender_id = $1 AND ($2::uuid IS NULL OR m.id > $2::uuid) ORDER BY m.id LIMIT $3::int

-- name: st_acct_x_calls
SELECT v.id, json_build_object('id', v.id, 'initiator_id', v.initiator_id, 'participant_ids', v.participant_ids,
                               'gig_id', v.gig_id, 'scheduled_at', iso(v.scheduled_at),
                               'started_at', iso(v.started_at), 'ended_at', iso(v.ended_at),
                               'created_at', iso(v.created_at))
  FROM video_calls v
 WHERE v.participant_ids @> ARRAY[$1::uuid] AND ($2::uuid IS NULL OR v.id > $2::uuid) ORDER BY v.id LIMIT $3::int

-- name: st_acct_x_reviews_written
SELECT r.id, review_json(r, p) FROM reviews r LEFT JOIN profiles p ON p.id = r.reviewer_id
 WHERE r.reviewer_id = $1 AND ($2::uuid IS NULL OR r.id > $2::uuid) ORDER BY r.id LIMIT $3::int

-- name: st_acct_x_reviews_received
SELECT r.id, review_json(r, p) FROM reviews r LEFT JOIN profiles p ON p.id = r.reviewer_id
 WHERE r.reviewee_id = $1 AND ($2::uuid IS NULL OR r.id > $2::uuid) ORDER BY r.id LIMIT $3::int

-- name: st_acct_x_ratings
SELECT r.id, gig_rating_json(r) FROM gig_ratings r
 WHERE (r.rater_id = $1 OR r.ratee_id = $1) AND ($2::uuid IS NULL OR r.id > $2::uuid) ORDER BY r.id LIMIT $3::int

-- name: st_acct_x_notifications
-- A new_message notification's body is a copy of another user's message: that belongs
-- to its sender's export (messages_sent), so it is left out here.
SELECT n.id, CASE WHEN n.type = 'new_message' THEN (notification_json(n)::jsonb - 'body')::json
                  ELSE notification_json(n) END
  FROM notifications n
 WHERE n.user_id = $1 AND ($2::uuid IS NULL OR n.id > $2::uuid) ORDER BY n.id LIMIT $3::int

-- name: st_acct_x_payments
-- The user's ledger entries (wallet, escrow, payout accounts): the money records.
SELECT t.id, json_build_object('id', t.id, 'gig_id', t.gig_id, 'kind', t.kind, 'account', w.account,
                               'amount', money_major(t.amount), 'currency', w.currency,
                               'description', t.description, 'created_at', iso(t.created_at))
  FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id
 WHERE w.user_id = $1 AND ($2::bigint IS NULL OR t.id > $2::bigint) ORDER BY t.id LIMIT $3::int

-- name: st_acct_x_organizations
SELECT m.organization_id, json_build_object('organization_id', m.organization_id, 'name', o.name,
                                            'role', m.role, 'joined_at', iso(m.created_at))
  FROM organization_members m JOIN organizations o ON o.id = m.organization_id
 WHERE m.user_id = $1 AND ($2::uuid IS NULL OR m.organization_id > $2::uuid)
 ORDER BY m.organization_id LIMIT $3::int

-- name: st_acct_x_sessions
-- Metadata only: the token hash never leaves the database.
SELECT s.id, json_build_object('id', s.id, 'created_at', iso(s.created_at), 'refreshed_at', iso(s.refreshed_at),
                               'expires_at', iso(s.expires_at), 'revoked_at', iso(s.revoked_at))
  FROM sessions s
 WHERE s.user_id = $1 AND ($2::uuid IS NULL OR s.id > $2::uuid) ORDER BY s.id LIMIT $3::int

-- name: st_acct_x_push_tokens
SELECT t.id, json_build_object('id', t.id, 'platform', t.platform, 'device_id', t.device_id, 'active', t.active,
                               'created_at', iso(t.created_at), 'last_used_at', iso(t.last_used_at))
  FROM push_tokens t
 WHERE t.user_id = $1 AND ($2::uuid IS NULL OR t.id > $2::uuid) ORDER BY t.id LIMIT $3::int

-- name: st_acct_x_saved_searches
SELECT s.id, saved_search_json(s) FROM saved_searches s
 WHERE s.user_id = $1 AND ($2::uuid IS NULL OR s.id > $2::uuid) ORDER BY s.id LIMIT $3::int

-- name: st_acct_x_blocks
-- The blocks the user made; who blocked them is not theirs to know.
SELECT b.blocked_id, json_build_object('blocked_id', b.blocked_id, 'created_at', iso(b.created_at))
  FROM blocks b
 WHERE b.blocker_id = $1 AND ($2::uuid IS NULL OR b.blocked_id > $2::uuid) ORDER BY b.blocked_id LIMIT $3::int

-- name: st_acct_x_reports
-- The reports the user filed, without the moderator who handled them.
SELECT r.id, (report_json(r)::jsonb - 'resolved_by')::json FROM reports r
 WHERE r.reporter_id = $1 AND ($2::uuid IS NULL OR r.id > $2::uuid) ORDER BY r.id LIMIT $3::int

-- name: st_acct_x_payouts
SELECT p.id, json_build_object('id', p.id, 'amount', money_major(p.amount), 'currency', p.currency,
                               'status', p.status, 'arrival_date', iso(p.arrival_date),
                               'failure_code', p.failure_code, 'failure_message', p.failure_message,
                               'created_at', iso(p.created_at), 'updated_at', iso(p.updated_at))
  FROM payouts p
 WHERE p.user_id = $1 AND ($2::text IS NULL OR p.id > $2::text) ORDER BY p.id LIMIT $3::int

-- name: st_acct_money_held
-- Deletion waits while money is held in escrow for an urgent gig the user requested (still
-- searching, or under way) or was selected for: the account must stay reachable until
-- the money is released or refunded (completion, cancellation, a dispute's resolution).
-- Both probes are index ranges (the requester's urgent gigs; the provider's projects).
SELECT EXISTS (SELECT 1 FROM gigs g
                WHERE g.gig_type = 'urgent' AND g.poster_id = $1 AND g.payment_status = 'escrowed')
    OR EXISTS (SELECT 1 FROM projects p JOIN gigs g ON g.id = p.gig_id
                WHERE p.provider_id = $1 AND g.payment_status = 'escrowed')

-- name: st_acct_lock_applied
-- Deletion, first step: the gigs whose counts (gig_stats, sql/026) the withdrawals below
-- change, locked in one order (as applying locks its gig first, then its gig_stats row)
-- so a concurrent application or views flush cannot deadlock.
SELECT g.id FROM gigs g
 WHERE g.id IN (SELECT a.gig_id FROM applications a
                 WHERE a.applicant_id = $1 AND a.status IN ('pending', 'reviewing', 'shortlisted'))
 ORDER BY g.id FOR UPDATE

-- name: st_acct_deactivate
-- Deletion, second step, one statement: the account marked deleted, its open (personal,
-- planned) gigs closed, its undecided applications withdrawn with the gigs' counts kept
-- exact, its push tokens removed, its urgent availability off, its pending links retired,
-- and every session revoked (their ids come back, so their streams can be ended).
WITH u AS (UPDATE users SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL
           RETURNING id),
g AS (UPDATE gigs SET status = 'closed', updated_at = now()
       WHERE poster_id = $1 AND gig_type = 'planned' AND organization_id IS NULL
         AND status IN ('draft', 'active', 'paused')),
a AS (UPDATE applications SET status = 'withdrawn', updated_at = now()
       WHERE applicant_id = $1 AND status IN ('pending', 'reviewing', 'shortlisted') RETURNING gig_id),
c AS (UPDATE gig_stats SET applications_count = gig_stats.applications_count - n.k
        FROM (SELECT gig_id, count(*)::int AS k FROM a GROUP BY gig_id) n WHERE gig_stats.gig_id = n.gig_id),
t AS (DELETE FROM push_tokens WHERE user_id = $1),
av AS (UPDATE user_availability SET available_for_urgent_gigs = false WHERE user_id = $1),
pr AS (UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL),
ev AS (UPDATE email_verifications SET used_at = now() WHERE user_id = $1 AND used_at IS NULL)
UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM u)
RETURNING id

-- name: st_acct_erase
-- The erase job: accounts deleted more than $1 days ago (a batch of $2), anonymised in
-- place. Kept, because other users or the books need them: gigs (closed), messages in
-- others' conversations, reviews and ratings given and received, applications (their
-- letter blanked), money records; each now shows the author as "Deleted user". Removed:
-- the profile's personal fields, sessions, links, push tokens, notifications, bookmarks,
-- availability and location, memberships, matching state. The password hash becomes
-- one no password matches, the address one nobody owns.
WITH d AS (SELECT id FROM users
            WHERE deleted_at < now() - make_interval(days => $1::int) AND erased_at IS NULL
            ORDER BY deleted_at LIMIT $2::int FOR UPDATE SKIP LOCKED),
u AS (UPDATE users SET email = 'deleted-' || users.id || '@deleted.invalid', password_hash = '!erased',
             email_verified_at = NULL, erased_at = now(), updated_at = now()
        FROM d WHERE users.id = d.id RETURNING users.id),
p AS (UPDATE profiles SET username = 'deleted_' || left(replace(profiles.id::text, '-', ''), 22),
             full_name = 'Deleted user', avatar_url = NULL, bio = NULL, skills = '{}', ai_tools = '{}',
             hourly_rate = NULL, portfolio_urls = '{}', location = NULL, timezone = NULL, genres = '{}',
             is_available = false, updated_at = now()
        FROM u WHERE profiles.id = u.id),
ap AS (UPDATE applications SET cover_letter = '(deleted)', proposed_timeline = NULL, portfolio_items = '{}',
              updated_at = now()
         FROM u WHERE applications.applicant_id = u.id),
s AS (DELETE FROM sessions USING u WHERE sessions.user_id = u.id),
r AS (DELETE FROM password_resets USING u WHERE password_resets.user_id = u.id),
v AS (DELETE FROM email_verifications USING u WHERE email_verifications.user_id = u.id),
t AS (DELETE FROM push_tokens USING u WHERE push_tokens.user_id = u.id),
n AS (DELETE FROM notifications USING u WHERE notifications.user_id = u.id),
sg AS (DELETE FROM saved_gigs USING u WHERE saved_gigs.user_id = u.id),
av AS (DELETE FROM user_availability USING u WHERE user_availability.user_id = u.id),
om AS (DELETE FROM organization_members m USING u WHERE m.user_id = u.id
         AND (m.role <> 'owner' OR EXISTS (SELECT 1 FROM organization_members o WHERE o.organization_id = m.organization_id
                                            AND o.role = 'owner' AND o.user_id <> m.user_id)))
SELECT count(*) FROM u
