-- An application's failed deliveries (GET /api/v1/apps/{app}/deliveries?status=failed, the
-- portal's failed view): read from their own partial index instead of walking every
-- application's failed deliveries in deliveries_failed.
CREATE INDEX deliveries_app_failed ON deliveries (app_id, seq) WHERE status = 'failed';
