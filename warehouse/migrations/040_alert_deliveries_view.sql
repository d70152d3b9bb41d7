-- Per-channel delivery status for analysts: which channel failed for which alert, how often, and why
-- (errors are stored with secrets redacted). The `alerts` view carries the overall delivery_status.
CREATE OR REPLACE VIEW alert_deliveries AS
SELECT alert_id, channel, status, attempts, last_attempt_at, error FROM marts.alert_deliveries;
