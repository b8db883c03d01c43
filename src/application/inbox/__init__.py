"""The webhook pipeline, in the order an event travels it:

accept  (AcceptWebhook, InboxWriter: validate, group-commit into the inbox, kick a drain)
drain   (DrainInbox: batches of one company until nothing is claimable; retries by
         each event's own `retry_at`)
batch   (ApplyBatch: claim one batch, apply it through the sync's page write, commit)
admin   (ProcessWebhookEvent, ReplayWebhookEvent, SweepInbox, WebhookEventQueries)
"""
