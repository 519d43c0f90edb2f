"""GraphQL of the partner's figures: the admins' ``partnerMetrics`` (app.kpi)."""
