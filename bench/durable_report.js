// Summarises bench/durable_run's rounds: medians per figure, compared with the goals of issue 3
// and with the reference figures it quotes, into bench/results/durable.json and the table
// between <!-- bench:durable:begin --> and <!-- bench:durable:end --> in bench/README.md.
'use strict';
const fs = require('fs');
const os = require('os');
const { execSync } = require('child_process');

const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
const runs = fs.readFileSync(arg('--runs'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pick = (filter, key) => median(runs.filter(filter).map((r) => r[key]));
const tr = (machine, durability) => (r) => r.mode === 'transitions' && r.machine === machine &&
  r.durability === durability;
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits,
  minimumFractionDigits: digits });

const pass20 = pick(tr('pass20', 'normal'), 'transitions_per_second');
const wait20 = pick(tr('wait20', 'normal'), 'transitions_per_second');
const wait20full = pick(tr('wait20', 'full'), 'transitions_per_second');
const map1000 = pick(tr('map1000', 'normal'), 'transitions_per_second');
const map4000 = pick(tr('map4000', 'normal'), 'transitions_per_second');
const cpt = {
  pass20: pick(tr('pass20', 'normal'), 'commits_per_transition'),
  wait20: pick(tr('wait20', 'normal'), 'commits_per_transition'),
  wait20full: pick(tr('wait20', 'full'), 'commits_per_transition'),
};
const task = (k) => pick((r) => r.mode === 'task', k);
const api = (k) => pick((r) => r.mode === 'api', k);
const summary = {
  date: new Date().toISOString().slice(0, 10),
  commit: execSync('git rev-parse --short HEAD').toString().trim(),
  rounds: runs.filter((r) => r.mode === 'api').length,
  load: os.loadavg().map((x) => x.toFixed(2)),
  durable_transitions_per_second: { pass20, wait20, wait20_full: wait20full, map1000, map4000 },
  commits_per_transition: cpt,
  engine_starts_per_second: pick(tr('wait20', 'normal'), 'starts_per_second'),
  api_starts_per_second: api('starts_per_second'),
  task_ms: {
    process_median: task('process_median_ms'), process_p99: task('process_p99_ms'),
    execution_median: task('execution_median_ms'), execution_p99: task('execution_p99_ms'),
    overhead_median: task('overhead_median_ms'), overhead_p99: task('overhead_p99_ms'),
  },
  startup_ms: { ready_first: api('startup_first_ready_ms'), ready_second: api('startup_second_ready_ms'),
    first_answer: api('startup_second_first_answer_ms') },
  idle_rss_mb: { empty: api('idle_rss_second_mb'), waiting_1000: api('idle_rss_1000_waiting_mb') },
};
fs.writeFileSync(arg('--out'), JSON.stringify(summary, null, 2) + '\n');

const met = (ok) => (ok ? 'met' : '**not met**');
const t = summary.task_ms;
const lines = [
  `Measured ${summary.date} on ${os.cpus().length} CPUs, wharf ${summary.commit}; median of ` +
  `${summary.rounds} rounds; load average at the end ${summary.load.join(' / ')} (1 / 5 / 15 min). ` +
  'No durable workflow engine is packaged for Debian 12 or npm to run beside it, so the ratios ' +
  'are to the goals of issue 3 and to the figures it quotes.',
  '',
  '| Figure | wharf | goal | ratio to goal | reference | ratio to reference |',
  '|---|--:|--:|--:|--:|--:|',
  `| Durable transitions/s: 20 Pass states, 4,000 executions started by 64 threads | ${fmt(pass20)} ` +
  `(${fmt(cpt.pass20, 4)} commits per transition) | 20,000 | ${fmt(pass20 / 20000, 1)}x ${met(pass20 >= 20000)} ` +
  `| 5,000/s (AWS Standard, burst per account) | ${fmt(pass20 / 5000, 1)}x |`,
  `| Durable transitions/s: 10 x (Pass, Wait 0 s), 11 committed steps per execution | ${fmt(wait20)} ` +
  `(${fmt(cpt.wait20, 4)} commits per transition) | 20,000 | ${fmt(wait20 / 20000, 1)}x ${met(wait20 >= 20000)} ` +
  `| 5,000/s | ${fmt(wait20 / 5000, 1)}x |`,
  `| The same with \`durability: power-loss\` (an fsync per commit) | ${fmt(wait20full)} ` +
  `(${fmt(cpt.wait20full, 4)} commits per transition) | 20,000 | ${fmt(wait20full / 20000, 1)}x ${met(wait20full >= 20000)} ` +
  `| 5,000/s | ${fmt(wait20full / 5000, 1)}x |`,
  `| Durable transitions/s: one Map over 1,000 / 4,000 items, 10 at a time (Wait 0 s + Pass each) ` +
  `| ${fmt(map1000)} / ${fmt(map4000)} | | | | |`,
  `| Executions started/s through the API (AWS SDK for JavaScript, SigV4, 2 client processes x 16 in flight) ` +
  `| ${fmt(summary.api_starts_per_second)} | | | 41.7/s (2,500 executions per minute, an open-source orchestrator) ` +
  `| ${fmt(summary.api_starts_per_second / (2500 / 60), 1)}x |`,
  `| Executions started/s inside the engine (64 threads calling Engine::StartExecution) | ` +
  `${fmt(summary.engine_starts_per_second)} | | | 41.7/s | ${fmt(summary.engine_starts_per_second / (2500 / 60), 1)}x |`,
  `| One function task, overhead beyond its process (median / p99) | ${fmt(t.overhead_median, 2)} / ` +
  `${fmt(t.overhead_p99, 2)} ms | 2 ms | ${met(t.overhead_median < 2)} (median) | | |`,
  `| ... the execution around it (start to close) / the process alone, median | ${fmt(t.execution_median, 2)} / ` +
  `${fmt(t.process_median, 2)} ms | | | | |`,
  `| Start-up to "ready" (empty data folder / existing one) | ${fmt(summary.startup_ms.ready_first, 1)} / ` +
  `${fmt(summary.startup_ms.ready_second, 1)} ms | 100 ms | ${met(summary.startup_ms.ready_second < 100)} | | |`,
  `| Resident memory idle (no executions / 1,000 waiting) | ${fmt(summary.idle_rss_mb.empty, 1)} / ` +
  `${fmt(summary.idle_rss_mb.waiting_1000, 1)} MB | 30 MB | ${met(summary.idle_rss_mb.empty < 30)} | | |`,
];
const readme = fs.readFileSync(arg('--readme'), 'utf8');
const begin = '<!-- bench:durable:begin -->';
const end = '<!-- bench:durable:end -->';
const block = `${begin}\n${lines.join('\n')}\n${end}`;
const out = readme.includes(begin)
  ? readme.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block)
  : `${readme.trimEnd()}\n\n## The durable service (issue 3)\n\n\`./bench/durable_run\` (part of \`make bench\`).\n\n${block}\n`;
fs.writeFileSync(arg('--readme'), out);
console.log(lines.join('\n'));
