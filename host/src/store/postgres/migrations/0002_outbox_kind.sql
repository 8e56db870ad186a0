-- Version 2: an outbox row's kind is its own column (`store::Destination`) and `url` holds
-- only the address; rows written before named the kind as a prefix of the url.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook';
UPDATE outbox SET kind = 'sms', url = substr(url, length('baton-sms:') + 1)
 WHERE url LIKE 'baton-sms:%';
UPDATE outbox SET kind = 'alert_sms', url = substr(url, length('baton-alert-sms:') + 1)
 WHERE url LIKE 'baton-alert-sms:%';
UPDATE outbox SET kind = 'alert_email', url = substr(url, length('baton-alert-email:') + 1)
 WHERE url LIKE 'baton-alert-email:%';
