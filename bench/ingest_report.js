// Summarises bench/ingest_run's rounds: per figure and server the median and the spread (lowest
// to highest round), the ratio of wharf to its peer, and whether issue 4's goal is met; into
// bench/results/ingest.json and the table between <!-- bench:ingest:begin --> and
// <!-- bench:ingest:end --> in bench/README.md.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execSync } = require('child_process');

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = fs.readFileSync(arg('--runs'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const bigMib = Number(arg('--big-mib', 1024));
const files = Number(arg('--files', 1000));
const idle = Number(arg('--idle', 100));
const readmePath = arg('--readme', path.join(__dirname, 'README.md'));
const outPath = arg('--out', path.join(__dirname, 'results', 'ingest.json'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const values = (figure, server) => runs.filter((r) => r.figure === figure && r.server === server)
  .map((r) => r.value);
// Rounded first, so that a small negative difference prints as 0, not -0.
const fmt = (n, digits = 0) => (Number(n.toFixed(digits)) + 0).toLocaleString('en-US', {
  maximumFractionDigits: digits, minimumFractionDigits: digits });

const big = bigMib === 1024 ? '1 GiB' : `${bigMib} MiB`;
// [figure, label, peer, goal]: goal is the least ratio wharf/peer for higher-is-better figures,
// or the most ratio for memory (lower is better); null when the issue sets none.
const rows = [
  ['sftp_put_1GiB_chacha20', `SFTP put, one file of ${big}, chacha20-poly1305 (OpenSSH's default)`, 'sshd + sftp-server', 0.9],
  ['sftp_put_1GiB_aes128', `SFTP put, one file of ${big}, aes128-gcm`, 'sshd + sftp-server', 0.9],
  ['sftp_get_1GiB_chacha20', `SFTP get, one file of ${big}, chacha20-poly1305`, 'sshd + sftp-server', null],
  ['sftp_get_1GiB_aes128', `SFTP get, one file of ${big}, aes128-gcm`, 'sshd + sftp-server', null],
  ['sftp_put_10KiB_files', `SFTP put, ${fmt(files)} files of 10 KiB in one session`, 'sshd + sftp-server', 1.0],
  ['ftp_put_1GiB', `FTP put, one file of ${big}`, 'vsftpd', 0.9],
  ['ftp_get_1GiB', `FTP get, one file of ${big}`, 'vsftpd', null],
  ['ftp_put_10KiB_files', `FTP put, ${fmt(files)} files of 10 KiB, one control connection`, 'vsftpd', 0.9],
  ['ftps_put_1GiB', `FTPS put, one file of ${big} (TLS 1.3)`, 'vsftpd', 0.9],
  ['ftps_get_1GiB', `FTPS get, one file of ${big}`, 'vsftpd', null],
  ['ftps_put_10KiB_files', `FTPS put, ${fmt(files)} files of 10 KiB, a TLS handshake per data connection`, 'vsftpd', 0.9],
  ['sftp_idle_connection', 'SFTP: memory per idle logged-in connection (PSS)', 'sshd + sftp-server', 'lower'],
  ['sftp_100_connections_total', `SFTP: the server's memory with ${idle} idle connections (PSS)`, 'sshd + sftp-server', 'lower'],
  ['ftp_idle_connection', 'FTP: memory per idle logged-in connection (PSS)', 'vsftpd', 'lower'],
  ['ftp_100_connections_total', `FTP: the server's memory with ${idle} idle connections (PSS)`, 'vsftpd', 'lower'],
];

const summary = {
  date: new Date().toISOString().slice(0, 10),
  commit: execSync('git rev-parse --short HEAD').toString().trim(),
  rounds: Math.max(...runs.map((r) => r.round)),
  load: os.loadavg().map((x) => x.toFixed(2)),
  figures: {},
};
const lines = [
  `Measured ${summary.date} on ${os.cpus().length} CPUs, wharf ${summary.commit}; median of ` +
  `${summary.rounds} rounds, with the lowest and highest round in brackets; load average at the ` +
  `end ${summary.load.join(' / ')} (1 / 5 / 15 min). Client and server share the cores.`,
  '',
  '| Figure | wharf | peer | peer figure | wharf / peer | goal |',
  '|---|--:|---|--:|--:|---|',
];
for (const [figure, label, peer, goal] of rows) {
  const w = values(figure, 'wharf');
  const p = values(figure, 'peer');
  if (!w.length || !p.length) continue;
  const unit = runs.find((r) => r.figure === figure).unit;
  const wm = median(w);
  const pm = median(p);
  const ratio = wm / pm;
  const digits = unit === 'MiB' ? 1 : 0;
  const cell = (xs, m) => `${fmt(m, digits)} ${unit} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`;
  let verdict = '';
  if (typeof goal === 'number') {
    verdict = `≥ ${fmt(goal * 100)}%: ${ratio >= goal ? 'met' : '**not met**'}`;
  } else if (goal === 'lower' && wm < 1) {
    // Below one unit (an idle FTP session's few KiB of buffers, reused from what malloc freed):
    // a ratio to it would only measure the noise.
    verdict = `lower is better: under 1 ${unit}`;
  } else if (goal === 'lower') {
    verdict = `lower is better: ${fmt(pm / wm, 1)}x less`;
    if (wm > pm) verdict = `lower is better: ${fmt(wm / pm, 1)}x **more**`;
  }
  summary.figures[figure] = { unit, wharf: { median: wm, min: Math.min(...w), max: Math.max(...w) },
    peer: { name: peer, median: pm, min: Math.min(...p), max: Math.max(...p) }, ratio, goal };
  lines.push(`| ${label} | ${cell(w, wm)} | ${peer} | ${cell(p, pm)} | ${fmt(ratio * 100)}% | ${verdict} |`);
}
fs.mkdirSync(path.dirname(outPath), { recursive: true });
fs.writeFileSync(outPath, JSON.stringify(summary, null, 2) + '\n');

const readme = fs.readFileSync(readmePath, 'utf8');
const begin = '<!-- bench:ingest:begin -->';
const end = '<!-- bench:ingest:end -->';
const block = `${begin}\n${lines.join('\n')}\n${end}`;
const out = readme.includes(begin)
  ? readme.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block)
  : `${readme.trimEnd()}\n\n## File ingest (issue 4)\n\n\`sudo ./bench/ingest_run\`.\n\n${block}\n`;
fs.writeFileSync(readmePath, out);
console.log(lines.join('\n'));
