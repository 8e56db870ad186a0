-- Version 6: the trigger input marks where each closed handoff of a conversation ended
-- (segments), so every evaluated customer message reads the conversation's handoffs.
CREATE INDEX IF NOT EXISTS handoffs_by_conversation ON handoffs (tenant, conversation_id, opened_ms);
