-- The per-day sums of a user's figures read from one index, without a lookup of the row behind
-- each entry: a year of a prolific account's figures is tens of thousands of rows, and the
-- Analytics page and GET /analytics sum them on every view.
DROP INDEX post_metrics_user_day;
CREATE INDEX post_metrics_user_day ON post_metrics
    (user_id, day, post_id, impressions, members_reached, reactions, comments, reposts);
