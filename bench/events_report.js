// Summarises bench/events_run: the median matching rate per rule count over the rounds, and the
// upload-to-start latency's median and p99, compared with issue 5's goals; into
// bench/results/events.json and the table between <!-- bench:events:begin --> and
// <!-- bench:events:end --> in bench/README.md.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execSync } = require('child_process');

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const readmePath = arg('--readme', path.join(__dirname, 'README.md'));
const outPath = arg('--out', path.join(__dirname, 'results', 'events.json'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits,
  minimumFractionDigits: digits });

// "rules=1000   events/s=512345   (wall ...) ... with-parse events/s=301234 cold events/s=...
//  matches/event=0.42 states/event=8.9 lookups/event=13.5 packed/event=6.1"
const byRules = new Map();
for (const line of fs.readFileSync(arg('--matching'), 'utf8').split('\n')) {
  const m = line.match(/^rules=(\d+)\s+partners=\d+\s+events\/s=(\d+).*with-parse events\/s=(\d+)\s+cold events\/s=(\d+)\s+matches\/event=([\d.]+) states\/event=([\d.]+) lookups\/event=([\d.]+) packed\/event=([\d.]+)/);
  if (!m) continue;
  const r = Number(m[1]);
  if (!byRules.has(r)) byRules.set(r, []);
  byRules.get(r).push({ match: Number(m[2]), parse: Number(m[3]), cold: Number(m[4]),
    matches: Number(m[5]), states: Number(m[6]), lookups: Number(m[7]), packed: Number(m[8]) });
}
const latency = JSON.parse(fs.readFileSync(arg('--latency'), 'utf8'));
const summary = {
  date: new Date().toISOString().slice(0, 10),
  commit: execSync('git rev-parse --short HEAD').toString().trim(),
  load: os.loadavg().map((x) => x.toFixed(2)),
  matching: {},
  upload_to_start_ms: { median: median(latency), p99: quantile(latency, 0.99),
    max: Math.max(...latency), uploads: latency.length },
};
const lines = [
  `Measured ${summary.date} on ${os.cpus().length} CPUs, wharf ${summary.commit}; load average at ` +
  `the end ${summary.load.join(' / ')} (1 / 5 / 15 min). Matching: the median of ` +
  `${Math.max(0, ...[...byRules.values()].map((v) => v.length))} runs, per second of one ` +
  'thread\'s CPU time. No EventBridge matcher is packaged for Debian 12 or npm to run beside ' +
  'wharf, so the ratios are to the issue\'s goals and to the figure it quotes for Amazon\'s ' +
  'own Java matcher (about 220,000 events/s on a laptop).',
  '',
  '| Rules | matched/s, fresh events (as the bus) | with the JSON parse | cold events | ' +
  'matches, states (of them packed), lookups per event |',
  '|--:|--:|--:|--:|---|',
];
for (const [rules, runs] of [...byRules.entries()].sort((a, b) => a[0] - b[0])) {
  const pick = (k) => median(runs.map((r) => r[k]));
  const row = { match_per_second: pick('match'), parse_and_match_per_second: pick('parse'),
    cold_match_per_second: pick('cold'), matches_per_event: runs[0].matches,
    states_per_event: runs[0].states, packed_states_per_event: runs[0].packed,
    lookups_per_event: runs[0].lookups };
  summary.matching[rules] = row;
  lines.push(`| ${fmt(rules)} | ${fmt(row.match_per_second)} | ` +
    `${fmt(row.parse_and_match_per_second)} | ${fmt(row.cold_match_per_second)} | ` +
    `${row.matches_per_event}, ${row.states_per_event} (${row.packed_states_per_event}), ` +
    `${row.lookups_per_event} |`);
}
const at = (rules, key) => (summary.matching[rules] || {})[key];
const goalRate = at(1000, 'match_per_second');
const flat = (key) => at(1000, key) && at(10000, key)
  ? `${Math.round((100 * at(10000, key)) / at(1000, key))}%` : 'n/a';
lines.push('');
lines.push('| Goal | wharf | |');
lines.push('|---|--:|---|');
if (goalRate !== undefined) {
  lines.push(`| 500,000 events/s at 1,000 rules (fresh events) | ${fmt(goalRate)} | ` +
    `${goalRate >= 500000 ? 'met' : '**not met**'} |`);
}
lines.push(`| Flat as the rules grow: the rate at 10,000 rules as a share of the rate at 1,000 ` +
  `(fresh / with the parse / cold) | ${flat('match_per_second')} / ` +
  `${flat('parse_and_match_per_second')} / ${flat('cold_match_per_second')} | the work per ` +
  'event is flat; see below |');
const l = summary.upload_to_start_ms;
lines.push(`| Finished upload to its execution's start under 20 ms, median / p99 (${l.uploads} ` +
  `FTP uploads) | ${fmt(l.median, 1)} / ${fmt(l.p99, 1)} ms | ` +
  `${l.p99 < 20 ? 'met' : (l.median < 20 ? 'met at the median, **not at p99**' : '**not met**')}; ` +
  `max ${fmt(l.max, 1)} ms |`);
fs.mkdirSync(path.dirname(outPath), { recursive: true });
fs.writeFileSync(outPath, JSON.stringify(summary, null, 2) + '\n');

const readme = fs.readFileSync(readmePath, 'utf8');
const begin = '<!-- bench:events:begin -->';
const end = '<!-- bench:events:end -->';
const block = `${begin}\n${lines.join('\n')}\n${end}`;
const out = readme.includes(begin)
  ? readme.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block)
  : `${readme.trimEnd()}\n\n## Events (issue 5)\n\n\`./bench/events_run\`: events matched per ` +
    'second (`bench/events_bench.cc`) and the time from a finished upload to its execution\'s ' +
    `start.\n\n${block}\n`;
fs.writeFileSync(readmePath, out);
console.log(lines.join('\n'));
