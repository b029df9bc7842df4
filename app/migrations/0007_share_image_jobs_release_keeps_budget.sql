-- Up Migration
-- A job the worker releases on shutdown keeps its attempt number (the fence:
-- the next claim takes a new one) and gets that attempt back by one more in
-- max_attempts, so a deploy never uses up a job's budget (ADR 0264). The
-- budget can then pass the configured 1–20; only the lower bound stays.
-- Backward compatible: the previous release writes 1–20.
ALTER TABLE share_image_jobs DROP CONSTRAINT share_image_jobs_max_attempts_check;
ALTER TABLE share_image_jobs ADD CONSTRAINT share_image_jobs_max_attempts_check CHECK (max_attempts >= 1);
