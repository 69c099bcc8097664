import type { Pool } from '../db/connection.ts';

/** Everything the quality report shows, as stored in audit: also written as the report's JSON. */
export interface ReportData {
  generatedAt: string;
  gate: {
    runId: number;
    command: string;
    runStatus: string;
    startedAt: string;
    staged: boolean;
    passed: boolean;
    published: boolean;
    logicalDate: string;
    durationMs: number;
    checkedAt: string;
  };
  summary: { checks: number; pass: number; warn: number; fail: number; warnRows: number; failRows: number };
  checks: ReportCheck[];
  history: HistoryPoint[];
  load: {
    runId: number | null;
    files: { source: string; file: string; rowsRead: number; rowsLoaded: number; rowsRejected: number }[];
    rejected: RejectGroup[];
  };
}

export interface ReportCheck {
  name: string;
  layer: string;
  target: string;
  kind: string;
  severity: 'error' | 'warn';
  status: 'pass' | 'warn' | 'fail';
  failingRows: number;
  sample: string[];
  description: string;
  rule: string | null;
  declaredIn: string | null;
  note: string | null;
  details: Record<string, unknown> | null;
  durationMs: number;
  /** Failing rows of this check in the previous gate runs (oldest first), then this run. */
  trend: { runId: number; failingRows: number; status: string }[];
}

export interface HistoryPoint {
  runId: number;
  command: string;
  startedAt: string;
  passed: boolean;
  published: boolean;
  checks: number;
  failed: number;
  warned: number;
  durationMs: number;
  rowsLoaded: number | null;
  rowsRejected: number | null;
}

export interface RejectGroup {
  source: string;
  file: string;
  column: string | null;
  reason: string;
  rows: number;
  firstLines: number[];
  example: string | null;
}

const HISTORY = 30;

/** Reads the report of one gate run (default: the latest) and the history before it. */
export async function loadReportData(pool: Pool, opts: { runId?: number } = {}): Promise<ReportData> {
  const { rows: gates } = await pool.query(
    `select g.run_id, r.command, r.status, r.started_at::text as started_at, g.staged, g.passed, g.logical_date::text as logical_date,
            g.duration_ms, g.checked_at::text as checked_at, (p.run_id is not null) as published
       from audit.quality_gates g join audit.runs r using (run_id) left join audit.publications p using (run_id)
      where $1::bigint is null or g.run_id = $1 order by g.run_id desc limit 1`,
    [opts.runId ?? null],
  );
  const g = gates[0];
  if (!g) {
    throw new Error(opts.runId ? `run ${opts.runId} has no quality results` : 'no quality results yet: run `olist run` or `olist check` first');
  }
  const runId = Number(g.run_id);

  const { rows: checkRows } = await pool.query(
    `select check_name, layer, target, kind, severity, status, failing_rows, sample_keys, description, rule, declared_in, note, details, duration_ms
       from audit.quality_results where run_id = $1 order by check_name`,
    [runId],
  );
  const { rows: trendRows } = await pool.query<{ check_name: string; run_id: string; failing_rows: string; status: string }>(
    `select q.check_name, q.run_id, q.failing_rows, q.status
       from audit.quality_results q
      where q.run_id in (select run_id from audit.quality_gates where run_id <= $1 order by run_id desc limit ${HISTORY})
      order by q.run_id`,
    [runId],
  );
  const trends = new Map<string, ReportCheck['trend']>();
  for (const t of trendRows) {
    const list = trends.get(t.check_name) ?? [];
    list.push({ runId: Number(t.run_id), failingRows: Number(t.failing_rows), status: t.status });
    trends.set(t.check_name, list);
  }
  const checks: ReportCheck[] = checkRows.map((r) => ({
    name: r.check_name,
    layer: r.layer,
    target: r.target ?? '',
    kind: r.kind ?? '',
    severity: r.severity,
    status: r.status,
    failingRows: Number(r.failing_rows),
    sample: r.sample_keys ?? [],
    description: r.description ?? r.check_name,
    rule: r.rule,
    declaredIn: r.declared_in,
    note: r.note,
    details: r.details,
    durationMs: r.duration_ms,
    trend: trends.get(r.check_name) ?? [],
  }));

  const { rows: hist } = await pool.query(
    `select g.run_id, r.command, r.started_at::text as started_at, g.passed, (p.run_id is not null) as published, g.checks, g.failed, g.warned, g.duration_ms,
            (select sum(rows_loaded) from audit.file_loads f where f.run_id = g.run_id) as rows_loaded,
            (select sum(rows_rejected) from audit.file_loads f where f.run_id = g.run_id) as rows_rejected
       from audit.quality_gates g join audit.runs r using (run_id) left join audit.publications p using (run_id)
      where g.run_id <= $1 order by g.run_id desc limit ${HISTORY}`,
    [runId],
  );
  const history: HistoryPoint[] = hist.reverse().map((h) => ({
    runId: Number(h.run_id),
    command: h.command,
    startedAt: h.started_at,
    passed: h.passed,
    published: h.published,
    checks: h.checks,
    failed: h.failed,
    warned: h.warned,
    durationMs: h.duration_ms,
    rowsLoaded: h.rows_loaded === null ? null : Number(h.rows_loaded),
    rowsRejected: h.rows_rejected === null ? null : Number(h.rows_rejected),
  }));

  // The load the checked raw layer came from: the latest file load at or before this run.
  const { rows: lr } = await pool.query<{ run_id: string | null }>('select max(run_id) as run_id from audit.file_loads where run_id <= $1', [runId]);
  const loadRunId = lr[0]?.run_id == null ? null : Number(lr[0].run_id);
  const files = loadRunId === null ? [] : (await pool.query(
    `select source, file_name, rows_read, rows_loaded, rows_rejected from audit.file_loads where run_id = $1 order by rows_read desc`, [loadRunId],
  )).rows.map((f) => ({ source: f.source, file: f.file_name, rowsRead: Number(f.rows_read), rowsLoaded: Number(f.rows_loaded), rowsRejected: Number(f.rows_rejected) }));
  const rejected: RejectGroup[] = loadRunId === null ? [] : (await pool.query(
    `select source, file_name, column_name,
            case when reason like 'unparsable CSV record%' then 'unparsable CSV record (quote or field count broken)' else reason end as reason,
            count(*) as n, (array_agg(line order by line))[1:5] as lines,
            (array_agg(coalesce(value, left(record, 160)) order by line))[1] as example
       from audit.rejected_rows where run_id = $1 group by 1, 2, 3, 4 order by n desc, 1, 3`,
    [loadRunId],
  )).rows.map((x) => ({ source: x.source, file: x.file_name, column: x.column_name, reason: x.reason, rows: Number(x.n), firstLines: x.lines.map(Number), example: x.example }));

  const count = (s: string) => checks.filter((c) => c.status === s).length;
  const sumRows = (s: string) => checks.filter((c) => c.status === s).reduce((a, c) => a + c.failingRows, 0);
  return {
    generatedAt: new Date().toISOString(),
    gate: {
      runId, command: g.command, runStatus: g.status, startedAt: g.started_at, staged: g.staged, passed: g.passed,
      published: g.published, logicalDate: g.logical_date, durationMs: g.duration_ms, checkedAt: g.checked_at,
    },
    summary: { checks: checks.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), warnRows: sumRows('warn'), failRows: sumRows('fail') },
    checks,
    history,
    load: { runId: loadRunId, files, rejected },
  };
}
