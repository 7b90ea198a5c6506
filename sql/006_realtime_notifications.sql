-- 006_realtime_notifications: every notification, whichever module writes it, reaches the
-- user's real-time stream. A row trigger remembers the ids in a transaction-local setting;
-- db_commit() takes them (gigd_take_events) in the same round trip as COMMIT, and the
-- worker publishes to nchan once the commit has succeeded.

CREATE FUNCTION notifications_remember() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
    PERFORM set_config('gigd.fresh_notifications',
                       coalesce(current_setting('gigd.fresh_notifications', true), '') || NEW.id::text || ',',
                       true);
    RETURN NULL;
END $$;

CREATE TRIGGER notifications_remember AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_remember();

-- [{user_id, notification}] of the notifications inserted by this transaction, or NULL;
-- forgets them, so a second call returns NULL.
CREATE FUNCTION gigd_take_events() RETURNS json LANGUAGE plpgsql AS
$$ DECLARE ids text := current_setting('gigd.fresh_notifications', true); out json;
BEGIN
    IF ids IS NULL OR ids = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('gigd.fresh_notifications', '', true);
    SELECT json_agg(json_build_object('user_id', n.user_id, 'notification', notification_json(n))
                    ORDER BY n.created_at, n.id)
      INTO out
      FROM notifications n
     WHERE n.id = ANY (string_to_array(rtrim(ids, ','), ',')::uuid[]);
    RETURN out;
END $$;
