/**
 * A real SMTP server (smtp-server on loopback) behind a TCP proxy, scripted per message attempt:
 * accept, refuse with a 4xx or 5xx reply to the message data, or drop the connection while the
 * client is sending the message body (the proxy cuts both sockets before forwarding any of it),
 * or after the server accepted the whole message but before its 250 reply reaches the client.
 */
import net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type SmtpAction = 'accept' | 'refuse-4xx' | 'refuse-5xx' | 'drop-mid-data' | 'drop-before-reply';

export interface ReceivedMail {
  rcptTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

export interface ScriptedSmtp {
  /** `smtp://127.0.0.1:<proxy port>`: what SMTP_URL points to. */
  url: string;
  /** Messages the server accepted, in order. */
  received: ReceivedMail[];
  /** Every action taken, in order (one per message attempt that reached the body). */
  log: SmtpAction[];
  close(): Promise<void>;
}

/** Starts the server; `script` is consumed one action per attempt, then `otherwise` applies. */
export async function startScriptedSmtp(script: SmtpAction[], otherwise: SmtpAction = 'accept'): Promise<ScriptedSmtp> {
  const queue = [...script];
  const log: SmtpAction[] = [];
  const received: ReceivedMail[] = [];
  const pending: Array<Promise<void>> = [];
  const next = (): SmtpAction => {
    const action = queue.shift() ?? otherwise;
    log.push(action);
    return action;
  };
  let peeked: SmtpAction | undefined;
  let dropNextReply = false;
  const peek = (): SmtpAction => (peeked ??= next());
  const take = (): SmtpAction => {
    const action = peek();
    peeked = undefined;
    return action;
  };

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const action = take();
        if (action === 'refuse-4xx') return callback(Object.assign(new Error('4.3.0 Mailbox busy, try again later'), { responseCode: 451 }));
        if (action === 'refuse-5xx') return callback(Object.assign(new Error('5.7.1 Message rejected by policy'), { responseCode: 554 }));
        if (action === 'drop-before-reply') dropNextReply = true;
        const raw = Buffer.concat(chunks);
        const rcptTo = session.envelope.rcptTo.map((r) => r.address);
        pending.push(simpleParser(raw).then((parsed) => { received.push({ rcptTo, raw, parsed }); }));
        // Parse before answering so `received` is complete when the client sees 250.
        void Promise.all(pending).then(() => callback());
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const serverPort = (server.server.address() as net.AddressInfo).port;

  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(serverPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let afterData = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (afterData) {
        afterData = false;
        if (peek() === 'drop-mid-data') {
          take();
          cut();
          return;
        }
      }
      if (/(^|\r\n)DATA\r\n$/i.test(chunk.toString('latin1'))) afterData = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropNextReply && /^250 /m.test(chunk.toString('latin1'))) {
        dropNextReply = false;
        cut();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => { upstream.destroy(); sockets.delete(client); });
    upstream.on('close', () => { client.destroy(); sockets.delete(upstream); });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as net.AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${proxyPort}`,
    received,
    log,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
