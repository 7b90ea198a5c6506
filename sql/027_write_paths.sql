-- 027_write_paths: the trust and organization checks every write path runs (issue 13).
--
-- blocked_pair (018), user_unreachable (022) and org_role (008) are LANGUAGE sql
-- functions whose bodies have a subquery (EXISTS) or a FROM: the planner never inlines
-- such a function, and a non-inlined SQL function is parsed and planned again on every
-- execution of the query that calls it. Applying to a gig and sending a message each
-- call two or three of them: the gig lock of an apply (a primary-key read) took 0.4–1.0
-- ms, mostly this planning. PL/pgSQL keeps each plan for the session: pgbench at 100k
-- gigs, the apply's lock statement in a transaction, 0.41–0.87 → 0.14–0.16 ms. Same
-- arguments, same answers, same volatility (STABLE: the caller's snapshot).
CREATE OR REPLACE FUNCTION blocked_pair(a uuid, b uuid) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS
$$ BEGIN
    RETURN EXISTS (SELECT 1 FROM blocks WHERE blocker_id = a AND blocked_id = b)
        OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = b AND blocked_id = a);
END $$;

CREATE OR REPLACE FUNCTION user_unreachable(uid uuid) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS
$$ BEGIN
    RETURN EXISTS (SELECT 1 FROM users u WHERE u.id = uid
                      AND (u.deleted_at IS NOT NULL OR u.suspended_at IS NOT NULL));
END $$;

CREATE OR REPLACE FUNCTION org_role(org uuid, uid uuid) RETURNS text
LANGUAGE plpgsql STABLE AS
$$ BEGIN
    RETURN (SELECT m.role FROM organization_members m JOIN organizations o ON o.id = m.organization_id
             WHERE m.organization_id = org AND m.user_id = uid AND o.deleted_at IS NULL);
END $$;

-- notify (001), the one way to create a notification, is a LANGUAGE sql INSERT: planned
-- again on every call for the same reason. pgbench, one new_application notification in
-- a transaction: 0.20–0.24 → 0.16 ms. Same statement, same answer (VOLATILE as before).
CREATE OR REPLACE FUNCTION notify(uid uuid, ntype text, ntitle text, nbody text, ndata jsonb) RETURNS uuid
LANGUAGE plpgsql AS
$$ DECLARE nid uuid;
BEGIN
    INSERT INTO notifications (user_id, type, title, body, data)
    VALUES (uid, ntype, ntitle, nbody, coalesce(ndata, '{}')) RETURNING id INTO nid;
    RETURN nid;
END $$;

-- message_json (004) renders every message a send answers and publishes; its two
-- subqueries keep it from being inlined, so it too was planned on every call. pgbench:
-- one message 0.36 → 0.12 ms; a page of 50 the same within the noise (2.9–4.5 ms before,
-- 3.4–3.6 after). Byte-for-byte the same JSON.
CREATE OR REPLACE FUNCTION message_json(m messages) RETURNS json
LANGUAGE plpgsql STABLE AS
$$ BEGIN
    RETURN json_build_object(
        'id', m.id, 'conversation_id', m.conversation_id, 'sender_id', m.sender_id,
        'sender', (SELECT profile_json(p) FROM profiles p WHERE p.id = m.sender_id),
        'content', m.content, 'attachments', m.attachments,
        'read_by', (SELECT coalesce(json_agg(cp.user_id ORDER BY cp.user_id), '[]') FROM conversation_participants cp
                     WHERE cp.conversation_id = m.conversation_id
                       AND (cp.user_id = m.sender_id OR cp.last_read_at >= m.created_at)),
        'created_at', iso(m.created_at));
END $$;
