// Waits until DATABASE_URL accepts a connection and answers a query, for at most N seconds
// (argv[2]). Used by the image's entrypoint only. Exits 1 naming the last error, without the password.
import pg from 'pg';

const deadline = Date.now() + Number(process.argv[2] ?? 60) * 1000;
const url = new URL(process.env.DATABASE_URL);
const where = `${url.hostname}:${url.port || 5432}${url.pathname}`;
let last = '';
for (;;) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    await client.end();
    process.exit(0);
  } catch (err) {
    last = err instanceof Error ? err.message : String(err);
    await client.end().catch(() => {});
  }
  if (Date.now() > deadline) {
    process.stderr.write(`olist: the database at ${where} (DATABASE_URL) did not accept connections in time: ${last}\n`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 1000));
}
