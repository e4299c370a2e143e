// The configuration `npm start` runs with when no file is given: high ports on
// loopback, data under ./var, a demo domain with one mailbox, the admin API on
// 127.0.0.1:2580. No root needed.

export function embeddedDefault(): Record<string, unknown> {
  const loopback = ['127.0.0.1', '::1'];
  return {
    hostname: 'localhost',
    postmasterDomain: 'rampart.test',
    dataDir: './var',
    listeners: [
      { name: 'mx', kind: 'mx', addresses: loopback, port: 2525 },
      { name: 'submission', kind: 'submission', addresses: loopback, port: 2587 },
      { name: 'submissions', kind: 'submissions', addresses: loopback, port: 2465 },
    ],
    directory: { demo: { domain: 'rampart.test', mailbox: 'demo' } },
    admin: { addresses: ['127.0.0.1'], port: 2580 },
  };
}
