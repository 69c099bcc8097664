/**
 * Issue 9: bad deliveries, faults and stops, each through the CLI as a user or a scheduler runs it
 * (exit code and the `olist:` line), with the warehouse and audit tables checked afterwards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { TRAP_FILES, writeTrapFixture } from './fixtures/traps.ts';
import { olistWaitingOnLock, processAlive, runCli, startCli, waitFor } from './helpers/cli.ts';
import { openTestWarehouse, type TestWarehouse } from './helpers/db.ts';

const ORDERS = 'olist_orders_dataset.csv';
const REVIEWS = 'olist_order_reviews_dataset.csv';
const SELLERS = 'olist_sellers_dataset.csv';
const GEO = 'olist_geolocation_dataset.csv';

describe('reliability (issue 9)', () => {
  let w: TestWarehouse;
  let home: string;
  let pool: pg.Pool;

  const env = (dataDir: string, extra: Record<string, string> = {}) => ({ DATABASE_URL: w.db.url, OLIST_HOME: home, OLIST_DATA_DIR: dataDir, ...extra });
  const run = async (files: Record<string, string> = {}, extra: Record<string, string> = {}) =>
    runCli(['--json', 'run', '--no-generate'], env(await writeTrapFixture(files), extra));

  /** Every published table's content, and the publications: equal before and after = nothing published. */
  async function fingerprint(): Promise<string> {
    const { rows } = await pool.query<{ s: string; t: string }>(
      "select table_schema s, table_name t from information_schema.tables where table_schema in ('raw', 'staging', 'warehouse', 'marts') and table_type = 'BASE TABLE' order by 1, 2",
    );
    const parts: string[] = [];
    for (const { s, t } of rows) {
      const r = await pool.query<{ h: string }>(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) h from ${s}.${t} x`);
      parts.push(`${s}.${t}:${r.rows[0]!.h}`);
    }
    const p = await pool.query<{ n: number }>('select count(*)::int n from audit.publications');
    return `${parts.join(',')};publications=${p.rows[0]!.n}`;
  }

  const lastRun = async () =>
    (await pool.query<{ run_id: string; command: string; status: string; error: string | null }>('select run_id, command, status, error from audit.runs order by run_id desc limit 1')).rows[0]!;

  /** Files whose row accounting does not hold in a run (must be none), and the run's totals. */
  async function accounting(runId: string) {
    const { rows } = await pool.query<{ file_name: string; rows_read: string; rows_loaded: string; rows_rejected: string }>(
      'select file_name, rows_read, rows_loaded, rows_rejected from audit.file_loads where run_id = $1 order by file_name', [runId]);
    const broken = rows.filter((r) => Number(r.rows_read) !== Number(r.rows_loaded) + Number(r.rows_rejected)).map((r) => r.file_name);
    const counts = Object.fromEntries(rows.map((r) => [r.file_name, [Number(r.rows_read), Number(r.rows_loaded), Number(r.rows_rejected)]]));
    return { broken, counts };
  }

  /** The rows each file's raw table received agree with what the load recorded. */
  async function rawMatchesLoad(runId: string, source: string) {
    const load = await pool.query<{ rows_loaded: string }>('select rows_loaded from audit.file_loads where run_id = $1 and source = $2', [runId, source]);
    const raw = await pool.query<{ n: string }>(`select count(*) n from raw.${source}`);
    return [Number(raw.rows[0]!.n), Number(load.rows[0]!.rows_loaded)];
  }

  async function stagedSchemas(): Promise<string[]> {
    return (await pool.query<{ n: string }>("select nspname n from pg_namespace where nspname like '%\\_build' order by 1")).rows.map((r) => r.n);
  }

  /** Asserts a failed run: exit 1, the one stderr line, the run row closed with it, nothing published. */
  async function assertFailedRun(result: Awaited<ReturnType<typeof run>>, before: string, message: RegExp) {
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^olist: /);
    assert.match(lines[0]!, message);
    const r = await lastRun();
    assert.equal(r.status, 'failed');
    assert.equal(`olist: ${r.error}`, lines[0]);
    assert.equal(await fingerprint(), before);
    assert.deepEqual((await accounting(r.run_id)).broken, []);
    return r;
  }

  before(async () => {
    w = await openTestWarehouse('reliability');
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-rel-home-'));
    pool = w.ctx.db.pool;
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
  });
  after(async () => {
    await w?.close();
  });

  describe('must not publish', () => {
    test('a file truncated inside a quoted multi-line record fails the run with the file and the record line', async () => {
      const before = await fingerprint();
      const full = TRAP_FILES[REVIEWS]!;
      const cut = full.slice(0, full.indexOf('muito ruim')); // ends inside the quoted comment of the record on line 4
      const result = await run({ [REVIEWS]: cut });
      await assertFailedRun(result, before, /^olist: ingest: olist_order_reviews_dataset\.csv, line 4: truncated file: the quoted field .* is never closed/);
      assert.deepEqual(await stagedSchemas(), []);
    });

    test('a file with a header and no rows fails the run', async () => {
      const before = await fingerprint();
      const headerOnly = TRAP_FILES[REVIEWS]!.split('\r\n')[0] + '\r\n';
      const result = await run({ [REVIEWS]: headerOnly });
      await assertFailedRun(result, before, /^olist: ingest: olist_order_reviews_dataset\.csv, line 2: the file has a header but no rows/);
    });

    test('trailing blank lines are not records: no phantom rejects, same published warehouse', async () => {
      const before = await fingerprint();
      const result = await run({ [ORDERS]: `${TRAP_FILES[ORDERS]}\n\n\n`, [REVIEWS]: `${TRAP_FILES[REVIEWS]}\r\n\r\n` });
      assert.equal(result.code, 0, result.stderr);
      const r = await lastRun();
      const { broken, counts } = await accounting(r.run_id);
      assert.deepEqual(broken, []);
      assert.deepEqual(counts[ORDERS], [7, 5, 2]);
      assert.deepEqual(counts[REVIEWS], [6, 4, 2]);
      const phantom = await pool.query("select count(*)::int n from audit.rejected_rows where run_id = $1 and reason like 'expected % fields, found 1'", [r.run_id]);
      assert.deepEqual(phantom.rows, [{ n: 0 }]);
      // identical data: every published table is identical (one more publication)
      assert.equal((await fingerprint()).replace(/publications=\d+/, ''), before.replace(/publications=\d+/, ''));
    });

    test('a load that collapses against the last published load blocks the publish and does not move the baseline', async () => {
      const baselineRun = (await pool.query<{ run_id: string }>('select max(run_id) run_id from audit.publications')).rows[0]!.run_id;
      const before = await fingerprint();
      const geo = TRAP_FILES[GEO]!.split('\n').slice(0, 3).join('\n') + '\n'; // 2 of the 6 loaded rows
      const message = new RegExp(`raw\\.geolocation\\.volume_collapse \\(1 failing: olist_geolocation_dataset\\.csv: loaded 2 rows, less than 50% of the last published load \\(run ${baselineRun}\\) 6\\)`);
      const first = await run({ [GEO]: geo });
      const r = await assertFailedRun(first, before, /^olist: publish: quality gate failed, nothing published: /);
      assert.match(r.error!, message);
      assert.deepEqual((await accounting(r.run_id)).counts[GEO], [2, 2, 0]);
      // the blocked load is not history: the same collapse is judged against the same published load
      const again = await run({ [GEO]: geo });
      assert.match((await assertFailedRun(again, before, /quality gate failed/)).error!, message);
    });

    test('a load of zero rows (every row rejected) blocks the publish', async () => {
      const before = await fingerprint();
      const lines = TRAP_FILES[REVIEWS]!.split('\r\n');
      const allBad = [lines[0], ...lines.slice(1).filter(Boolean).map((l) => l.replace(/^"f0/, '"F0'))].join('\r\n') + '\r\n';
      const result = await run({ [REVIEWS]: allBad });
      const r = await assertFailedRun(result, before, /raw\.order_reviews\.volume_collapse \(1 failing: olist_order_reviews_dataset\.csv: no rows loaded \(last published load \(run \d+\) 4\)\)/);
      assert.deepEqual((await accounting(r.run_id)).counts[REVIEWS], [6, 0, 6]);
    });
  });

  describe('duplicate keys', () => {
    test('an exact duplicate of an order is kept once and counted as rejected', async () => {
      const before = await fingerprint();
      const firstOrder = TRAP_FILES[ORDERS]!.split('\n')[1];
      const result = await run({ [ORDERS]: `${TRAP_FILES[ORDERS]}${firstOrder}\n` }); // line 9
      assert.equal(result.code, 0, result.stderr);
      const r = await lastRun();
      const { broken, counts } = await accounting(r.run_id);
      assert.deepEqual(broken, []);
      assert.deepEqual(counts[ORDERS], [8, 5, 3]);
      assert.deepEqual(await rawMatchesLoad(r.run_id, 'orders'), [5, 5]);
      const { rows } = await pool.query("select line::int, column_name, value, reason from audit.rejected_rows where run_id = $1 and source = 'orders' and line = 9", [r.run_id]);
      assert.deepEqual(rows, [{ line: 9, column_name: 'order_id', value: 'a0000000000000000000000000000001', reason: 'exact duplicate of line 2 (same order_id, same values): kept once' }]);
      // the copy kept is the first one, so every published table is as before (one more publication)
      assert.equal((await fingerprint()).replace(/publications=\d+/, ''), before.replace(/publications=\d+/, ''));
    });

    test('conflicting duplicates of an order are all quarantined with both lines, and its items follow', async () => {
      const firstOrder = TRAP_FILES[ORDERS]!.split('\n')[1]!;
      const result = await run({ [ORDERS]: `${TRAP_FILES[ORDERS]}${firstOrder.replace(',delivered,', ',shipped,')}\n` }); // line 9
      assert.equal(result.code, 0, result.stderr);
      const r = await lastRun();
      const { broken, counts } = await accounting(r.run_id);
      assert.deepEqual(broken, []);
      assert.deepEqual(counts[ORDERS], [8, 4, 4]);
      assert.deepEqual(counts['olist_order_items_dataset.csv'], [7, 3, 4]); // a1's two items join the negative price and a7's item
      const { rows } = await pool.query(
        "select line::int, value, reason from audit.rejected_rows where run_id = $1 and source = 'orders' and value = $2 order by line",
        [r.run_id, 'a0000000000000000000000000000001']);
      const reason = 'duplicate order_id with conflicting values on lines 2, 9: every copy quarantined';
      assert.deepEqual(rows, [{ line: 2, value: 'a0000000000000000000000000000001', reason }, { line: 9, value: 'a0000000000000000000000000000001', reason }]);
      const orders = await pool.query("select count(*)::int n from warehouse.order_fulfillment_fact where order_id = 'a0000000000000000000000000000001'");
      assert.deepEqual(orders.rows, [{ n: 0 }]);
      // back to the clean delivery for the next tests
      assert.equal((await run()).code, 0);
    });
  });

  describe('must say what happened', () => {
    test('UTF-16 and UTF-32 files, with or without a BOM, fail as a wrong encoding, and the reason is stored', async () => {
      const before = await fingerprint();
      const text = TRAP_FILES[SELLERS]!;
      const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
      const utf32le = (s: string) => Buffer.concat([...s].map((ch) => { const b = Buffer.alloc(4); b.writeUInt32LE(ch.codePointAt(0)!); return b; }));
      const cases: [string, Buffer][] = [
        ['UTF-16LE', Buffer.from(text, 'utf16le')],
        ['UTF-16LE \\(with a byte order mark\\)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
        ['UTF-16BE \\(with a byte order mark\\)', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)])],
        ['UTF-32LE', utf32le(text)],
      ];
      for (const [name, bytes] of cases) {
        const dir = await writeTrapFixture();
        await fs.writeFile(path.join(dir, SELLERS), bytes);
        const result = await runCli(['--json', 'run', '--no-generate'], env(dir));
        await assertFailedRun(result, before, new RegExp(`^olist: ingest: olist_sellers_dataset\\.csv, line 1: wrong encoding: the file is ${name}, not UTF-8`));
      }
    });

    test('a failure message with a NUL byte is stored, with the NUL shown as \\0', async () => {
      const before = await fingerprint();
      const result = await run({ [SELLERS]: TRAP_FILES[SELLERS]!.replace('"seller_city"', '"seller\0city"') });
      const r = await assertFailedRun(result, before, /^olist: ingest: olist_sellers_dataset\.csv, line 1: wrong header: missing required column\(s\) 'seller_city'/);
      assert.ok(r.error!.includes('seller\\0city'), r.error!);
    });

    test('a missing file fails and leaves its reason in audit.runs', async () => {
      const before = await fingerprint();
      const dir = await writeTrapFixture();
      await fs.rm(path.join(dir, SELLERS));
      for (const args of [['run', '--no-generate'], ['ingest']]) {
        const result = await runCli(['--json', ...args], env(dir));
        const r = await assertFailedRun(result, before, /^olist: ingest: olist_sellers_dataset\.csv: file not found in .* \(missing: olist_sellers_dataset\.csv\)$/);
        assert.equal(r.command, args[0]);
      }
    });

    test('DATABASE_URL problems name the variable', async () => {
      const dir = await writeTrapFixture();
      const server = new URL(w.db.url);
      const urls = [
        'postgres://olist:secret@127.0.0.1:notaport/olist', // Invalid URL
        `postgres://postgres@127.0.0.1:${server.port}${server.pathname}`, // no password
        `postgres://postgres:wrong@127.0.0.1:${server.port}/no_such_database`,
      ];
      for (const url of urls) {
        const result = await runCli(['status'], { ...env(dir), DATABASE_URL: url });
        assert.equal(result.code, 1, result.stderr);
        const lines = result.stderr.trim().split('\n');
        assert.match(lines.join(' '), /^olist: .*DATABASE_URL/);
        assert.doesNotMatch(result.stderr, /secret|wrong/); // passwords are not printed
      }
    });

    test('an error from the server during a run is one olist: line naming the step, and the run row is closed with it', async () => {
      const before = await fingerprint();
      const blocker = await pool.connect();
      try {
        // Hold the ingest at its first quarantine write, then end its database sessions.
        await blocker.query('begin');
        await blocker.query('lock table audit.rejected_rows in exclusive mode');
        const job = startCli(['--json', 'run', '--no-generate'], env(await writeTrapFixture()));
        await waitFor(() => olistWaitingOnLock(pool));
        await pool.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'olist' and datname = current_database() and pid <> pg_backend_pid() and pid <> $1",
          [(blocker as unknown as { processID: number }).processID]);
        await blocker.query('rollback');
        const result = await job.done;
        assert.equal(result.code, 1, result.stderr);
        assert.doesNotMatch(result.stderr, /Unhandled|\n\s+at /);
        const lines = result.stderr.trim().split('\n');
        assert.equal(lines.length, 1, result.stderr);
        assert.match(lines[0]!, /^olist: ingest: olist_\w+\.csv: (terminating connection due to administrator command|Connection terminated unexpectedly)/);
      } finally {
        blocker.release();
      }
      const r = await lastRun();
      assert.equal(r.status, 'failed');
      assert.match(r.error!, /^ingest: olist_\w+\.csv: (terminating connection due to administrator command|Connection terminated unexpectedly)/);
      assert.equal(await fingerprint(), before);
    });
  });

  describe('must stop and lock cleanly', () => {
    /** Starts a run held at its first quarantine write (a lock the test holds), and gives its pid. */
    async function heldRun(command: string[], extra: Record<string, string> = {}) {
      const blocker = await pool.connect();
      await blocker.query('begin');
      await blocker.query('lock table audit.rejected_rows in exclusive mode');
      const job = startCli(['run', '--no-generate'], env(await writeTrapFixture(), { LOG_LEVEL: 'info', ...extra }), command);
      await waitFor(() => olistWaitingOnLock(pool));
      const jobPid = await waitFor(() => {
        const line = job.stderr().split('\n').find((l) => l.startsWith('{') && l.includes('"pid"'));
        return line ? (JSON.parse(line) as { pid: number }).pid : undefined;
      });
      const release = async () => {
        await blocker.query('rollback').catch(() => undefined);
        blocker.release();
      };
      return { job, jobPid, release };
    }

    test('SIGTERM stops a run: exit 143, run row closed with the signal, nothing published', async () => {
      const before = await fingerprint();
      const { job, jobPid, release } = await heldRun(['node', 'bin/olist.js']);
      try {
        process.kill(jobPid, 'SIGTERM');
        const result = await job.done;
        assert.equal(result.code, 143, result.stderr);
        assert.match(result.stderr, /^olist: stopped: SIGTERM \(during ingest\)$/m);
      } finally {
        await release();
      }
      const r = await lastRun();
      assert.equal(r.status, 'failed');
      assert.equal(r.error, 'stopped: SIGTERM (during ingest)');
      assert.equal(await fingerprint(), before);
      assert.deepEqual(await stagedSchemas(), []);
    });

    test('kill -9 of npm (npm run olist -- run) ends the job too: no orphan keeps the lock or publishes', async () => {
      const before = await fingerprint();
      const { job, jobPid, release } = await heldRun(['npm', 'run', '-s', 'olist', '--']);
      try {
        assert.notEqual(jobPid, job.child.pid); // the job runs under npm
        job.child.kill('SIGKILL');
        await waitFor(() => !processAlive(jobPid));
      } finally {
        await release();
      }
      const r = await lastRun();
      assert.equal(r.status, 'failed');
      assert.match(r.error!, /^stopped: the process that started this job \(npm, pid \d+\) ended/);
      assert.equal(await fingerprint(), before);
      const lock = await pool.query("select count(*)::int n from pg_locks where locktype = 'advisory' and objid = 7146151");
      assert.deepEqual(lock.rows, [{ n: 0 }]);
    });

    test('transform and publish refuse the staged raw layer of a killed ingest; run cleans it', async () => {
      const before = await fingerprint();
      const { job, jobPid, release } = await heldRun(['node', 'bin/olist.js']);
      try {
        process.kill(jobPid, 'SIGKILL');
        await job.done;
      } finally {
        await release();
      }
      const killed = await lastRun(); // still 'running': nobody could close it
      assert.deepEqual(await stagedSchemas(), ['raw_build']);
      const dir = await writeTrapFixture();
      for (const step of ['transform', 'publish', 'check']) {
        const args = step === 'check' ? ['check', '--staged'] : [step];
        const result = await runCli(args, env(dir));
        await assertFailedRun(result, before,
          new RegExp(`^olist: ${step}: the staged schema raw_build is incomplete \\(run ${killed.run_id} stopped before finishing it\\): rerun \`olist ingest\``));
      }
      const abandoned = await pool.query('select status, error from audit.runs where run_id = $1', [killed.run_id]);
      assert.deepEqual(abandoned.rows, [{ status: 'failed', error: 'abandoned: the process ended before the run finished' }]);
      const result = await runCli(['run', '--no-generate'], env(dir));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await stagedSchemas(), []);
    });

    test('a reader holding a lock on marts delays the publish by bounded attempts, then it fails and nothing changes', async () => {
      const before = await fingerprint();
      const reader = new pg.Client({ connectionString: w.db.url, application_name: 'report-reader' });
      await reader.connect();
      try {
        await reader.query('begin');
        await reader.query('select count(*) from marts.daily_revenue');
        const result = await run({}, { OLIST_PUBLISH_LOCK_TIMEOUT_MS: '100', OLIST_PUBLISH_ATTEMPTS: '3' });
        await assertFailedRun(result, before,
          /^olist: publish: readers kept a lock on the published schemas through 3 attempts of 100 ms \(pid \d+ \(report-reader\) on marts\.daily_revenue\); nothing was published/);
      } finally {
        await reader.query('rollback');
        await reader.end();
      }
      const result = await run();
      assert.equal(result.code, 0, result.stderr);
    });
  });
});
