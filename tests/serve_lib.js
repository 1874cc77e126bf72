// What the Node tests that run `wharf serve` share.
'use strict';
const { spawn } = require('child_process');

// Starts `wharf serve ARGS --http 127.0.0.1:0` and resolves, once it printed "ready in", to
// { child, endpoint, out, err, exit, exited }: `exit` is a promise of { code, signal }, which
// `exited` also holds once the process is gone. Rejects, with what the server printed, when it
// exits before it is ready.
function startWharf(wharf, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(wharf, ['serve', ...args, '--http', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    const s = { child, out: '', err: '', endpoint: null, exited: null };
    child.stderr.on('data', (d) => { s.err += d; });
    child.stdout.on('data', (d) => {
      s.out += d;
      const m = s.out.match(/on http:\/\/([^\s]+)/);
      if (m && !s.endpoint && /ready in/.test(s.out)) {
        s.endpoint = `http://${m[1]}`;
        resolve(s);
      }
    });
    s.exit = new Promise((res) => child.on('exit', (code, signal) => {
      s.exited = { code, signal };
      res(s.exited);
      if (!s.endpoint) reject(new Error(`wharf serve exited (${code || signal}): ${s.out}${s.err}`));
    }));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { startWharf, sleep };
