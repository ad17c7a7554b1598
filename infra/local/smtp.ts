/**
 * The local host's inbound mail: an SMTP listener (`smtp-server`) that routes each mail to the
 * inbox channels its envelope recipients name and runs the same receipt as SES's function
 * (lib/app/mail/inbound.ts). RCPT TO an address no inbox channel has, or a disconnected
 * channel's, is refused (550); mail over
 * 10 MB is refused (552, also announced by SIZE); a receipt that fails is a temporary failure
 * (451), so the sending server tries again.
 */
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { channelForAddress, receiveMail } from '../../lib/app/mail/inbound.ts';
import { MAX_MAIL_BYTES } from '../../lib/domain/mail/rules.ts';

export interface RunningSmtp {
  readonly port: number;
  close(): Promise<void>;
}

const smtpError = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

export async function startSmtpListener(options: { port: number; host?: string; onError?: (error: unknown) => void }): Promise<RunningSmtp> {
  const server = new SMTPServer({
    name: 'chatlines.local',
    banner: 'chatlines inbound mail',
    size: MAX_MAIL_BYTES,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      channelForAddress(address.address).then(
        (channel) =>
          callback(
            !channel
              ? smtpError(`5.1.1 <${address.address}>: no such mailbox`, 550)
              : channel._state !== 'active'
                ? smtpError(`5.2.1 <${address.address}>: mailbox disabled (the channel is ${channel._state})`, 550)
                : undefined,
          ),
        (error: unknown) => {
          options.onError?.(error);
          callback(smtpError('4.3.0 try again later', 451));
        },
      );
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(smtpError(`5.3.4 the mail is larger than ${MAX_MAIL_BYTES} bytes`, 552));
          return;
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        receiveMail(Buffer.concat(chunks), recipients).then(
          () => callback(null),
          (error: unknown) => {
            options.onError?.(error);
            callback(smtpError('4.3.0 the mail could not be taken now; try again later', 451));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.onError?.(error));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
