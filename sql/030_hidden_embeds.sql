-- 030_hidden_embeds.sql — a taken-down gig (hidden_at, sql/018) is not shown inside a
-- conversation about it either: gig_embed returns NULL for it, as for a missing gig. Every
-- table it once probed for exists by now, so the body is static SQL (its plan is kept)
-- instead of EXECUTE.
CREATE OR REPLACE FUNCTION gig_embed(gid uuid) RETURNS json
LANGUAGE plpgsql STABLE AS
$$
DECLARE j json;
BEGIN
    SELECT gig_json(g, p) INTO j FROM gigs g JOIN profiles p ON p.id = g.poster_id
     WHERE g.id = gid AND g.hidden_at IS NULL;
    RETURN j;
END
$$;
