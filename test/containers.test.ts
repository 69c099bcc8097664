/**
 * deploy/ for real: every Dockerfile through hadolint, the compose file through the Compose
 * Specification's schema and docker-compose's own parser (plus our rules: a healthcheck and a restart
 * policy on every service, ports on 127.0.0.1 only), then the stack itself on podman: the images
 * built (on stand-ins of the official base images where no registry is reachable, see
 * deploy/standins/), PostgreSQL and the pipeline brought up with podman-compose, the full load run
 * inside the container on a small generated dataset mounted read-only, the published marts checked
 * through PostgreSQL against figures computed straight from the CSVs, the read-only analyst role
 * checked, everything torn down.
 *
 * Needs scripts/setup-containers.sh (scripts/test.sh runs it). Skipped, saying why, only where
 * podman itself cannot run (no podman, or not allowed to create containers).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { projectPath } from '../src/paths.ts';
import { runCli } from './helpers/cli.ts';
import { freePort } from './helpers/db.ts';
import { independentFigures, type IndependentFigures } from './helpers/independent.ts';

const ROOT = projectPath();
const COMPOSE_FILE = projectPath('deploy', 'compose.yaml');

/** deploy/podman/env.sh's variables, as this process's environment for podman and the tools. */
function containerEnv(): NodeJS.ProcessEnv {
  const r = spawnSync('bash', ['-c', 'source deploy/podman/env.sh && env -0'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`deploy/podman/env.sh failed: ${r.stderr}`);
  return Object.fromEntries(r.stdout.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}
const ENV = containerEnv();

/** Why podman cannot run here, or undefined when it can (checked once, before any test is declared). */
function podmanUnavailable(): string | undefined {
  const setup = spawnSync('bash', ['scripts/setup-containers.sh', '--check'], { cwd: ROOT, env: ENV, encoding: 'utf8' });
  if (setup.status !== 0) return `podman is not set up here (scripts/setup-containers.sh --check: ${setup.stderr.trim() || setup.status})`;
  const info = spawnSync('podman', ['run', '--rm', '--network=none', 'localhost/olist-standin/debian:bookworm', 'true'], { env: ENV, encoding: 'utf8' });
  if (info.error) return `podman cannot run: ${info.error.message}`;
  // The base image may not exist yet (built by the stack test itself): that is not a reason to skip.
  if (info.status !== 0 && !/image not known|manifest unknown|pull access|initializing source/i.test(info.stderr)) {
    return `podman cannot run containers here: ${info.stderr.trim().split('\n').at(-1)}`;
  }
  return undefined;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with the container environment; output collected (and echoed when OLIST_TEST_VERBOSE is set). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...ENV, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
      if (process.env.OLIST_TEST_VERBOSE) process.stderr.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (process.env.OLIST_TEST_VERBOSE) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function tail(r: Run, n = 40): string {
  return `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-n).join('\n');
}

async function dockerfiles(): Promise<string[]> {
  const all = await fs.readdir(projectPath('deploy'), { recursive: true });
  return all.filter((f) => /(^|\/)[^/]*Dockerfile$/.test(f)).map((f) => path.join('deploy', f)).sort();
}

describe('container definitions (static checks)', () => {
  test('every Dockerfile passes hadolint', async () => {
    const files = await dockerfiles();
    for (const want of ['deploy/Dockerfile', 'deploy/airflow/Dockerfile', 'deploy/superset/Dockerfile']) assert.ok(files.includes(want), `${want} exists`);
    const r = await run('hadolint', files);
    assert.equal(r.code, 0, `hadolint ${files.join(' ')}:\n${tail(r)}`);
  });

  test('deploy/compose.yaml passes the Compose Specification schema and docker-compose config', async () => {
    const schema = await run('check-jsonschema', ['--builtin-schema', 'vendor.compose-spec', COMPOSE_FILE]);
    assert.equal(schema.code, 0, tail(schema));
    const config = await run('docker-compose', ['--env-file', 'env.example', '-f', 'compose.yaml', 'config', '-q'], { cwd: projectPath('deploy') });
    assert.equal(config.code, 0, tail(config));
  });

  test('every service has a healthcheck and a restart policy, and publishes ports on 127.0.0.1 only', async () => {
    // The resolved file (anchors merged, variables filled from the example env file), as JSON.
    const r = await run('bash', ['-c', 'docker-compose --env-file env.example -f compose.yaml config | "$OLIST_CONTAINER_CACHE/tools/bin/python" -c "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"'], { cwd: projectPath('deploy') });
    assert.equal(r.code, 0, tail(r));
    const services = (JSON.parse(r.stdout) as { services: Record<string, { healthcheck?: { test?: unknown }; restart?: string; ports?: unknown[] }> }).services;
    const names = Object.keys(services).sort();
    for (const want of ['airflow-apiserver', 'airflow-dag-processor', 'airflow-scheduler', 'airflow-triggerer', 'metabase', 'pipeline', 'postgres', 'superset']) {
      assert.ok(names.includes(want), `service ${want} is defined (have ${names.join(', ')})`);
    }
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.healthcheck?.test, `${name} has a healthcheck`);
      assert.ok(s.restart, `${name} has a restart policy`);
      for (const p of s.ports ?? []) {
        const text = typeof p === 'string' ? p : JSON.stringify(p);
        assert.match(text, /^127\.0\.0\.1:|"host_ip":"127\.0\.0\.1"/, `${name} publishes ${text} on loopback only`);
      }
    }
  });
});

const unavailable = podmanUnavailable();
if (unavailable) process.stderr.write(`containers.test.ts: SKIPPING the stack test: ${unavailable}\n`);

describe('the stack on podman: PostgreSQL + the pipeline', { skip: unavailable, timeout: 30 * 60_000 }, () => {
  const project = `olist-test-${process.pid}`;
  let work: string;
  let envFile: string;
  let pgPort: number;
  let dataDir: string;
  let expected: IndependentFigures;
  const secrets = { olist: `o${process.pid}x${Date.now()}`, analyst: `a${process.pid}y${Date.now()}` };

  const compose = (...args: string[]) =>
    run('podman-compose', ['-p', project, '-f', COMPOSE_FILE, '--env-file', envFile, '--profile', 'pipeline', ...args]);

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-containers-'));
    // Read by the container's user (uid 10001) through the read-only mount.
    await fs.chmod(work, 0o755);
    dataDir = path.join(work, 'data');
    const gen = await runCli(['generate', '--scale', '0.01', '--seed', '13', '--out', dataDir, '--reference-dir', ''], {});
    assert.equal(gen.code, 0, gen.stderr);
    await fs.chmod(dataDir, 0o755);
    for (const f of await fs.readdir(dataDir)) await fs.chmod(path.join(dataDir, f), 0o644);
    expected = await independentFigures(dataDir);
    pgPort = await freePort();
    const example = await fs.readFile(projectPath('deploy', 'env.example'), 'utf8');
    envFile = path.join(work, 'test.env');
    await fs.writeFile(
      envFile,
      example
        .replace(/^OLIST_DB_PASSWORD=.*$/m, `OLIST_DB_PASSWORD=${secrets.olist}`)
        .replace(/^OLIST_ANALYST_PASSWORD=.*$/m, `OLIST_ANALYST_PASSWORD=${secrets.analyst}`)
        .replace(/^OLIST_DATA_DIR_HOST=.*$/m, `OLIST_DATA_DIR_HOST=${dataDir}`)
        .replace(/^OLIST_PG_HOST_PORT=.*$/m, `OLIST_PG_HOST_PORT=${pgPort}`),
    );
  });

  after(async () => {
    if (envFile) {
      const down = await compose('down', '-v');
      if (down.code !== 0) process.stderr.write(`podman-compose down failed:\n${tail(down)}\n`);
    }
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  test('the stand-in base images build (cached: seconds when nothing changed)', async () => {
    const r = await run('bash', ['deploy/standins/build.sh']);
    assert.equal(r.code, 0, tail(r));
    const images = await run('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    for (const want of ['docker.io/library/node:', 'docker.io/library/postgres:']) assert.ok(images.stdout.includes(want), `${want} image exists:\n${images.stdout}`);
  });

  test('the app image builds from deploy/Dockerfile and runs the CLI as a non-root user', async () => {
    const build = await compose('build', 'pipeline');
    assert.equal(build.code, 0, tail(build));
    const who = await run('podman', ['run', '--rm', '--network=none', '--entrypoint', 'id', 'localhost/olist-warehouse:dev', '-u']);
    assert.equal(who.code, 0, tail(who));
    assert.equal(who.stdout.trim(), '10001');
    // Without DATABASE_URL the image refuses to start instead of starting an embedded server.
    const noDb = await run('podman', ['run', '--rm', '--network=none', 'localhost/olist-warehouse:dev', 'status']);
    assert.equal(noDb.code, 1);
    assert.match(noDb.stderr, /DATABASE_URL is not set/);
  });

  test('podman-compose up runs the full load in the container; its exit code is the job\'s', async () => {
    const up = await compose('up', '--abort-on-container-exit', '--exit-code-from', 'pipeline', 'postgres', 'pipeline');
    assert.equal(up.code, 0, tail(up, 80));
    const out = `${up.stdout}\n${up.stderr}`;
    assert.match(out, /quality gate passed \(\d+ checks, \d+ warnings\); published raw, staging, warehouse, marts/);
    assert.match(out, /10-olist-roles\.sh: roles olist, olist_analyst, airflow, superset created/);
  });

  test('the published marts, read through PostgreSQL after a restart, agree with the CSVs', async () => {
    // --abort-on-container-exit stopped PostgreSQL with the job: start it again on its named volume.
    const up = await compose('up', '-d', 'postgres');
    assert.equal(up.code, 0, tail(up));
    const url = `postgres://olist:${secrets.olist}@127.0.0.1:${pgPort}/olist`;
    const client = await connectWhenReady(url);
    // The compose file's healthcheck, run the way the engine would (podman schedules it with
    // systemd timers, which our machines lack, so the test runs it once by hand).
    const health = await run('podman', ['healthcheck', 'run', `${project}_postgres_1`]);
    assert.equal(health.code, 0, `postgres healthcheck: ${tail(health)}`);
    try {
      const q = async (sql: string) => (await client.query(sql)).rows[0] as Record<string, string>;
      const daily = await q('select sum(orders) orders, sum(items) items, sum(gmv) gmv from marts.daily_revenue');
      assert.equal(Number(daily.orders), expected.revenueOrders);
      assert.equal(Number(daily.items), expected.revenueItems);
      assert.equal(Math.round(Number(daily.gmv) * 100), expected.gmvCents);
      const monthly = await q('select sum(gmv) gmv from marts.monthly_revenue');
      assert.equal(Math.round(Number(monthly.gmv) * 100), expected.gmvCents);
      const { rows } = await client.query<{ state: string; orders: number }>('select state, orders from marts.orders_by_state');
      assert.deepEqual(Object.fromEntries(rows.map((r) => [r.state, Number(r.orders)])), expected.ordersByState);
      const runs = await q("select count(*) n from audit.runs where status = 'succeeded'");
      assert.equal(Number(runs.n), 1);
    } finally {
      await client.end();
    }
  });

  test('the analyst role (Superset, Metabase) reads the published schemas and can change nothing', async () => {
    const client = await connectWhenReady(`postgres://olist_analyst:${secrets.analyst}@127.0.0.1:${pgPort}/olist`);
    try {
      const { rows } = await client.query<{ n: string }>('select count(*) n from marts.daily_revenue');
      assert.ok(Number(rows[0]!.n) > 0);
      await assert.rejects(client.query('delete from marts.daily_revenue'), /read-only transaction|permission denied/);
      await assert.rejects(client.query('begin read write; create table marts.x (i int)'), /permission denied/);
    } finally {
      await client.end();
    }
  });

  test('a failing job in the container exits 1 with its error line, and the warehouse stays as it was', async () => {
    const before = await marts();
    // A dataset directory without the Kaggle files: the ingest names the missing file.
    const r = await compose('run', '--rm', 'pipeline', 'ingest', '--data-dir', '/var/lib/olist/no-such-delivery');
    assert.equal(r.code, 1, tail(r));
    assert.match(`${r.stdout}\n${r.stderr}`, /olist: ingest: .*olist_\w+\.csv/);
    assert.equal(await marts(), before);
  });

  /** A fingerprint of the published marts and the publications (what readers see). */
  async function marts(): Promise<string> {
    const client = await connectWhenReady(`postgres://olist:${secrets.olist}@127.0.0.1:${pgPort}/olist`);
    try {
      const { rows } = await client.query<{ h: string; n: number }>(
        "select (select md5(string_agg(x::text, '|' order by x::text)) from marts.daily_revenue x) h, (select count(*)::int from audit.publications) n",
      );
      return `${rows[0]!.h}/${rows[0]!.n}`;
    } finally {
      await client.end();
    }
  }

  test('down -v removes the containers and the volumes', async () => {
    const down = await compose('down', '-v');
    assert.equal(down.code, 0, tail(down));
    const left = await run('podman', ['ps', '-a', '--filter', `label=io.podman.compose.project=${project}`, '--format', '{{.Names}}']);
    assert.equal(left.stdout.trim(), '');
    const vols = await run('podman', ['volume', 'ls', '--format', '{{.Name}}']);
    assert.ok(!vols.stdout.split('\n').some((v) => v.startsWith(`${project}_`)), `volumes left: ${vols.stdout}`);
  });
});

/** Connects once PostgreSQL accepts connections (podman runs no healthchecks without systemd). */
async function connectWhenReady(url: string): Promise<pg.Client> {
  let last: unknown;
  for (let i = 0; i < 120; i++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return client;
    } catch (err) {
      last = err;
      await client.end().catch(() => {});
      await sleep(500);
    }
  }
  throw new Error(`PostgreSQL at ${url.replace(/:[^:@]*@/, ':***@')} never accepted connections: ${String(last)}`);
}
