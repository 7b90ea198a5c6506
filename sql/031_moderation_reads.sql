-- 031_moderation_reads.sql — moderators read a message only when it was reported (or is
-- hidden): the check is by subject, which reports_once_key (reporter first) cannot serve.
CREATE INDEX reports_subject_idx ON reports (subject_type, subject_id);
