/** `olist bi` and `olist bi stop`: Superset over the warehouse (src/pipeline/bi.ts). */
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Output } from './output.ts';

type Env = { config: Config; log: Logger; out: Output };
type Action = <A extends unknown[]>(fn: (env: Env, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;

export function registerBiCommands(program: Command, action: Action): void {
  const bi = program
    .command('bi')
    .description('Apache Superset on 127.0.0.1 with the dashboards of bi/: sets it up (own venv, metadata in the `superset` database), imports or updates the dashboards, prints the login')
    .action(
      action(async ({ config, log, out }) => {
        const { biUp } = await import('../pipeline/bi.ts');
        const r = await biUp(config, log, (l) => out.say(l));
        out.result({ ok: true, ...r }, () =>
          [
            `Superset is running: ${r.url}  (ready in ${r.seconds} s; log ${r.log})`,
            `  login ${r.user} / ${r.password}${r.passwordFile ? `   (kept in ${r.passwordFile}; set OLIST_BI_PASSWORD to choose it)` : ''}`,
            ...r.dashboards.map((d) => `  ${d.title.padEnd(10)} ${d.url}  (${d.charts} charts)`),
            'Re-run `olist bi` after changing bi/ to update the dashboards in place; `olist bi stop` stops Superset.',
          ].join('\n'),
        );
      }),
    );
  bi.command('bundle')
    .description('write the dashboards bundle of bi/ for this warehouse (no local Superset needed), for a Superset elsewhere: the compose stack imports it at start')
    .requiredOption('--out <dir>', 'directory to write <dir>/olist_bundle into (replaced)')
    .action(
      action(async ({ config, out }, opts: { out: string }) => {
        const { exportBundle } = await import('../pipeline/bi.ts');
        const r = await exportBundle(config, opts.out);
        out.result({ ok: true, ...r }, () => `wrote ${r.dir}: ${r.dashboards} dashboards, ${r.charts} charts (${r.files} files; the database entry has no password)`);
      }),
    );
  bi.command('stop')
    .description('stop the Superset server started by `olist bi`')
    .action(
      action(async ({ config, log, out }) => {
        const { biStop } = await import('../pipeline/bi.ts');
        const pid = await biStop(config, log);
        out.result({ ok: true, stopped: pid !== undefined }, () => (pid ? `stopped Superset (pid ${pid})` : 'Superset was not running'));
      }),
    );
}
