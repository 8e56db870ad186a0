-- Version 5: reports count handoffs by the day they opened, whenever their conversation
-- started (a returning SMS customer's conversation is their phone number).
CREATE INDEX handoffs_by_opened ON handoffs (tenant, opened_ms);
