/** `telco-kpi users add|list`: the portal's local users, kept hashed in the home folder (SPEC §9). */
import { LocalObjectStore } from '../../adapters/local-object-store.js';
import { UsageError } from '../../core/errors.js';
import { addUser, MIN_PASSWORD_LENGTH, readUsers, USERS_KEY } from '../../core/portal/users.js';
import { parseCommandArgs, type CliContext, type Command } from '../command.js';

const help = `telco-kpi users — who may sign in to the upload portal (telco-kpi serve)

Usage: telco-kpi users add --province JL --user NAME   (the password is read from stdin)
       telco-kpi users list

  add    creates the user, or sets a new password (and province) for an existing one;
         the password (at least ${MIN_PASSWORD_LENGTH} characters) is read from standard input, e.g.
           printf '%s' "$PASSWORD" | telco-kpi users add --province JL --user jl-upload
         or typed at the prompt without echo. Only its scrypt hash is kept, in
         <home>/${USERS_KEY}.
  list   prints each user and province (never a password or hash)

A user uploads and reads only the province given here.`;

/** Reads the password: a hidden line on a terminal, else all of stdin without its final line break. */
export async function readPasswordFromStdin(prompt: (text: string) => void): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  prompt('Password: ');
  stdin.setRawMode(true);
  stdin.resume();
  let typed = '';
  try {
    for await (const chunk of stdin) {
      for (const char of (chunk as Buffer).toString('utf8')) {
        if (char === '\r' || char === '\n') return typed;
        if (char === '\u0003') throw new UsageError('cancelled');
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    }
    return typed;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    prompt('\n');
  }
}

export const command: Command = {
  name: 'users',
  help,
  async run(argv, ctx: CliContext) {
    const [action, ...rest] = argv;
    const store = new LocalObjectStore(ctx.home);
    if (action === 'list') {
      parseCommandArgs(rest, {});
      const users = await readUsers(store);
      if (users.length === 0) ctx.out(`no users in ${ctx.home}: add one with telco-kpi users add --province JL --user NAME`);
      for (const u of users) ctx.out(`${u.user}\t${u.province}\tsince ${u.createdAt.slice(0, 10)}`);
      return 0;
    }
    if (action !== 'add') throw new UsageError(action ? `unknown action '${action}': use add or list` : 'users needs an action: add or list');
    const { values } = parseCommandArgs(rest, { province: { type: 'string' }, user: { type: 'string' } });
    if (!values.province || !values.user) throw new UsageError('users add needs --province P and --user NAME');
    const password = await (ctx.readPassword ?? (() => readPasswordFromStdin((text) => process.stderr.write(text))))();
    const { created } = await addUser(store, { user: values.user, province: values.province, password, now: ctx.now() });
    ctx.out(`${created ? 'added' : 'updated'} ${values.user} (${values.province.toUpperCase()}) in ${ctx.home}`);
    return 0;
  },
};
