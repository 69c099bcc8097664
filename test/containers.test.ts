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
import { randomBytes } from 'node:crypto';
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
/**
 * Airflow's four services in containers (beyond what the deployment issue asks of the suite: the
 * DAGs themselves run through the real scheduler in airflow/tests/test_scheduler.py) cost about 4
 * minutes warm and 5 more cold, which the default suite's 30-minute budget cannot carry: opt in with
 * OLIST_TEST_CONTAINER_AIRFLOW=1 (docs/deployment.md).
 */
const withAirflow = process.env.OLIST_TEST_CONTAINER_AIRFLOW === '1';
const airflowSkip = unavailable || (withAirflow ? false : 'Airflow in containers is opt-in: set OLIST_TEST_CONTAINER_AIRFLOW=1 (about 4 min warm)');

describe('the stack on podman: PostgreSQL, the pipeline, Airflow', { skip: unavailable, timeout: 30 * 60_000 }, () => {
  const project = `olist-test-${process.pid}`;
  let work: string;
  let envFile: string;
  let pgPort: number;
  let dataDir: string;
  let landingDir: string;
  let expected: IndependentFigures;
  const secrets = { olist: randomBytes(12).toString('hex'), analyst: randomBytes(12).toString('hex'), airflow: randomBytes(12).toString('hex') };

  const compose = (...args: string[]) =>
    run('podman-compose', ['-p', project, '-f', COMPOSE_FILE, '--env-file', envFile, '--profile', 'pipeline', ...args]);

  before(async () => {
    await removeLeftovers();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-containers-'));
    // Read by the container's user (uid 10001) through the read-only mount.
    await fs.chmod(work, 0o755);
    dataDir = path.join(work, 'data');
    landingDir = path.join(work, 'landing');
    await fs.mkdir(landingDir, { mode: 0o755 });
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
        .replace(/^AIRFLOW_DB_PASSWORD=.*$/m, `AIRFLOW_DB_PASSWORD=${secrets.airflow}`)
        // A Fernet key is 32 bytes, url-safe base64 with its padding.
        .replace(/^AIRFLOW_FERNET_KEY=.*$/m, `AIRFLOW_FERNET_KEY=${randomBytes(32).toString('base64url')}=`)
        .replace(/^AIRFLOW_JWT_SECRET=.*$/m, `AIRFLOW_JWT_SECRET=${randomBytes(32).toString('hex')}`)
        // Only the run the test triggers: no scheduled run of a daily DAG next to it.
        .replace(/^AIRFLOW_USE_JOB_SCHEDULE=.*$/m, 'AIRFLOW_USE_JOB_SCHEDULE=false')
        .replace(/^OLIST_DATA_DIR_HOST=.*$/m, `OLIST_DATA_DIR_HOST=${dataDir}`)
        .replace(/^OLIST_LANDING_DIR_HOST=.*$/m, `OLIST_LANDING_DIR_HOST=${landingDir}`)
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
    const r = await run('bash', ['deploy/standins/build.sh', ...(withAirflow ? ['--airflow'] : [])]);
    assert.equal(r.code, 0, tail(r));
    const images = await run('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    for (const want of ['docker.io/library/node:', 'docker.io/library/postgres:', ...(withAirflow ? ['docker.io/apache/airflow:'] : [])]) assert.ok(images.stdout.includes(want), `${want} image exists:\n${images.stdout}`);
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
    assert.match(out, /10-olist-roles\.sh: roles olist, olist_reader, olist_analyst, airflow, superset created/);
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
      // what the pipeline did not publish stays closed: the raw layer and the quarantined values
      await assert.rejects(client.query('select count(*) from raw.orders'), /permission denied/);
      await assert.rejects(client.query('select count(*) from audit.rejected_rows'), /permission denied/);
      await assert.rejects(client.query('begin read write; create table marts.x (i int)'), /permission denied/);
    } finally {
      await client.end();
    }
  });

  test('the pipeline image writes the dashboards bundle Superset imports at start (bi bundle into the shared volume)', async () => {
    const r = await compose('run', '--rm', 'pipeline', 'bi', 'bundle', '--out', '/var/lib/olist-bi');
    assert.equal(r.code, 0, tail(r));
    const charts = (await fs.readdir(projectPath('bi', 'charts'))).filter((f) => f.endsWith('.yaml')).length;
    assert.match(`${r.stdout}\n${r.stderr}`, new RegExp(`wrote /var/lib/olist-bi/olist_bundle: 5 dashboards, ${charts} charts`));
  });

  test('a failing job in the container exits 1 with its error line, and the warehouse stays as it was', async () => {
    const before = await marts();
    // A dataset directory without the Kaggle files: the ingest names the missing file.
    const r = await compose('run', '--rm', 'pipeline', 'ingest', '--data-dir', '/var/lib/olist/no-such-delivery');
    assert.equal(r.code, 1, tail(r));
    assert.match(`${r.stdout}\n${r.stderr}`, /olist: ingest: .*olist_\w+\.csv/);
    assert.equal(await marts(), before);
  });

  test('Airflow 3: metadata in PostgreSQL, the four services healthy, our DAGs registered, a DAG run calls the CLI and publishes', { skip: airflowSkip }, async () => {
    const build = await compose('build', 'airflow-init');
    assert.equal(build.code, 0, tail(build));
    const services = ['airflow-apiserver', 'airflow-scheduler', 'airflow-dag-processor', 'airflow-triggerer'];
    // airflow-init (db migrate) first, then the services that depend on its success. Started one
    // level at a time (--no-deps): podman 4.3 cannot start a container whose --requires dependency
    // has one of its own ("generating dependency graph ... not found in input list"); Docker
    // Compose and newer podman follow depends_on by themselves.
    const init = await compose('up', '-d', '--no-deps', 'airflow-init');
    assert.equal(init.code, 0, tail(init));
    const exit = await run('podman', ['wait', `${project}_airflow-init_1`]);
    assert.equal(exit.stdout.trim(), '0', `airflow-init: ${tail(await run('podman', ['logs', '--tail', '30', `${project}_airflow-init_1`]))}`);
    const up = await compose('up', '-d', '--no-deps', ...services);
    assert.equal(up.code, 0, tail(up));
    phase('airflow: metadata migrated, services started');
    // Each service's own compose healthcheck, run until it passes (podman does not schedule them here).
    for (const s of services) await healthy(`${project}_${s}_1`);
    phase('airflow: services healthy');

    // The DAG processor parsed every DAG file of airflow/dags into Airflow's metadata database.
    const declared = new Set<string>();
    for (const f of await fs.readdir(projectPath('airflow', 'dags'))) {
      if (!f.endsWith('.py')) continue;
      for (const m of (await fs.readFile(projectPath('airflow', 'dags', f), 'utf8')).matchAll(/dag_id\s*=\s*"([\w.-]+)"/g)) declared.add(m[1]!);
    }
    assert.ok(declared.size > 0, 'the DAG files declare dag ids');
    const meta = `postgres://airflow:${secrets.airflow}@127.0.0.1:${pgPort}/airflow`;
    const registered = await until(async () => {
      const c = await connectWhenReady(meta);
      try {
        const ids = new Set((await c.query<{ dag_id: string }>('select dag_id from dag')).rows.map((r) => r.dag_id));
        return [...declared].every((d) => ids.has(d)) ? ids : undefined;
      } finally {
        await c.end();
      }
    }, 180);
    for (const d of declared) assert.ok(registered.has(d), `DAG ${d} registered`);
    phase('airflow: DAGs registered');

    // One run of the full-load DAG: the scheduler's LocalExecutor runs each task, which calls the
    // CLI inside the Airflow image against the stack's warehouse.
    const dag = ['olist_full_refresh', 'olist_warehouse'].find((d) => declared.has(d));
    assert.ok(dag, `a full-load DAG among ${[...declared].join(', ')}`);
    const scheduler = `${project}_airflow-scheduler_1`;
    for (const cmd of [['dags', 'unpause', dag], ['dags', 'trigger', dag]]) {
      const r = await run('podman', ['exec', scheduler, 'airflow', ...cmd]);
      assert.equal(r.code, 0, tail(r));
    }
    const state = await until(async () => {
      const c = await connectWhenReady(meta);
      try {
        const { rows } = await c.query<{ state: string; n: number }>('select min(state) state, count(*)::int n from dag_run where dag_id = $1', [dag]);
        // Exactly the triggered run (the test's env turns the scheduler's own runs off).
        assert.ok(rows[0]!.n <= 1, `one DAG run, not ${rows[0]!.n}`);
        return rows[0]!.n === 1 && ['success', 'failed'].includes(rows[0]!.state) ? rows[0]!.state : undefined;
      } finally {
        await c.end();
      }
    }, 600);
    const tasks = await (async () => {
      const c = await connectWhenReady(meta);
      try {
        return (await c.query<{ task_id: string; state: string }>('select task_id, state from task_instance where dag_id = $1 order by task_id', [dag])).rows;
      } finally {
        await c.end();
      }
    })();
    phase(`airflow: DAG run ${dag} ${state}`);
    assert.equal(state, 'success', `DAG run ${dag}: ${state}; tasks ${JSON.stringify(tasks)}`);
    assert.ok(tasks.length >= 5 && tasks.every((t) => t.state === 'success'), JSON.stringify(tasks));
    // The tasks' CLI runs are in the warehouse's audit trail, as a second publication.
    const c = await connectWhenReady(`postgres://olist:${secrets.olist}@127.0.0.1:${pgPort}/olist`);
    try {
      const { rows } = await c.query<{ n: number }>('select count(*)::int n from audit.publications');
      assert.equal(rows[0]!.n, 2);
    } finally {
      await c.end();
    }
  });

  /** Runs a container's healthcheck until it passes (at most 5 minutes). */
  async function healthy(container: string): Promise<void> {
    let last: Run | undefined;
    const ok = await until(async () => {
      last = await run('podman', ['healthcheck', 'run', container]);
      return last.code === 0 ? true : undefined;
    }, 300).catch(() => false);
    assert.ok(ok, `${container} never became healthy: ${last ? tail(last) : ''}\n${tail(await run('podman', ['logs', '--tail', '40', container]))}`);
  }

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

/**
 * Containers and volumes of earlier runs of this test whose process is gone (killed before its
 * teardown): they live in the shared cache's storage and would pile up.
 */
async function removeLeftovers(): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const dead = (name: string) => {
    const m = /^olist-test-(\d+)(_|$)/.exec(name);
    return m !== null && !alive(Number(m[1]));
  };
  const containers = (await run('podman', ['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter(dead);
  if (containers.length) await run('podman', ['rm', '-f', ...containers]);
  const volumes = (await run('podman', ['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter(dead);
  if (volumes.length) await run('podman', ['volume', 'rm', '-f', ...volumes]);
  const networks = (await run('podman', ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter(dead);
  if (networks.length) await run('podman', ['network', 'rm', '-f', ...networks]);
}

const started = Date.now();
/** Where the time goes (a cold run is dominated by image builds, a warm one by Airflow's start). */
function phase(what: string): void {
  process.stderr.write(`containers.test.ts: ${what} at ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

/** Polls `probe` every second until it returns a value, for at most `seconds`. */
async function until<T>(probe: () => Promise<T | undefined>, seconds: number): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${seconds} s`);
    await sleep(1000);
  }
}

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
