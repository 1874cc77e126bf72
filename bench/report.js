#!/usr/bin/env node
// Summarizes the runs bench/run collected: medians per workload and engine, the ratio against the
// goal, peak RSS. Writes bench/results/engine.json, prints a markdown table and splices it into
// bench/README.md between the markers
//   <!-- bench:engine:begin --> ... <!-- bench:engine:end -->
//
// Usage: node bench/report.js --runs RUNS.jsonl --workloads DIR --goal 10 --build-type T
//                             --out engine.json --readme README.md
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {execFileSync} = require('child_process');

const kBegin = '<!-- bench:engine:begin -->';
const kEnd = '<!-- bench:engine:end -->';

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error('bad arguments');
    args[argv[i].slice(2).replace(/-/g, '_')] = argv[i + 1];
  }
  return args;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
  } catch (e) {
    return null;
  }
}

function machine() {
  let cpu = 'unknown';
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) cpu = m[1].trim();
  } catch (e) { /* not Linux */ }
  const commit = tryRun('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryRun('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src']);
  return {
    nproc: Number(tryRun('nproc', [])) || os.cpus().length,
    cpu,
    memory_gib: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    kernel: os.release(),
    load_average_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    git_commit: commit ? commit + (dirty ? '+dirty-src' : '') : null,
  };
}

const fmtInt = (x) => Math.round(x).toLocaleString('en-US');
const fmtMb = (kb) => (kb / 1024).toFixed(1) + ' MB';

function main() {
  const args = parseArgs(process.argv.slice(2));
  const goal = Number(args.goal || 10);
  const runs = fs.readFileSync(args.runs, 'utf8').split('\n').filter(Boolean).map(JSON.parse);

  const names = [...new Set(runs.map((r) => r.workload))];
  const workloads = names.map((name) => {
    const meta = JSON.parse(fs.readFileSync(path.join(args.workloads, name, 'meta.json'), 'utf8'));
    const side = (s) => {
      const rs = runs.filter((r) => r.workload === name && r.side === s);
      const rates = rs.map((r) => r.transitions_per_sec);
      return {
        median_transitions_per_sec: median(rates),
        min_transitions_per_sec: Math.min(...rates),
        max_transitions_per_sec: Math.max(...rates),
        runs_transitions_per_sec: rates.map(Math.round),
        executions_per_run: rs.map((r) => r.executions),
        peak_rss_kb: Math.max(...rs.map((r) => r.peak_rss_kb)),
      };
    };
    const wharf = side('wharf');
    const peer = side('peer');
    const ratio = wharf.median_transitions_per_sec / peer.median_transitions_per_sec;
    return {
      name,
      title: meta.title,
      transitions_per_execution: meta.transitions_per_execution,
      input_bytes: meta.input_bytes,
      wharf,
      peer,
      ratio: Math.round(ratio * 100) / 100,
      goal_met: ratio >= goal,
    };
  });

  const rounds = Math.max(...runs.map((r) => r.round));
  const peerRun = runs.find((r) => r.side === 'peer');
  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    config: {
      rounds,
      seconds_per_run: Math.round(median(runs.map((r) => r.seconds)) * 10) / 10,
      goal_ratio: goal,
      wharf_build_type: args.build_type || null,
      peer: peerRun ? `${peerRun.engine} ${peerRun.version} on Node ${peerRun.node}` : null,
      unit: 'state transitions per second: states entered, a Map state and every state inside it',
    },
    workloads,
  };
  fs.mkdirSync(path.dirname(args.out), {recursive: true});
  fs.writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');

  const m = result.machine;
  const lines = [
    `Measured ${result.date.slice(0, 10)} on ${m.nproc} CPUs (${m.cpu}), ${m.memory_gib} GiB, ` +
        `wharf ${m.git_commit || '?'} (${result.config.wharf_build_type || '?'}), ` +
        `peer ${result.config.peer}; median of ${rounds} alternating rounds of ` +
        `~${result.config.seconds_per_run} s each; load average at the end ` +
        `${m.load_average_at_end.join(' / ')} (1 / 5 / 15 min).`,
    '',
    `| Workload | wharf transitions/s | peer transitions/s | ratio | goal ${goal}x | ` +
        'wharf peak RSS | peer peak RSS |',
    '|---|--:|--:|--:|:-:|--:|--:|',
  ];
  for (const w of workloads) {
    lines.push(`| ${w.title} | ${fmtInt(w.wharf.median_transitions_per_sec)} | ` +
               `${fmtInt(w.peer.median_transitions_per_sec)} | ${w.ratio.toFixed(1)}x | ` +
               `${w.goal_met ? 'met' : '**missed**'} | ${fmtMb(w.wharf.peak_rss_kb)} | ` +
               `${fmtMb(w.peer.peak_rss_kb)} |`);
  }
  const table = lines.join('\n');
  process.stdout.write('\n' + table + '\n');

  if (args.readme && fs.existsSync(args.readme)) {
    const readme = fs.readFileSync(args.readme, 'utf8');
    const b = readme.indexOf(kBegin);
    const e = readme.indexOf(kEnd);
    if (b < 0 || e < b) {
      process.stderr.write(`report.js: no ${kBegin} ... ${kEnd} markers in ${args.readme}\n`);
    } else {
      fs.writeFileSync(args.readme, readme.slice(0, b + kBegin.length) + '\n' + table + '\n' +
                                        readme.slice(e));
    }
  }
}

main();
