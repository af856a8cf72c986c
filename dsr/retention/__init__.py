"""Retention (README, "Protecting the data dsr holds"): closed cases are redacted to the record
the law requires once DSR_RETENTION_DAYS have passed since they closed; delivered e-mails lose
their contents and used verification tokens go."""
