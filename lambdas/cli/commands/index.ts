/**
 * Every subcommand, in the order --help lists them: its name and one-line summary here, its help
 * text and code in its own module, imported only when that command runs (so `telco-kpi --help`
 * and each command load only the modules they use).
 */
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  /** The line `telco-kpi --help` shows. */
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'run', summary: 'the demo job: sample → ingest → report → incentives → e-mail to the outbox', load: async () => (await import('./run.js')).command },
  { name: 'sample', summary: 'write realistic, reproducible sample extracts', load: async () => (await import('./sample.js')).command },
  { name: 'validate', summary: 'check extract files and print their receipts; stores nothing', load: async () => (await import('./validate.js')).command },
  { name: 'ingest', summary: 'validate extract files (or folders of them) and store the accepted ones in the lake', load: async () => (await import('./ingest.js')).command },
  { name: 'report', summary: 'write the KPI workbook and kpis.json for a week or month; --send e-mails it', load: async () => (await import('./report.js')).command },
  { name: 'incentives', summary: 'account-manager incentive tally for HR (json + workbook, --send mails HR)', load: async () => (await import('./incentives.js')).command },
  { name: 'runs', summary: 'list the run ledger (sent, waiting, failed runs) or release a stuck claim', load: async () => (await import('./runs.js')).command },
  { name: 'serve', summary: 'run the branch upload portal (web page + API) on http://127.0.0.1:8080/', load: async () => (await import('./serve.js')).command },
  { name: 'users', summary: 'add or list the upload portal\'s users (one province each; password from stdin)', load: async () => (await import('./users.js')).command },
];
