-- The natural key of a quarantined row (as text, '|' between columns) when its key fields were
-- readable: rows of other files that reference a quarantined row are quarantined with it.
alter table audit.rejected_rows add column record_key text;
create index rejected_rows_run_source_key on audit.rejected_rows (run_id, source, record_key);
