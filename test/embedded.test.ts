/**
 * The embedded server as the CLI manages it, on a cluster of its own (fresh OLIST_HOME, free port):
 * concurrent starts, and the server stopped in the middle of a run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { writeTrapFixture } from './fixtures/traps.ts';
import { olistWaitingOnLock, runCli, startCli, waitFor } from './helpers/cli.ts';
import { freePort } from './helpers/db.ts';


describe('embedded server', () => {
  let env: Record<string, string>;
  let url: string;

  before(async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-embedded-'));
    await fs.chmod(home, 0o755); // initdb runs as the postgres user when the tests run as root
    const port = await freePort();
    env = { OLIST_HOME: home, OLIST_PG_PORT: String(port), OLIST_DATA_DIR: await writeTrapFixture() };
    url = `postgres://postgres:postgres@127.0.0.1:${port}/olist`;
  });
  after(async () => {
    await runCli(['db', 'stop'], env);
    await fs.rm(env.OLIST_HOME!, { recursive: true, force: true });
  });

  async function martsFingerprint(): Promise<string> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ h: string }>("select md5(string_agg(x::text, '|' order by x::text)) h from marts.daily_revenue x");
      const p = await c.query<{ n: number }>('select count(*)::int n from audit.publications');
      return `${rows[0]!.h}/${p.rows[0]!.n}`;
    } finally {
      await c.end();
    }
  }

  test('two jobs starting the stopped server at the same time both get it: one starts it, the other waits for it', async () => {
    const results = await Promise.all([runCli(['--json', 'db', 'start'], env), runCli(['--json', 'db', 'start'], env)]);
    assert.deepEqual(results.map((r) => r.code), [0, 0], results.map((r) => r.stderr).join('\n'));
    const started = results.map((r) => (JSON.parse(r.stdout) as { started: boolean }).started).sort();
    assert.deepEqual(started, [false, true]);
    const first = await runCli(['--json', 'run', '--no-generate'], env);
    assert.equal(first.code, 0, first.stderr);
  });

  test('the server stopped in the middle of a run: one olist: line naming the step, no crash, nothing published', async () => {
    const before = await martsFingerprint();
    const blocker = new pg.Client({ connectionString: url });
    blocker.on('error', () => undefined); // the shutdown ends this session too
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table audit.rejected_rows in exclusive mode');
    const job = startCli(['--json', 'run', '--no-generate'], env);
    await waitFor(async () => {
      const c = new pg.Pool({ connectionString: url, max: 1 });
      try {
        return await olistWaitingOnLock(c);
      } finally {
        await c.end();
      }
    });
    const stop = await runCli(['db', 'stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    const result = await job.done;
    await blocker.end().catch(() => undefined);
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /Unhandled|\n\s+at /);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^olist: ingest: olist_\w+\.csv: (terminating connection due to administrator command|Connection terminated unexpectedly)/);
    // the server is back: the run that could not close its row is closed by the next job
    const check = await runCli(['--json', 'check'], env);
    assert.equal(check.code, 0, check.stderr);
    const status = await runCli(['--json', 'status', '-n', '2'], env);
    assert.equal(status.code, 0, status.stderr);
    const runs = (JSON.parse(status.stdout) as { runs: { command: string; status: string; error: string | null }[] }).runs;
    assert.deepEqual(runs[1], { ...runs[1], command: 'run', status: 'failed', error: 'abandoned: the process ended before the run finished' });
    assert.equal(await martsFingerprint(), before);
  });
});
