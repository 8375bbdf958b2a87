-- Partial indexes for the gauges /metrics reads at every scrape (deliver/delivery_gauges.h):
-- hookd_endpoints_disabled and hookd_circuits_open count only the few endpoints in these
-- indexes, not every endpoint row. Endpoints change rarely, so they cost nothing on the hot path.
CREATE INDEX endpoints_disabled ON endpoints (id) WHERE disabled <> 0;
CREATE INDEX endpoints_circuit_open ON endpoints (id) WHERE circuit = 'open';
